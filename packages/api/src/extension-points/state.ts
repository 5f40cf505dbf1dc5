/**
 * The state database extension point (`ledger.state.stateDatabase`): versioned key/value state per
 * channel, as Fabric's statedb.VersionedDB. Built-ins: `goleveldb` (classic-level) and `CouchDB`
 * (nano); a third party names its own with `ledger.state.library`. Every implementation runs the
 * conformance suite of `@fabric-peer/statedb-testkit` against itself.
 *
 * Keys are well-formed Unicode strings and order as Fabric orders them: by the bytes of their UTF-8
 * encoding (which is not JavaScript's string order for characters beyond U+FFFF). Namespaces are
 * chaincode names, or `<chaincode>$$h<collection>` for the hashes of a private data collection;
 * they never contain U+0000.
 *
 * Values read back are the bytes written, except that a document database (CouchDB) stores a JSON
 * object as Fabric's does: re-serialized with sorted members, as Fabric's peer returns it too.
 */

/** Position of the transaction that last wrote a key: block number and index in the block. */
export interface Height {
  readonly blockNum: number;
  readonly txNum: number;
}

export interface VersionedValue {
  readonly value: Uint8Array;
  /** Serialized key metadata (Fabric's `kvrwset.KVMetadataWrite{entries}` bytes), when the key has any. */
  readonly metadata?: Uint8Array;
  readonly version: Height;
}

export interface VersionedKV extends VersionedValue {
  readonly namespace: string;
  readonly key: string;
}

/**
 * Results of a range scan or rich query, in key order (range scans) or the database's order (rich
 * queries). Must be closed when not exhausted.
 */
export interface StateIterator extends AsyncIterable<VersionedKV> {
  /** The next result, or undefined when there are no more. */
  next(): Promise<VersionedKV | undefined>;
  close(): Promise<void>;
  /**
   * For a paginated query: where the next page starts. For range scans, the next key, or '' when
   * there is no next page. For rich queries, the database's bookmark, which CouchDB keeps giving
   * after the last page (a short page is the end).
   */
  bookmark(): string;
}

/** One write of a block's valid transactions; no `value` means the key is deleted. */
export interface StateUpdate {
  readonly namespace: string;
  readonly key: string;
  readonly value?: Uint8Array;
  readonly metadata?: Uint8Array;
  readonly version: Height;
}

export interface RangeScanOptions {
  /** At most this many results (Fabric's pagination); no limit when absent or 0. */
  readonly pageSize?: number;
}

export interface RichQueryOptions {
  readonly pageSize?: number;
  /** Where a previous page stopped (from StateIterator.bookmark). */
  readonly bookmark?: string;
}

/** The state of one channel. */
export interface VersionedDB {
  getState(namespace: string, key: string): Promise<VersionedValue | undefined>;
  /** Values in the order of `keys`; undefined where a key does not exist. */
  getStateMultipleKeys(
    namespace: string,
    keys: readonly string[],
  ): Promise<(VersionedValue | undefined)[]>;
  /**
   * Keys k with startKey ≤ k < endKey (by UTF-8 bytes); an empty startKey means from the first key,
   * an empty endKey means to the last.
   */
  getStateRangeScanIterator(
    namespace: string,
    startKey: string,
    endKey: string,
    options?: RangeScanOptions,
  ): Promise<StateIterator>;
  /** Rich (JSON) queries; present only on databases that support them (CouchDB). */
  executeQuery?(
    namespace: string,
    query: string,
    options?: RichQueryOptions,
  ): Promise<StateIterator>;
  /**
   * Loads the committed versions of many keys at once, so the MVCC check of a block reads the
   * database once (Fabric's BulkOptimizable); optional.
   */
  loadCommittedVersions?(keys: readonly { namespace: string; key: string }[]): Promise<void>;
  /**
   * True when every point read is a round trip to another process (CouchDB): the committer then
   * has a block's keys loaded with {@link loadCommittedVersions} before it validates the block, so
   * that the key-level policy lookups of validation read memory. Absent or false for an embedded
   * database, where point reads are cheaper than decoding the block once more.
   */
  readonly remote?: boolean;
  /**
   * The folder of a chaincode package's `META-INF/statedb/` whose indexes this database takes
   * (Fabric's IndexCapable.GetDBType: `couchdb`); present exactly when processIndexes is.
   */
  readonly indexType?: string;
  /**
   * Creates the indexes a chaincode package ships for `namespace` (the files of
   * `META-INF/statedb/<indexType>/indexes/`, or of `.../collections/<c>/indexes/` for a
   * collection's private namespace), keyed by their path in the package; optional (CouchDB).
   * Rejects naming the files it could not use, after creating the others; as in Fabric, the
   * caller logs that and does not fail the deployment.
   */
  processIndexes?(namespace: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /**
   * Why this database cannot store `key` = `value` (CouchDB refuses some keys and JSON fields), or
   * undefined when it can. Checked at commit: Fabric marks such a transaction INVALID_WRITESET.
   */
  validateKeyValue(key: string, value: Uint8Array): string | undefined;
  /** Whether keys may be arbitrary bytes (LevelDB) rather than UTF-8 text (CouchDB). */
  bytesKeySupported(): boolean;
  /**
   * Applies every update and records `savepoint`, atomically. A (namespace, key) appears at most
   * once in `updates` (Fabric's update batch is a map); if it appears twice, the last one wins.
   */
  applyUpdates(updates: readonly StateUpdate[], savepoint: Height): Promise<void>;
  /** Height of the last applied block, or undefined for an empty database. */
  getLatestSavePoint(): Promise<Height | undefined>;
  close(): Promise<void>;
}

/** Opens per-channel state databases of one kind. */
export interface StateDatabaseProvider {
  /** The `ledger.state.stateDatabase` value this provider answers to. */
  readonly name: string;
  open(channelId: string): Promise<VersionedDB>;
  /** Removes a channel's state (used by unjoin and rebuild). */
  drop(channelId: string): Promise<void>;
  close(): Promise<void>;
}
/** Identifier of {@link StateDatabaseProvider} contributions. */
export const StateDatabaseProvider: unique symbol = Symbol.for(
  '@fabric-peer/api/StateDatabaseProvider',
);

/** Compares heights: negative when a is older than b. */
export function compareHeights(a: Height, b: Height): number {
  return a.blockNum !== b.blockNum ? a.blockNum - b.blockNum : a.txNum - b.txNum;
}

/** Compares keys as Fabric does: by the bytes of their UTF-8 encoding. */
export function compareKeys(a: string, b: string): number {
  // Fast path: for strings without surrogates UTF-16 order equals UTF-8 byte order.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // A surrogate encodes a character above U+FFFF, which sorts after every BMP character in UTF-8.
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
