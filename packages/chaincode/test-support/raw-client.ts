/**
 * A bare ChaincodeSupport.Register client, for tests that speak the protocol by hand (refused
 * registrations, TLS certificate binding).
 */
import * as grpc from '@grpc/grpc-js';
import { ChaincodeSupportService, protos } from '@fabric-peer/protos';

export interface RawSession {
  /** Messages received so far. */
  readonly received: protos.ChaincodeMessage[];
  /** Resolves with the error that ended the stream, or undefined when it ended cleanly. */
  readonly ended: Promise<grpc.ServiceError | undefined>;
  send(msg: protos.ChaincodeMessage.$Properties): void;
  /** Waits until `n` messages arrived (or the stream ended). */
  waitFor(n: number): Promise<void>;
  close(): void;
}

export function openRawSession(
  address: string,
  creds = grpc.credentials.createInsecure(),
): RawSession {
  const Client = grpc.makeGenericClientConstructor(ChaincodeSupportService, 'ChaincodeSupport');
  const client = new Client(address, creds) as unknown as grpc.Client & {
    register(): grpc.ClientDuplexStream<
      protos.ChaincodeMessage.$Properties,
      protos.ChaincodeMessage
    >;
  };
  const call = client.register();
  const received: protos.ChaincodeMessage[] = [];
  const waiters: (() => void)[] = [];
  let done = false;
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  call.on('data', (m: protos.ChaincodeMessage) => {
    received.push(m);
    wake();
  });
  const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on('error', (err: grpc.ServiceError) => {
      done = true;
      wake();
      resolve(err);
    });
    call.on('end', () => {
      done = true;
      wake();
      resolve(undefined);
    });
  });
  return {
    received,
    ended,
    send: (msg) => call.write(msg),
    async waitFor(n) {
      while (received.length < n && !done) await new Promise<void>((r) => waiters.push(r));
    },
    close() {
      call.cancel();
      client.close();
    },
  };
}

export function registerMessage(chaincodeId: string): protos.ChaincodeMessage.$Properties {
  return {
    type: protos.ChaincodeMessage.Type.REGISTER,
    payload: protos.ChaincodeID.encode({ name: chaincodeId }).finish(),
  };
}
