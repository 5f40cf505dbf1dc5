/**
 * The state database extension point (`ledger.state.stateDatabase`): versioned key/value state per
 * channel, as Fabric's statedb.VersionedDB. Built-ins: `goleveldb` (classic-level) and `CouchDB`
 * (nano); a third party names its own with `ledger.state.library`.
 */

/** Position of the transaction that last wrote a key: block number and index in the block. */
export interface Height {
  readonly blockNum: number;
  readonly txNum: number;
}

export interface VersionedValue {
  readonly value: Uint8Array;
  /** Serialized key metadata (e.g. a key-level endorsement policy), when any. */
  readonly metadata?: Uint8Array;
  readonly version: Height;
}

export interface VersionedKV extends VersionedValue {
  readonly namespace: string;
  readonly key: string;
}

/** Results of a range scan or rich query, in key order. Must be closed when not exhausted. */
export interface StateIterator extends AsyncIterable<VersionedKV> {
  close(): Promise<void>;
  /** Where a paginated query stopped, for the next page. */
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
  /** At most this many results (pagination); unlimited when absent. */
  readonly pageSize?: number;
}

export interface RichQueryOptions {
  readonly pageSize?: number;
  readonly bookmark?: string;
}

/** The state of one channel. */
export interface VersionedDB {
  getState(namespace: string, key: string): Promise<VersionedValue | undefined>;
  getStateMultipleKeys(
    namespace: string,
    keys: readonly string[],
  ): Promise<(VersionedValue | undefined)[]>;
  /** Keys in [startKey, endKey); an empty endKey means no upper bound. */
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
  /** Applies every update and records `savepoint` atomically. */
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
