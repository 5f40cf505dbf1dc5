/**
 * A test double of the peer's side of the chaincode protocol: a real gRPC server of
 * `protos.ChaincodeSupport` on 127.0.0.1 that answers REGISTER with REGISTERED and READY, records
 * who registered (and, with TLS, the client certificate presented), and can send a chaincode an
 * INIT or TRANSACTION and wait for its COMPLETED or ERROR. It is no ChaincodeSupport: it checks
 * nothing and serves no state requests (a chaincode asking for state gets ERROR).
 */
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { ChaincodeSupportService, protos, timestampNow } from '@fabric-peer/protos';

const { Type } = protos.ChaincodeMessage;

/** One REGISTER received. */
export interface Registration {
  /** The ChaincodeID name the chaincode registered with. */
  readonly chaincodeId: string;
  /** `performance.now()` when the REGISTER arrived. */
  readonly at: number;
  /** The TLS client certificate the chaincode presented, when the server uses TLS. */
  readonly peerCertificate?: PeerCertificate;
}

/** What the chaincode answered an INIT or TRANSACTION with. */
export interface InvokeResult {
  readonly type: 'COMPLETED' | 'ERROR';
  /** The decoded `Response` of a COMPLETED. */
  readonly response?: protos.Response;
  /** The text of an ERROR. */
  readonly message?: string;
}

/** PEM material of a TLS server that requires client certificates signed by `clientCa`. */
export interface DoubleTls {
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCa: string;
}

type Stream = grpc.ServerDuplexStream<protos.ChaincodeMessage, protos.ChaincodeMessage.$Properties>;

interface Waiter {
  readonly chaincodeId: string;
  readonly resolve: (r: Registration) => void;
}

/** The running double; {@link startChaincodeSupportDouble} makes one. */
export class ChaincodeSupportDouble {
  readonly registrations: Registration[] = [];
  readonly #server: grpc.Server;
  readonly #streams = new Map<string, Stream>();
  readonly #waiters: Waiter[] = [];
  readonly #pending = new Map<string, (r: InvokeResult) => void>();
  #txCounter = 0;

  constructor(
    server: grpc.Server,
    /** `127.0.0.1:<port>`, for PeerConnection.address. */
    readonly address: string,
  ) {
    this.#server = server;
  }

  /** @internal The stream handler of `Register`. */
  handle(call: Stream): void {
    let chaincodeId: string | undefined;
    call.on('data', (msg: protos.ChaincodeMessage) => {
      if (msg.type === Type.REGISTER && chaincodeId === undefined) {
        chaincodeId = protos.ChaincodeID.decode(msg.payload).name;
        const cert = call.getAuthContext()?.sslPeerCertificate;
        const reg: Registration = {
          chaincodeId,
          at: performance.now(),
          ...(cert !== undefined ? { peerCertificate: cert } : {}),
        };
        this.registrations.push(reg);
        this.#streams.set(chaincodeId, call);
        call.write({ type: Type.REGISTERED });
        call.write({ type: Type.READY });
        for (const w of this.#waiters.filter((x) => x.chaincodeId === reg.chaincodeId)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(reg);
        }
        return;
      }
      if (msg.type === Type.COMPLETED || msg.type === Type.ERROR) {
        const done = this.#pending.get(msg.txid);
        if (done === undefined) return;
        this.#pending.delete(msg.txid);
        done(
          msg.type === Type.COMPLETED
            ? { type: 'COMPLETED', response: protos.Response.decode(msg.payload) }
            : { type: 'ERROR', message: Buffer.from(msg.payload).toString('utf8') },
        );
        return;
      }
      if (msg.type === Type.KEEPALIVE) return;
      // State requests: this double has no ledger.
      call.write({
        type: Type.ERROR,
        txid: msg.txid,
        channelId: msg.channelId,
        payload: Buffer.from('the test double serves no state requests'),
      });
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (chaincodeId !== undefined && this.#streams.get(chaincodeId) === call) {
        this.#streams.delete(chaincodeId);
      }
      call.end();
    });
  }

  /** Resolves at the first REGISTER of `chaincodeId` (at once if one came already). */
  registered(chaincodeId: string, timeoutMs = 30_000): Promise<Registration> {
    const seen = this.registrations.find((r) => r.chaincodeId === chaincodeId);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.nextRegistration(chaincodeId, timeoutMs);
  }

  /** Resolves at the next REGISTER of `chaincodeId`, ignoring earlier ones. */
  nextRegistration(chaincodeId: string, timeoutMs = 30_000): Promise<Registration> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`no REGISTER of ${chaincodeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        chaincodeId,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends TRANSACTION (or INIT) with `args` to a registered chaincode and waits for its answer. */
  invoke(
    chaincodeId: string,
    args: readonly string[],
    options: {
      channelId?: string;
      proposal?: protos.SignedProposal.$Properties;
      isInit?: boolean;
    } = {},
  ): Promise<InvokeResult> {
    const stream = this.#streams.get(chaincodeId);
    if (stream === undefined) return Promise.reject(new Error(`${chaincodeId} is not connected`));
    const txid = `tx${++this.#txCounter}`;
    return new Promise((resolve) => {
      this.#pending.set(txid, resolve);
      stream.write({
        type: options.isInit ? Type.INIT : Type.TRANSACTION,
        txid,
        channelId: options.channelId ?? 'mychannel',
        timestamp: timestampNow(),
        payload: protos.ChaincodeInput.encode({
          args: args.map((a) => Buffer.from(a, 'utf8')),
          isInit: options.isInit ?? false,
        }).finish(),
        ...(options.proposal !== undefined ? { proposal: options.proposal } : {}),
      });
    });
  }

  /** Ends every chaincode stream and the server. */
  async stop(): Promise<void> {
    for (const s of this.#streams.values()) s.end();
    this.#streams.clear();
    await new Promise<void>((resolve) => {
      this.#server.tryShutdown(() => resolve());
      // Streams a chaincode keeps open would hold a graceful shutdown.
      setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, 1000).unref();
    });
  }
}

/** Starts the double on 127.0.0.1:`port` (plain, or TLS requiring client certificates). */
export async function startChaincodeSupportDouble(
  port: number,
  tls?: DoubleTls,
): Promise<ChaincodeSupportDouble> {
  const server = new grpc.Server();
  const address = `127.0.0.1:${port}`;
  const double = new ChaincodeSupportDouble(server, address);
  server.addService(ChaincodeSupportService, { register: (call: Stream) => double.handle(call) });
  const creds =
    tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(
          Buffer.from(tls.clientCa),
          [{ cert_chain: Buffer.from(tls.serverCert), private_key: Buffer.from(tls.serverKey) }],
          true,
        );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(address, creds, (err) => (err ? reject(err) : resolve())),
  );
  return double;
}
