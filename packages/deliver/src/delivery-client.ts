/**
 * The delivery service of the peer (Fabric's `core/deliverservice`): one block puller per channel,
 * started when the channel is joined or restored, stopped on leave and at shutdown.
 */
import type { Logger, Signer } from '@fabric-peer/api';
import type { Channel } from '@fabric-peer/channel';
import type { common } from '@fabric-peer/protos';
import { createBlockPuller, type BlockPuller, type CommitBlock } from './block-puller.js';
import { ChannelOrderers } from './endpoints.js';
import { DeliverError } from './errors.js';
import { DEFAULT_DELIVERY_SETTINGS, type DeliveryClientSettings } from './settings.js';

export interface DeliveryClientOptions {
  readonly signer: Signer;
  /** The committer of each channel: called with each block pulled, in order. */
  readonly committer: (channel: Channel) => CommitBlock;
  /** Block verification before commit, per channel; default none (the committer verifies). */
  readonly verifier?: (channel: Channel) => (block: common.Block) => Promise<void>;
  readonly settings?: DeliveryClientSettings;
  /** Connection sources shared with the ordering client; default its own. */
  readonly orderers?: ChannelOrderers;
  readonly refreshIntervalMs?: number;
  readonly logger?: Logger;
}

/** Block delivery for every channel of the peer. */
export interface DeliveryClient {
  /** Starts pulling blocks for the channel; DELIVERY_STATE if already pulling or stopping. */
  startDeliverForChannel(channel: Channel): void;
  /** Stops pulling blocks for the channel; DELIVERY_STATE if not pulling. */
  stopDeliverForChannel(channelId: string): Promise<void>;
  /** Ids of the channels blocks are pulled for. */
  channels(): string[];
  /** Stops every puller; later starts fail. */
  stop(): Promise<void>;
}

class DeliveryClientImpl implements DeliveryClient {
  readonly #pullers = new Map<string, BlockPuller>();
  readonly #orderers: ChannelOrderers;
  #stopping = false;

  constructor(private readonly options: DeliveryClientOptions) {
    this.#orderers =
      options.orderers ??
      new ChannelOrderers(
        (options.settings ?? DEFAULT_DELIVERY_SETTINGS).addressOverrides,
        options.logger,
      );
  }

  startDeliverForChannel(channel: Channel): void {
    const logger = this.options.logger;
    if (this.#stopping) {
      const msg = `Delivery service is stopping cannot join a new channel ${channel.id}`;
      logger?.error(msg);
      throw new DeliverError('DELIVERY_STATE', msg, { details: { channel: channel.id } });
    }
    if (this.#pullers.has(channel.id)) {
      const msg = `Delivery service - block provider already exists for ${channel.id} found, can't start delivery`;
      logger?.error(msg);
      throw new DeliverError('DELIVERY_STATE', msg, { details: { channel: channel.id } });
    }
    const verify = this.options.verifier?.(channel);
    const puller = createBlockPuller({
      signer: this.options.signer,
      commit: this.options.committer(channel),
      ...(verify !== undefined ? { verifyBlock: verify } : {}),
      ...(this.options.settings !== undefined ? { settings: this.options.settings } : {}),
      orderers: this.#orderers,
      ...(this.options.refreshIntervalMs !== undefined
        ? { refreshIntervalMs: this.options.refreshIntervalMs }
        : {}),
      ...(logger !== undefined ? { logger } : {}),
    });
    this.#pullers.set(channel.id, puller);
    logger?.info('This peer will retrieve blocks from ordering service', { channel: channel.id });
    puller.start(channel);
    // A puller that gave up leaves the map, so that delivery can be started again.
    void puller.done.then(() => {
      if (this.#pullers.get(channel.id) === puller && !this.#stopping) {
        this.#pullers.delete(channel.id);
        this.#orderers.forget(channel.id);
      }
    });
  }

  async stopDeliverForChannel(channelId: string): Promise<void> {
    const logger = this.options.logger;
    if (this.#stopping) {
      const msg = `Delivery service is stopping, cannot stop delivery for channel ${channelId}`;
      logger?.error(msg);
      throw new DeliverError('DELIVERY_STATE', msg, { details: { channel: channelId } });
    }
    const puller = this.#pullers.get(channelId);
    if (puller === undefined) {
      const msg = `Delivery service - no block provider for ${channelId} found, can't stop delivery`;
      logger?.error(msg);
      throw new DeliverError('DELIVERY_STATE', msg, { details: { channel: channelId } });
    }
    this.#pullers.delete(channelId);
    this.#orderers.forget(channelId);
    await puller.stop();
  }

  channels(): string[] {
    return [...this.#pullers.keys()];
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const pullers = [...this.#pullers.values()];
    this.#pullers.clear();
    await Promise.all(pullers.map((p) => p.stop()));
  }
}

/** Builds the peer's delivery client. */
export function createDeliveryClient(options: DeliveryClientOptions): DeliveryClient {
  return new DeliveryClientImpl(options);
}
