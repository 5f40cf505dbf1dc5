/**
 * The state cache in front of CouchDB (Fabric's statecouchdb `cache.go`): values with their
 * version, metadata and CouchDB revision, by channel, namespace and key. The lifecycle namespaces
 * (`_lifecycle`, `lscc`) always have a 64 MB cache; user namespaces have one of
 * `ledger.state.couchDBConfig.cacheSize` MB (rounded up to a multiple of 32 MB, as Fabric's
 * fastcache does), none when it is 0. Least recently used entries go first when a cache is full.
 */
import type { VersionedValue } from '@fabric-peer/api';

/** What the cache holds for a key. */
export interface CachedState {
  readonly value: VersionedValue;
  readonly revision: string;
}

/** Namespaces Fabric always caches (its DeployedChaincodeInfoProvider's namespaces). */
export const SYSTEM_NAMESPACES: readonly string[] = ['_lifecycle', 'lscc'];

const MB = 1024 * 1024;
const SYSTEM_CACHE_BYTES = 64 * MB;
/** Bookkeeping per entry, beyond its bytes. */
const ENTRY_OVERHEAD = 96;

/** A byte-bounded LRU map (Map keeps insertion order: re-inserting marks an entry as used). */
class Lru {
  readonly #entries = new Map<string, { state: CachedState; size: number }>();
  #bytes = 0;

  constructor(private readonly capacity: number) {}

  get(key: string): CachedState | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.state;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  set(key: string, state: CachedState): void {
    this.delete(key);
    const v = state.value;
    const size =
      key.length * 2 +
      v.value.length +
      (v.metadata?.length ?? 0) +
      state.revision.length * 2 +
      ENTRY_OVERHEAD;
    if (size > this.capacity) return;
    this.#entries.set(key, { state, size });
    this.#bytes += size;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.capacity) break;
      this.#entries.delete(k);
      this.#bytes -= e.size;
    }
  }

  delete(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= e.size;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/** The caches of one provider, shared by its channels. */
export class StateCache {
  readonly #system = new Lru(SYSTEM_CACHE_BYTES);
  readonly #user: Lru | undefined;

  /** `userMb`: `cacheSize` in MB (0: no cache for user namespaces). */
  constructor(userMb: number) {
    this.#user = userMb > 0 ? new Lru(Math.ceil(userMb / 32) * 32 * MB) : undefined;
  }

  #of(namespace: string): Lru | undefined {
    return SYSTEM_NAMESPACES.includes(namespace) ? this.#system : this.#user;
  }

  /** Whether a namespace is cached. */
  enabled(namespace: string): boolean {
    return this.#of(namespace) !== undefined;
  }

  get(channel: string, namespace: string, key: string): CachedState | undefined {
    return this.#of(namespace)?.get(cacheKey(channel, namespace, key));
  }

  put(channel: string, namespace: string, key: string, state: CachedState): void {
    this.#of(namespace)?.set(cacheKey(channel, namespace, key), state);
  }

  /**
   * After a commit: entries already cached take their new state; deleted keys leave the cache.
   * Keys not cached stay out (Fabric's `UpdateStates`).
   */
  update(channel: string, namespace: string, key: string, state: CachedState | undefined): void {
    const lru = this.#of(namespace);
    if (lru === undefined) return;
    const k = cacheKey(channel, namespace, key);
    if (state === undefined) lru.delete(k);
    else if (lru.has(k)) lru.set(k, state);
  }

  /** Forgets everything (after a failed commit, or when a channel is dropped). */
  reset(): void {
    this.#system.clear();
    this.#user?.clear();
  }
}

function cacheKey(channel: string, namespace: string, key: string): string {
  return `${channel}\u0000${namespace}\u0000${key}`;
}
