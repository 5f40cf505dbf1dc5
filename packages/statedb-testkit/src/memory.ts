/**
 * The in-memory reference implementation of the state database contract. It passes the
 * conformance suite, so the kvledger's unit tests can use it in place of LevelDB. It has no rich
 * queries and no indexes; its loadCommittedVersions loads nothing, as every read is from memory.
 * State lives in a {@link MemoryStateStore}, which outlives the providers opened on it, so that a
 * test can "restart" a peer by opening a new provider on the same store.
 */
import {
  compareKeys,
  type Height,
  type RangeScanOptions,
  type StateDatabaseProvider,
  type StateIterator,
  type StateUpdate,
  type VersionedDB,
  type VersionedKV,
  type VersionedValue,
} from '@fabric-peer/api';
import { copyBytes } from './bytes.js';
import { couchDbKeyValueProblem } from './couchdb-rules.js';

/** An entry as stored: private copies, never handed out. */
interface Stored {
  readonly value: Uint8Array;
  readonly metadata: Uint8Array | undefined;
  readonly version: Height;
}

/** One namespace: the entries by key, and the keys in Fabric's order (UTF-8 bytes). */
class NamespaceState {
  readonly sorted: string[] = [];
  readonly entries = new Map<string, Stored>();

  /** Index of the first key ≥ `key`. */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.sorted[mid] ?? '', key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(key: string, stored: Stored): void {
    if (!this.entries.has(key)) this.sorted.splice(this.lowerBound(key), 0, key);
    this.entries.set(key, stored);
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.sorted.splice(this.lowerBound(key), 1);
  }
}

/** The state of one channel. */
class ChannelState {
  readonly namespaces = new Map<string, NamespaceState>();
  savepoint: Height | undefined;
}

const storeChannels = new WeakMap<MemoryStateStore, Map<string, ChannelState>>();

function channelsOf(store: MemoryStateStore): Map<string, ChannelState> {
  let channels = storeChannels.get(store);
  if (!channels) storeChannels.set(store, (channels = new Map<string, ChannelState>()));
  return channels;
}

/**
 * Where memory state databases keep their channels. Providers opened on the same store see the
 * same state, as providers opened on the same folder would.
 */
export class MemoryStateStore {
  /** The channels that hold state (for assertions in tests). */
  channels(): string[] {
    return [...channelsOf(this).keys()];
  }
}

/** The state of a channel of `store`, created on first use. */
function channelOf(store: MemoryStateStore, channelId: string): ChannelState {
  const channels = channelsOf(store);
  let state = channels.get(channelId);
  if (!state) channels.set(channelId, (state = new ChannelState()));
  return state;
}

/** Options of {@link MemoryVersionedDB} and {@link memoryStateDatabaseProvider}. */
export interface MemoryStateOptions {
  /**
   * Whose key and value rules `validateKeyValue` applies: `leveldb` (the default: every key, every
   * value; `bytesKeySupported()` is true) or `couchdb` (Fabric's CouchDB rules: UTF-8 keys, not
   * empty, not starting with `_`; JSON objects without `_` fields or `~version`).
   */
  readonly rules?: 'leveldb' | 'couchdb';
}

const channelState = Symbol('channelState');
interface InternalOptions extends MemoryStateOptions {
  readonly [channelState]?: ChannelState;
}

function checkHeight(h: Height, what: string): Height {
  const ok = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!ok(h.blockNum) || !ok(h.txNum)) {
    throw new RangeError(
      `${what} must have non-negative safe integers, got {blockNum: ${h.blockNum}, txNum: ${h.txNum}}`,
    );
  }
  return { blockNum: h.blockNum, txNum: h.txNum };
}

/** Runs `fn`, turning what it throws into a rejected promise, as an async method would. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function toValue(s: Stored): VersionedValue {
  return s.metadata === undefined
    ? { value: copyBytes(s.value), version: { ...s.version } }
    : { value: copyBytes(s.value), metadata: copyBytes(s.metadata), version: { ...s.version } };
}

function toKV(namespace: string, key: string, s: Stored): VersionedKV {
  return { namespace, key, ...toValue(s) };
}

/**
 * The state of one channel, in memory. `new MemoryVersionedDB()` is a database of its own; the
 * provider of {@link memoryStateDatabaseProvider} hands out ones backed by its store.
 */
export class MemoryVersionedDB implements VersionedDB {
  readonly #state: ChannelState;
  readonly #rules: 'leveldb' | 'couchdb';
  #closed = false;

  constructor(options: MemoryStateOptions = {}) {
    this.#state = (options as InternalOptions)[channelState] ?? new ChannelState();
    this.#rules = options.rules ?? 'leveldb';
  }

  #check(): void {
    if (this.#closed) throw new Error('the memory state database is closed');
  }

  getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    return settle(() => {
      this.#check();
      const s = this.#state.namespaces.get(namespace)?.entries.get(key);
      return s && toValue(s);
    });
  }

  getStateMultipleKeys(
    namespace: string,
    keys: readonly string[],
  ): Promise<(VersionedValue | undefined)[]> {
    return settle(() => {
      this.#check();
      const ns = this.#state.namespaces.get(namespace);
      return keys.map((k) => {
        const s = ns?.entries.get(k);
        return s && toValue(s);
      });
    });
  }

  getStateRangeScanIterator(
    namespace: string,
    startKey: string,
    endKey: string,
    options: RangeScanOptions = {},
  ): Promise<StateIterator> {
    return settle(() => this.#scan(namespace, startKey, endKey, options));
  }

  #scan(
    namespace: string,
    startKey: string,
    endKey: string,
    options: RangeScanOptions,
  ): StateIterator {
    this.#check();
    const ns = this.#state.namespaces.get(namespace);
    const limit =
      options.pageSize !== undefined && options.pageSize > 0 ? options.pageSize : Infinity;
    const items: VersionedKV[] = [];
    if (ns) {
      const from = startKey === '' ? 0 : ns.lowerBound(startKey);
      const to = endKey === '' ? ns.sorted.length : ns.lowerBound(endKey);
      // A snapshot of the range, as a LevelDB iterator has; one entry past the page for the bookmark.
      const stop = Math.min(to, from + limit + 1);
      for (let i = from; i < stop; i++) {
        const key = ns.sorted[i] ?? '';
        const s = ns.entries.get(key);
        if (s) items.push(toKV(namespace, key, s));
      }
    }
    return new MemoryIterator(items, limit);
  }

  /** Nothing to load: every read is from memory. Present so the ledger's bulk path runs in tests. */
  loadCommittedVersions(_keys: readonly { namespace: string; key: string }[]): Promise<void> {
    return settle(() => this.#check());
  }

  validateKeyValue(key: string, value: Uint8Array): string | undefined {
    return this.#rules === 'couchdb' ? couchDbKeyValueProblem(key, value) : undefined;
  }

  bytesKeySupported(): boolean {
    return this.#rules !== 'couchdb';
  }

  applyUpdates(updates: readonly StateUpdate[], savepoint: Height): Promise<void> {
    return settle(() => this.#apply(updates, savepoint));
  }

  #apply(updates: readonly StateUpdate[], savepoint: Height): void {
    this.#check();
    // Check everything before changing anything: the batch applies whole or not at all.
    const sp = checkHeight(savepoint, 'the savepoint');
    const staged = updates.map((u) => {
      const version = checkHeight(u.version, `the version of ${u.namespace}/${u.key}`);
      const stored: Stored | undefined =
        u.value === undefined
          ? undefined
          : {
              value: copyBytes(u.value),
              metadata:
                u.metadata === undefined || u.metadata.length === 0
                  ? undefined
                  : copyBytes(u.metadata),
              version,
            };
      return { u, stored };
    });
    for (const { u, stored } of staged) {
      let ns = this.#state.namespaces.get(u.namespace);
      if (stored) {
        if (!ns) this.#state.namespaces.set(u.namespace, (ns = new NamespaceState()));
        ns.set(u.key, stored);
      } else {
        ns?.delete(u.key);
      }
    }
    this.#state.savepoint = sp;
  }

  getLatestSavePoint(): Promise<Height | undefined> {
    return settle(() => {
      this.#check();
      const sp = this.#state.savepoint;
      return sp && { ...sp };
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

/** Results of a range scan over a snapshot; `items` may hold one entry past the page. */
class MemoryIterator implements StateIterator {
  #pos = 0;
  #closed = false;

  constructor(
    private readonly items: readonly VersionedKV[],
    private readonly limit: number,
  ) {}

  next(): Promise<VersionedKV | undefined> {
    if (this.#closed || this.#pos >= this.limit) return Promise.resolve(undefined);
    const kv = this.items[this.#pos];
    if (kv) this.#pos++;
    return Promise.resolve(kv);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  bookmark(): string {
    return this.items[this.#pos]?.key ?? '';
  }

  [Symbol.asyncIterator](): AsyncIterator<VersionedKV> {
    return {
      next: async () => {
        const value = await this.next();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }
}

/** Options of {@link memoryStateDatabaseProvider}. */
export interface MemoryProviderOptions extends MemoryStateOptions {
  /** Where the channels live; a new, empty store when absent. Share one to "restart" a peer. */
  readonly store?: MemoryStateStore;
  /** The provider's `name` (default `memory`). */
  readonly name?: string;
}

/**
 * A state database provider whose channels live in memory (in `options.store`, or in a store of
 * its own). Closing it closes the databases it opened; the store keeps their state.
 */
export function memoryStateDatabaseProvider(
  options: MemoryProviderOptions = {},
): StateDatabaseProvider {
  const store = options.store ?? new MemoryStateStore();
  const open = new Set<MemoryVersionedDB>();
  let closed = false;
  return {
    name: options.name ?? 'memory',
    open(channelId: string): Promise<VersionedDB> {
      if (closed) return Promise.reject(new Error('the memory state provider is closed'));
      const internal: InternalOptions = {
        ...(options.rules ? { rules: options.rules } : {}),
        [channelState]: channelOf(store, channelId),
      };
      const db = new MemoryVersionedDB(internal);
      open.add(db);
      return Promise.resolve(db);
    },
    drop(channelId: string): Promise<void> {
      channelsOf(store).delete(channelId);
      return Promise.resolve();
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all([...open].map((db) => db.close()));
      open.clear();
    },
  };
}
