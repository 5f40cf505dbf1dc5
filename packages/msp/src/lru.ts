/** A bounded least-recently-used map (Map keeps insertion order; a hit moves the key to the end). */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  /** The most recently used key: a hit on it is already in place and moves nothing. */
  #newest: K | undefined;

  /** @param capacity entries kept; 0 disables the cache. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined || key === this.#newest) return value;
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    return value;
  }

  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    while (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value);
    }
  }

  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
  }
}

/** Bytes of a key that make up its fingerprint: its last ones. */
const FINGERPRINT_TAIL = 64;

/**
 * An {@link Lru} keyed by the content of byte strings such as serialized identities (≈ 1 KB),
 * found by a short fingerprint: the length and the last 64 bytes (a PEM certificate ends with its
 * signature). Turning the whole key into a string and hashing it cost more than the rest of a
 * cache hit. Each entry keeps a copy of its bytes, compared on every hit: bytes that share a
 * fingerprint with an entry but differ are a miss (and replace it when set), never its value.
 */
export class BytesLru<V> {
  readonly #lru: Lru<string, { readonly bytes: Buffer; readonly value: V }>;

  /** @param capacity entries kept; 0 disables the cache. */
  constructor(readonly capacity: number) {
    this.#lru = new Lru(capacity);
  }

  get size(): number {
    return this.#lru.size;
  }

  get(key: Uint8Array): V | undefined {
    const entry = this.#lru.get(fingerprint(key));
    return entry !== undefined && entry.bytes.equals(key) ? entry.value : undefined;
  }

  set(key: Uint8Array, value: V): void {
    if (this.capacity === 0) return;
    this.#lru.set(fingerprint(key), { bytes: Buffer.from(key), value });
  }

  clear(): void {
    this.#lru.clear();
  }
}

function fingerprint(key: Uint8Array): string {
  const tail = Buffer.from(key.buffer, key.byteOffset, key.byteLength).subarray(-FINGERPRINT_TAIL);
  return `${key.byteLength}:${tail.toString('latin1')}`;
}
