/**
 * The committer of one channel (Fabric's gossip/privdata coordinator StoreBlock with the
 * validator and the ledger committer): `commitBlock(block)` verifies the block, validates its
 * transactions, gathers their private data from the transient store, commits it all through the
 * ledger (which adds MVCC) and purges the transient store. Blocks are committed one at a time, in
 * the order `commitBlock` is called.
 *
 * A block that fails verification, or whose validation cannot be decided, is refused with a
 * {@link CommitterError} and nothing of it is written; the next call may retry it.
 */
import type { Histogram, IdentityDeserializer, Logger, MetricsProvider } from '@fabric-peer/api';
import type { ValidationInfoSource } from '@fabric-peer/chaincode';
import type { Channel } from '@fabric-peer/channel';
import type { CollectionConfigProvider } from '@fabric-peer/ledger';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';

import { blockNumber, verifyBlockSignatures, verifyBlockStructure } from './block-verifier.js';
import { CommitterError, messageOf } from './errors.js';
import {
  collectPrivateData,
  memberOrgsEligibility,
  type CollectionEligibility,
} from './pvtdata.js';
import type { ChannelTransientStore } from './transient-store.js';
import { TxValidator, type PrecheckPool, type ValidationPluginFactory } from './validator.js';

const M = common.BlockMetadataIndex;
const METADATA_SLOTS = 5;
const EMPTY = new Uint8Array(0);
/** Fabric's default `peer.gossip.pvtData.transientstoreMaxBlockRetention` (v2.5). */
export const DEFAULT_TRANSIENT_BLOCK_RETENTION = 1000;

/** Private data handling at commit. */
export interface PrivateDataOptions {
  /** The channel's transient store. */
  readonly store: ChannelTransientStore;
  /** This peer's MSP id (`peer.localMspId`): its implicit collection is always eligible. */
  readonly localMspId: string;
  /** Explicit collections' configurations (for member-org eligibility). */
  readonly collections?: CollectionConfigProvider;
  /** Overrides the eligibility rule (default {@link memberOrgsEligibility}). */
  readonly eligibility?: CollectionEligibility;
  /** `peer.gossip.pvtData.transientstoreMaxBlockRetention` (default 1000). */
  readonly transientBlockRetention?: number;
}

/** What a committer is built with. */
export interface CommitterOptions {
  readonly channel: Channel;
  /** Validation plugin names and parameters of each namespace (`_lifecycle`, lscc). */
  readonly validationInfo: ValidationInfoSource;
  /** Maps a validation plugin name (`peer.handlers.validators`) to a new plugin instance. */
  readonly validationPlugin: ValidationPluginFactory;
  readonly privateData?: PrivateDataOptions;
  /** The validator pool (`peer.validatorPoolSize` workers); absent: validation on this thread. */
  readonly pool?: PrecheckPool;
  /** How many transactions of a block are validated at once (default 64). */
  readonly concurrency?: number;
  /** Deserializers of the other joined channels (a transaction naming another channel). */
  readonly otherChannelDeserializer?: (channelId: string) => IdentityDeserializer | undefined;
  readonly logger?: Logger;
  readonly metrics?: MetricsProvider;
}

/** What `commitBlock` resolves with. */
export interface CommittedBlock {
  readonly blockNumber: number;
  /** The final TRANSACTIONS_FILTER (validation and MVCC), one code per transaction. */
  readonly validationCodes: Uint8Array;
  /** The block as stored. */
  readonly block: common.Block;
  /** Eligible private write sets that were not found (`txIndex:namespace:collection`). */
  readonly missingPrivateData: readonly string[];
}

interface CommitterMetrics {
  readonly validation: Histogram;
  readonly commit: Histogram;
  readonly purge: Histogram;
}

function metricsOf(provider: MetricsProvider | undefined): CommitterMetrics | undefined {
  if (provider === undefined) return undefined;
  const opts = (name: string, help: string) => ({
    namespace: 'gossip',
    subsystem: 'privdata',
    name,
    help,
    labelNames: ['channel'],
    statsdFormat: '%{#fqname}.%{channel}',
  });
  return {
    validation: provider.newHistogram(
      opts('validation_duration', 'Time it takes to validate a block (in seconds)'),
    ),
    commit: provider.newHistogram(
      opts(
        'commit_block_duration',
        'Time it takes to commit private data and the corresponding block (in seconds)',
      ),
    ),
    purge: provider.newHistogram(
      opts('purge_duration', 'Time it takes to purge private data (in seconds)'),
    ),
  };
}

export class Committer {
  readonly channelId: string;
  readonly #o: CommitterOptions;
  readonly #validator: TxValidator;
  readonly #metrics: CommitterMetrics | undefined;
  readonly #eligibility: CollectionEligibility | undefined;
  /** The configuration a committed config block made, until the channel's bundle catches up. */
  #applied: ChannelConfigBundle | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: CommitterOptions) {
    this.#o = options;
    this.channelId = options.channel.id;
    this.#validator = new TxValidator({
      channelId: options.channel.id,
      ledger: options.channel.ledger,
      validationInfo: options.validationInfo,
      validationPlugin: options.validationPlugin,
      ...(options.pool !== undefined ? { pool: options.pool } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.otherChannelDeserializer !== undefined
        ? { otherChannelDeserializer: options.otherChannelDeserializer }
        : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    this.#metrics = metricsOf(options.metrics);
    const pd = options.privateData;
    this.#eligibility =
      pd === undefined
        ? undefined
        : (pd.eligibility ??
          memberOrgsEligibility({
            channelId: options.channel.id,
            localMspId: pd.localMspId,
            ...(pd.collections !== undefined ? { collections: pd.collections } : {}),
            deserializer: () => this.bundle().deserializer,
          }));
  }

  /**
   * The configuration blocks are verified and validated against: the channel's, or the newer one
   * a config block this committer committed made (the channel manager rebuilds its bundle after
   * the commit, asynchronously).
   */
  bundle(): ChannelConfigBundle {
    const current = this.#o.channel.bundle();
    const applied = this.#applied;
    if (applied !== undefined && applied.sequence > current.sequence) return applied;
    this.#applied = undefined;
    return current;
  }

  /** Verifies, validates and commits `block`; see the module comment. */
  commitBlock(block: common.IBlock): Promise<CommittedBlock> {
    const run = this.#queue.then(
      () => this.#commit(block),
      () => this.#commit(block),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Refuses further blocks (a commit under way completes). */
  close(): void {
    this.#closed = true;
  }

  async #commit(block: common.IBlock): Promise<CommittedBlock> {
    if (this.#closed) {
      throw new CommitterError(
        'COMMITTER_CLOSED',
        `the committer of channel ${this.channelId} is closed`,
      );
    }
    const ledger = this.#o.channel.ledger;
    const info = ledger.getBlockchainInfo();
    const bundle = this.bundle();
    verifyBlockStructure(block, this.channelId, {
      height: Number(info.height.toString()),
      currentBlockHash: info.currentBlockHash ?? EMPTY,
    });
    const number = blockNumber(block);
    await verifyBlockSignatures(block, bundle);

    const started = performance.now();
    const validation = await this.#validator.validate(block, bundle);
    const validatedAt = performance.now();
    this.#metrics?.validation.observe((validatedAt - started) / 1000, { channel: this.channelId });
    this.#o.logger?.info(
      `[${this.channelId}] Validated block [${number}] in ${Math.round(validatedAt - started)}ms`,
    );

    let pvtData: Map<number, Uint8Array> | undefined;
    let missing: readonly string[] = [];
    const pd = this.#o.privateData;
    if (pd !== undefined && this.#eligibility !== undefined) {
      const eligibility = this.#eligibility;
      const hasCollections = validation.txs.some((t) =>
        t.rwset?.nsRwSets.some((ns) => ns.collHashedRwSets.length > 0),
      );
      if (hasCollections) {
        const qe = await ledger.newQueryExecutor();
        try {
          const found = await collectPrivateData({
            txs: validation.txs,
            codes: validation.codes,
            blockNumber: number,
            store: pd.store,
            eligible: eligibility,
            qe,
            ...(this.#o.logger !== undefined ? { logger: this.#o.logger } : {}),
          });
          pvtData = found.pvtData;
          missing = found.missing;
        } catch (err) {
          throw new CommitterError(
            'VALIDATION_FAILED',
            `block [${number}]: private data could not be gathered: ${messageOf(err)}`,
            { cause: err },
          );
        } finally {
          qe.done();
        }
      }
    }

    const metadata: Uint8Array[] = [...(block.metadata?.metadata ?? [])];
    while (metadata.length < METADATA_SLOTS) metadata.push(EMPTY);
    metadata[M.TRANSACTIONS_FILTER] = validation.codes;
    const toCommit = common.Block.create({
      header: block.header ?? undefined,
      data: { data: [...(block.data?.data ?? [])] },
      metadata: { metadata },
    });
    const commitStart = performance.now();
    let result;
    try {
      result = await ledger.commit(toCommit, pvtData !== undefined ? { pvtData } : {});
    } catch (err) {
      throw new CommitterError(
        'COMMIT_FAILED',
        `block [${number}] of channel [${this.channelId}] could not be committed: ${messageOf(err)}`,
        { cause: err },
      );
    }
    this.#metrics?.commit.observe((performance.now() - commitStart) / 1000, {
      channel: this.channelId,
    });
    if (validation.nextBundle !== undefined) this.#applied = validation.nextBundle;
    if (pd !== undefined) await this.#purge(pd, number, pvtData, validation.txs);
    return {
      blockNumber: number,
      validationCodes: result.validationCodes,
      block: result.block,
      missingPrivateData: missing,
    };
  }

  /** Fabric's RetrievedPvtdata.Purge: the block's transactions, then by height now and then. */
  async #purge(
    pd: PrivateDataOptions,
    number: number,
    pvtData: Map<number, Uint8Array> | undefined,
    txs: readonly { readonly txId: string }[],
  ): Promise<void> {
    const started = performance.now();
    try {
      if (pvtData !== undefined && pvtData.size > 0) {
        await pd.store.purgeByTxids(txs.map((t) => t.txId).filter((t) => t !== ''));
      }
      const retention = pd.transientBlockRetention ?? DEFAULT_TRANSIENT_BLOCK_RETENTION;
      if (retention > 0 && number % retention === 0 && number > retention) {
        await pd.store.purgeBelowHeight(number - retention);
      }
    } catch (err) {
      this.#o.logger?.error(`Purging transactions of block [${number}] failed`, {
        channel: this.channelId,
        error: messageOf(err),
      });
    }
    this.#metrics?.purge.observe((performance.now() - started) / 1000, { channel: this.channelId });
  }
}
