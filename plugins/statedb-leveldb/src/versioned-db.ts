/**
 * The state of one channel in the peer's LevelDB (Fabric's stateleveldb versionedDB): reads by key
 * and by range, one atomic batch per block with its savepoint, and a cache of committed values
 * filled in bulk before a block's MVCC check.
 */
import type {
  Height,
  RangeScanOptions,
  StateIterator,
  StateUpdate,
  VersionedDB,
  VersionedValue,
} from '@fabric-peer/api';
import type { ClassicLevel } from 'classic-level';
import {
  decodeHeight,
  decodeValue,
  encodeHeight,
  encodeValue,
  NamespaceKeys,
  savepointKey,
} from './encoding.js';
import { isNotFound, operationError, StateDatabaseError } from './errors.js';
import { LevelRangeIterator } from './iterator.js';

type Level = ClassicLevel<Buffer, Buffer>;
type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** How many namespaces' key prefixes a handle remembers. */
const MAX_NAMESPACES = 1024;

export class LevelVersionedDB implements VersionedDB {
  readonly #db: Level;
  readonly #channel: string;
  readonly #path: string;
  readonly #savepointKey: Buffer;
  readonly #namespaces = new Map<string, NamespaceKeys>();
  readonly #iterators = new Set<LevelRangeIterator>();
  readonly #onClose: (db: LevelVersionedDB) => void;
  /**
   * Committed records loaded by loadCommittedVersions, by `<ns> U+0000 <key>`, as stored (null:
   * the key does not exist). Emptied by applyUpdates, the only writer of this channel.
   */
  #cache: Map<string, Buffer | null> | undefined;
  #closed = false;

  constructor(db: Level, channelId: string, path: string, onClose: (db: LevelVersionedDB) => void) {
    this.#db = db;
    this.#channel = channelId;
    this.#path = path;
    this.#savepointKey = savepointKey(channelId);
    this.#onClose = onClose;
  }

  #check(what: string): void {
    if (this.#closed) {
      throw new StateDatabaseError(
        'STATEDB_CLOSED',
        `${what}: the state database of channel ${this.#channel} is closed`,
        { details: { channel: this.#channel, path: this.#path } },
      );
    }
  }

  #keys(namespace: string): NamespaceKeys {
    let keys = this.#namespaces.get(namespace);
    if (!keys) {
      if (this.#namespaces.size >= MAX_NAMESPACES) this.#namespaces.clear();
      keys = new NamespaceKeys(this.#channel, namespace);
      this.#namespaces.set(namespace, keys);
    }
    return keys;
  }

  /**
   * A point read on the calling thread: LevelDB answers it from its memtable or block cache in
   * microseconds, while the asynchronous `get` hands it to libuv's pool and back (two thread
   * wake-ups, most of its cost). Bulk reads (`#getMany`) stay on the pool.
   */
  #get(key: Buffer, what: string): Buffer | undefined {
    try {
      return this.#db.getSync(key);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw operationError(err, this.#path, what);
    }
  }

  async #getMany(keys: Buffer[], what: string): Promise<(Buffer | undefined)[]> {
    try {
      return await this.#db.getMany(keys);
    } catch (err) {
      throw operationError(err, this.#path, what);
    }
  }

  getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    return settle(() => {
      this.#check('getState');
      const cached = this.#cache?.get(`${namespace}\u0000${key}`);
      if (cached !== undefined) return cached === null ? undefined : decodeValue(cached, true);
      const stored = this.#get(this.#keys(namespace).dataKey(key), 'getState');
      return stored === undefined ? undefined : decodeValue(stored, false);
    });
  }

  async getStateMultipleKeys(
    namespace: string,
    keys: readonly string[],
  ): Promise<(VersionedValue | undefined)[]> {
    this.#check('getStateMultipleKeys');
    const out: (VersionedValue | undefined)[] = new Array<VersionedValue | undefined>(keys.length);
    const missing: number[] = [];
    for (const [i, key] of keys.entries()) {
      const cached = this.#cache?.get(`${namespace}\u0000${key}`);
      if (cached === undefined) missing.push(i);
      else out[i] = cached === null ? undefined : decodeValue(cached, true);
    }
    if (missing.length > 0) {
      const nsKeys = this.#keys(namespace);
      const stored = await this.#getMany(
        missing.map((i) => nsKeys.dataKey(keys[i] ?? '')),
        'getStateMultipleKeys',
      );
      // A key asked twice gets two buffers from LevelDB, so views are never shared.
      missing.forEach((i, j) => {
        const s = stored[j];
        out[i] = s === undefined ? undefined : decodeValue(s, false);
      });
    }
    return out;
  }

  async getStateRangeScanIterator(
    namespace: string,
    startKey: string,
    endKey: string,
    options: RangeScanOptions = {},
  ): Promise<StateIterator> {
    this.#check('getStateRangeScanIterator');
    // Fabric: a page size of 0 (or less) means no limit.
    const limit =
      options.pageSize !== undefined && options.pageSize > 0 ? options.pageSize : Infinity;
    const it = await LevelRangeIterator.open(
      this.#db,
      this.#keys(namespace),
      startKey,
      endKey,
      limit,
      this.#path,
      (closed) => this.#iterators.delete(closed),
    );
    this.#iterators.add(it);
    return it;
  }

  async loadCommittedVersions(keys: readonly { namespace: string; key: string }[]): Promise<void> {
    this.#check('loadCommittedVersions');
    this.#cache = undefined;
    if (keys.length === 0) return;
    const stored = await this.#getMany(
      keys.map((k) => this.#keys(k.namespace).dataKey(k.key)),
      'loadCommittedVersions',
    );
    const cache = new Map<string, Buffer | null>();
    keys.forEach((k, i) => cache.set(`${k.namespace}\u0000${k.key}`, stored[i] ?? null));
    this.#cache = cache;
  }

  /** LevelDB stores any key: nothing is refused (Fabric's stateleveldb). */
  validateKeyValue(_key: string, _value: Uint8Array): string | undefined {
    return undefined;
  }

  bytesKeySupported(): boolean {
    return true;
  }

  async applyUpdates(updates: readonly StateUpdate[], savepoint: Height): Promise<void> {
    this.#check('applyUpdates');
    const ops: BatchOp[] = updates.map((u) => {
      const key = this.#keys(u.namespace).dataKey(u.key);
      return u.value === undefined
        ? { type: 'del', key }
        : {
            type: 'put',
            key,
            value: encodeValue(u.value, u.metadata, u.version, `${u.namespace}/${u.key}`),
          };
    });
    ops.push({ type: 'put', key: this.#savepointKey, value: encodeHeight(savepoint, 'savepoint') });
    this.#cache = undefined;
    try {
      // One atomic write, synced to disk as Fabric does: the block's state and its savepoint.
      await this.#db.batch(ops, { sync: true });
    } catch (err) {
      throw operationError(err, this.#path, `applyUpdates on channel ${this.#channel}`);
    }
  }

  getLatestSavePoint(): Promise<Height | undefined> {
    return settle(() => {
      this.#check('getLatestSavePoint');
      const stored = this.#get(this.#savepointKey, 'getLatestSavePoint');
      return stored === undefined ? undefined : decodeHeight(stored, 'savepoint');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache = undefined;
    this.#onClose(this);
    await Promise.all([...this.#iterators].map((it) => it.close()));
  }
}

/** A synchronous read as the interface's promise: a throw becomes a rejection, as from an async call. */
function settle<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
