// A kvledger over real parts: the file block store, the history and private data LevelDBs in
// os.tmpdir(), and the
// in-memory state database of @fabric-peer/statedb-testkit (kept in a store, so that a ledger can
// be reopened over the same state as after a restart).
import { join } from 'node:path';
import type { StateDatabaseProvider, VersionedDB } from '@fabric-peer/api';
import {
  MemoryStateStore,
  memoryStateDatabaseProvider,
  type MemoryStateOptions,
} from '@fabric-peer/statedb-testkit';
import {
  openBlockIndexDb,
  openBlockStore,
  openHistoryDBProvider,
  openKvLedger,
  openExpiryScheduleProvider,
  openLedgerManager,
  openPvtDataStoreProvider,
  type BlockToLiveSource,
  type ExpiryScheduleProvider,
  type BlockIndexDb,
  type BlockStore,
  type HistoryDBProvider,
  type KvLedger,
  type KvLedgerOptions,
  type LedgerError,
  type LedgerManager,
  type LedgerManagerOptions,
  type PvtDataStoreProvider,
  type TxSimulator,
} from '../src/index.js';
import { tempDir } from './paths.js';
import { ChainBuilder, TEST_CHANNEL, configTx, endorserTx, text } from './blocks.js';

export interface LedgerEnv {
  readonly dir: string;
  readonly store: MemoryStateStore;
  readonly provider: StateDatabaseProvider;
  /** Opens (or reopens) the channel's ledger over the same block store, state, history and private data. */
  open(
    options?: Partial<KvLedgerOptions> & {
      wrapState?: (db: VersionedDB) => VersionedDB;
      wrapBlockStore?: (store: BlockStore) => BlockStore;
    },
  ): Promise<KvLedger>;
  /** The private data LevelDB (opened with the first ledger; undefined before or when disabled). */
  pvtProvider(): PvtDataStoreProvider | undefined;
  /** Closes the ledgers, the history, the private data and the block index, keeping the files (state stays in memory). */
  closeAll(): Promise<void>;
  /** Closes what is open and removes the folder. */
  dispose(): Promise<void>;
}

export interface LedgerEnvOptions extends MemoryStateOptions {
  readonly channelId?: string;
  readonly history?: boolean;
  /** Keep private data per block (default true). */
  readonly pvtData?: boolean;
  /** Collections' block-to-live: private data expires, scheduled in `<dir>/bookkeeper`. */
  readonly blockToLive?: BlockToLiveSource;
}

export function ledgerEnv(options: LedgerEnvOptions = {}): LedgerEnv {
  const tmp = tempDir('kv');
  const channelId = options.channelId ?? TEST_CHANNEL;
  const store = new MemoryStateStore();
  const provider = memoryStateDatabaseProvider({
    store,
    ...(options.rules !== undefined ? { rules: options.rules } : {}),
  });
  let indexDb: BlockIndexDb | undefined;
  let history: HistoryDBProvider | undefined;
  let pvt: PvtDataStoreProvider | undefined;
  let expiry: ExpiryScheduleProvider | undefined;
  const ledgers: KvLedger[] = [];
  return {
    dir: tmp.dir,
    store,
    provider,
    async open(o = {}) {
      const chains = join(tmp.dir, 'chains');
      indexDb ??= await openBlockIndexDb(chains);
      if (options.history !== false)
        history ??= await openHistoryDBProvider(join(tmp.dir, 'historyLeveldb'));
      if (options.pvtData !== false)
        pvt ??= await openPvtDataStoreProvider(join(tmp.dir, 'pvtdataStore'), { sync: false });
      if (options.blockToLive !== undefined)
        expiry ??= await openExpiryScheduleProvider(join(tmp.dir, 'bookkeeper'), { sync: false });
      const rawStore = await openBlockStore({ dir: chains, channelId, indexDb, sync: false });
      const blockStore = o.wrapBlockStore ? o.wrapBlockStore(rawStore) : rawStore;
      const raw = await provider.open(channelId);
      const stateDb = o.wrapState ? o.wrapState(raw) : raw;
      const { wrapState: _w, wrapBlockStore: _b, ...rest } = o;
      let ledger: KvLedger;
      try {
        ledger = await openKvLedger({
          channelId,
          blockStore,
          stateDb,
          ...(history !== undefined ? { historyDb: history.handle(channelId, blockStore) } : {}),
          ...(pvt !== undefined ? { pvtDataStore: pvt.handle(channelId) } : {}),
          ...(expiry !== undefined && options.blockToLive !== undefined
            ? { blockToLive: options.blockToLive, expirySchedule: expiry.handle(channelId) }
            : {}),
          ...rest,
        });
      } catch (err) {
        await blockStore.close();
        await stateDb.close();
        throw err;
      }
      ledgers.push(ledger);
      return ledger;
    },
    pvtProvider: () => pvt,
    async closeAll() {
      for (const l of ledgers.splice(0)) await l.close().catch(() => undefined);
      await history?.close();
      history = undefined;
      await pvt?.close();
      pvt = undefined;
      await expiry?.close();
      expiry = undefined;
      await indexDb?.close();
      indexDb = undefined;
    },
    async dispose() {
      await this.closeAll();
      await provider.close();
      tmp.dispose();
    },
  };
}

/** A VersionedDB that forwards to `db`, with some methods replaced or added. */
export function delegatingDb(db: VersionedDB, overrides: Partial<VersionedDB>): VersionedDB {
  const base: VersionedDB = {
    getState: (ns, key) => db.getState(ns, key),
    getStateMultipleKeys: (ns, keys) => db.getStateMultipleKeys(ns, keys),
    getStateRangeScanIterator: (ns, s, e, o) => db.getStateRangeScanIterator(ns, s, e, o),
    validateKeyValue: (k, v) => db.validateKeyValue(k, v),
    bytesKeySupported: () => db.bytesKeySupported(),
    applyUpdates: (u, sp) => db.applyUpdates(u, sp),
    getLatestSavePoint: () => db.getLatestSavePoint(),
    close: () => db.close(),
  };
  if (db.loadCommittedVersions !== undefined) {
    const load = db.loadCommittedVersions.bind(db);
    base.loadCommittedVersions = (keys) => load(keys);
  }
  return { ...base, ...overrides };
}

/** Runs `fn` on a new simulator of `ledger`: the public and private read-write set bytes. */
export async function simulate(
  ledger: KvLedger,
  fn: (sim: TxSimulator) => Promise<void>,
): Promise<{ pub: Uint8Array; pvt: Uint8Array | undefined }> {
  const sim = await ledger.newTxSimulator('sim');
  try {
    await fn(sim);
    const r = await sim.getTxSimulationResults();
    return { pub: r.publicRwset, pvt: r.privateRwset };
  } finally {
    sim.done();
  }
}

/**
 * Simulates `fn` on `ledger` and commits it as the next block of `chain`, with its private write
 * set unless `withoutPvt` (a peer that did not get it); returns the block number.
 */
export async function commitSimulated(
  ledger: KvLedger,
  chain: ChainBuilder,
  fn: (sim: TxSimulator) => Promise<void>,
  withoutPvt = false,
): Promise<number> {
  const t = await simulate(ledger, fn);
  const r = await ledger.commit(chain.block([endorserTx(t.pub)]), {
    ...(t.pvt !== undefined && !withoutPvt ? { pvtData: new Map([[0, t.pvt]]) } : {}),
  });
  return r.blockNumber;
}

/** A private data test's ledger: its environment, the ledger, its chain, and its state database. */
export interface PvtDataLedger {
  readonly env: LedgerEnv;
  readonly ledger: KvLedger;
  readonly chain: ChainBuilder;
  /** The state database under the ledger, to see what reads would refuse. */
  readonly stateDb: VersionedDB;
}

/**
 * A ledger at height 1 (a config block) whose private data store removes expired and purged data
 * at every block (the peer's default is every 100).
 */
export async function openPvtDataLedger(options: LedgerEnvOptions = {}): Promise<PvtDataLedger> {
  const env = ledgerEnv(options);
  let stateDb: VersionedDB | undefined;
  const ledger = await env.open({
    wrapState: (db) => (stateDb = db),
    pvtDataPurgeInterval: 1,
  });
  const chain = new ChainBuilder();
  await ledger.commit(chain.block([configTx()]));
  return { env, ledger, chain, stateDb: stateDb! };
}

/**
 * What the peer's state holds for private key `key` of `cc`'s collection `coll`: its value
 * (`stale(err)`, by default '(stale)', when it holds a value older than the hash, or none while
 * the hash is there: reads refuse both) and whether the hash is there.
 */
export async function privateState(
  ledger: KvLedger,
  coll: string,
  key: string,
  stale: (err: LedgerError) => string = () => '(stale)',
): Promise<{ value: string | undefined; hash: boolean }> {
  const qe = await ledger.newQueryExecutor();
  try {
    let value: string | undefined;
    try {
      value = text(await qe.getPrivateData('cc', coll, key));
    } catch (err) {
      if ((err as LedgerError).code !== 'PRIVATE_DATA_NOT_AVAILABLE') throw err;
      value = stale(err as LedgerError);
    }
    return { value, hash: (await qe.getPrivateDataHash('cc', coll, key)) !== undefined };
  } finally {
    qe.done();
  }
}

/**
 * Opens a ledger manager over `dir` and `provider` each time it is called (a peer restarting on
 * the same disk and state database), with `options` added.
 */
export function reopenableManager(
  dir: string,
  provider: StateDatabaseProvider,
  options: Partial<LedgerManagerOptions> = {},
): () => Promise<LedgerManager> {
  return () =>
    openLedgerManager({
      fileSystemPath: dir,
      stateDatabaseProvider: provider,
      syncPvtDataStore: false,
      ...options,
    });
}
