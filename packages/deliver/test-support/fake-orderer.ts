/**
 * A fake ordering node for tests: a real grpc-js `orderer.AtomicBroadcast` server that serves
 * blocks from a list (Deliver: oldest / newest / specified start and stop, BLOCK_UNTIL_READY and
 * FAIL_IF_NOT_READY) and answers Broadcast envelopes. It checks no signature; it records every
 * seek and broadcast so tests can check what the peer sent, and it misbehaves on request (a bad
 * status, a hang-up, a broken stream, a wrong block) to exercise reconnection.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { AtomicBroadcastService, Long, common, orderer } from '@fabric-peer/protos';

/** One seek envelope the orderer received. */
export interface SeekRecord {
  /** Milliseconds since the epoch when it arrived. */
  readonly at: number;
  readonly envelope: common.Envelope;
  readonly channelHeader: common.ChannelHeader;
  readonly signatureHeader: common.SignatureHeader;
  readonly seekInfo: orderer.SeekInfo;
  /** DER of the client's TLS certificate, under mutual TLS. */
  readonly clientCertificate?: Uint8Array;
}

/** How the next deliver stream misbehaves, after `afterBlocks` blocks (default 0). */
export type DeliverFault =
  | { readonly kind: 'status'; readonly status: common.Status; readonly afterBlocks?: number }
  /** The stream ends without a status. */
  | { readonly kind: 'hangup'; readonly afterBlocks?: number }
  /** The stream fails with a gRPC error. */
  | { readonly kind: 'error'; readonly afterBlocks?: number }
  /** This block is sent in place of the next one. */
  | { readonly kind: 'block'; readonly block: common.Block; readonly afterBlocks?: number };

/** What a Broadcast envelope is answered with; undefined: no answer at all. */
export type BroadcastAnswer = (
  envelope: common.Envelope,
) =>
  | orderer.BroadcastResponse.$Properties
  | undefined
  | Promise<orderer.BroadcastResponse.$Properties | undefined>;

export interface FakeOrdererTls {
  /** PEM server certificate and key. */
  readonly cert: Uint8Array | string;
  readonly key: Uint8Array | string;
  /** PEM roots client certificates must chain to. */
  readonly clientRootCAs?: readonly (Uint8Array | string)[];
  readonly clientAuthRequired?: boolean;
}

export interface FakeOrdererOptions {
  /** The chain served, block i being number i. */
  readonly blocks?: readonly common.Block[];
  /** Default: a port the system chooses. */
  readonly port?: number;
  readonly tls?: FakeOrdererTls;
  /** Default: SUCCESS with the envelope's txid as info. */
  readonly broadcast?: BroadcastAnswer;
}

function txIdOf(envelope: common.Envelope): string {
  try {
    const payload = common.Payload.decode(envelope.payload);
    return common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array()).txId;
  } catch {
    return '';
  }
}

function u64(value: number | Long | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  return typeof value === 'number' ? BigInt(value) : BigInt(Long.fromValue(value).toString());
}

type DeliverCall = grpc.ServerDuplexStream<common.Envelope, orderer.DeliverResponse.$Properties>;
type BroadcastCall = grpc.ServerDuplexStream<
  common.Envelope,
  orderer.BroadcastResponse.$Properties
>;

export class FakeOrderer {
  readonly seeks: SeekRecord[] = [];
  readonly broadcasts: common.Envelope[] = [];
  /** Streams opened so far. */
  deliverStreams = 0;
  broadcastStreams = 0;
  readonly #blocks: common.Block[];
  readonly #faults: DeliverFault[] = [];
  readonly #events = new EventEmitter();
  readonly #calls = new Set<grpc.ServerDuplexStream<unknown, unknown>>();
  #server: grpc.Server | undefined;
  #port = 0;
  #broadcast: BroadcastAnswer;

  private constructor(private readonly options: FakeOrdererOptions) {
    this.#blocks = [...(options.blocks ?? [])];
    this.#broadcast =
      options.broadcast ?? ((env) => ({ status: common.Status.SUCCESS, info: txIdOf(env) }));
    this.#events.setMaxListeners(0);
  }

  /** Starts a fake orderer listening on 127.0.0.1. */
  static async start(options: FakeOrdererOptions = {}): Promise<FakeOrderer> {
    const o = new FakeOrderer(options);
    await o.#listen(options.port ?? 0);
    return o;
  }

  get port(): number {
    return this.#port;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The blocks served so far. */
  get blocks(): readonly common.Block[] {
    return this.#blocks;
  }

  /** Adds blocks to the chain; waiting streams send them. */
  append(...blocks: common.Block[]): void {
    this.#blocks.push(...blocks);
    this.#events.emit('appended');
  }

  /** Queues a fault for the next deliver stream that opens. */
  fault(fault: DeliverFault): void {
    this.#faults.push(fault);
  }

  /** Replaces the broadcast answer. */
  answerBroadcasts(answer: BroadcastAnswer): void {
    this.#broadcast = answer;
  }

  async #listen(port: number): Promise<void> {
    const server = new grpc.Server();
    server.addService(AtomicBroadcastService, {
      deliver: (call: DeliverCall) => this.#deliver(call),
      broadcast: (call: BroadcastCall) => this.#onBroadcast(call),
    });
    const tls = this.options.tls;
    const creds =
      tls === undefined
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(
            tls.clientRootCAs !== undefined && tls.clientRootCAs.length > 0
              ? Buffer.concat(tls.clientRootCAs.map((c) => Buffer.from(c)))
              : null,
            [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
            tls.clientAuthRequired === true,
          );
    this.#port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, creds, (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    this.#server = server;
  }

  /** Stops at once: open streams end with an error, new connections are refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    for (const call of this.#calls) call.destroy();
    this.#calls.clear();
    this.#events.emit('appended');
    server.forceShutdown();
    await Promise.resolve();
  }

  /** Listens again on the same port (after {@link stop}). */
  async restart(): Promise<void> {
    if (this.#server !== undefined) return;
    await this.#listen(this.#port);
  }

  #track(call: grpc.ServerDuplexStream<unknown, unknown>): void {
    this.#calls.add(call);
    call.once('close', () => this.#calls.delete(call));
    call.once('cancelled', () => this.#calls.delete(call));
  }

  #onBroadcast(call: BroadcastCall): void {
    this.broadcastStreams++;
    this.#track(call);
    // Answers in order, one envelope at a time, as Fabric's broadcast handler does.
    let queue = Promise.resolve();
    call.on('data', (envelope: common.Envelope) => {
      this.broadcasts.push(envelope);
      queue = queue
        .then(async () => {
          const answer = await this.#broadcast(envelope);
          if (answer !== undefined) call.write(answer);
        })
        .catch(() => undefined);
    });
    call.on('end', () => {
      void queue.then(() => call.end());
    });
    call.on('error', () => undefined);
  }

  #deliver(call: DeliverCall): void {
    this.deliverStreams++;
    this.#track(call);
    const fault = this.#faults.shift();
    let cancelled = false;
    call.once('cancelled', () => {
      cancelled = true;
      this.#events.emit('appended');
    });
    call.on('error', () => undefined);
    call.once('data', (envelope: common.Envelope) => {
      void this.#serveSeek(call, envelope, fault, () => cancelled);
    });
  }

  async #serveSeek(
    call: DeliverCall,
    envelope: common.Envelope,
    fault: DeliverFault | undefined,
    cancelled: () => boolean,
  ): Promise<void> {
    let seekInfo: orderer.SeekInfo;
    try {
      const payload = common.Payload.decode(envelope.payload);
      const channelHeader = common.ChannelHeader.decode(
        payload.header?.channelHeader ?? new Uint8Array(),
      );
      const signatureHeader = common.SignatureHeader.decode(
        payload.header?.signatureHeader ?? new Uint8Array(),
      );
      seekInfo = orderer.SeekInfo.decode(payload.data);
      const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
      this.seeks.push({
        at: Date.now(),
        envelope,
        channelHeader,
        signatureHeader,
        seekInfo,
        ...(raw !== undefined ? { clientCertificate: new Uint8Array(raw) } : {}),
      });
    } catch {
      call.write({ status: common.Status.BAD_REQUEST });
      call.end();
      return;
    }
    const last = (): bigint => BigInt(this.#blocks.length) - 1n;
    let next: bigint;
    switch (seekInfo.start?.Type) {
      case 'oldest':
        next = 0n;
        break;
      case 'newest':
        next = last();
        break;
      case 'specified':
        next = u64(seekInfo.start.specified?.number);
        break;
      default:
        call.write({ status: common.Status.BAD_REQUEST });
        call.end();
        return;
    }
    const stop =
      seekInfo.stop?.Type === 'specified'
        ? u64(seekInfo.stop.specified?.number)
        : seekInfo.stop?.Type === 'oldest'
          ? 0n
          : last();
    let sent = 0;
    for (;;) {
      if (cancelled()) return;
      if (fault !== undefined && sent >= (fault.afterBlocks ?? 0)) {
        switch (fault.kind) {
          case 'status':
            call.write({ status: fault.status });
            call.end();
            return;
          case 'hangup':
            call.end();
            return;
          case 'error':
            call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fake orderer failure' });
            return;
          case 'block':
            call.write({ block: fault.block });
            sent++;
            fault = undefined;
            continue;
        }
      }
      if (next > stop) {
        call.write({ status: common.Status.SUCCESS });
        call.end();
        return;
      }
      const block = this.#blocks[Number(next)];
      if (block === undefined) {
        if (seekInfo.behavior === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY) {
          call.write({ status: common.Status.NOT_FOUND });
          call.end();
          return;
        }
        await new Promise<void>((resolve) => this.#events.once('appended', () => resolve()));
        if (this.#server === undefined) return;
        continue;
      }
      call.write({ block });
      sent++;
      next++;
    }
  }
}
