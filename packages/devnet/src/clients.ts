/**
 * The two gRPC clients an administrator uses: the peer's Endorser (ProcessProposal) and the
 * orderer's AtomicBroadcast (Broadcast), over plaintext on 127.0.0.1 like the rest of the
 * development network.
 */
import * as grpc from '@grpc/grpc-js';
import {
  AtomicBroadcastService,
  common,
  EndorserService,
  type orderer,
  type protos,
} from '@fabric-peer/protos';
import { DevnetError, messageOf } from './errors.js';

/** A client of one peer's Endorser service. */
export class EndorserClient {
  readonly #client: grpc.Client;

  constructor(readonly address: string) {
    const Client = grpc.makeGenericClientConstructor(EndorserService, 'Endorser');
    this.#client = new Client(address, grpc.credentials.createInsecure());
  }

  /** ProcessProposal; rejects when the call itself fails (the response carries chaincode errors). */
  processProposal(
    signed: protos.ISignedProposal,
    timeoutMs = 120_000,
  ): Promise<protos.ProposalResponse> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        EndorserService.processProposal.path,
        EndorserService.processProposal.requestSerialize,
        EndorserService.processProposal.responseDeserialize,
        signed,
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err || !res) {
            reject(
              new DevnetError(
                'DEVNET_STEP_FAILED',
                `ProcessProposal to ${this.address} failed: ${messageOf(err ?? 'no response')}`,
                { cause: err },
              ),
            );
          } else resolve(res);
        },
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}

/**
 * One Broadcast of a signed envelope to the orderer at `address`; resolves when the orderer
 * answers SUCCESS and rejects with its status and info otherwise.
 */
export function broadcast(
  address: string,
  envelope: { payload: Uint8Array; signature: Uint8Array },
  timeoutMs = 30_000,
): Promise<void> {
  const Client = grpc.makeGenericClientConstructor(AtomicBroadcastService, 'AtomicBroadcast');
  const client = new Client(address, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      AtomicBroadcastService.broadcast.path,
      AtomicBroadcastService.broadcast.requestSerialize,
      AtomicBroadcastService.broadcast.responseDeserialize,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
    );
    let answered = false;
    call.on('data', (res: orderer.BroadcastResponse) => {
      answered = true;
      const status: number = res.status;
      if (status === (common.Status.SUCCESS as number)) resolve();
      else {
        reject(
          new DevnetError(
            'DEVNET_STEP_FAILED',
            `the orderer at ${address} refused the transaction: ${common.Status[status] ?? status} ${res.info}`,
            { details: { status } },
          ),
        );
      }
      call.end();
    });
    call.on('error', (err) => {
      if (answered) return;
      reject(
        new DevnetError(
          'DEVNET_STEP_FAILED',
          `Broadcast to the orderer at ${address} failed: ${messageOf(err)}`,
          { cause: err },
        ),
      );
    });
    call.on('end', () => {
      if (!answered) {
        reject(
          new DevnetError(
            'DEVNET_STEP_FAILED',
            `the orderer at ${address} closed the Broadcast stream without an answer`,
          ),
        );
      }
    });
    call.write(envelope);
  }).finally(() => client.close());
}
