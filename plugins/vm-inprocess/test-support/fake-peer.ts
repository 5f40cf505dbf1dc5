/**
 * A test double of the peer's side of the chaincode protocol: a gRPC ChaincodeSupport server (or
 * the peer's end of a runtime's message pipe) that answers REGISTER with REGISTERED and READY,
 * records which chaincode id registered and when, and can send a TRANSACTION to prove the
 * chaincode really runs. Not a handler: state calls from the chaincode are not served.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ChaincodeMessagePipe, PeerConnection } from '@fabric-peer/api';
import * as grpc from '@grpc/grpc-js';
import { ChaincodeSupportService, common, msp, protos } from '@fabric-peer/protos';

/** What the fake peer uses of a stream: a grpc-js Register call, or {@link PipeStream}. */
interface Stream {
  write(msg: protos.ChaincodeMessage.$Properties): unknown;
  end(): void;
  on(event: 'data', listener: (msg: protos.ChaincodeMessage) => void): unknown;
  on(event: 'error' | 'end', listener: () => void): unknown;
}

/** A message pipe shaped as a grpc-js call: decoded messages in, encoded ones out. */
class PipeStream extends EventEmitter implements Stream {
  constructor(private readonly pipe: ChaincodeMessagePipe) {
    super();
    pipe.start({
      message: (bytes) => this.emit('data', protos.ChaincodeMessage.decode(bytes)),
      end: () => this.emit('end'),
    });
  }

  write(msg: protos.ChaincodeMessage.$Properties): void {
    this.pipe.send(protos.ChaincodeMessage.encode(msg).finish());
  }

  end(): void {
    this.pipe.close();
  }
}

/** An address nothing listens on: a chaincode given it can reach the peer only over its pipe. */
const NOWHERE = '127.0.0.1:1';

/** A chaincode that registered. */
export interface Registration {
  readonly chaincodeId: string;
  /** performance.now() when its REGISTER arrived. */
  readonly at: number;
  readonly stream: Stream;
}

/** TLS of the fake peer: its server certificate, and the CA its clients' certificates must chain to. */
export interface FakePeerTls {
  readonly certPem: string;
  readonly keyPem: string;
  readonly clientCaPem: string;
}

const T = protos.ChaincodeMessage.Type;

export class FakePeer {
  readonly registrations: Registration[] = [];
  private waiters: ((r: Registration) => void)[] = [];
  private pending = new Map<string, (m: protos.ChaincodeMessage) => void>();
  private txCounter = 0;

  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(tls?: FakePeerTls): Promise<FakePeer> {
    const server = new grpc.Server();
    const holder: { peer?: FakePeer } = {};
    server.addService(ChaincodeSupportService, {
      register: (
        stream: grpc.ServerDuplexStream<
          protos.ChaincodeMessage,
          protos.ChaincodeMessage.$Properties
        >,
      ) => holder.peer?.serve(stream),
    });
    const creds = tls
      ? grpc.ServerCredentials.createSsl(
          Buffer.from(tls.clientCaPem),
          [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
          true,
        )
      : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    holder.peer = new FakePeer(server, `127.0.0.1:${port}`);
    return holder.peer;
  }

  private serve(stream: Stream): void {
    let registered: Registration | undefined;
    stream.on('data', (msg: protos.ChaincodeMessage) => {
      if (msg.type === T.REGISTER && !registered) {
        const id = protos.ChaincodeID.decode(msg.payload ?? new Uint8Array(0));
        registered = { chaincodeId: id.name ?? '', at: performance.now(), stream };
        this.registrations.push(registered);
        stream.write({ type: T.REGISTERED });
        stream.write({ type: T.READY });
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w(registered);
      } else if (msg.type === T.COMPLETED || msg.type === T.ERROR) {
        const done = this.pending.get(msg.txid ?? '');
        this.pending.delete(msg.txid ?? '');
        done?.(msg);
      }
    });
    stream.on('error', () => undefined);
    stream.on('end', () => stream.end());
  }

  /**
   * What a runtime is given to start a chaincode: this server's address, or `'pipe'`: a message
   * pipe served here and an address where nothing listens.
   */
  connection(transport: 'grpc' | 'pipe' = 'grpc'): PeerConnection {
    if (transport === 'grpc') return { address: this.address };
    return {
      address: NOWHERE,
      serveMessagePipe: (pipe) => this.serve(new PipeStream(pipe)),
    };
  }

  /** The next REGISTER (or the first one, when it came already and `fresh` is false). */
  nextRegistration(timeoutMs = 20_000, fresh = true): Promise<Registration> {
    const first = this.registrations[0];
    if (!fresh && first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no chaincode registered within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /**
   * Sends a TRANSACTION with `args` and a signed proposal from `creator` (an identity of
   * `mspId`), and resolves with the chaincode's response (COMPLETED) or rejects with its ERROR.
   */
  invoke(
    reg: Registration,
    args: string[],
    creator: { mspId: string; certPem: string },
    timeoutMs = 20_000,
  ): Promise<protos.Response> {
    const txid = `tx${++this.txCounter}`;
    const input = { args: args.map((a) => Buffer.from(a)) };
    const header = common.Header.encode({
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.ENDORSER_TRANSACTION,
        channelId: 'mychannel',
        txId: txid,
      }).finish(),
      signatureHeader: common.SignatureHeader.encode({
        creator: msp.SerializedIdentity.encode({
          mspid: creator.mspId,
          idBytes: Buffer.from(creator.certPem),
        }).finish(),
        nonce: Buffer.from('nonce'),
      }).finish(),
    }).finish();
    const proposal = protos.Proposal.encode({
      header,
      payload: protos.ChaincodeProposalPayload.encode({
        input: protos.ChaincodeInvocationSpec.encode({
          chaincodeSpec: { input },
        }).finish(),
      }).finish(),
    }).finish();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${txid}`)), timeoutMs);
      this.pending.set(txid, (msg) => {
        clearTimeout(timer);
        if (msg.type === T.COMPLETED)
          resolve(protos.Response.decode(msg.payload ?? new Uint8Array(0)));
        else reject(new Error(Buffer.from(msg.payload ?? []).toString()));
      });
      reg.stream.write({
        type: T.TRANSACTION,
        txid,
        channelId: 'mychannel',
        payload: protos.ChaincodeInput.encode(input).finish(),
        proposal: { proposalBytes: proposal, signature: Buffer.from('sig') },
      });
    });
  }

  async close(): Promise<void> {
    for (const r of this.registrations) r.stream.end();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }
}
