/**
 * A real AtomicBroadcast client for the tests (grpc-js with the protos' service definition), and
 * the signed envelopes clients send: transactions, seek requests and config updates, built layer
 * by layer as Fabric's SDKs build them.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  AtomicBroadcastService,
  common,
  computeTxId,
  Long,
  orderer,
  timestampFromMillis,
} from '@fabric-peer/protos';

/** Who signs: a serialized identity and a key. */
export interface TestSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

type Duplex<Res> = grpc.ClientDuplexStream<common.Envelope.$Properties, Res>;

interface AbClient extends grpc.Client {
  broadcast(): Duplex<orderer.BroadcastResponse>;
  deliver(): Duplex<orderer.DeliverResponse>;
}

/** TLS for the client: the roots to trust, and a certificate for mutual TLS. */
export interface ClientTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** An AtomicBroadcast client. */
export function connect(address: string, tls?: ClientTls): AbClient {
  const Client = grpc.makeGenericClientConstructor(AtomicBroadcastService, 'AtomicBroadcast');
  const creds =
    tls === undefined
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
  // The certificates name localhost and 127.0.0.1; naming the host avoids Node's warning about
  // an IP address as TLS server name.
  const options = tls === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' };
  return new Client(address, creds, options) as unknown as AbClient;
}

/** A stream's messages, and how it ended. */
export interface StreamResult<Res> {
  readonly messages: Res[];
  /** The gRPC status the stream ended with (OK when the server ended it normally). */
  readonly status: grpc.StatusObject;
}

/**
 * Sends envelopes on one Broadcast stream, one after another (each after the previous answer),
 * then half-closes; resolves with the answers and the stream's end.
 */
export function broadcast(
  client: AbClient,
  envelopes: readonly common.Envelope.$Properties[],
): Promise<StreamResult<orderer.BroadcastResponse>> {
  const call = client.broadcast();
  const messages: orderer.BroadcastResponse[] = [];
  let next = 0;
  const sendNext = (): void => {
    const env = envelopes[next++];
    if (env === undefined) call.end();
    else call.write(env);
  };
  return new Promise((resolve) => {
    let status: grpc.StatusObject | undefined;
    let ended = false;
    const done = (): void => {
      if (status !== undefined && ended) resolve({ messages, status });
    };
    call.on('data', (m: orderer.BroadcastResponse) => {
      messages.push(m);
      sendNext();
    });
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      done();
    });
    call.on('error', () => {
      ended = true;
      done();
    });
    call.on('end', () => {
      ended = true;
      done();
    });
    sendNext();
  });
}

/** One envelope on its own Broadcast stream; the answer. */
export async function broadcastOne(
  client: AbClient,
  envelope: common.Envelope.$Properties,
): Promise<orderer.BroadcastResponse> {
  const { messages, status } = await broadcast(client, [envelope]);
  const first = messages[0];
  if (first === undefined) throw new Error(`no answer; stream ended with ${status.details}`);
  return first;
}

/** What a Deliver stream answered to one seek request. */
export interface DeliverResult {
  readonly blocks: common.Block[];
  /** The status message that ended the answer (undefined if the stream ended without one). */
  readonly status: common.Status | undefined;
  /** The gRPC status, once the stream ended (undefined while it stays open after SUCCESS). */
  readonly grpcStatus: grpc.StatusObject | undefined;
}

/** An open Deliver stream on which seek requests are sent one at a time. */
export class DeliverStream {
  readonly #call: Duplex<orderer.DeliverResponse>;
  #blocks: common.Block[] = [];
  #waiters: (() => void)[] = [];
  #statuses: common.Status[] = [];
  #grpcStatus: grpc.StatusObject | undefined;
  /** Every block received on the stream, in order. */
  readonly received: common.Block[] = [];

  constructor(client: AbClient) {
    this.#call = client.deliver();
    this.#call.on('data', (m: orderer.DeliverResponse) => {
      if (m.block !== null && m.block !== undefined) {
        // Decoded by grpc-js with the generated class, so a real common.Block.
        const block = m.block as common.Block;
        this.#blocks.push(block);
        this.received.push(block);
      } else this.#statuses.push(m.status ?? common.Status.UNKNOWN);
      this.#wake();
    });
    this.#call.on('status', (s: grpc.StatusObject) => {
      this.#grpcStatus = s;
      this.#wake();
    });
    this.#call.on('error', () => this.#wake());
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Sends a seek request without waiting. */
  send(envelope: common.Envelope.$Properties): void {
    this.#call.write(envelope);
  }

  /** Waits until `n` blocks arrived (since the last answer) or the stream ended. */
  async waitForBlocks(n: number): Promise<common.Block[]> {
    while (
      this.#blocks.length < n &&
      this.#grpcStatus === undefined &&
      this.#statuses.length === 0
    ) {
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return [...this.#blocks];
  }

  /** Waits for the status message that ends the current answer (or for the stream's end). */
  async answer(): Promise<DeliverResult> {
    while (this.#statuses.length === 0 && this.#grpcStatus === undefined) {
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    const blocks = this.#blocks;
    this.#blocks = [];
    const status = this.#statuses.shift();
    if (status !== undefined && status !== common.Status.SUCCESS) await this.ended();
    return { blocks, status, grpcStatus: this.#grpcStatus };
  }

  /** Sends a seek request and waits for its answer. */
  async seek(envelope: common.Envelope.$Properties): Promise<DeliverResult> {
    this.send(envelope);
    return this.answer();
  }

  /** Waits for the gRPC status that ends the stream. */
  async ended(): Promise<grpc.StatusObject> {
    while (this.#grpcStatus === undefined) await new Promise<void>((r) => this.#waiters.push(r));
    return this.#grpcStatus;
  }

  /** Half-closes the stream. */
  end(): void {
    this.#call.end();
  }

  /** Cancels the stream. */
  cancel(): void {
    this.#call.cancel();
  }
}

/** Sends one seek request on a new stream and returns its answer (the stream is then closed). */
export async function deliverOnce(
  client: AbClient,
  envelope: common.Envelope.$Properties,
): Promise<DeliverResult> {
  const stream = new DeliverStream(client);
  const result = await stream.seek(envelope);
  stream.end();
  return result;
}

/** Options of a signed envelope. */
export interface EnvelopeOptions {
  readonly type?: common.HeaderType;
  /** The payload's data; default 64 random bytes. */
  readonly data?: Uint8Array;
  /** The channel header's time; default now. */
  readonly timestampMs?: number;
  /** Sets the channel header's tls_cert_hash. */
  readonly tlsCertHash?: Uint8Array;
  /** Replaces the signature (e.g. empty, or another's). */
  readonly signature?: Uint8Array;
}

/** A signed envelope as a client makes it (txid = SHA-256(nonce ‖ creator)). */
export async function signedEnvelope(
  signer: TestSigner,
  channelId: string,
  options: EnvelopeOptions = {},
): Promise<common.Envelope> {
  const creator = signer.serialize();
  const nonce = randomBytes(24);
  const channelHeader = common.ChannelHeader.encode({
    type: options.type ?? common.HeaderType.ENDORSER_TRANSACTION,
    version: 0,
    timestamp: timestampFromMillis(options.timestampMs ?? Date.now()),
    channelId,
    txId: computeTxId(nonce, creator),
    epoch: 0,
    ...(options.tlsCertHash ? { tlsCertHash: options.tlsCertHash } : {}),
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({ creator, nonce }).finish();
  const payload = common.Payload.encode({
    header: { channelHeader, signatureHeader },
    data: options.data ?? randomBytes(64),
  }).finish();
  const signature = options.signature ?? (await signer.sign(payload));
  return common.Envelope.create({ payload, signature });
}

/** A seek position. */
export const position = {
  oldest: (): orderer.SeekPosition.$Properties => ({ oldest: {} }),
  newest: (): orderer.SeekPosition.$Properties => ({ newest: {} }),
  nextCommit: (): orderer.SeekPosition.$Properties => ({ nextCommit: {} }),
  specified: (n: number | Long): orderer.SeekPosition.$Properties => ({
    specified: { number: n },
  }),
};

/** The largest block number, as a peer's deliver client asks for it. */
export const MAX_UINT64 = Long.MAX_UNSIGNED_VALUE;

/** A signed DELIVER_SEEK_INFO envelope. */
export function seekEnvelope(
  signer: TestSigner,
  channelId: string,
  seekInfo: orderer.SeekInfo.$Properties,
  options: Omit<EnvelopeOptions, 'type' | 'data'> = {},
): Promise<common.Envelope> {
  return signedEnvelope(signer, channelId, {
    ...options,
    type: common.HeaderType.DELIVER_SEEK_INFO,
    data: orderer.SeekInfo.encode(seekInfo).finish(),
  });
}

/** SHA-256 of a PEM certificate's DER (what a client puts in tls_cert_hash). */
export function certHash(pem: Buffer): Uint8Array {
  const b64 = pem
    .toString('utf8')
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  return createHash('sha256').update(Buffer.from(b64, 'base64')).digest();
}

/** Decodes the envelopes of a block. */
export function envelopesOf(block: common.IBlock): common.Envelope[] {
  return (block.data?.data ?? []).map((d) => common.Envelope.decode(d));
}

/** The channel header of an envelope. */
export function channelHeader(envelope: common.IEnvelope): common.ChannelHeader {
  const payload = common.Payload.decode(envelope.payload ?? new Uint8Array(0));
  return common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array(0));
}
