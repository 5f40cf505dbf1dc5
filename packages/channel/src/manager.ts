/**
 * The channel manager: opens every joined channel's ledger at start and rebuilds its configuration
 * bundle from the config the ledger stored; joins new channels from a config block; keeps each
 * bundle current as config blocks commit.
 */
import type { Logger } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import {
  CHANNEL_CONFIG_KEY,
  CHANNEL_CONFIG_NAMESPACE,
  type BlockCommitEvent,
  type KvLedger,
  type LedgerManager,
} from '@fabric-peer/ledger';
import {
  bundleFromBlock,
  bundleFromConfig,
  type BundleOptions,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { ChannelError } from './errors.js';
import type { Channel, ChannelListener, ChannelRegistry } from './types.js';

export interface ChannelManagerOptions {
  readonly ledgers: LedgerManager;
  readonly bundleOptions?: BundleOptions;
  readonly logger?: Logger;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class JoinedChannel implements Channel {
  #bundle: ChannelConfigBundle;
  readonly #unsubscribe: () => void;

  constructor(
    readonly id: string,
    readonly ledger: KvLedger,
    bundle: ChannelConfigBundle,
    logger: Logger | undefined,
  ) {
    this.#bundle = bundle;
    this.#unsubscribe = ledger.onCommit((event) => this.#onCommit(event, logger));
  }

  bundle(): ChannelConfigBundle {
    return this.#bundle;
  }

  async #onCommit(event: BlockCommitEvent, logger: Logger | undefined): Promise<void> {
    const update = event.publicUpdates.find(
      (u) => u.namespace === CHANNEL_CONFIG_NAMESPACE && u.key === CHANNEL_CONFIG_KEY,
    );
    if (update?.value === undefined) return;
    try {
      const envelope = common.ConfigEnvelope.decode(update.value);
      if (!envelope.config) throw new Error('the stored config envelope has no config');
      this.#bundle = await bundleFromConfig(
        envelope.config as common.Config,
        this.id,
        this.#bundle.options,
      );
      logger?.info('channel configuration updated', {
        channel: this.id,
        sequence: this.#bundle.sequence.toString(),
        block: event.blockNumber,
      });
    } catch (err) {
      // The committer validated the config before commit; a bundle that cannot be built here
      // leaves the previous one in force, and says so.
      logger?.error('channel configuration committed but not applied', {
        channel: this.id,
        block: event.blockNumber,
        error: messageOf(err),
      });
    }
  }

  close(): void {
    this.#unsubscribe();
  }
}

/** Fabric's cscc validateConfigBlock, with its messages. */
export function checkJoinBlock(block: common.IBlock): void {
  const first = block.data?.data?.[0];
  if (first === undefined) {
    throw new ChannelError(
      'INVALID_CONFIG_BLOCK',
      'Failed to block data is nil or has no envelope at index 0',
    );
  }
  let configEnv: common.ConfigEnvelope;
  try {
    const env = common.Envelope.decode(first);
    const payload = common.Payload.decode(env.payload);
    const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array());
    if (chdr.type !== (common.HeaderType.CONFIG as number)) {
      throw new Error(`invalid type ${chdr.type}, expected ${common.HeaderType.CONFIG}`);
    }
    configEnv = common.ConfigEnvelope.decode(payload.data);
  } catch (err) {
    throw new ChannelError(
      'INVALID_CONFIG_BLOCK',
      `Bad configuration envelope: ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
  if (!configEnv.config)
    throw new ChannelError('INVALID_CONFIG_BLOCK', 'Nil config envelope Config');
  const group = configEnv.config.channelGroup;
  if (!group) throw new ChannelError('INVALID_CONFIG_BLOCK', 'Nil channel group');
  if (!group.groups || Object.keys(group.groups).length === 0) {
    throw new ChannelError('INVALID_CONFIG_BLOCK', 'No channel configuration groups are available');
  }
  if (!('Application' in group.groups)) {
    throw new ChannelError(
      'INVALID_CONFIG_BLOCK',
      'Invalid configuration block, missing Application configuration group',
    );
  }
}

export class ChannelManager implements ChannelRegistry {
  readonly #channels = new Map<string, JoinedChannel>();
  readonly #joining = new Set<string>();
  readonly #listeners = new Set<ChannelListener>();

  constructor(private readonly options: ChannelManagerOptions) {}

  /** Opens every channel the ledger manager knows (Fabric's peer.Initialize). */
  async restore(): Promise<void> {
    for (const channelId of await this.options.ledgers.list()) {
      if (this.#channels.has(channelId)) continue;
      const ledger = await this.options.ledgers.open(channelId);
      let bundle: ChannelConfigBundle;
      try {
        bundle = await this.#storedBundle(channelId, ledger);
        bundle.assertPeerSupport();
      } catch (err) {
        throw new ChannelError(
          'CHANNEL_RESTORE_FAILED',
          `channel ${channelId}: cannot restore its configuration: ${messageOf(err)}`,
          { cause: err, details: { channel: channelId } },
        );
      }
      this.#add(new JoinedChannel(channelId, ledger, bundle, this.options.logger));
      this.options.logger?.info('channel restored', {
        channel: channelId,
        height: Number(ledger.getBlockchainInfo().height),
      });
    }
  }

  async #storedBundle(channelId: string, ledger: KvLedger): Promise<ChannelConfigBundle> {
    const qe = await ledger.newQueryExecutor();
    let bytes: Uint8Array | undefined;
    try {
      bytes = await qe.getState(CHANNEL_CONFIG_NAMESPACE, CHANNEL_CONFIG_KEY);
    } finally {
      qe.done();
    }
    if (bytes === undefined) throw new Error('the ledger holds no channel configuration');
    const envelope = common.ConfigEnvelope.decode(bytes);
    if (!envelope.config) throw new Error('the stored config envelope has no config');
    return bundleFromConfig(
      envelope.config as common.Config,
      channelId,
      this.options.bundleOptions ?? {},
    );
  }

  get(channelId: string): Channel | undefined {
    return this.#channels.get(channelId);
  }

  ids(): string[] {
    return [...this.#channels.keys()];
  }

  async join(block: common.Block): Promise<Channel> {
    checkJoinBlock(block);
    let bundle: ChannelConfigBundle;
    try {
      bundle = await bundleFromBlock(block, this.options.bundleOptions ?? {});
    } catch (err) {
      throw new ChannelError('INVALID_CONFIG_BLOCK', messageOf(err), { cause: err });
    }
    const channelId = bundle.channelId;
    try {
      bundle.assertPeerSupport();
    } catch (err) {
      throw new ChannelError('CHANNEL_UNSUPPORTED', messageOf(err), {
        cause: err,
        details: { channel: channelId },
      });
    }
    if (this.#channels.has(channelId) || this.#joining.has(channelId)) {
      throw new ChannelError(
        'CHANNEL_EXISTS',
        `cannot create ledger from genesis block: ledger [${channelId}] already exists with state [ACTIVE]`,
        { details: { channel: channelId } },
      );
    }
    this.#joining.add(channelId);
    try {
      if (await this.options.ledgers.exists(channelId)) {
        throw new ChannelError(
          'CHANNEL_EXISTS',
          `cannot create ledger from genesis block: ledger [${channelId}] already exists with state [ACTIVE]`,
          { details: { channel: channelId } },
        );
      }
      const ledger = await this.options.ledgers.createFromGenesisBlock(block);
      const channel = new JoinedChannel(channelId, ledger, bundle, this.options.logger);
      this.#add(channel);
      this.options.logger?.info('joined channel', { channel: channelId });
      return channel;
    } finally {
      this.#joining.delete(channelId);
    }
  }

  onChannel(listener: ChannelListener): () => void {
    this.#listeners.add(listener);
    for (const channel of this.#channels.values()) listener(channel);
    return () => this.#listeners.delete(listener);
  }

  #add(channel: JoinedChannel): void {
    this.#channels.set(channel.id, channel);
    for (const listener of this.#listeners) {
      try {
        listener(channel);
      } catch (err) {
        this.options.logger?.error('channel listener failed', {
          channel: channel.id,
          error: messageOf(err),
        });
      }
    }
  }

  /** Forgets every channel (the ledger manager closes the ledgers). */
  close(): void {
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
    this.#listeners.clear();
  }
}
