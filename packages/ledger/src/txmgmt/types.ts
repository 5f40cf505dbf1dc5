/**
 * What the rest of the peer sees of the transaction manager: query executors and transaction
 * simulators (Fabric's ledger.QueryExecutor / ledger.TxSimulator), their iterators, and the hooks
 * the kvledger takes.
 */
import type { google, protos } from '@fabric-peer/protos';
import type { KeyMetadata } from './metadata.js';
import type { MetadataInput, TxSimulationResults } from './rwset-builder.js';

/** One result of a range scan or rich query (Fabric's queryresult.KV). */
export interface QueryResultKV {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array;
}

/** Results in key order (range scans) or the database's order (rich queries). */
export interface QueryResultsIterator extends AsyncIterable<QueryResultKV> {
  /** The next result; undefined once there are no more. */
  next(): Promise<QueryResultKV | undefined>;
  close(): Promise<void>;
  /**
   * For a paginated query, where the next page starts ('' when there is no next page), and closes
   * the iterator (Fabric's GetBookmarkAndClose).
   */
  getBookmarkAndClose(): Promise<string>;
}

/** One modification of a key (Fabric's queryresult.KeyModification). */
export interface KeyModification {
  readonly txId: string;
  /** Empty for a delete. */
  readonly value: Uint8Array;
  /** The transaction's channel header timestamp. */
  readonly timestamp: google.protobuf.ITimestamp | null;
  readonly isDelete: boolean;
}

/** The history of a key, newest first (Fabric v2.5). */
export interface HistoryIterator extends AsyncIterable<KeyModification> {
  next(): Promise<KeyModification | undefined>;
  close(): Promise<void>;
}

/** Fabric's ledger.HistoryQueryExecutor. */
export interface HistoryQueryExecutor {
  getHistoryForKey(namespace: string, key: string): Promise<HistoryIterator>;
}

/** Paging of range scans and rich queries (what the chaincode handler turns into QueryResponseMetadata). */
export interface QueryPage {
  readonly results: readonly QueryResultKV[];
  /** Fabric's QueryResponseMetadata. */
  readonly metadata: { readonly fetchedRecordsCount: number; readonly bookmark: string };
}

/** Reads of committed state (Fabric's ledger.SimpleQueryExecutor); what collection lookups use. */
export interface SimpleQueryExecutor {
  getState(namespace: string, key: string): Promise<Uint8Array | undefined>;
  getStateRangeScanIterator(
    namespace: string,
    startKey: string,
    endKey: string,
  ): Promise<QueryResultsIterator>;
}

/** Fabric's ledger.QueryExecutor. Every method fails once `done()` has been called. */
export interface QueryExecutor extends SimpleQueryExecutor {
  readonly txId: string;
  getStateMetadata(namespace: string, key: string): Promise<KeyMetadata | undefined>;
  getStateMultipleKeys(
    namespace: string,
    keys: readonly string[],
  ): Promise<(Uint8Array | undefined)[]>;
  /** A page of at most `pageSize` results (0: no limit) from `startKey`. */
  getStateRangeScanIteratorWithPagination(
    namespace: string,
    startKey: string,
    endKey: string,
    pageSize: number,
  ): Promise<QueryResultsIterator>;
  /**
   * Fabric's paginated GetStateByRange as the chaincode handler serves it: the bookmark, when not
   * empty, replaces the start key; at most min(pageSize, ledger.state.totalQueryLimit) results.
   */
  getStateByRangeWithPagination(
    namespace: string,
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark: string,
  ): Promise<QueryPage>;
  /** Rich query; only on databases with executeQuery (CouchDB). */
  executeQuery(namespace: string, query: string): Promise<QueryResultsIterator>;
  executeQueryWithPagination(
    namespace: string,
    query: string,
    bookmark: string,
    pageSize: number,
  ): Promise<QueryResultsIterator>;
  getPrivateData(
    namespace: string,
    collection: string,
    key: string,
  ): Promise<Uint8Array | undefined>;
  getPrivateDataHash(
    namespace: string,
    collection: string,
    key: string,
  ): Promise<Uint8Array | undefined>;
  getPrivateDataMetadata(
    namespace: string,
    collection: string,
    key: string,
  ): Promise<KeyMetadata | undefined>;
  /** Only outside simulation (Fabric refuses it in a simulator). */
  getPrivateDataMetadataByHash(
    namespace: string,
    collection: string,
    keyHash: Uint8Array,
  ): Promise<KeyMetadata | undefined>;
  getPrivateDataMultipleKeys(
    namespace: string,
    collection: string,
    keys: readonly string[],
  ): Promise<(Uint8Array | undefined)[]>;
  getPrivateDataRangeScanIterator(
    namespace: string,
    collection: string,
    startKey: string,
    endKey: string,
  ): Promise<QueryResultsIterator>;
  executeQueryOnPrivateData(
    namespace: string,
    collection: string,
    query: string,
  ): Promise<QueryResultsIterator>;
  /** The key's history through the history database (not part of the read-write set). */
  getHistoryForKey(namespace: string, key: string): Promise<HistoryIterator>;
  /** Ends the executor: closes its iterators and releases its hold on commits. Idempotent. */
  done(): void;
}

/**
 * Fabric's ledger.TxSimulator. Reads do not see the transaction's own writes (they read committed
 * state, as in Fabric). Write an empty value or call a delete to delete.
 */
export interface TxSimulator extends QueryExecutor {
  setState(namespace: string, key: string, value: Uint8Array): Promise<void>;
  deleteState(namespace: string, key: string): Promise<void>;
  setStateMultipleKeys(
    namespace: string,
    kvs: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
  ): Promise<void>;
  setStateMetadata(namespace: string, key: string, metadata: MetadataInput): Promise<void>;
  deleteStateMetadata(namespace: string, key: string): Promise<void>;
  setPrivateData(
    namespace: string,
    collection: string,
    key: string,
    value: Uint8Array,
  ): Promise<void>;
  deletePrivateData(namespace: string, collection: string, key: string): Promise<void>;
  purgePrivateData(namespace: string, collection: string, key: string): Promise<void>;
  setPrivateDataMultipleKeys(
    namespace: string,
    collection: string,
    kvs: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
  ): Promise<void>;
  setPrivateDataMetadata(
    namespace: string,
    collection: string,
    key: string,
    metadata: MetadataInput,
  ): Promise<void>;
  deletePrivateDataMetadata(namespace: string, collection: string, key: string): Promise<void>;
  /** The read-write sets; once per simulator (it may be called before or after `done()`). */
  getTxSimulationResults(): Promise<TxSimulationResults>;
}

/**
 * Where the simulator finds a chaincode's collections (Fabric's DeployedChaincodeInfoProvider
 * AllCollectionsConfigPkg): the package of explicit and implicit collections, or undefined when
 * the chaincode has none. It reads state through `qe`; in a simulator those reads are recorded in
 * the read set, as in Fabric.
 */
export interface CollectionConfigProvider {
  allCollectionsConfigPkg(
    channelId: string,
    namespace: string,
    qe: SimpleQueryExecutor,
  ): Promise<protos.CollectionConfigPackage | undefined>;
}
