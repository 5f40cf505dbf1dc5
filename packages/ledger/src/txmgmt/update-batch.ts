/**
 * The updates of a block's valid transactions (Fabric's privacyenabledstate.UpdateBatch): public
 * writes, hashed writes of collections (by key hash), and private writes (by key), each with the
 * version {block, tx} of the transaction that made it. A value of undefined is a delete.
 */
import { compareKeys, type Height, type StateUpdate } from '@fabric-peer/api';
import { hashedDataNamespace, keyHashToDbKey, privateDataNamespace } from './privacy.js';

export interface BatchValue {
  /** Undefined for a delete. */
  readonly value?: Uint8Array;
  readonly metadata?: Uint8Array;
  readonly version: Height;
}

export interface HashedBatchValue extends BatchValue {
  readonly keyHash: Uint8Array;
}

function binaryKey(keyHash: Uint8Array): string {
  return Buffer.from(keyHash.buffer, keyHash.byteOffset, keyHash.byteLength).toString('latin1');
}

/** Public updates: namespace → key → value. */
export class PubUpdateBatch {
  readonly updates = new Map<string, Map<string, BatchValue>>();

  private ns(ns: string): Map<string, BatchValue> {
    let m = this.updates.get(ns);
    if (m === undefined) {
      m = new Map();
      this.updates.set(ns, m);
    }
    return m;
  }

  put(
    ns: string,
    key: string,
    value: Uint8Array,
    metadata: Uint8Array | undefined,
    version: Height,
  ): void {
    this.ns(ns).set(
      key,
      metadata === undefined ? { value, version } : { value, metadata, version },
    );
  }

  delete(ns: string, key: string, version: Height): void {
    this.ns(ns).set(key, { version });
  }

  get(ns: string, key: string): BatchValue | undefined {
    return this.updates.get(ns)?.get(key);
  }

  exists(ns: string, key: string): boolean {
    return this.updates.get(ns)?.has(key) ?? false;
  }

  /** Keys of `ns` in [startKey, endKey) in byte order ('' endKey: no end), as Fabric's nsIterator. */
  rangeKeys(ns: string, startKey: string, endKey: string): string[] {
    const m = this.updates.get(ns);
    if (m === undefined) return [];
    return [...m.keys()]
      .filter(
        (k) =>
          (startKey === '' || compareKeys(k, startKey) >= 0) &&
          (endKey === '' || compareKeys(k, endKey) < 0),
      )
      .sort(compareKeys);
  }
}

/** Hashed updates: namespace → collection → key hash → value hash. */
export class HashedUpdateBatch {
  readonly updates = new Map<string, Map<string, Map<string, HashedBatchValue>>>();

  private coll(ns: string, coll: string): Map<string, HashedBatchValue> {
    let n = this.updates.get(ns);
    if (n === undefined) {
      n = new Map();
      this.updates.set(ns, n);
    }
    let c = n.get(coll);
    if (c === undefined) {
      c = new Map();
      n.set(coll, c);
    }
    return c;
  }

  put(
    ns: string,
    coll: string,
    keyHash: Uint8Array,
    valueHash: Uint8Array,
    metadata: Uint8Array | undefined,
    version: Height,
  ): void {
    this.coll(ns, coll).set(
      binaryKey(keyHash),
      metadata === undefined
        ? { keyHash, value: valueHash, version }
        : { keyHash, value: valueHash, metadata, version },
    );
  }

  delete(ns: string, coll: string, keyHash: Uint8Array, version: Height): void {
    this.coll(ns, coll).set(binaryKey(keyHash), { keyHash, version });
  }

  get(ns: string, coll: string, keyHash: Uint8Array): HashedBatchValue | undefined {
    return this.updates.get(ns)?.get(coll)?.get(binaryKey(keyHash));
  }

  contains(ns: string, coll: string, keyHash: Uint8Array): boolean {
    return this.updates.get(ns)?.get(coll)?.has(binaryKey(keyHash)) ?? false;
  }
}

/** Private updates: namespace → collection → key → value. */
export class PvtUpdateBatch {
  readonly updates = new Map<string, Map<string, Map<string, BatchValue>>>();

  private coll(ns: string, coll: string): Map<string, BatchValue> {
    let n = this.updates.get(ns);
    if (n === undefined) {
      n = new Map();
      this.updates.set(ns, n);
    }
    let c = n.get(coll);
    if (c === undefined) {
      c = new Map();
      n.set(coll, c);
    }
    return c;
  }

  put(ns: string, coll: string, key: string, value: Uint8Array, version: Height): void {
    this.coll(ns, coll).set(key, { value, version });
  }

  delete(ns: string, coll: string, key: string, version: Height): void {
    this.coll(ns, coll).set(key, { version });
  }

  get(ns: string, coll: string, key: string): BatchValue | undefined {
    return this.updates.get(ns)?.get(coll)?.get(key);
  }
}

/** All the updates of one block. */
export interface UpdateBatch {
  readonly pub: PubUpdateBatch;
  readonly hashed: HashedUpdateBatch;
  readonly pvt: PvtUpdateBatch;
}

export function newUpdateBatch(): UpdateBatch {
  return { pub: new PubUpdateBatch(), hashed: new HashedUpdateBatch(), pvt: new PvtUpdateBatch() };
}

type MutableUpdate = {
  namespace: string;
  key: string;
  version: Height;
  value?: Uint8Array;
  metadata?: Uint8Array;
};

function stateUpdate(namespace: string, key: string, v: BatchValue): StateUpdate {
  const u: MutableUpdate = { namespace, key, version: v.version };
  if (v.value !== undefined) u.value = v.value;
  if (v.metadata !== undefined) u.metadata = v.metadata;
  return u;
}

/** The public updates alone, as state updates. */
export function publicStateUpdates(pub: PubUpdateBatch): StateUpdate[] {
  const out: StateUpdate[] = [];
  for (const [ns, m] of pub.updates) for (const [k, v] of m) out.push(stateUpdate(ns, k, v));
  return out;
}

/**
 * The batch as the state database's updates (Fabric's ApplyPrivacyAwareUpdates): public, then
 * private (`ns$$pcoll`), then hashed (`ns$$hcoll`, keys per keyHashToDbKey).
 */
export function toStateUpdates(batch: UpdateBatch, bytesKeySupported: boolean): StateUpdate[] {
  const out = publicStateUpdates(batch.pub);
  const push = (namespace: string, key: string, v: BatchValue): void => {
    out.push(stateUpdate(namespace, key, v));
  };
  for (const [ns, colls] of batch.pvt.updates) {
    for (const [coll, m] of colls)
      for (const [k, v] of m) push(privateDataNamespace(ns, coll), k, v);
  }
  for (const [ns, colls] of batch.hashed.updates) {
    for (const [coll, m] of colls) {
      for (const v of m.values()) {
        push(hashedDataNamespace(ns, coll), keyHashToDbKey(v.keyHash, bytesKeySupported), v);
      }
    }
  }
  return out;
}
