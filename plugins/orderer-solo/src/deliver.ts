/**
 * Fabric's Deliver handler (common/deliver) as the orderer serves it: each signed SeekInfo of the
 * stream is checked (header, time window, TLS binding, channel, `/Channel/Readers`) and answered
 * with the blocks it asks for, then a status; the stream ends after a status that is not SUCCESS.
 */
import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Counter, Logger } from '@fabric-peer/api';
import type { BlockIterator } from '@fabric-peer/ledger';
import { envelopeSignedData, PolicyPaths } from '@fabric-peer/policies';
import { common, Long, orderer, timestampToMillis } from '@fabric-peer/protos';
import type { SoloChain } from './chain.js';
import { identityExpiresAt, isConfigBlock } from './envelope.js';
import { messageOf } from './errors.js';
import { sigFilter } from './msgprocessor.js';
import { serveSerially, writeResponse, type StreamRegistry } from './streams.js';

const { Status } = common;

/** Fabric's deliver metrics (`deliver_*`), when metrics are on. */
export interface DeliverMetrics {
  readonly streamsOpened: Counter;
  readonly streamsClosed: Counter;
  readonly requestsReceived: Counter;
  readonly requestsCompleted: Counter;
  readonly blocksSent: Counter;
}

/** What Deliver needs from the orderer. */
export interface DeliverSupport {
  chain(channelId: string): SoloChain | undefined;
  readonly logger: Logger;
  /** How far a seek envelope's timestamp may be from this clock (Fabric's TimeWindow, 15 min). */
  readonly timeWindowMs: number;
  /** Mutual TLS: the seek envelope must carry the hash of the client's TLS certificate. */
  readonly mutualTls: boolean;
  now(): Date;
  readonly metrics?: DeliverMetrics;
}

type Response = orderer.DeliverResponse.$Properties;
type Call = grpc.ServerDuplexStream<common.Envelope, Response>;

/** Fabric's parseEnvelope and validateChannelHeader; throws with Fabric's text (logged only). */
function parseEnvelope(
  support: DeliverSupport,
  call: Call,
  envelope: common.Envelope,
): { payload: common.Payload; chdr: common.ChannelHeader } {
  const payload = common.Payload.decode(envelope.payload ?? new Uint8Array(0));
  if (payload.header === null || payload.header === undefined) {
    throw new Error('envelope has no header');
  }
  const chdr = common.ChannelHeader.decode(payload.header.channelHeader ?? new Uint8Array(0));
  common.SignatureHeader.decode(payload.header.signatureHeader ?? new Uint8Array(0));
  if (chdr.timestamp === null || chdr.timestamp === undefined) {
    throw new Error('channel header in envelope must contain timestamp');
  }
  const envTime = timestampToMillis(chdr.timestamp);
  const serverTime = support.now().getTime();
  if (Math.abs(serverTime - envTime) > support.timeWindowMs) {
    throw new Error(
      `envelope timestamp ${new Date(envTime).toISOString()} is more than ${support.timeWindowMs}ms apart from current server time ${new Date(serverTime).toISOString()}`,
    );
  }
  if (support.mutualTls) {
    // Fabric's mutualTLSBinding: the envelope is bound to the TLS session it came on.
    const claimed = chdr.tlsCertHash ?? new Uint8Array(0);
    if (claimed.length === 0) throw new Error("client didn't include its TLS cert hash");
    const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
    if (raw === undefined || raw.length === 0) {
      throw new Error("client didn't send a TLS certificate");
    }
    const actual = createHash('sha256').update(raw).digest();
    if (!actual.equals(claimed)) {
      throw new Error(
        `claimed TLS cert hash is ${Buffer.from(claimed).toString('hex')} but actual TLS cert hash is ${actual.toString('hex')}`,
      );
    }
  }
  return { payload, chdr };
}

/**
 * Fabric's SessionAccessControl: the Readers policy is checked at the first block and again
 * whenever the channel's config sequence moved; the session ends when the signer's certificate
 * expires.
 */
class SessionAccessControl {
  #used = false;
  #lastSequence: bigint;
  readonly #sessionEnd: Date | undefined;

  constructor(
    private readonly support: DeliverSupport,
    private readonly chain: SoloChain,
    private readonly envelope: common.Envelope,
  ) {
    // Throws when the envelope has no signature header (the caller answers BAD_REQUEST).
    const signed = envelopeSignedData(envelope);
    this.#sessionEnd = identityExpiresAt(signed.identity);
    this.#lastSequence = chain.sequence;
  }

  async evaluate(): Promise<void> {
    const now = this.support.now().getTime();
    if (this.#sessionEnd !== undefined && now > this.#sessionEnd.getTime()) {
      throw new Error(
        `deliver client identity expired ${now - this.#sessionEnd.getTime()}ms before`,
      );
    }
    let needed = !this.#used;
    const sequence = this.chain.sequence;
    if (sequence > this.#lastSequence) {
      this.#lastSequence = sequence;
      needed = true;
    }
    if (!needed) return;
    this.#used = true;
    await sigFilter(
      this.chain.bundle,
      this.envelope,
      PolicyPaths.ChannelReaders,
      PolicyPaths.OrdererReaders,
    );
  }
}

function u64(value: Long | number | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  return BigInt(Long.fromValue(value).toUnsigned().toString());
}

/** Where a seek starts: the first block number, or not found (Fabric's NotFoundErrorIterator). */
function startOf(chain: SoloChain, start: orderer.ISeekPosition): number | undefined {
  const position = orderer.SeekPosition.create(start);
  const height = chain.height;
  switch (position.Type) {
    case 'oldest':
      return 0;
    case 'newest':
      return height - 1;
    case 'specified': {
      const n = u64(position.specified?.number);
      return n > BigInt(height) ? undefined : Number(n);
    }
    case 'nextCommit':
      return height;
    default:
      return undefined;
  }
}

/**
 * Fabric's deliverBlocks: answers one seek request with blocks; returns the status to send at the
 * end, or undefined when the stream went away (nothing more to send).
 */
async function deliverBlocks(
  support: DeliverSupport,
  call: Call,
  envelope: common.Envelope,
  signal: AbortSignal,
): Promise<common.Status | undefined> {
  const addr = call.getPeer();
  const log = support.logger;
  let payload: common.Payload;
  let chdr: common.ChannelHeader;
  try {
    ({ payload, chdr } = parseEnvelope(support, call, envelope));
  } catch (err) {
    log.warn('error parsing envelope', { addr, error: messageOf(err) });
    return Status.BAD_REQUEST;
  }

  const chain = support.chain(chdr.channelId);
  if (chain === undefined) {
    log.debug('Rejecting deliver because channel not found', { addr, channel: chdr.channelId });
    return Status.NOT_FOUND;
  }
  const channel = chdr.channelId;
  const labels = { channel, filtered: 'false', data_type: 'block' };
  support.metrics?.requestsReceived.add(1, labels);
  const status = await seek(support, call, chain, envelope, payload, signal, labels);
  if (status !== undefined) {
    support.metrics?.requestsCompleted.add(1, {
      ...labels,
      success: String(status === Status.SUCCESS),
    });
  }
  return status;
}

async function seek(
  support: DeliverSupport,
  call: Call,
  chain: SoloChain,
  envelope: common.Envelope,
  payload: common.Payload,
  signal: AbortSignal,
  labels: Record<string, string>,
): Promise<common.Status | undefined> {
  const log = support.logger;
  const channel = chain.channelId;
  const addr = call.getPeer();
  let seekInfo: orderer.SeekInfo;
  try {
    seekInfo = orderer.SeekInfo.decode(payload.data ?? new Uint8Array(0));
  } catch (err) {
    log.warn('Received a signed deliver request with malformed seekInfo payload', {
      channel,
      addr,
      error: messageOf(err),
    });
    return Status.BAD_REQUEST;
  }
  const bestEffort = seekInfo.errorResponse === orderer.SeekInfo.SeekErrorResponse.BEST_EFFORT;
  if (!bestEffort && chain.errored) {
    log.warn('Rejecting deliver request because of consenter error', { channel, addr });
    return Status.SERVICE_UNAVAILABLE;
  }

  let access: SessionAccessControl;
  try {
    access = new SessionAccessControl(support, chain, envelope);
  } catch (err) {
    log.warn('failed to create access control object', { channel, error: messageOf(err) });
    return Status.BAD_REQUEST;
  }
  try {
    await access.evaluate();
  } catch (err) {
    log.warn('Client is not authorized', { channel, addr, error: messageOf(err) });
    return Status.FORBIDDEN;
  }

  const { start, stop } = seekInfo;
  if (start === null || start === undefined || stop === null || stop === undefined) {
    log.warn('Received seekInfo message with missing start or stop', { channel, addr });
    return Status.BAD_REQUEST;
  }

  let number = startOf(chain, start);
  let stopNum: bigint;
  const stopPosition = orderer.SeekPosition.create(stop);
  switch (stopPosition.Type) {
    case 'oldest':
      stopNum = BigInt(number ?? 0);
      break;
    case 'newest': {
      // Seeking only the newest block does not look at the height again, so one block is sent.
      const startType = orderer.SeekPosition.create(start).Type;
      stopNum = startType === 'newest' ? BigInt(number ?? 0) : BigInt(chain.height - 1);
      break;
    }
    case 'specified':
      stopNum = u64(stopPosition.specified?.number);
      if (stopNum < BigInt(number ?? 0)) {
        log.warn('Received invalid seekInfo message: start number greater than stop number', {
          channel,
          addr,
          start: number,
          stop: stopNum.toString(),
        });
        return Status.BAD_REQUEST;
      }
      break;
    default:
      // Fabric leaves the stop at 0 for a position it does not know.
      stopNum = 0n;
  }
  if (number === undefined) {
    log.warn('Error reading from channel, cause was: NOT_FOUND', { channel, addr });
    return Status.NOT_FOUND;
  }

  const failIfNotReady = seekInfo.behavior === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
  const headersOnly = seekInfo.contentType === orderer.SeekInfo.SeekContentType.HEADER_WITH_SIG;
  let iterator: BlockIterator | undefined;
  const onAbort = (): void => iterator?.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    iterator = chain.iterator(number);
    for (;;) {
      if (failIfNotReady && number > chain.height - 1) {
        log.warn('Block not found, block number greater than chain length bounds', {
          channel,
          block: number,
        });
        return Status.NOT_FOUND;
      }
      const block = await iterator.next();
      if (signal.aborted) return undefined;
      if (block === undefined) {
        log.warn('Aborting deliver for request because the chain stopped', { channel, addr });
        return Status.SERVICE_UNAVAILABLE;
      }
      number++;
      try {
        await access.evaluate();
      } catch (err) {
        log.warn('Client authorization revoked for deliver request', {
          channel,
          addr,
          error: messageOf(err),
        });
        return Status.FORBIDDEN;
      }
      // v3's header-only delivery (BFT censorship monitoring): data dropped, config blocks whole.
      const toSend =
        headersOnly && !isConfigBlock(block)
          ? common.Block.create({ header: block.header, metadata: block.metadata })
          : block;
      if (!(await writeResponse(call, { block: toSend }, signal))) return undefined;
      support.metrics?.blocksSent.add(1, labels);
      if (u64(block.header?.number) === stopNum) break;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    iterator?.close();
  }
  log.debug('Done delivering', { channel, addr });
  return Status.SUCCESS;
}

/** The gRPC handler of `orderer.AtomicBroadcast/Deliver`. */
export function deliverHandler(
  support: DeliverSupport,
  registry: StreamRegistry,
): grpc.handleBidiStreamingCall<common.Envelope, Response> {
  return (call) => {
    support.metrics?.streamsOpened.add(1);
    void serveSerially(call, registry, support.logger, async (envelope, signal) => {
      const status = await deliverBlocks(support, call, envelope, signal);
      if (status === undefined) return 'end';
      if (!(await writeResponse(call, { status }, signal))) return 'end';
      return status === Status.SUCCESS ? 'continue' : 'end';
    }).finally(() => support.metrics?.streamsClosed.add(1));
  };
}
