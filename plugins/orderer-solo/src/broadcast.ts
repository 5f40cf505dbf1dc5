/**
 * Fabric's Broadcast handler (orderer/common/broadcast): each envelope of the stream is checked
 * and handed to its channel's ordering, and answered with a BroadcastResponse in order; the stream
 * ends after the first answer that is not SUCCESS, as in Fabric.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Counter, Histogram, Logger } from '@fabric-peer/api';
import { common, type orderer } from '@fabric-peer/protos';
import type { SoloChain } from './chain.js';
import { channelHeaderOf } from './envelope.js';
import { BroadcastRejection, messageOf } from './errors.js';
import { classifyMsg } from './msgprocessor.js';
import { serveSerially, writeResponse, type StreamRegistry } from './streams.js';

const { Status } = common;

/** Fabric's broadcast metrics (`broadcast_*`), when metrics are on. */
export interface BroadcastMetrics {
  readonly validateDuration: Histogram;
  readonly enqueueDuration: Histogram;
  readonly processedCount: Counter;
}

/** What Broadcast needs from the orderer. */
export interface BroadcastSupport {
  chain(channelId: string): SoloChain | undefined;
  readonly logger: Logger;
  readonly metrics?: BroadcastMetrics;
}

type Response = orderer.BroadcastResponse.$Properties;

/** Fabric's Handler.ProcessMessage: checks and enqueues one envelope. */
export async function processBroadcast(
  support: BroadcastSupport,
  envelope: common.Envelope,
  addr: string,
): Promise<Response> {
  const labels = { channel: 'unknown', type: 'unknown', status: 'UNKNOWN' };
  const started = performance.now();
  let enqueueStarted: number | undefined;
  const answer = (response: Response): Response => {
    const status = response.status ?? Status.UNKNOWN;
    labels.status = Status[status] ?? String(status);
    const metrics = support.metrics;
    if (metrics !== undefined) {
      const end = performance.now();
      metrics.validateDuration.observe(((enqueueStarted ?? end) - started) / 1000, labels);
      if (enqueueStarted !== undefined) {
        metrics.enqueueDuration.observe((end - enqueueStarted) / 1000, labels);
      }
      metrics.processedCount.add(1, labels);
    }
    return response;
  };

  let chdr: common.ChannelHeader;
  try {
    chdr = channelHeaderOf(envelope);
  } catch (err) {
    const info = `could not determine channel ID: ${messageOf(err)}`;
    support.logger.warn('Could not get message processor', { addr, error: info });
    return answer({ status: Status.BAD_REQUEST, info });
  }
  labels.channel = chdr.channelId;
  labels.type = common.HeaderType[chdr.type] ?? String(chdr.type);

  const chain = support.chain(chdr.channelId);
  if (chain === undefined) {
    // Fabric v3's words (v2.5 without a system channel says "channel creation request not allowed
    // because the orderer system channel is not defined"); BAD_REQUEST in both.
    support.logger.warn('Could not get message processor', {
      channel: chdr.channelId,
      addr,
      error: 'channel does not exist',
    });
    return answer({ status: Status.BAD_REQUEST, info: 'channel does not exist' });
  }
  const kind = classifyMsg(chdr);
  if (kind === 'config') {
    return answer({
      status: Status.BAD_REQUEST,
      info: 'message is of type that cannot be processed directly',
    });
  }

  try {
    if (kind === 'normal') {
      const configSeq = await chain.processor.processNormalMsg(envelope);
      enqueueStarted = performance.now();
      await chain.order(envelope, configSeq);
    } else {
      const { config, configSeq } = await chain.processor.processConfigUpdateMsg(envelope);
      enqueueStarted = performance.now();
      await chain.configure(config, configSeq);
    }
  } catch (err) {
    if (err instanceof BroadcastRejection) {
      support.logger.warn('Rejecting broadcast', {
        channel: chdr.channelId,
        addr,
        type: labels.type,
        status: Status[err.status],
        error: err.message,
      });
      return answer({ status: err.status, info: err.message });
    }
    support.logger.error('Broadcast failed', { channel: chdr.channelId, error: messageOf(err) });
    return answer({ status: Status.INTERNAL_SERVER_ERROR, info: messageOf(err) });
  }
  support.logger.debug('Broadcast has successfully enqueued message', {
    channel: chdr.channelId,
    type: labels.type,
    txId: chdr.txId,
    addr,
  });
  return answer({ status: Status.SUCCESS });
}

/** The gRPC handler of `orderer.AtomicBroadcast/Broadcast`. */
export function broadcastHandler(
  support: BroadcastSupport,
  registry: StreamRegistry,
): grpc.handleBidiStreamingCall<common.Envelope, Response> {
  return (call) => {
    const addr = call.getPeer();
    void serveSerially(call, registry, support.logger, async (envelope, signal) => {
      const response = await processBroadcast(support, envelope, addr);
      if (!(await writeResponse(call, response, signal))) return 'end';
      return response.status === Status.SUCCESS ? 'continue' : 'end';
    });
  };
}
