/**
 * The ledger of one channel (Fabric's `kvledger/kv_ledger.go`): block store, state database and
 * history database kept in step.
 *
 * commit(block): refuse a block out of sequence, with a wrong previous hash or data hash (nothing
 * written) → MVCC and the update batch (nothing written) → final TRANSACTIONS_FILTER and
 * COMMIT_HASH into the block's metadata → private data store → block store → state (savepoint =
 * {block, last tx}) → history (savepoint) → commit listeners. The private data store is written
 * just before the block store (as Fabric's commitToPvtAndBlockStore), so a committed block never
 * lacks its private data; whatever it holds beyond the block store (a crash or a failed append in
 * between) is never served and is removed on open. State and history are never ahead of the block
 * store; on open (and before the next commit after a failed one) whatever they lack is replayed
 * from the block store with the stored filters and private data, without MVCC.
 *
 * Block-to-live (with `blockToLive` and `expirySchedule`, ../expiry/): each block's state commit
 * also removes the private data and hashes that expire at it (recovery replays do the same, block
 * by block), the private data store drops what has expired after each commit, and
 * getPvtDataByNum never serves expired data.
 *
 * App-initiated purge (Fabric v2.5): a block's purges become purge markers in the private data
 * store, which from then on serves no purged write and removes them after the commit; the purged
 * keys found in the store's index also leave the private state on a peer that did not get the
 * purging transaction's private write set.
 */
import type { Height, Logger, StateUpdate, VersionedDB } from '@fabric-peer/api';
import { Long, blockDataHash, common, protos } from '@fabric-peer/protos';
import type { BlockIterator, BlockStore } from '../blockstore/types.js';
import { BtlPolicy, type BlockToLiveSource } from '../expiry/btl-policy.js';
import { withExpiringBlocks, withoutExpired } from '../expiry/stored-data.js';
import type { ExpirySchedule } from '../expiry/schedule.js';
import { PrivateStateExpiry } from '../expiry/state-expiry.js';
import type { HistoryDB } from '../history/history-db.js';
import { pvtDataMapOf, pvtEntriesOf } from '../pvtdatastore/entries.js';
import {
  deployChaincodeIndexes,
  type IndexDeployment,
  type IndexedChaincode,
} from './chaincode-indexes.js';
import { deletePurgedKeys, purgedPrivateKeys, purgesOf, type PurgedKey } from './app-purge.js';
import type { PvtDataStore, PvtNsCollFilter, TxPvtData } from '../pvtdatastore/store.js';
import {
  commitHashMetadata,
  computeCommitHash,
  deterministicUpdateBytes,
} from '../txmgmt/commit-hash.js';
import { defaultCustomTxProcessors, type CustomTxProcessor } from '../txmgmt/custom-tx.js';
import { LedgerError } from '../txmgmt/errors.js';
import { bytesEqual, sha256, toHex } from '../txmgmt/hashing.js';
import { uint64ToNumber } from '../txmgmt/height.js';
import { PrivacyAwareState } from '../txmgmt/privacy.js';
import {
  DEFAULT_TOTAL_QUERY_LIMIT,
  QueryExecutorImpl,
  TxSimulatorImpl,
  type ExecutorContext,
} from '../txmgmt/query-executor.js';
import { newRWSetBuilder } from '../txmgmt/rwset-builder.js';
import { RWLock, SerialQueue } from '../txmgmt/rw-lock.js';
import type {
  CollectionConfigProvider,
  HistoryQueryExecutor,
  QueryExecutor,
  TxSimulator,
} from '../txmgmt/types.js';
import { publicStateUpdates, toStateUpdates, type UpdateBatch } from '../txmgmt/update-batch.js';
import {
  preloadBlockState,
  validateAndPrepareBatch,
  type ValidatedTx,
  type ValidationContext,
} from '../txmgmt/validation.js';

const M = common.BlockMetadataIndex;
const METADATA_SLOTS = 5;
const EMPTY = new Uint8Array(0);

/** What a commit listener is told after each block. */
export interface BlockCommitEvent {
  readonly channelId: string;
  readonly blockNumber: number;
  /** The block as stored (final TRANSACTIONS_FILTER and COMMIT_HASH). */
  readonly block: common.Block;
  /** The final TRANSACTIONS_FILTER. */
  readonly validationCodes: Uint8Array;
  readonly txs: readonly ValidatedTx[];
  /** Public state updates of the block (including the channel config namespace ""). */
  readonly publicUpdates: readonly StateUpdate[];
  /** The block's commit hash, once the chain of commit hashes has started (block 1 on). */
  readonly commitHash?: Uint8Array;
}

export type BlockCommitListener = (event: BlockCommitEvent) => void | Promise<void>;

/** What commit returns. */
export interface CommitResult {
  readonly blockNumber: number;
  readonly block: common.Block;
  readonly validationCodes: Uint8Array;
  readonly txs: readonly ValidatedTx[];
  readonly commitHash?: Uint8Array;
}

export interface CommitOptions {
  /** Private write sets (TxPvtReadWriteSet bytes) by transaction index. */
  readonly pvtData?: ReadonlyMap<number, Uint8Array>;
}

/** Options of openKvLedger. */
export interface KvLedgerOptions {
  readonly channelId: string;
  readonly blockStore: BlockStore;
  readonly stateDb: VersionedDB;
  /** The channel's history; absent when `ledger.history.enableHistoryDatabase` is false. */
  readonly historyDb?: HistoryDB;
  /**
   * The channel's private data store; without it private write sets are applied to the private
   * state but not kept per block (getPvtDataByNum answers nothing, a replay restores hashes only).
   */
  readonly pvtDataStore?: PvtDataStore;
  /** Collection lookups for private data; without it collection names are not checked. */
  readonly collections?: CollectionConfigProvider;
  /**
   * Collections' block-to-live; with `expirySchedule`, private data expires as in Fabric.
   * Without them, nothing expires.
   */
  readonly blockToLive?: BlockToLiveSource;
  /** The channel's private state expiry schedule (the manager's bookkeeping database). */
  readonly expirySchedule?: ExpirySchedule;
  /**
   * Blocks between two removals of expired and purged data from the private data store
   * (`ledger.pvtdataStore.purgeInterval`, default 100, as Fabric: at each block whose number it
   * divides). Neither is served meanwhile.
   */
  readonly pvtDataPurgeInterval?: number;
  /** Log each write removed for an app-initiated purge at INFO (default true, as Fabric). */
  readonly purgedKeyAuditLogging?: boolean;
  /** Processors by header type; default: CONFIG (Fabric's ConfigTxProcessor). */
  readonly customTxProcessors?: ReadonlyMap<number, CustomTxProcessor>;
  /** `ledger.state.totalQueryLimit` (default 100000). */
  readonly totalQueryLimit?: number;
  readonly logger?: Logger;
  /** Called once the ledger is closed (the manager uses it). */
  readonly onClose?: () => void;
  /** Closes the block store and the state database on close (default true). */
  readonly ownsStores?: boolean;
}

/** The ledger of a channel (Fabric's PeerLedger). */
export interface KvLedger {
  readonly channelId: string;
  /** A simulator for a proposal; it holds back commits until `done()`. */
  newTxSimulator(txId: string): Promise<TxSimulator>;
  /** A read-only executor; it holds back commits until `done()`. */
  newQueryExecutor(): Promise<QueryExecutor>;
  /** The history, or undefined when the history database is disabled. */
  newHistoryQueryExecutor(): HistoryQueryExecutor | undefined;
  /** Height and hashes (Fabric's common.BlockchainInfo). */
  getBlockchainInfo(): common.BlockchainInfo;
  getBlockByNumber(blockNum: number): Promise<common.Block | undefined>;
  getBlockByHash(hash: Uint8Array): Promise<common.Block | undefined>;
  getBlockByTxId(txId: string): Promise<common.Block | undefined>;
  /** The envelope and its validation code (Fabric's ProcessedTransaction). */
  getTransactionByID(txId: string): Promise<protos.ProcessedTransaction | undefined>;
  getTxValidationCodeByTxId(
    txId: string,
  ): Promise<{ validationCode: number; blockNum: number } | undefined>;
  txIdExists(txId: string): Promise<boolean>;
  getBlocksIterator(startBlockNum: number): BlockIterator;
  /**
   * The private write sets kept for a committed block, by transaction in block order (Fabric's
   * GetPvtDataByNum), only the collections `filter` names when given. Rejects
   * (`BLOCK_NOT_COMMITTED`) a block the block store does not have.
   */
  getPvtDataByNum(blockNum: number, filter?: PvtNsCollFilter): Promise<TxPvtData[]>;
  /**
   * Where the state database is `remote` and loads in bulk (CouchDB), reads the committed state of
   * every key the block's transactions touch in one go, so that validating the block (key-level
   * policies, MVCC) reads memory instead of making a request per key; nothing otherwise. Call it before
   * validating a block, when no other block is being committed. Which reads are cached changes,
   * not what they return.
   */
  preloadBlockState(block: common.IBlock): Promise<void>;
  /** Validates (MVCC) and commits the next block; see the module comment. */
  commit(block: common.IBlock, options?: CommitOptions): Promise<CommitResult>;
  /** Calls `listener` after each committed block; returns the unsubscribe function. */
  onCommit(listener: BlockCommitListener): () => void;
  /**
   * The folder of a chaincode package's `META-INF/statedb/` whose indexes the state database
   * takes (`couchdb`), or undefined when it takes none (LevelDB).
   */
  readonly indexType: string | undefined;
  /**
   * Creates the state-database indexes a deployed chaincode's package ships (Fabric's
   * HandleChaincodeDeploy); `artifacts` are the package's `META-INF/statedb/` files by path. Never
   * rejects for a bad index or an unreachable database: those are logged and reported.
   */
  deployChaincodeIndexes(
    chaincode: IndexedChaincode,
    artifacts: ReadonlyMap<string, Uint8Array>,
  ): Promise<IndexDeployment>;
  close(): Promise<void>;
}

/** Opens a channel's ledger and brings state and history up to the block store. */
export async function openKvLedger(options: KvLedgerOptions): Promise<KvLedger> {
  const ledger = new KvLedgerImpl(options);
  await ledger.init();
  return ledger;
}

class KvLedgerImpl implements KvLedger {
  readonly channelId: string;
  private readonly blockStore: BlockStore;
  private readonly state: PrivacyAwareState;
  private readonly history: HistoryDB | undefined;
  private readonly pvtStore: PvtDataStore | undefined;
  private readonly lock = new RWLock();
  private readonly queue = new SerialQueue();
  private readonly listeners = new Set<BlockCommitListener>();
  private readonly ctx: ExecutorContext;
  private readonly processors: ReadonlyMap<number, CustomTxProcessor>;
  private readonly logger: Logger | undefined;
  private readonly btl: BtlPolicy | undefined;
  private readonly expiry: PrivateStateExpiry | undefined;
  private commitHash: Uint8Array = EMPTY;
  private needsRecovery = false;
  /** The private data store may hold data of a block the block store refused. */
  private pvtStoreAhead = false;
  private closed = false;

  constructor(private readonly options: KvLedgerOptions) {
    this.channelId = options.channelId;
    this.blockStore = options.blockStore;
    this.state = new PrivacyAwareState(options.stateDb);
    this.history = options.historyDb;
    this.pvtStore = options.pvtDataStore;
    this.logger = options.logger;
    this.processors = options.customTxProcessors ?? defaultCustomTxProcessors();
    this.ctx = {
      channelId: options.channelId,
      state: this.state,
      hash: sha256,
      ...(options.collections !== undefined ? { collections: options.collections } : {}),
      ...(options.historyDb !== undefined ? { history: options.historyDb } : {}),
      totalQueryLimit: options.totalQueryLimit ?? DEFAULT_TOTAL_QUERY_LIMIT,
    };
    if (options.blockToLive !== undefined && options.expirySchedule !== undefined) {
      // Definitions are read from committed state; commits are serialized, so no lock is needed.
      const db = options.stateDb;
      this.btl = new BtlPolicy(
        options.channelId,
        options.blockToLive,
        { getState: async (ns, key) => (await db.getState(ns, key))?.value },
        options.logger,
      );
      this.expiry = new PrivateStateExpiry(
        options.expirySchedule,
        this.btl,
        this.state,
        options.logger,
      );
    }
  }

  async init(): Promise<void> {
    this.commitHash = await this.lastPersistedCommitHash();
    await this.recover();
  }

  private assertOpen(): void {
    if (this.closed)
      throw new LedgerError('LEDGER_CLOSED', `the ledger of channel [${this.channelId}] is closed`);
  }

  // ---- simulation ---------------------------------------------------------------------------

  async newTxSimulator(txId: string): Promise<TxSimulator> {
    this.assertOpen();
    const release = await this.lock.readLock();
    return new TxSimulatorImpl(this.ctx, txId, newRWSetBuilder(), true, release);
  }

  async newQueryExecutor(): Promise<QueryExecutor> {
    this.assertOpen();
    const release = await this.lock.readLock();
    return new QueryExecutorImpl(this.ctx, '', undefined, true, release);
  }

  newHistoryQueryExecutor(): HistoryQueryExecutor | undefined {
    return this.history;
  }

  // ---- blocks -------------------------------------------------------------------------------

  getBlockchainInfo(): common.BlockchainInfo {
    const info = this.blockStore.info();
    return common.BlockchainInfo.create({
      height: Long.fromNumber(info.height, true),
      currentBlockHash: info.currentBlockHash,
      previousBlockHash: info.previousBlockHash,
    });
  }

  getBlockByNumber(blockNum: number): Promise<common.Block | undefined> {
    return this.blockStore.getBlockByNumber(blockNum);
  }

  getBlockByHash(hash: Uint8Array): Promise<common.Block | undefined> {
    return this.blockStore.getBlockByHash(hash);
  }

  getBlockByTxId(txId: string): Promise<common.Block | undefined> {
    return this.blockStore.getBlockByTxId(txId);
  }

  async getTransactionByID(txId: string): Promise<protos.ProcessedTransaction | undefined> {
    const found = await this.blockStore.getTxEnvelope(txId);
    if (found === undefined) return undefined;
    return protos.ProcessedTransaction.create({
      transactionEnvelope: common.Envelope.decode(found.envelope),
      validationCode: found.location.validationCode,
    });
  }

  async getTxValidationCodeByTxId(
    txId: string,
  ): Promise<{ validationCode: number; blockNum: number } | undefined> {
    const loc = await this.blockStore.getTxLocation(txId);
    return loc === undefined
      ? undefined
      : { validationCode: loc.validationCode, blockNum: loc.blockNum };
  }

  txIdExists(txId: string): Promise<boolean> {
    return this.blockStore.txIdExists(txId);
  }

  getBlocksIterator(startBlockNum: number): BlockIterator {
    return this.blockStore.iterator(startBlockNum);
  }

  async getPvtDataByNum(blockNum: number, filter?: PvtNsCollFilter): Promise<TxPvtData[]> {
    this.assertOpen();
    const height = this.blockStore.info().height;
    // The block store decides what is committed: data written ahead of it is never served.
    if (!Number.isSafeInteger(blockNum) || blockNum < 0 || blockNum >= height) {
      throw new LedgerError(
        'BLOCK_NOT_COMMITTED',
        `last committed block number [${height - 1}] smaller than the requested block number [${blockNum}]`,
        { details: { height, requested: blockNum } },
      );
    }
    if (this.pvtStore === undefined) return [];
    return this.servedPvtData(this.pvtStore, blockNum, height - 1, filter);
  }

  /** What the store holds for the block, without what has expired once `lastBlock` is committed. */
  private async servedPvtData(
    store: PvtDataStore,
    blockNum: number,
    lastBlock: number,
    filter?: PvtNsCollFilter,
  ): Promise<TxPvtData[]> {
    const data = await store.getPvtDataByBlockNum(blockNum, filter);
    return this.btl === undefined ? data : withoutExpired(this.btl, data, blockNum, lastBlock);
  }

  // ---- commit -------------------------------------------------------------------------------

  onCommit(listener: BlockCommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get indexType(): string | undefined {
    return this.state.db.processIndexes !== undefined ? this.state.db.indexType : undefined;
  }

  async deployChaincodeIndexes(
    chaincode: IndexedChaincode,
    artifacts: ReadonlyMap<string, Uint8Array>,
  ): Promise<IndexDeployment> {
    this.assertOpen();
    return deployChaincodeIndexes(this.state.db, chaincode, artifacts, this.logger);
  }

  private validationContext(): ValidationContext {
    return {
      state: this.state,
      hash: sha256,
      customTxProcessors: this.processors,
      // Fabric's post-order simulator; commits are serialized, so it needs no lock.
      newPostOrderSimulator: (txId) =>
        new TxSimulatorImpl(this.ctx, txId, newRWSetBuilder(), false, () => undefined),
      ...(this.logger !== undefined ? { logger: this.logger } : {}),
    };
  }

  async preloadBlockState(block: common.IBlock): Promise<void> {
    this.assertOpen();
    await preloadBlockState(this.validationContext(), block.data?.data ?? []);
  }

  commit(block: common.IBlock, options: CommitOptions = {}): Promise<CommitResult> {
    return this.queue.run(() => this.commitNow(block, options));
  }

  private async commitNow(block: common.IBlock, options: CommitOptions): Promise<CommitResult> {
    this.assertOpen();
    if (this.needsRecovery) await this.recover();
    const header = block.header;
    if (header === null || header === undefined) {
      throw new LedgerError('BLOCK_INVALID', 'the block has no header');
    }
    const blockNum = uint64ToNumber(header.number);
    const info = this.blockStore.info();
    if (blockNum !== info.height) {
      throw new LedgerError(
        'BLOCK_OUT_OF_SEQUENCE',
        `block number should have been ${info.height} but was ${blockNum}`,
        { details: { expected: info.height, got: blockNum } },
      );
    }
    const previousHash = header.previousHash ?? EMPTY;
    if (info.height > 0 && !bytesEqual(previousHash, info.currentBlockHash)) {
      throw new LedgerError(
        'BLOCK_PREVIOUS_HASH_MISMATCH',
        `unexpected Previous block hash. Expected PreviousHash = [${toHex(info.currentBlockHash)}], PreviousHash referred in the latest block= [${toHex(previousHash)}]`,
      );
    }
    const envelopes = (block.data?.data ?? []).map((d) => d);
    if (!bytesEqual(header.dataHash ?? EMPTY, blockDataHash(block.data))) {
      throw new LedgerError(
        'BLOCK_DATA_HASH_MISMATCH',
        `block [${blockNum}]: data_hash [${toHex(header.dataHash ?? EMPTY)}] is not the hash of the block's data [${toHex(blockDataHash(block.data))}]`,
      );
    }
    const metadata: Uint8Array[] = (block.metadata?.metadata ?? []).map((m) => m);
    while (metadata.length < METADATA_SLOTS) metadata.push(EMPTY);

    // Validation and the update batch: nothing is written yet.
    const result = await validateAndPrepareBatch(
      this.validationContext(),
      {
        blockNum,
        envelopes,
        filter: metadata[M.TRANSACTIONS_FILTER]!,
        ...(options.pvtData !== undefined ? { pvtData: options.pvtData } : {}),
      },
      true,
    );
    metadata[M.TRANSACTIONS_FILTER] = result.filter;
    let commitHash: Uint8Array | undefined;
    if (blockNum === 1 || this.commitHash.length !== 0) {
      commitHash = computeCommitHash(
        result.filter,
        deterministicUpdateBytes(result.batch),
        this.commitHash,
      );
      metadata[M.COMMIT_HASH] = commitHashMetadata(commitHash);
    }
    const finalBlock = common.Block.create({
      header,
      data: { data: envelopes },
      metadata: { metadata },
    });

    // Private data, then the block store: if the block store refuses, state and history are
    // untouched and the private data written for the block is cleared before it is written again.
    let storedPvt = false;
    const purges = purgesOf(result.txs);
    let purgedKeys: PurgedKey[] = [];
    if (this.pvtStore !== undefined) {
      if (this.pvtStoreAhead) {
        await this.pvtStore.truncate(blockNum);
        this.pvtStoreAhead = false;
      }
      const { entries, skipped } = pvtEntriesOf(options.pvtData, result.txs);
      if (skipped.length > 0) {
        this.logger?.warn(`[${this.channelId}] private data of block [${blockNum}] not kept`, {
          skipped,
        });
      }
      // The keys of purged hashes, looked up before the markers can make the store drop them.
      purgedKeys = await purgedPrivateKeys(this.pvtStore, purges, blockNum);
      const stored =
        this.btl === undefined ? entries : await withExpiringBlocks(this.btl, entries, blockNum);
      await this.pvtStore.commit(blockNum, stored, purges);
      storedPvt = entries.length > 0 || purges.length > 0;
    }
    try {
      await this.blockStore.addBlock(finalBlock);
    } catch (err) {
      if (storedPvt) this.pvtStoreAhead = true;
      throw err;
    }
    if (commitHash !== undefined) this.commitHash = commitHash;

    deletePurgedKeys(result.batch, purgedKeys);
    try {
      await this.applyState(result.batch, blockNum, envelopes.length);
      if (this.history !== undefined) await this.history.commit(finalBlock);
      if (blockNum % (this.options.pvtDataPurgeInterval ?? 100) === 0) {
        await this.purgePvtStore(blockNum);
      }
    } catch (err) {
      this.needsRecovery = true;
      throw new LedgerError(
        'COMMIT_INCOMPLETE',
        `block [${blockNum}] of channel [${this.channelId}] is in the block store but its state or history commit failed (${(err as Error).message}); it is replayed at the next commit or open`,
        { cause: err },
      );
    }
    this.logger?.info(
      `[${this.channelId}] Committed block [${blockNum}] with ${envelopes.length} transaction(s)`,
      {
        commitHash: commitHash === undefined ? '' : toHex(commitHash),
      },
    );
    const publicUpdates = publicStateUpdates(result.batch.pub);
    const event: BlockCommitEvent = {
      channelId: this.channelId,
      blockNumber: blockNum,
      block: finalBlock,
      validationCodes: result.filter,
      txs: result.txs,
      publicUpdates,
      ...(commitHash !== undefined ? { commitHash } : {}),
    };
    this.notify(event);
    return {
      blockNumber: blockNum,
      block: finalBlock,
      validationCodes: result.filter,
      txs: result.txs,
      ...(commitHash !== undefined ? { commitHash } : {}),
    };
  }

  /** Applies a block's batch, with the deletes of the private data that expires at it. */
  private async applyState(batch: UpdateBatch, blockNum: number, txCount: number): Promise<void> {
    const savepoint: Height = { blockNum, txNum: Math.max(0, txCount - 1) };
    await this.expiry?.addExpiredToBatch(batch, savepoint);
    const updates = toStateUpdates(batch, this.state.db.bytesKeySupported());
    const release = await this.lock.writeLock();
    try {
      await this.state.db.applyUpdates(updates, savepoint);
    } finally {
      release();
    }
    await this.expiry?.committed(blockNum);
  }

  /**
   * Drops from the private data store what expired by `blockNum` and the writes purge markers
   * cover. Served data is filtered anyway, so a failure only delays the removal to a later commit.
   */
  private async purgePvtStore(blockNum: number): Promise<void> {
    if (this.pvtStore === undefined) return;
    try {
      const expired = this.btl === undefined ? 0 : await this.pvtStore.purgeExpired(blockNum);
      const purged = await this.pvtStore.purgeMarked();
      if (this.options.purgedKeyAuditLogging !== false) {
        for (const p of purged) {
          this.logger?.info('Purged private data from the private data store', {
            channel: this.channelId,
            chaincode: p.namespace,
            collection: p.collection,
            keyHash: toHex(p.keyHash),
            block: p.blockNum,
            tx: p.txNum,
          });
        }
      }
      if (expired + purged.length > 0) {
        this.logger?.debug(`[${this.channelId}] removed private data from the store`, {
          blockNum,
          expired,
          purged: purged.length,
        });
      }
    } catch (err) {
      this.logger?.warn(
        `[${this.channelId}] expired or purged private data not removed from the store yet`,
        {
          blockNum,
          error: (err as Error).message,
        },
      );
    }
  }

  private notify(event: BlockCommitEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        const r = listener(event);
        if (r instanceof Promise) {
          r.catch((err: unknown) =>
            this.logger?.error('commit listener failed', {
              error: String(err),
              block: event.blockNumber,
            }),
          );
        }
      } catch (err) {
        this.logger?.error('commit listener failed', {
          error: String(err),
          block: event.blockNumber,
        });
      }
    }
  }

  // ---- recovery -----------------------------------------------------------------------------

  /** Fabric's lastPersistedCommitHash: slot COMMIT_HASH of the last block. */
  private async lastPersistedCommitHash(): Promise<Uint8Array> {
    const info = this.blockStore.info();
    if (info.height === 0) return EMPTY;
    const last = await this.blockStore.getBlockByNumber(info.height - 1);
    const slots = last?.metadata?.metadata ?? [];
    if (slots.length < M.COMMIT_HASH + 1) return EMPTY;
    try {
      return common.Metadata.decode(slots[M.COMMIT_HASH]!).value;
    } catch (err) {
      throw new LedgerError('MALFORMED', 'error unmarshalling last persisted commit hash', {
        cause: err,
      });
    }
  }

  /**
   * Removes private data the store holds for blocks the block store lacks (written just before an
   * append that a crash or an error prevented); Fabric keeps it and skips the next write instead.
   */
  private async syncPvtStoreWithBlockstore(height: number): Promise<void> {
    if (this.pvtStore === undefined) return;
    const last = await this.pvtStore.lastBlockWithData();
    if (last !== undefined && last >= height) {
      this.logger?.info(
        `[${this.channelId}] Removing private data of blocks [${height}..${last}], which the block store does not have`,
      );
      await this.pvtStore.truncate(height);
    }
    this.pvtStoreAhead = false;
  }

  /** Fabric's syncStateAndHistoryDBWithBlockstore. */
  private async recover(): Promise<void> {
    const info = this.blockStore.info();
    await this.syncPvtStoreWithBlockstore(info.height);
    if (info.height === 0) {
      this.needsRecovery = false;
      return;
    }
    const last = info.height - 1;
    const stateNext = nextRequired(await this.state.db.getLatestSavePoint());
    const historyNext =
      this.history === undefined ? undefined : nextRequired(await this.history.getLastSavepoint());
    for (const [name, next] of [
      ['state', stateNext],
      ['history', historyNext],
    ] as const) {
      if (next !== undefined && next > last + 1) {
        throw new LedgerError(
          'DB_AHEAD_OF_BLOCKSTORE',
          `the ${name} database [height=${next}] is ahead of the block store [height=${last + 1}]. This is possible when the ${name} database is not dropped after a ledger reset/rollback. The ${name} database can safely be dropped and will be rebuilt up to block store height upon the next peer start`,
        );
      }
    }
    const from = Math.min(stateNext, historyNext ?? stateNext);
    if (from <= last) {
      this.logger?.info(
        `[${this.channelId}] Recommitting lost blocks - firstBlockNum=${from}, lastBlockNum=${last}`,
      );
    }
    for (let n = from; n <= last; n++) {
      const block = await this.blockStore.getBlockByNumber(n);
      if (block === undefined) {
        throw new LedgerError(
          'DB_ERROR',
          `block [${n}] is missing from the block store of channel [${this.channelId}]`,
        );
      }
      if (stateNext <= n) {
        const envelopes = block.data?.data ?? [];
        const filter = block.metadata?.metadata?.[M.TRANSACTIONS_FILTER] ?? EMPTY;
        const pvtData =
          this.pvtStore === undefined
            ? undefined
            : pvtDataMapOf(await this.servedPvtData(this.pvtStore, n, last));
        const result = await validateAndPrepareBatch(
          this.validationContext(),
          {
            blockNum: n,
            envelopes,
            filter,
            ...(pvtData !== undefined ? { pvtData, pvtDataFromStore: true } : {}),
          },
          false,
        );
        await this.applyState(result.batch, n, envelopes.length);
      }
      if (this.history !== undefined && historyNext !== undefined && historyNext <= n) {
        await this.history.commit(block);
      }
    }
    if (from <= last) await this.purgePvtStore(last);
    this.needsRecovery = false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(async () => {
      this.closed = true;
      if (this.options.ownsStores !== false) {
        await this.blockStore.close();
        await this.state.db.close();
      }
    });
    this.options.onClose?.();
  }
}

function nextRequired(savepoint: Height | undefined): number {
  return savepoint === undefined ? 0 : savepoint.blockNum + 1;
}
