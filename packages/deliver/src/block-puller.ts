/**
 * The block puller of one channel (Fabric's `blocksprovider.Deliverer`): it asks a random orderer
 * of the channel for every block from the ledger height on (a signed SeekInfo, BLOCK_UNTIL_READY,
 * stop at MaxUint64) and hands each block, in order, to `commit` before it looks at the next.
 *
 * Any failure (no endpoint, a connection that is not ready within `connTimeout`, a broken stream,
 * a status from the orderer, a block out of sequence, a block `verifyBlock` or `commit` rejects)
 * ends the attempt; the next one waits Fabric's exponential backoff, seeks from the new ledger
 * height and picks an orderer at random again. Once waits add up past
 * `reconnectTotalTimeThreshold` a peer that is not a static leader gives up. A new channel
 * configuration that changes the orderer endpoints ends the attempt without counting a failure,
 * so that the puller reconnects using the new endpoints.
 */
import type { Logger, Signer } from '@fabric-peer/api';
import type { Channel } from '@fabric-peer/channel';
import { Long, common } from '@fabric-peer/protos';
import { retryDelayMs } from './backoff.js';
import { deliverResponses } from './deliver-stream.js';
import { OrdererDialer, type AtomicBroadcastClient } from './dialer.js';
import { ChannelOrderers, type ConnectionEndpoint } from './endpoints.js';
import { DeliverError, messageOf } from './errors.js';
import { seekFromHeight, signedSeekEnvelope } from './seek.js';
import { DEFAULT_DELIVERY_SETTINGS, type DeliveryClientSettings } from './settings.js';

/** Hands a block to the committer; resolves once it is committed. */
export type CommitBlock = (block: common.Block) => Promise<void>;

/** What a block puller is built with. */
export interface BlockPullerOptions {
  /** The peer's local signer: it signs the seek envelopes. */
  readonly signer: Signer;
  /** Called with each block in order; the next block waits until it resolves. */
  readonly commit: CommitBlock;
  /**
   * Fabric's VerifyBlock (orderer signatures against `/Channel/Orderer/BlockValidation`, data
   * hash...) before the block is handed on; default none, the committer verifies.
   */
  readonly verifyBlock?: (block: common.Block) => Promise<void>;
  readonly settings?: DeliveryClientSettings;
  /** Connection sources shared with the ordering client; default its own. */
  readonly orderers?: ChannelOrderers;
  /**
   * How often the channel's bundle is looked at for new orderer endpoints between blocks (a
   * config block's bundle is built after its commit); default 1000 ms.
   */
  readonly refreshIntervalMs?: number;
  readonly logger?: Logger;
}

/** The block puller of one channel. */
export interface BlockPuller {
  /** Starts pulling for `channel`; throws DELIVERY_STATE when already started. */
  start(channel: Channel): void;
  /** Stops pulling: the open stream is cancelled, a commit in progress is waited for. */
  stop(): Promise<void>;
  /** Whether the pull loop runs (false after stop, or once it gave up). */
  readonly running: boolean;
  /** Resolves when the pull loop ended (stopped, or gave up). */
  readonly done: Promise<void>;
}

/** How an attempt ended. */
type Outcome = 'failed' | 'refreshed' | 'stopped';

function heightOf(channel: Channel): bigint {
  const height = channel.ledger.getBlockchainInfo().height;
  return BigInt(typeof height === 'number' ? height : Long.fromValue(height).toString());
}

function blockNumberOf(block: common.Block): bigint | undefined {
  const n = block.header?.number;
  if (n === null || n === undefined) return undefined;
  return BigInt(typeof n === 'number' ? n : Long.fromValue(n).toString());
}

class BlockPullerImpl implements BlockPuller {
  readonly #settings: DeliveryClientSettings;
  readonly #orderers: ChannelOrderers;
  readonly #dialer: OrdererDialer;
  readonly #stop = new AbortController();
  #done: Promise<void> = Promise.resolve();
  #started = false;
  #running = false;

  constructor(private readonly options: BlockPullerOptions) {
    this.#settings = options.settings ?? DEFAULT_DELIVERY_SETTINGS;
    this.#orderers =
      options.orderers ?? new ChannelOrderers(this.#settings.addressOverrides, options.logger);
    this.#dialer = new OrdererDialer(this.#settings);
  }

  get running(): boolean {
    return this.#running;
  }

  get done(): Promise<void> {
    return this.#done;
  }

  start(channel: Channel): void {
    if (this.#started) {
      throw new DeliverError(
        'DELIVERY_STATE',
        `block puller for channel ${channel.id} was already started`,
        { details: { channel: channel.id } },
      );
    }
    this.#started = true;
    this.#running = true;
    const logger = this.options.logger;
    this.#done = this.#run(channel)
      .catch((err: unknown) => {
        logger?.error('block delivery stopped on an unexpected error', {
          channel: channel.id,
          error: messageOf(err),
        });
      })
      .finally(() => {
        this.#running = false;
      });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  async #run(channel: Channel): Promise<void> {
    const logger = this.options.logger;
    const s = this.#settings;
    const backoff = {
      initialDelayMs: s.initialRetryDelayMs,
      maxDelayMs: s.reConnectBackoffThresholdMs,
    };
    let failures = 0;
    let totalWaitMs = 0;
    while (!this.#stop.signal.aborted) {
      if (failures > 0) {
        const delay = retryDelayMs(failures, backoff);
        totalWaitMs += delay;
        if (totalWaitMs > s.reconnectTotalTimeThresholdMs) {
          if (!s.staticLeader) {
            logger?.warn(
              `attempted to retry block delivery for more than peer.deliveryclient.reconnectTotalTimeThreshold duration ${s.reconnectTotalTimeThresholdMs}ms, giving up`,
              { channel: channel.id },
            );
            return;
          }
          logger?.warn(
            'peer is a static leader, ignoring peer.deliveryclient.reconnectTotalTimeThreshold',
            { channel: channel.id },
          );
        }
        logger?.warn(
          `Disconnected from ordering service. Attempt to re-connect in ${delay}ms, total wait ${totalWaitMs}ms`,
          { channel: channel.id, delayMs: delay, failures },
        );
        await this.#sleep(delay);
        if (this.#stop.signal.aborted) return;
      }
      const outcome = await this.#attempt(channel, () => {
        failures = 0;
        totalWaitMs = 0;
      });
      if (outcome === 'stopped') return;
      if (outcome === 'failed') failures++;
    }
  }

  /** One connection: seek from the ledger height and commit blocks until something fails. */
  async #attempt(channel: Channel, onBlock: () => void): Promise<Outcome> {
    const logger = this.options.logger;
    const height = heightOf(channel);
    let envelope: common.Envelope;
    try {
      envelope = await signedSeekEnvelope({
        channelId: channel.id,
        signer: this.options.signer,
        seekInfo: seekFromHeight(height),
        ...(this.#settings.tlsCertHash !== undefined
          ? { tlsCertHash: this.#settings.tlsCertHash }
          : {}),
      });
    } catch (err) {
      logger?.error(
        'Could not create a signed Deliver SeekInfo message, something is critically wrong',
        { channel: channel.id, error: messageOf(err) },
      );
      return 'failed';
    }

    let endpoint: ConnectionEndpoint;
    let client: AtomicBroadcastClient;
    try {
      endpoint = this.#orderers.sourceFor(channel).randomEndpoint();
    } catch (err) {
      logger?.warn(
        `Could not connect to ordering service: could not get orderer endpoints: ${messageOf(err)}`,
        { channel: channel.id },
      );
      return 'failed';
    }
    try {
      client = await this.#dialer.dial(endpoint.address, endpoint.rootCerts, this.#stop.signal);
    } catch (err) {
      if (this.#stop.signal.aborted) return 'stopped';
      logger?.warn(`Could not connect to ordering service: ${messageOf(err)}`, {
        channel: channel.id,
        orderer: endpoint.address,
      });
      return 'failed';
    }

    const attempt = new AbortController();
    const onStop = (): void => attempt.abort();
    const onRefresh = (): void => attempt.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    endpoint.refreshed.addEventListener('abort', onRefresh, { once: true });
    // Looks for a new bundle now and then: updating the source aborts `endpoint.refreshed`.
    const refresher = setInterval(
      () => this.#orderers.sourceFor(channel),
      this.options.refreshIntervalMs ?? 1000,
    );
    refresher.unref();
    const ended = (): Outcome | undefined =>
      this.#stop.signal.aborted ? 'stopped' : endpoint.refreshed.aborted ? 'refreshed' : undefined;

    logger?.info('Pulling next blocks from ordering service', {
      channel: channel.id,
      orderer: endpoint.address,
      nextBlock: height.toString(),
    });
    let expected = height;
    try {
      for await (const response of deliverResponses(
        client,
        endpoint.address,
        envelope,
        attempt.signal,
      )) {
        if (response.Type === 'status') {
          const status = response.status ?? common.Status.UNKNOWN;
          throw new Error(
            status === common.Status.SUCCESS
              ? 'received success for a seek that should never complete'
              : `received bad status ${common.Status[status] ?? status} from orderer`,
          );
        }
        if (response.Type !== 'block' || response.block === null || response.block === undefined) {
          throw new Error(`unknown message type '${response.Type ?? 'none'}'`);
        }
        const block = response.block as common.Block;
        const number = blockNumberOf(block);
        if (number !== expected) {
          throw new Error(
            `received block [${number ?? 'without header'}] but expected block [${expected}]`,
          );
        }
        if (this.options.verifyBlock !== undefined) {
          try {
            await this.options.verifyBlock(block);
          } catch (err) {
            throw new Error(`block from orderer could not be verified: ${messageOf(err)}`, {
              cause: err,
            });
          }
        }
        try {
          await this.options.commit(block);
        } catch (err) {
          throw new Error(`block [${number}] was not committed: ${messageOf(err)}`, {
            cause: err,
          });
        }
        expected++;
        onBlock();
        this.#orderers.sourceFor(channel);
        if (ended() !== undefined) break;
      }
      const end = ended();
      if (end === 'refreshed') {
        logger?.info(
          'Ordering endpoints have been refreshed, disconnecting from deliver to reconnect using updated endpoints',
          { channel: channel.id, orderer: endpoint.address },
        );
      }
      if (end !== undefined) return end;
      logger?.warn('Orderer hung up without sending status', {
        channel: channel.id,
        orderer: endpoint.address,
      });
      return 'failed';
    } catch (err) {
      const end = ended();
      if (end !== undefined) return end;
      logger?.warn(`Got error while attempting to receive blocks: ${messageOf(err)}`, {
        channel: channel.id,
        orderer: endpoint.address,
      });
      return 'failed';
    } finally {
      clearInterval(refresher);
      this.#stop.signal.removeEventListener('abort', onStop);
      endpoint.refreshed.removeEventListener('abort', onRefresh);
      client.close();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#stop.signal;
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Builds the block puller of one channel. */
export function createBlockPuller(options: BlockPullerOptions): BlockPuller {
  return new BlockPullerImpl(options);
}
