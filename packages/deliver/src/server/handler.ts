/**
 * The deliver handler (Fabric's `common/deliver` Handler as the peer configures it): reads signed
 * seek envelopes from a stream and answers each with blocks of the channel's ledger and a status.
 *
 * Per envelope: the payload, its header, channel header and signature header must decode, the
 * timestamp must be within `peer.authentication.timewindow` of now, and under mutual TLS the
 * channel header must carry the hash of the client's TLS certificate (BAD_REQUEST otherwise); the
 * channel must be joined (NOT_FOUND); the SeekInfo must decode (BAD_REQUEST); the ACL resource
 * (`event/Block` or `event/FilteredBlock`) must allow the envelope's creator (FORBIDDEN), checked
 * again before each block once the channel's config sequence has grown; start and stop must be
 * set, and a specified stop may not precede the start (BAD_REQUEST). Blocks are then sent from
 * the start to the stop, waiting for commits (BLOCK_UNTIL_READY) or answering NOT_FOUND for a
 * block not yet committed (FAIL_IF_NOT_READY), and SUCCESS ends the request; the client may then
 * send another envelope on the same stream. Any other status ends the stream.
 */
import type { Logger, MetricsProvider, SignedData } from '@fabric-peer/api';
import type { Channel, ChannelRegistry } from '@fabric-peer/channel';
import type { AclProvider } from '@fabric-peer/policies';
import { AclResources, envelopeSignedData } from '@fabric-peer/policies';
import { Long, common, orderer, type protos } from '@fabric-peer/protos';
import { messageOf } from '../errors.js';
import { FilteredBlockError, toFilteredBlock } from './filtered.js';
import { deliverMetrics, type DeliverMetrics } from './metrics.js';
import { eligiblePrivateData, type PrivateDataSource } from './private-data.js';
import { SessionAccessControl, checkTlsBinding, identityExpiresAt } from './session.js';

const Status = common.Status;
const EMPTY = new Uint8Array(0);

/** What the three RPCs send: blocks, filtered blocks, or blocks with private data. */
export type DeliverKind = 'block' | 'filtered_block' | 'block_and_pvtdata';

/** One Deliver stream, as the handler sees it (the gRPC adapter implements it). */
export interface DeliverCall {
  /** The next envelope; undefined once the client closed its side or cancelled. */
  recv(): Promise<common.Envelope | undefined>;
  /** Sends a response; resolves when more may be sent; rejects when the stream is gone. */
  send(response: protos.DeliverResponse.$Properties): Promise<void>;
  /** Aborted when the client cancels. */
  readonly signal: AbortSignal;
  /** For logs. */
  readonly remoteAddress: string;
  /** DER of the client's TLS certificate, under mutual TLS. */
  readonly clientCertificate?: Uint8Array;
}

/** What the Deliver service is built with. */
export interface DeliverServiceOptions {
  readonly channels: Pick<ChannelRegistry, 'get'>;
  readonly acl: Pick<AclProvider, 'checkACL'>;
  /** `peer.authentication.timewindow`; default 15 minutes. */
  readonly timeWindowMs?: number;
  /**
   * Whether the peer listener runs mutual TLS (`peer.tls.enabled` and
   * `peer.tls.clientAuthRequired`): seek envelopes must then be bound to the client certificate.
   */
  readonly mutualTls?: boolean;
  /** Private data for DeliverWithPrivateData; without it blocks go with an empty map. */
  readonly privateData?: PrivateDataSource;
  /** End sessions when the requester's certificate expires; default true, as Fabric's peer. */
  readonly expirationCheck?: boolean;
  readonly logger?: Logger;
  readonly metrics?: MetricsProvider;
}

/** The client went away: the request ends without a status. */
class Cancelled extends Error {}

interface Parsed {
  readonly payload: common.Payload;
  readonly channelHeader: common.ChannelHeader;
  readonly signatureHeader: common.SignatureHeader;
}

function u64(value: number | Long | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  return typeof value === 'number' ? BigInt(value) : BigInt(Long.fromValue(value).toString());
}

function heightOf(channel: Channel): bigint {
  return u64(channel.ledger.getBlockchainInfo().height);
}

function positionsEqual(
  a: orderer.SeekPosition.$Properties,
  b: orderer.SeekPosition.$Properties,
): boolean {
  return Buffer.from(orderer.SeekPosition.encode(a).finish()).equals(
    Buffer.from(orderer.SeekPosition.encode(b).finish()),
  );
}

/** Serves deliver requests over any {@link DeliverCall}. */
export class DeliverHandler {
  readonly #metrics: DeliverMetrics;
  readonly #timeWindowMs: number;

  constructor(private readonly options: DeliverServiceOptions) {
    this.#metrics = deliverMetrics(options.metrics);
    this.#timeWindowMs = options.timeWindowMs ?? 15 * 60_000;
  }

  /**
   * Serves one stream until the client closes it, a request ends with a status other than
   * SUCCESS, or the client cancels. Rejects only when the stream itself fails.
   */
  async handle(call: DeliverCall, kind: DeliverKind): Promise<void> {
    const logger = this.options.logger;
    this.#metrics.streamsOpened.add(1);
    if (kind === 'block_and_pvtdata' && this.options.privateData === undefined) {
      logger?.debug(
        'no private data store is wired in: blocks go out with an empty private data map',
        { remote: call.remoteAddress },
      );
    }
    try {
      for (;;) {
        const envelope = await call.recv();
        if (envelope === undefined) {
          logger?.debug('Received EOF, hangup', { remote: call.remoteAddress });
          return;
        }
        let status: common.Status;
        try {
          status = await this.#deliverBlocks(call, envelope, kind);
        } catch (err) {
          if (err instanceof Cancelled || call.signal.aborted) return;
          throw err;
        }
        try {
          await call.send({ status });
        } catch (err) {
          if (call.signal.aborted) return;
          throw err;
        }
        if (status !== Status.SUCCESS) return;
      }
    } finally {
      this.#metrics.streamsClosed.add(1);
    }
  }

  #parse(call: DeliverCall, envelope: common.Envelope): Parsed {
    const payload = common.Payload.decode(envelope.payload ?? EMPTY);
    if (payload.header === null || payload.header === undefined) {
      throw new Error('envelope has no header');
    }
    const channelHeader = common.ChannelHeader.decode(payload.header.channelHeader ?? EMPTY);
    const signatureHeader = common.SignatureHeader.decode(payload.header.signatureHeader ?? EMPTY);
    const ts = channelHeader.timestamp;
    if (ts === null || ts === undefined) {
      throw new Error('channel header in envelope must contain timestamp');
    }
    const envMs = Number(u64(ts.seconds)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
    const now = Date.now();
    if (Math.abs(now - envMs) > this.#timeWindowMs) {
      throw new Error(
        `envelope timestamp ${new Date(envMs).toISOString()} is more than ${this.#timeWindowMs}ms apart from current server time ${new Date(now).toISOString()}`,
      );
    }
    if (this.options.mutualTls === true) {
      checkTlsBinding(channelHeader.tlsCertHash, call.clientCertificate);
    }
    return { payload, channelHeader, signatureHeader };
  }

  async #deliverBlocks(
    call: DeliverCall,
    envelope: common.Envelope,
    kind: DeliverKind,
  ): Promise<common.Status> {
    const logger = this.options.logger;
    const addr = call.remoteAddress;
    let parsed: Parsed;
    try {
      parsed = this.#parse(call, envelope);
    } catch (err) {
      logger?.warn(`error parsing envelope from ${addr}: ${messageOf(err)}`);
      return Status.BAD_REQUEST;
    }
    const channelId = parsed.channelHeader.channelId;
    const channel = this.options.channels.get(channelId);
    if (channel === undefined) {
      // Debug only: clients poll for channels that are about to be created.
      logger?.debug(`Rejecting deliver for ${addr} because channel ${channelId} not found`);
      return Status.NOT_FOUND;
    }

    const labels = {
      channel: channelId,
      filtered: String(kind === 'filtered_block'),
      data_type: kind,
    };
    this.#metrics.requestsReceived.add(1, labels);
    let status: common.Status = Status.INTERNAL_SERVER_ERROR;
    try {
      status = await this.#serve(call, envelope, parsed, channel, kind, labels);
      return status;
    } finally {
      this.#metrics.requestsCompleted.add(1, {
        ...labels,
        success: String(status === Status.SUCCESS),
      });
    }
  }

  async #serve(
    call: DeliverCall,
    envelope: common.Envelope,
    parsed: Parsed,
    channel: Channel,
    kind: DeliverKind,
    labels: Record<string, string>,
  ): Promise<common.Status> {
    const logger = this.options.logger;
    const addr = call.remoteAddress;
    const channelId = channel.id;

    let seekInfo: orderer.SeekInfo;
    try {
      seekInfo = orderer.SeekInfo.decode(parsed.payload.data ?? EMPTY);
    } catch (err) {
      logger?.warn(
        `[channel: ${channelId}] Received a signed deliver request from ${addr} with malformed seekInfo payload: ${messageOf(err)}`,
      );
      return Status.BAD_REQUEST;
    }

    let signed: SignedData;
    try {
      signed = envelopeSignedData(envelope);
    } catch (err) {
      logger?.warn(
        `[channel: ${channelId}] failed to create access control object due to ${messageOf(err)}`,
      );
      return Status.BAD_REQUEST;
    }
    const resource =
      kind === 'filtered_block' ? AclResources.Event_FilteredBlock : AclResources.Event_Block;
    const access = new SessionAccessControl(
      () => channel.bundle().sequence,
      () => this.options.acl.checkACL(resource, channelId, envelope),
      this.options.expirationCheck === false ? undefined : identityExpiresAt(signed.identity),
    );
    try {
      await access.evaluate();
    } catch (err) {
      logger?.warn(`[channel: ${channelId}] Client ${addr} is not authorized: ${messageOf(err)}`);
      return Status.FORBIDDEN;
    }

    const start = seekInfo.start;
    const stop = seekInfo.stop;
    if (start === null || start === undefined || stop === null || stop === undefined) {
      logger?.warn(
        `[channel: ${channelId}] Received seekInfo message from ${addr} with missing start or stop`,
      );
      return Status.BAD_REQUEST;
    }

    // Where the cursor starts (Fabric's fileledger Iterator); a start it cannot serve gives
    // NOT_FOUND at the first block, after the checks below.
    let number = 0n;
    let notFound = false;
    const height = heightOf(channel);
    switch (start.Type) {
      case 'oldest':
        number = 0n;
        break;
      case 'newest':
        number = height - 1n;
        // An empty ledger (not a joined channel's) has no newest block.
        if (number < 0n) {
          notFound = true;
          number = 0n;
        }
        break;
      case 'specified':
        number = u64(start.specified?.number);
        if (number > height) {
          notFound = true;
          number = 0n;
        }
        break;
      case 'nextCommit':
        number = height;
        break;
      default:
        notFound = true;
    }

    let stopNum = 0n;
    switch (stop.Type) {
      case 'oldest':
        stopNum = number;
        break;
      case 'newest':
        // Only the newest block when start and stop are both newest, even if one commits now.
        stopNum = positionsEqual(start, stop) ? number : heightOf(channel) - 1n;
        break;
      case 'specified':
        stopNum = u64(stop.specified?.number);
        if (stopNum < number) {
          logger?.warn(
            `[channel: ${channelId}] Received invalid seekInfo message from ${addr}: start number ${number} greater than stop number ${stopNum}`,
          );
          return Status.BAD_REQUEST;
        }
        break;
      default:
        break;
    }

    const failIfNotReady = seekInfo.behavior === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
    if (notFound) {
      logger?.warn(`[channel: ${channelId}] Error reading from channel, cause was: NOT_FOUND`);
      return Status.NOT_FOUND;
    }

    const iterator = channel.ledger.getBlocksIterator(Number(number));
    const onAbort = (): void => iterator.close();
    call.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (failIfNotReady && number > heightOf(channel) - 1n) {
          logger?.warn(
            `[channel: ${channelId}] Block ${number} not found, block number greater than chain length bounds`,
          );
          return Status.NOT_FOUND;
        }
        let block: common.Block | undefined;
        try {
          block = await iterator.next();
        } catch (err) {
          logger?.error(`[channel: ${channelId}] Error reading from channel: ${messageOf(err)}`);
          return Status.SERVICE_UNAVAILABLE;
        }
        if (call.signal.aborted) throw new Cancelled();
        if (block === undefined) {
          logger?.warn(
            `[channel: ${channelId}] Error reading from channel, cause was: the ledger closed`,
          );
          return Status.SERVICE_UNAVAILABLE;
        }
        number++;

        try {
          await access.evaluate();
        } catch (err) {
          logger?.warn(
            `[channel: ${channelId}] Client authorization revoked for deliver request from ${addr}: ${messageOf(err)}`,
          );
          return Status.FORBIDDEN;
        }

        const blockNumber = u64(block.header?.number);
        logger?.debug(`[channel: ${channelId}] Delivering block [${blockNumber}] for ${addr}`);
        try {
          await this.#sendBlock(call, block, channelId, kind, signed);
        } catch (err) {
          if (call.signal.aborted) throw new Cancelled();
          logger?.warn(`[channel: ${channelId}] Error sending to ${addr}: ${messageOf(err)}`);
          throw err;
        }
        this.#metrics.blocksSent.add(1, labels);
        if (stopNum === blockNumber) break;
      }
    } finally {
      call.signal.removeEventListener('abort', onAbort);
      iterator.close();
    }
    logger?.debug(`[channel: ${channelId}] Done delivering to ${addr}`);
    return Status.SUCCESS;
  }

  async #sendBlock(
    call: DeliverCall,
    block: common.Block,
    channelId: string,
    kind: DeliverKind,
    requester: SignedData,
  ): Promise<void> {
    switch (kind) {
      case 'block':
        return call.send({ block });
      case 'filtered_block': {
        let filteredBlock: protos.FilteredBlock.$Properties;
        try {
          filteredBlock = toFilteredBlock(block);
        } catch (err) {
          if (!(err instanceof FilteredBlockError)) throw err;
          // As Fabric: the block is answered with BAD_REQUEST and delivery goes on.
          this.options.logger?.warn(`Failed to generate filtered block due to: ${err.message}`, {
            channel: channelId,
          });
          return call.send({ status: Status.BAD_REQUEST });
        }
        return call.send({ filteredBlock });
      }
      case 'block_and_pvtdata': {
        const source = this.options.privateData;
        const privateDataMap =
          source === undefined
            ? {}
            : await eligiblePrivateData(source, channelId, u64(block.header?.number), requester);
        return call.send({ blockAndPrivateData: { block, privateDataMap } });
      }
    }
  }
}
