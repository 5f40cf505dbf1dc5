/**
 * The ledger manager (Fabric's `kvledger/kv_ledger_provider.go` with `ledgermgmt`): the ledgers of
 * all channels under `<peer.fileSystemPath>/ledgersData/`:
 *
 *   chains/          block stores (through the block store factory)
 *   stateLeveldb/    state, when the state database provider is the LevelDB one (its own choice)
 *   historyLeveldb/  the history database of all channels
 *   pvtdataStore/    the private data store of all channels (private write sets per block)
 *   bookkeeper/      the private state expiry schedule of all channels (block-to-live)
 *   ledgerProvider/  ledger ids and status
 *   fileLock/        held while the manager is open, so that two peers cannot share the folder
 *
 * A ledger is created from its genesis block under status UNDER_CONSTRUCTION and becomes ACTIVE
 * once that block is committed; ledgers left UNDER_CONSTRUCTION or UNDER_DELETION by a crash are
 * removed when the manager opens.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, StateDatabaseProvider } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import { openHistoryDBProvider, type HistoryDBProvider } from '../history/history-db.js';
import { openLevel, type BinaryLevel } from '../history/level.js';
import type { BlockToLiveSource } from '../expiry/btl-policy.js';
import { openExpiryScheduleProvider, type ExpiryScheduleProvider } from '../expiry/schedule.js';
import { openKvLedger, type KvLedger } from '../kvledger/kv-ledger.js';
import { openPvtDataStoreProvider, type PvtDataStoreProvider } from '../pvtdatastore/store.js';
import type { CustomTxProcessor } from '../txmgmt/custom-tx.js';
import { LedgerError } from '../txmgmt/errors.js';
import { DEFAULT_TOTAL_QUERY_LIMIT } from '../txmgmt/query-executor.js';
import type { CollectionConfigProvider } from '../txmgmt/types.js';
import { fileBlockStoreFactory } from './block-stores.js';
import type { BlockStoreFactory, BlockStoreLocation } from './types.js';
import { IdStore, LedgerStatus } from './id-store.js';

export interface LedgerManagerOptions {
  /** `peer.fileSystemPath`; the ledgers live in its `ledgersData` folder. */
  readonly fileSystemPath: string;
  /** The state database chosen by `ledger.state.stateDatabase` (and `ledger.state.library`). */
  readonly stateDatabaseProvider: StateDatabaseProvider;
  /** Block stores; default: the file block store (fileBlockStoreFactory). */
  readonly blockStores?: BlockStoreFactory;
  /** `ledger.history.enableHistoryDatabase` (default true). */
  readonly enableHistoryDatabase?: boolean;
  /** `ledger.state.totalQueryLimit` (default 100000). */
  readonly totalQueryLimit?: number;
  /**
   * Where simulations find chaincodes' collections (the peer gives `_lifecycle`'s); without it
   * collection names are not checked.
   */
  readonly collections?: CollectionConfigProvider;
  /**
   * Where the ledgers find collections' block-to-live (the peer reads `_lifecycle`'s and lscc's
   * definitions); without it private data never expires.
   */
  readonly blockToLive?: BlockToLiveSource;
  /**
   * fsync the writes of the private data store and of the expiry schedule (default true, as the
   * file block store).
   */
  readonly syncPvtDataStore?: boolean;
  /**
   * `ledger.pvtdataStore.purgeInterval`: every this many blocks the private data stores remove
   * what has expired or was purged (default 100; it is never served meanwhile).
   */
  readonly pvtDataPurgeInterval?: number;
  /** `ledger.pvtdataStore.purgedKeyAuditLogging`: log each purged write at INFO (default true). */
  readonly purgedKeyAuditLogging?: boolean;
  readonly customTxProcessors?: ReadonlyMap<number, CustomTxProcessor>;
  readonly logger?: Logger;
}

/** The ledgers of this peer. */
export interface LedgerManager {
  /** `<peer.fileSystemPath>/ledgersData`. */
  readonly rootDir: string;
  /**
   * Creates the ledger of the block's channel and commits the block (a TRANSACTIONS_FILTER left
   * empty is set to all VALID first, as cscc JoinChain does). On failure nothing of it remains.
   */
  createFromGenesisBlock(block: common.IBlock): Promise<KvLedger>;
  /** Opens an ACTIVE ledger (recovering state and history from its blocks if needed). */
  open(channelId: string): Promise<KvLedger>;
  /** Whether a ledger exists, whatever its status. */
  exists(channelId: string): Promise<boolean>;
  /** ACTIVE ledgers. */
  list(): Promise<string[]>;
  /**
   * Fabric's `peer node rebuild-dbs`: drops the state and history databases, and the private
   * state expiry schedule, of every ledger; the block and private data stores stay, and each
   * ledger rebuilds them from its blocks when it next opens. Refused while a ledger is open.
   * Returns the ledgers concerned.
   */
  rebuildDatabases(): Promise<string[]>;
  /**
   * Fabric's `peer node unjoin`: removes a channel's ledger — blocks, state, history and private
   * data. Marked UNDER_DELETION first, so that a crash part-way is finished when the manager next
   * opens. Refused while the ledger is open.
   */
  unjoin(channelId: string): Promise<void>;
  /**
   * Fabric's `peer node pause`: the ledger stays, but is no longer listed or opened (status
   * INACTIVE) until resumed. Returns false when it already was. Refused while the ledger is open.
   */
  pause(channelId: string): Promise<boolean>;
  /** Fabric's `peer node resume`: the paused ledger is ACTIVE again; false when it already was. */
  resume(channelId: string): Promise<boolean>;
  /**
   * Fabric's `peer node rollback`: removes the blocks after `blockNum` (which must be below the
   * last block) from the channel's block store and private data store, and drops the channel's
   * state and history databases and expiry schedule, which the next open rebuilds from the blocks
   * left. Refused while the ledger is open.
   */
  rollback(channelId: string, blockNum: number): Promise<void>;
  /**
   * Fabric's `peer node reset`: every ledger back to its genesis block (each rolled back to block
   * 0, its private data trimmed, its state, history and expiry schedule dropped), after recording
   * the height it had; the peer refuses proposals until its ledgers are back there
   * ({@link preResetHeights}). Returns the ledgers reset. Refused while a ledger is open.
   */
  reset(): Promise<string[]>;
  /** The heights ledgers had before a reset they have not caught up with yet. */
  preResetHeights(): Promise<Map<string, number>>;
  /** Forgets the pre-reset heights, once every ledger is back at its height. */
  clearPreResetHeights(): Promise<void>;
  /** Closes every open ledger, then the manager's databases. */
  close(): Promise<void>;
}

/** `<fileSystemPath>/ledgersData` (Fabric's ledgersData root). */
export function ledgersDataPath(fileSystemPath: string): string {
  return join(fileSystemPath, 'ledgersData');
}

/** Opens the manager: creates the folders, takes the file lock, removes half-created ledgers. */
export async function openLedgerManager(options: LedgerManagerOptions): Promise<LedgerManager> {
  const root = ledgersDataPath(options.fileSystemPath);
  await mkdir(join(root, 'chains'), { recursive: true });
  const fileLock = await openLevel(join(root, 'fileLock'), 'ledger file lock');
  let idStore: IdStore | undefined;
  let history: HistoryDBProvider | undefined;
  let pvtData: PvtDataStoreProvider | undefined;
  let expiry: ExpiryScheduleProvider | undefined;
  try {
    idStore = await IdStore.open(join(root, 'ledgerProvider'));
    if (options.enableHistoryDatabase !== false) {
      history = await openHistoryDBProvider(join(root, 'historyLeveldb'));
    }
    pvtData = await openPvtDataStoreProvider(join(root, 'pvtdataStore'), {
      ...(options.syncPvtDataStore !== undefined ? { sync: options.syncPvtDataStore } : {}),
    });
    expiry = await openExpiryScheduleProvider(join(root, 'bookkeeper'), {
      ...(options.syncPvtDataStore !== undefined ? { sync: options.syncPvtDataStore } : {}),
    });
    const manager = new LedgerManagerImpl(
      options,
      root,
      fileLock,
      idStore,
      history,
      pvtData,
      expiry,
    );
    await manager.deletePartialLedgers();
    return manager;
  } catch (err) {
    await expiry?.close();
    await pvtData?.close();
    await history?.close();
    await idStore?.close();
    await fileLock.close();
    throw err;
  }
}

/** The channel id of a block's first transaction (Fabric's GetChannelIDFromBlock). */
export function channelIdFromBlock(block: common.IBlock): string {
  const first = block.data?.data?.[0];
  if (first === undefined)
    throw new LedgerError(
      'BLOCK_INVALID',
      'failed to retrieve the channel id: the block has no data',
    );
  try {
    const env = common.Envelope.decode(first);
    const payload = common.Payload.decode(env.payload);
    const chdr = payload.header?.channelHeader;
    if (chdr === null || chdr === undefined) throw new Error('payload has no header');
    return common.ChannelHeader.decode(chdr).channelId;
  } catch (err) {
    throw new LedgerError(
      'BLOCK_INVALID',
      `failed to retrieve the channel id from the block: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

class LedgerManagerImpl implements LedgerManager {
  private readonly opened = new Map<string, KvLedger>();
  private readonly blockStores: BlockStoreFactory;
  private closed = false;

  constructor(
    private readonly options: LedgerManagerOptions,
    readonly rootDir: string,
    private readonly fileLock: BinaryLevel,
    private readonly idStore: IdStore,
    private readonly history: HistoryDBProvider | undefined,
    private readonly pvtData: PvtDataStoreProvider,
    private readonly expiry: ExpiryScheduleProvider,
  ) {
    this.blockStores =
      options.blockStores ??
      fileBlockStoreFactory(options.logger !== undefined ? { logger: options.logger } : {});
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerError('LEDGER_CLOSED', 'the ledger manager is closed');
  }

  private location(channelId: string): BlockStoreLocation {
    return { chainsDir: join(this.rootDir, 'chains'), channelId };
  }

  async createFromGenesisBlock(block: common.IBlock): Promise<KvLedger> {
    this.assertOpen();
    const ledgerId = channelIdFromBlock(block);
    await this.idStore.create(ledgerId, LedgerStatus.UNDER_CONSTRUCTION);
    let ledger: KvLedger | undefined;
    try {
      ledger = await this.openLedger(ledgerId);
      await ledger.commit(withInitializedFilter(block));
      await this.idStore.updateStatus(ledgerId, LedgerStatus.ACTIVE);
      return ledger;
    } catch (err) {
      await ledger?.close().catch(() => undefined);
      await this.cleanup(ledgerId).catch((cleanupErr: unknown) =>
        this.options.logger?.error('cleanup of a ledger whose creation failed also failed', {
          ledgerId,
          error: String(cleanupErr),
        }),
      );
      throw err;
    }
  }

  async open(channelId: string): Promise<KvLedger> {
    this.assertOpen();
    const status = await this.idStore.status(channelId);
    if (status === undefined) {
      throw new LedgerError(
        'LEDGER_NOT_FOUND',
        `cannot open ledger [${channelId}], ledger does not exist`,
      );
    }
    if (status !== LedgerStatus.ACTIVE) {
      throw new LedgerError(
        'LEDGER_NOT_FOUND',
        `cannot open ledger [${channelId}], ledger status is [${LedgerStatus[status] ?? status}]`,
      );
    }
    return this.openLedger(channelId);
  }

  private async openLedger(channelId: string): Promise<KvLedger> {
    if (this.opened.has(channelId)) {
      throw new LedgerError('LEDGER_ALREADY_OPEN', `ledger [${channelId}] is already open`);
    }
    const blockStore = await this.blockStores.open(this.location(channelId));
    let stateDb;
    try {
      stateDb = await this.options.stateDatabaseProvider.open(channelId);
    } catch (err) {
      await blockStore.close();
      throw err;
    }
    const o = this.options;
    try {
      const ledger = await openKvLedger({
        channelId,
        blockStore,
        stateDb,
        ...(this.history !== undefined
          ? { historyDb: this.history.handle(channelId, blockStore) }
          : {}),
        pvtDataStore: this.pvtData.handle(channelId),
        ...(o.collections !== undefined ? { collections: o.collections } : {}),
        ...(o.blockToLive !== undefined
          ? { blockToLive: o.blockToLive, expirySchedule: this.expiry.handle(channelId) }
          : {}),
        ...(o.customTxProcessors !== undefined ? { customTxProcessors: o.customTxProcessors } : {}),
        ...(o.pvtDataPurgeInterval !== undefined
          ? { pvtDataPurgeInterval: o.pvtDataPurgeInterval }
          : {}),
        ...(o.purgedKeyAuditLogging !== undefined
          ? { purgedKeyAuditLogging: o.purgedKeyAuditLogging }
          : {}),
        totalQueryLimit: o.totalQueryLimit ?? DEFAULT_TOTAL_QUERY_LIMIT,
        ...(o.logger !== undefined ? { logger: o.logger.child?.(channelId) ?? o.logger } : {}),
        onClose: () => this.opened.delete(channelId),
      });
      this.opened.set(channelId, ledger);
      return ledger;
    } catch (err) {
      await blockStore.close().catch(() => undefined);
      await stateDb.close().catch(() => undefined);
      throw err;
    }
  }

  exists(channelId: string): Promise<boolean> {
    return this.idStore.status(channelId).then((s) => s !== undefined);
  }

  list(): Promise<string[]> {
    return this.idStore.ids([LedgerStatus.ACTIVE]);
  }

  async rebuildDatabases(): Promise<string[]> {
    this.assertOpen();
    const ids = await this.idStore.ids([LedgerStatus.ACTIVE]);
    for (const id of ids) this.assertNotOpen(id, 'rebuild the databases of');
    for (const id of ids) {
      await this.dropDatabases(id);
      this.options.logger?.info('dropped the state and history databases', { ledgerId: id });
    }
    return ids;
  }

  async unjoin(channelId: string): Promise<void> {
    this.assertOpen();
    if ((await this.idStore.status(channelId)) === undefined) {
      throw new LedgerError(
        'LEDGER_NOT_FOUND',
        `unjoin channel [${channelId}]: cannot update ledger status, ledger [${channelId}] does not exist`,
      );
    }
    this.assertNotOpen(channelId, 'unjoin');
    await this.cleanup(channelId);
    this.options.logger?.info('removed the ledger', { ledgerId: channelId });
  }

  pause(channelId: string): Promise<boolean> {
    return this.setStatus(channelId, LedgerStatus.INACTIVE, 'pause');
  }

  resume(channelId: string): Promise<boolean> {
    return this.setStatus(channelId, LedgerStatus.ACTIVE, 'resume');
  }

  private async setStatus(channelId: string, status: LedgerStatus, what: string): Promise<boolean> {
    this.assertOpen();
    this.assertNotOpen(channelId, what);
    const current = await this.idStore.status(channelId);
    if (current === status) {
      this.options.logger?.info(`ledger [${channelId}] is already ${LedgerStatus[status]}`);
      return false;
    }
    // updateStatus refuses an unknown ledger with Fabric's message.
    await this.idStore.updateStatus(channelId, status);
    this.options.logger?.info(`ledger [${channelId}] is now ${LedgerStatus[status]}`);
    return true;
  }

  async rollback(channelId: string, blockNum: number): Promise<void> {
    this.assertOpen();
    if ((await this.idStore.status(channelId)) === undefined) {
      throw new LedgerError('LEDGER_NOT_FOUND', `ledgerID [${channelId}] does not exist`);
    }
    this.assertNotOpen(channelId, 'roll back');
    await this.rollbackLedger(channelId, blockNum);
    this.options.logger?.info(`rolled ledger [${channelId}] back to block [${blockNum}]`);
  }

  /**
   * Removes a closed ledger's blocks after `blockNum` and their private data. As Fabric, the
   * databases go first (a rollback interrupted after that leaves them to be rebuilt), once the
   * block store has accepted `blockNum`; only this channel's, as each has its own here.
   */
  private async rollbackLedger(channelId: string, blockNum: number): Promise<void> {
    const stores = this.blockStores;
    if (stores.rollback === undefined) {
      throw new LedgerError('UNSUPPORTED', 'the block store in use cannot roll back');
    }
    await stores.rollback(this.location(channelId), blockNum, () => this.dropDatabases(channelId));
    await this.pvtData.handle(channelId).truncate(blockNum + 1);
  }

  /** Drops what the next open rebuilds from the blocks: state, history, the expiry schedule. */
  private async dropDatabases(channelId: string): Promise<void> {
    await this.options.stateDatabaseProvider.drop(channelId);
    await this.history?.drop(channelId);
    // The expiry schedule goes with the state it schedules (Fabric drops its bookkeeper too).
    await this.expiry.drop(channelId);
  }

  async reset(): Promise<string[]> {
    this.assertOpen();
    const ids = await this.idStore.ids([LedgerStatus.ACTIVE, LedgerStatus.INACTIVE]);
    for (const id of ids) this.assertNotOpen(id, 'reset');
    if (this.blockStores.rollback === undefined) {
      throw new LedgerError('UNSUPPORTED', 'the block store in use cannot roll back');
    }
    for (const id of ids) {
      const store = await this.blockStores.open(this.location(id));
      const height = store.info().height;
      await store.close();
      await this.idStore.recordPreResetHeight(id, height);
      // A ledger of the genesis block alone only loses its databases.
      if (height > 1) await this.rollbackLedger(id, 0);
      else await this.dropDatabases(id);
      this.options.logger?.info(`reset ledger [${id}] to its genesis block`, {
        preResetHeight: height,
      });
    }
    return ids;
  }

  preResetHeights(): Promise<Map<string, number>> {
    this.assertOpen();
    return this.idStore.preResetHeights();
  }

  clearPreResetHeights(): Promise<void> {
    this.assertOpen();
    return this.idStore.clearPreResetHeights();
  }

  private assertNotOpen(channelId: string, what: string): void {
    if (this.opened.has(channelId)) {
      throw new LedgerError(
        'LEDGER_ALREADY_OPEN',
        `cannot ${what} ledger [${channelId}] while it is open`,
      );
    }
  }

  /** Fabric's deletePartialLedgers. */
  async deletePartialLedgers(): Promise<void> {
    for (const id of await this.idStore.ids([
      LedgerStatus.UNDER_CONSTRUCTION,
      LedgerStatus.UNDER_DELETION,
    ])) {
      this.options.logger?.info(
        'removing a ledger left partial by a crash during creation or deletion',
        {
          ledgerId: id,
        },
      );
      await this.cleanup(id);
    }
  }

  /** Fabric's runCleanup: drop everything of the ledger, then its id. */
  private async cleanup(ledgerId: string): Promise<void> {
    await this.idStore.updateStatus(ledgerId, LedgerStatus.UNDER_DELETION);
    await this.blockStores.drop?.(this.location(ledgerId));
    await this.dropDatabases(ledgerId);
    await this.pvtData.drop(ledgerId);
    await this.idStore.delete(ledgerId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ledger of [...this.opened.values()]) await ledger.close();
    await this.blockStores.close?.();
    await this.history?.close();
    await this.pvtData.close();
    await this.expiry.close();
    await this.idStore.close();
    await this.fileLock.close();
  }
}

/** cscc JoinChain: a genesis block without a TRANSACTIONS_FILTER gets one of all VALID. */
function withInitializedFilter(block: common.IBlock): common.IBlock {
  const slot: number = common.BlockMetadataIndex.TRANSACTIONS_FILTER;
  const slots = [...(block.metadata?.metadata ?? [])];
  const filter = slots[slot];
  if (filter !== undefined && filter.length > 0) return block;
  while (slots.length <= slot) slots.push(new Uint8Array(0));
  slots[slot] = new Uint8Array(block.data?.data?.length ?? 0);
  return { ...block, metadata: { metadata: slots } };
}
