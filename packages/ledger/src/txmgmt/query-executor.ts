/**
 * Query executors and transaction simulators over committed state (Fabric's
 * `txmgr/query_executor.go` and `txmgr/tx_simulator.go`).
 *
 * A simulator records what it reads and writes in an RWSetBuilder: the committed version of every
 * key read (none for a missing key), range queries as RangeQueryInfo (raw reads, or a Merkle
 * summary beyond MAX_DEGREE_QUERY_READS_HASHING results), each result of a rich query as a plain
 * read, private reads and writes as hashes. Reads always see committed state, never the
 * transaction's own writes.
 */
import type { StateIterator, VersionedKV, VersionedValue } from '@fabric-peer/api';
import { rwset } from '@fabric-peer/protos';
import { LedgerError } from './errors.js';
import { sha256String } from './hashing.js';
import { rwVersionOf, formatHeight, sameVersion, type RwVersion } from './height.js';
import { deserializeMetadata, type KeyMetadata } from './metadata.js';
import { privateDataNamespace, type PrivacyAwareState } from './privacy.js';
import {
  MAX_DEGREE_QUERY_READS_HASHING,
  QUERY_READS_HASHING_ENABLED,
  RangeQueryResultsHelper,
  type HashFunc,
} from './range-query-helper.js';
import type { RangeQueryInfo } from './rwset.js';
import {
  entriesOf,
  type MetadataInput,
  type RWSetBuilder,
  type TxSimulationResults,
} from './rwset-builder.js';
import type {
  CollectionConfigProvider,
  HistoryIterator,
  HistoryQueryExecutor,
  QueryExecutor,
  QueryPage,
  QueryResultKV,
  QueryResultsIterator,
  SimpleQueryExecutor,
  TxSimulator,
} from './types.js';

/** Fabric's default `ledger.state.totalQueryLimit` in core.yaml. */
export const DEFAULT_TOTAL_QUERY_LIMIT = 100000;

/** What an executor needs from its ledger. */
export interface ExecutorContext {
  readonly channelId: string;
  readonly state: PrivacyAwareState;
  readonly hash: HashFunc;
  readonly collections?: CollectionConfigProvider;
  /** The history database, when enabled. */
  readonly history?: HistoryQueryExecutor;
  readonly totalQueryLimit: number;
}

function versionOf(vv: VersionedValue | undefined): RwVersion | undefined {
  return vv === undefined ? undefined : rwVersionOf(vv.version);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertWellFormed(what: string, s: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new LedgerError('INVALID_KEY_VALUE', `${what} [${s}] is not valid UTF-8`);
  }
}

/**
 * Iterator over rich query results and private ranges; `onResult` sees each result (the simulator
 * records rich query results as plain reads).
 */
class PlainItr implements QueryResultsIterator {
  private closed = false;
  constructor(
    private readonly ns: string,
    private readonly dbItr: StateIterator,
    private readonly onResult?: (kv: VersionedKV) => void,
  ) {}

  async next(): Promise<QueryResultKV | undefined> {
    if (this.closed) return undefined;
    const r = await this.dbItr.next();
    if (r === undefined) return undefined;
    this.onResult?.(r);
    return { namespace: this.ns, key: r.key, value: r.value };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dbItr.close();
  }

  async getBookmarkAndClose(): Promise<string> {
    const b = this.closed ? '' : this.dbItr.bookmark();
    await this.close();
    return b;
  }

  /**
   * Iterates to the end (the iterator stays open for getBookmarkAndClose); breaking out of the
   * loop closes it.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<QueryResultKV> {
    let exhausted = false;
    try {
      for (;;) {
        const r = await this.next();
        if (r === undefined) {
          exhausted = true;
          return;
        }
        yield r;
      }
    } finally {
      if (!exhausted) await this.close();
    }
  }
}

/** Fabric's resultsItr: a range scan that records its RangeQueryInfo when simulating. */
class RangeItr implements QueryResultsIterator {
  private closed = false;
  private readonly info: { startKey: string; endKey: string; itrExhausted: boolean };
  private readonly helper: RangeQueryResultsHelper | undefined;

  constructor(
    readonly ns: string,
    startKey: string,
    private readonly requestedEndKey: string,
    private readonly dbItr: StateIterator,
    recording: boolean,
    hash: HashFunc,
  ) {
    this.info = { startKey, endKey: '', itrExhausted: false };
    this.helper = recording
      ? new RangeQueryResultsHelper(
          QUERY_READS_HASHING_ENABLED,
          MAX_DEGREE_QUERY_READS_HASHING,
          hash,
        )
      : undefined;
  }

  get recording(): boolean {
    return this.helper !== undefined;
  }

  async next(): Promise<QueryResultKV | undefined> {
    if (this.closed) return undefined;
    const r = await this.dbItr.next();
    if (this.helper !== undefined) {
      if (r === undefined) {
        this.info.itrExhausted = true;
        this.info.endKey = this.requestedEndKey;
      } else {
        this.helper.addResult({ key: r.key, version: rwVersionOf(r.version) });
        this.info.endKey = r.key;
      }
    }
    return r === undefined ? undefined : { namespace: this.ns, key: r.key, value: r.value };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dbItr.close();
  }

  async getBookmarkAndClose(): Promise<string> {
    const b = this.closed ? '' : this.dbItr.bookmark();
    await this.close();
    return b;
  }

  /**
   * Iterates to the end (the iterator stays open for getBookmarkAndClose); breaking out of the
   * loop closes it.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<QueryResultKV> {
    let exhausted = false;
    try {
      for (;;) {
        const r = await this.next();
        if (r === undefined) {
          exhausted = true;
          return;
        }
        yield r;
      }
    } finally {
      if (!exhausted) await this.close();
    }
  }

  /** Fabric's addRangeQueryInfo for this iterator (once, when the results are built). */
  rangeQueryInfo(): RangeQueryInfo {
    const { reads, summary } = this.helper!.done();
    if (summary !== undefined) return { ...this.info, readsMerkleHashes: summary };
    if (reads.length > 0) return { ...this.info, rawReads: reads };
    return { ...this.info };
  }
}

/** The query executor; with a builder it records reads (the simulator's base). */
export class QueryExecutorImpl implements QueryExecutor {
  protected doneInvoked = false;
  private readonly itrs: QueryResultsIterator[] = [];
  protected readonly rangeItrs: RangeItr[] = [];
  /** Namespace → collections defined (the empty string marks the namespace as looked up). */
  private readonly collCache = new Map<string, Set<string>>();
  /** Namespace → collections read (Fabric's PrivateReads). */
  protected readonly privateReads = new Map<string, Set<string>>();

  constructor(
    protected readonly ctx: ExecutorContext,
    readonly txId: string,
    protected readonly builder: RWSetBuilder | undefined,
    private readonly performCollCheck: boolean,
    private readonly release: () => void,
  ) {}

  protected checkDone(): void {
    if (this.doneInvoked) {
      throw new LedgerError(
        'SIMULATION_DONE',
        'this instance should not be used after calling Done()',
      );
    }
  }

  protected async validateCollName(ns: string, coll: string): Promise<void> {
    const provider = this.ctx.collections;
    if (!this.performCollCheck || provider === undefined) return;
    let names = this.collCache.get(ns);
    if (names === undefined) {
      const pkg = await provider.allCollectionsConfigPkg(this.ctx.channelId, ns, this.simple());
      if (pkg === undefined) {
        throw new LedgerError(
          'COLLECTION_CONFIG_NOT_DEFINED',
          `collection config not defined for chaincode [${ns}], pass the collection configuration upon chaincode definition/instantiation`,
        );
      }
      names = new Set();
      for (const c of pkg.config ?? []) {
        const name = c.staticCollectionConfig?.name;
        if (
          c.staticCollectionConfig !== null &&
          c.staticCollectionConfig !== undefined &&
          name !== undefined &&
          name !== null
        ) {
          names.add(name);
        }
      }
      this.collCache.set(ns, names);
    }
    if (!names.has(coll)) {
      throw new LedgerError(
        'INVALID_COLLECTION',
        `collection [${coll}] not defined in the collection config for chaincode [${ns}]`,
      );
    }
  }

  /** This executor seen as a SimpleQueryExecutor (for collection lookups). */
  private simple(): SimpleQueryExecutor {
    return {
      getState: (ns, key) => this.getState(ns, key),
      getStateRangeScanIterator: (ns, s, e) => this.getStateRangeScanIterator(ns, s, e),
    };
  }

  private track<T extends QueryResultsIterator>(itr: T): T {
    this.itrs.push(itr);
    return itr;
  }

  private async getVersioned(ns: string, key: string): Promise<VersionedValue | undefined> {
    this.checkDone();
    if (this.builder !== undefined) assertWellFormed('key', key);
    const vv = await this.ctx.state.db.getState(ns, key);
    this.builder?.addToReadSet(ns, key, versionOf(vv));
    return vv;
  }

  async getState(ns: string, key: string): Promise<Uint8Array | undefined> {
    return (await this.getVersioned(ns, key))?.value;
  }

  async getStateMetadata(ns: string, key: string): Promise<KeyMetadata | undefined> {
    this.checkDone();
    const vv =
      this.builder === undefined
        ? await this.ctx.state.db.getState(ns, key)
        : await this.getVersioned(ns, key);
    return deserializeMetadata(vv?.metadata);
  }

  async getStateMultipleKeys(
    ns: string,
    keys: readonly string[],
  ): Promise<(Uint8Array | undefined)[]> {
    this.checkDone();
    if (this.builder !== undefined) for (const k of keys) assertWellFormed('key', k);
    const vvs = await this.ctx.state.db.getStateMultipleKeys(ns, keys);
    return keys.map((key, i) => {
      const vv = vvs[i];
      this.builder?.addToReadSet(ns, key, versionOf(vv));
      return vv?.value;
    });
  }

  async getStateRangeScanIterator(
    ns: string,
    startKey: string,
    endKey: string,
  ): Promise<QueryResultsIterator> {
    return this.rangeScan(ns, startKey, endKey, 0);
  }

  async getStateRangeScanIteratorWithPagination(
    ns: string,
    startKey: string,
    endKey: string,
    pageSize: number,
  ): Promise<QueryResultsIterator> {
    return this.rangeScan(ns, startKey, endKey, pageSize);
  }

  protected async rangeScan(
    ns: string,
    startKey: string,
    endKey: string,
    pageSize: number,
  ): Promise<QueryResultsIterator> {
    this.checkDone();
    if (this.builder !== undefined) {
      assertWellFormed('start key', startKey);
      assertWellFormed('end key', endKey);
    }
    const dbItr = await this.ctx.state.db.getStateRangeScanIterator(
      ns,
      startKey,
      endKey,
      pageSize === 0 ? undefined : { pageSize },
    );
    const itr = new RangeItr(
      ns,
      startKey,
      endKey,
      dbItr,
      this.builder !== undefined,
      this.ctx.hash,
    );
    if (itr.recording) this.rangeItrs.push(itr);
    return this.track(itr);
  }

  async getStateByRangeWithPagination(
    ns: string,
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark: string,
  ): Promise<QueryPage> {
    const limit = totalReturnLimit(this.ctx.totalQueryLimit, pageSize);
    const itr = await this.getStateRangeScanIteratorWithPagination(
      ns,
      bookmark !== '' ? bookmark : startKey,
      endKey,
      pageSize,
    );
    const results: QueryResultKV[] = [];
    try {
      while (results.length < limit) {
        const r = await itr.next();
        if (r === undefined) break;
        results.push(r);
      }
    } catch (err) {
      await itr.close();
      throw err;
    }
    const next = await itr.getBookmarkAndClose();
    return { results, metadata: { fetchedRecordsCount: results.length, bookmark: next } };
  }

  async executeQuery(ns: string, query: string): Promise<QueryResultsIterator> {
    return this.richQuery(ns, query, undefined);
  }

  async executeQueryWithPagination(
    ns: string,
    query: string,
    bookmark: string,
    pageSize: number,
  ): Promise<QueryResultsIterator> {
    return this.richQuery(ns, query, { bookmark, pageSize });
  }

  private async richQuery(
    ns: string,
    query: string,
    paging: { bookmark: string; pageSize: number } | undefined,
  ): Promise<QueryResultsIterator> {
    this.checkDone();
    const db = this.ctx.state.db;
    if (db.executeQuery === undefined) {
      throw new LedgerError(
        'QUERY_NOT_SUPPORTED',
        'ExecuteQuery not supported by this state database',
      );
    }
    const dbItr = await db.executeQuery(ns, query, paging);
    const builder = this.builder;
    // Fabric's queryResultsItr records each result as a plain read (no phantom protection).
    return this.track(
      new PlainItr(
        ns,
        dbItr,
        builder === undefined
          ? undefined
          : (kv) => builder.addToReadSet(kv.namespace, kv.key, rwVersionOf(kv.version)),
      ),
    );
  }

  async getPrivateData(ns: string, coll: string, key: string): Promise<Uint8Array | undefined> {
    await this.validateCollName(ns, coll);
    this.checkDone();
    if (this.builder !== undefined) assertWellFormed('key', key);
    const vv = await this.ctx.state.getPrivateData(ns, coll, key);
    const ver = vv?.version;
    const hashVersion = await this.ctx.state.getKeyHashVersion(ns, coll, sha256String(key));
    if (!sameVersion(hashVersion, ver)) {
      throw new LedgerError(
        'PRIVATE_DATA_NOT_AVAILABLE',
        `private data matching public hash version is not available. Public hash version = ${formatHeight(hashVersion)}, Private data version = ${formatHeight(ver)}`,
      );
    }
    if (this.builder !== undefined) {
      this.builder.addToHashedReadSet(ns, coll, key, versionOf(vv));
      this.addPrivateRead(ns, coll);
    }
    return vv?.value;
  }

  private addPrivateRead(ns: string, coll: string): void {
    let s = this.privateReads.get(ns);
    if (s === undefined) {
      s = new Set();
      this.privateReads.set(ns, s);
    }
    s.add(coll);
  }

  async getPrivateDataHash(ns: string, coll: string, key: string): Promise<Uint8Array | undefined> {
    await this.validateCollName(ns, coll);
    this.checkDone();
    if (this.builder !== undefined) assertWellFormed('key', key);
    const vv = await this.ctx.state.getPrivateDataHash(ns, coll, key);
    this.builder?.addToHashedReadSet(ns, coll, key, versionOf(vv));
    return vv?.value;
  }

  async getPrivateDataMetadata(
    ns: string,
    coll: string,
    key: string,
  ): Promise<KeyMetadata | undefined> {
    if (this.builder === undefined) {
      return this.getPrivateDataMetadataByHash(ns, coll, sha256String(key));
    }
    await this.validateCollName(ns, coll);
    this.checkDone();
    assertWellFormed('key', key);
    const vv = await this.ctx.state.getPrivateDataHash(ns, coll, key);
    this.builder.addToHashedReadSet(ns, coll, key, versionOf(vv));
    return deserializeMetadata(vv?.metadata);
  }

  async getPrivateDataMetadataByHash(
    ns: string,
    coll: string,
    keyHash: Uint8Array,
  ): Promise<KeyMetadata | undefined> {
    await this.validateCollName(ns, coll);
    this.checkDone();
    if (this.builder !== undefined) {
      throw new LedgerError(
        'SIMULATION_UNSUPPORTED',
        'retrieving private data metadata by keyhash is not supported in simulation. This function is only available for query as yet',
      );
    }
    const vv = await this.ctx.state.getValueHash(ns, coll, keyHash);
    return deserializeMetadata(vv?.metadata);
  }

  async getPrivateDataMultipleKeys(
    ns: string,
    coll: string,
    keys: readonly string[],
  ): Promise<(Uint8Array | undefined)[]> {
    await this.validateCollName(ns, coll);
    this.checkDone();
    if (this.builder !== undefined) for (const k of keys) assertWellFormed('key', k);
    const vvs = await this.ctx.state.db.getStateMultipleKeys(privateDataNamespace(ns, coll), keys);
    return keys.map((key, i) => {
      const vv = vvs[i];
      if (this.builder !== undefined) {
        this.builder.addToHashedReadSet(ns, coll, key, versionOf(vv));
        this.addPrivateRead(ns, coll);
      }
      return vv?.value;
    });
  }

  async getPrivateDataRangeScanIterator(
    ns: string,
    coll: string,
    startKey: string,
    endKey: string,
  ): Promise<QueryResultsIterator> {
    await this.validateCollName(ns, coll);
    this.checkDone();
    const dbItr = await this.ctx.state.db.getStateRangeScanIterator(
      privateDataNamespace(ns, coll),
      startKey,
      endKey,
    );
    return this.track(new PlainItr(ns, dbItr));
  }

  async executeQueryOnPrivateData(
    ns: string,
    coll: string,
    query: string,
  ): Promise<QueryResultsIterator> {
    await this.validateCollName(ns, coll);
    this.checkDone();
    const db = this.ctx.state.db;
    if (db.executeQuery === undefined) {
      throw new LedgerError(
        'QUERY_NOT_SUPPORTED',
        'ExecuteQuery not supported by this state database',
      );
    }
    return this.track(
      new PlainItr(ns, await db.executeQuery(privateDataNamespace(ns, coll), query)),
    );
  }

  async getHistoryForKey(ns: string, key: string): Promise<HistoryIterator> {
    this.checkDone();
    if (this.ctx.history === undefined) {
      throw new LedgerError(
        'HISTORY_DISABLED',
        'history database is not enabled (ledger.history.enableHistoryDatabase is false)',
      );
    }
    return this.ctx.history.getHistoryForKey(ns, key);
  }

  done(): void {
    if (this.doneInvoked) return;
    this.doneInvoked = true;
    this.release();
    for (const itr of this.itrs) void itr.close().catch(() => undefined);
  }
}

/** Fabric's handler calculateTotalReturnLimit. */
export function totalReturnLimit(totalQueryLimit: number, pageSize: number): number {
  return pageSize > 0 && pageSize < totalQueryLimit ? pageSize : totalQueryLimit;
}

/** The transaction simulator. */
export class TxSimulatorImpl extends QueryExecutorImpl implements TxSimulator {
  private writePerformed = false;
  private pvtdataQueriesPerformed = false;
  private paginatedQueriesPerformed = false;
  private resultsComputed = false;

  private checkWritePrecondition(key: string, value: Uint8Array | undefined): void {
    this.checkDone();
    if (this.pvtdataQueriesPerformed) {
      throw new LedgerError(
        'SIMULATION_UNSUPPORTED',
        `txid [${this.txId}]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed`,
      );
    }
    if (this.paginatedQueriesPerformed) {
      throw new LedgerError(
        'SIMULATION_UNSUPPORTED',
        `txid [${this.txId}]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed`,
      );
    }
    this.writePerformed = true;
    assertWellFormed('key', key);
    const problem = this.ctx.state.db.validateKeyValue(key, value ?? new Uint8Array(0));
    if (problem !== undefined)
      throw new LedgerError('INVALID_KEY_VALUE', problem, { details: { key } });
  }

  private checkBeforePvtdataQueries(): void {
    if (this.writePerformed) {
      throw new LedgerError(
        'SIMULATION_UNSUPPORTED',
        `txid [${this.txId}]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction`,
      );
    }
    this.pvtdataQueriesPerformed = true;
  }

  private checkBeforePaginatedQueries(): void {
    if (this.writePerformed) {
      throw new LedgerError(
        'SIMULATION_UNSUPPORTED',
        `txid [${this.txId}]: unsuppored transaction. Paginated queries are supported only in a read-only transaction`,
      );
    }
    this.paginatedQueriesPerformed = true;
  }

  setState(ns: string, key: string, value: Uint8Array): Promise<void> {
    return Promise.resolve().then(() => {
      this.checkWritePrecondition(key, value);
      this.builder!.addToWriteSet(ns, key, value);
    });
  }

  deleteState(ns: string, key: string): Promise<void> {
    return Promise.resolve().then(() => {
      this.checkWritePrecondition(key, undefined);
      this.builder!.addToWriteSet(ns, key, undefined);
    });
  }

  async setStateMultipleKeys(
    ns: string,
    kvs: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
  ): Promise<void> {
    for (const [k, v] of entriesOf(kvs)) await this.setState(ns, k, v);
  }

  setStateMetadata(ns: string, key: string, metadata: MetadataInput): Promise<void> {
    return Promise.resolve().then(() => {
      this.checkWritePrecondition(key, undefined);
      this.builder!.addToMetadataWriteSet(ns, key, metadata);
    });
  }

  deleteStateMetadata(ns: string, key: string): Promise<void> {
    return Promise.resolve().then(() => {
      this.checkWritePrecondition(key, undefined);
      this.builder!.addToMetadataWriteSet(ns, key, undefined);
    });
  }

  async setPrivateData(
    ns: string,
    coll: string,
    key: string,
    value: Uint8Array | undefined,
  ): Promise<void> {
    await this.validateCollName(ns, coll);
    this.checkWritePrecondition(key, value);
    this.builder!.addToPvtAndHashedWriteSet(ns, coll, key, value);
  }

  deletePrivateData(ns: string, coll: string, key: string): Promise<void> {
    return this.setPrivateData(ns, coll, key, undefined);
  }

  async purgePrivateData(ns: string, coll: string, key: string): Promise<void> {
    await this.validateCollName(ns, coll);
    this.checkWritePrecondition(key, undefined);
    this.builder!.addToPvtAndHashedWriteSetForPurge(ns, coll, key);
  }

  async setPrivateDataMultipleKeys(
    ns: string,
    coll: string,
    kvs: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
  ): Promise<void> {
    for (const [k, v] of entriesOf(kvs)) {
      await this.setPrivateData(ns, coll, k, v);
    }
  }

  async setPrivateDataMetadata(
    ns: string,
    coll: string,
    key: string,
    metadata: MetadataInput | undefined,
  ): Promise<void> {
    await this.validateCollName(ns, coll);
    this.checkWritePrecondition(key, undefined);
    this.builder!.addToHashedMetadataWriteSet(ns, coll, key, metadata);
  }

  deletePrivateDataMetadata(ns: string, coll: string, key: string): Promise<void> {
    return this.setPrivateDataMetadata(ns, coll, key, undefined);
  }

  override async getPrivateDataRangeScanIterator(
    ns: string,
    coll: string,
    startKey: string,
    endKey: string,
  ): Promise<QueryResultsIterator> {
    this.checkBeforePvtdataQueries();
    return super.getPrivateDataRangeScanIterator(ns, coll, startKey, endKey);
  }

  override async executeQueryOnPrivateData(
    ns: string,
    coll: string,
    query: string,
  ): Promise<QueryResultsIterator> {
    this.checkBeforePvtdataQueries();
    return super.executeQueryOnPrivateData(ns, coll, query);
  }

  override async getStateRangeScanIteratorWithPagination(
    ns: string,
    startKey: string,
    endKey: string,
    pageSize: number,
  ): Promise<QueryResultsIterator> {
    this.checkBeforePaginatedQueries();
    return super.getStateRangeScanIteratorWithPagination(ns, startKey, endKey, pageSize);
  }

  override async executeQueryWithPagination(
    ns: string,
    query: string,
    bookmark: string,
    pageSize: number,
  ): Promise<QueryResultsIterator> {
    this.checkBeforePaginatedQueries();
    return super.executeQueryWithPagination(ns, query, bookmark, pageSize);
  }

  getTxSimulationResults(): Promise<TxSimulationResults> {
    return Promise.resolve().then(() => {
      if (this.resultsComputed) {
        throw new LedgerError(
          'SIMULATION_DONE',
          'this function should only be called once on a transaction simulator instance',
        );
      }
      this.resultsComputed = true;
      const builder = this.builder!;
      for (const itr of this.rangeItrs) builder.addToRangeQuerySet(itr.ns, itr.rangeQueryInfo());
      const built = builder.build();
      const privateReads = new Map<string, ReadonlySet<string>>();
      for (const [ns, colls] of this.privateReads) privateReads.set(ns, new Set(colls));
      const base = {
        publicRwset: built.publicRwset,
        publicRwsetProto: txRwSetToProtoLazy(built.publicRwset),
        privateReads,
      };
      return built.privateRwset === undefined
        ? base
        : {
            ...base,
            privateRwset: built.privateRwset,
            privateRwsetProto: txPvtRwSetToProtoLazy(built.privateRwset),
          };
    });
  }
}

function txRwSetToProtoLazy(bytes: Uint8Array): rwset.TxReadWriteSet {
  return rwset.TxReadWriteSet.decode(bytes);
}

function txPvtRwSetToProtoLazy(bytes: Uint8Array): rwset.TxPvtReadWriteSet {
  return rwset.TxPvtReadWriteSet.decode(bytes);
}
