/**
 * App-initiated purge in the private data store (Fabric v2.5 `PurgePrivateData`): a valid
 * transaction that purges a key leaves a purge marker at its height; every write of that key
 * stored at that height or before is then no longer served and, once the store processes the
 * marker (after the commit), is removed from the stored write sets, found through the hashed
 * index that records which key each stored write set writes.
 */
import { compareHeights, type Height } from '@fabric-peer/api';
import { kvrwset, rwset } from '@fabric-peer/protos';
import { sha256String } from '../txmgmt/hashing.js';

/** A purge of a private key by a valid transaction of the block being committed. */
export interface PurgeMarker {
  readonly namespace: string;
  readonly collection: string;
  readonly keyHash: Uint8Array;
  /** The purging transaction's index in its block. */
  readonly txNum: number;
}

/** The keys a collection's KVRWSet bytes write (what the hashed index lists). */
export function writtenKeys(kvBytes: Uint8Array): string[] {
  return [...new Set(kvrwset.KVRWSet.decode(kvBytes).writes.map((w) => w.key ?? ''))];
}

/**
 * `set` (stored at `height`) without the writes of keys purged at `height` or later, or `set`
 * itself when nothing in it is purged. `markerOf` gives a key hash's purge height, if any.
 */
export async function withoutPurgedWrites(
  set: rwset.CollectionPvtReadWriteSet,
  height: Height,
  markerOf: (keyHash: Uint8Array) => Promise<Height | undefined>,
): Promise<rwset.CollectionPvtReadWriteSet> {
  const kv = kvrwset.KVRWSet.decode(set.rwset);
  const kept: kvrwset.IKVWrite[] = [];
  for (const w of kv.writes) {
    const marker = await markerOf(sha256String(w.key ?? ''));
    if (marker === undefined || compareHeights(height, marker) > 0) kept.push(w);
  }
  if (kept.length === kv.writes.length) return set;
  return withWrites(set, kv, kept);
}

/** `set` without the writes of `key`. */
export function withoutKey(
  set: rwset.CollectionPvtReadWriteSet,
  key: string,
): rwset.CollectionPvtReadWriteSet {
  const kv = kvrwset.KVRWSet.decode(set.rwset);
  const kept = kv.writes.filter((w) => w.key !== key);
  return kept.length === kv.writes.length ? set : withWrites(set, kv, kept);
}

function withWrites(
  set: rwset.CollectionPvtReadWriteSet,
  kv: kvrwset.KVRWSet,
  writes: kvrwset.IKVWrite[],
): rwset.CollectionPvtReadWriteSet {
  return rwset.CollectionPvtReadWriteSet.create({
    collectionName: set.collectionName,
    rwset: kvrwset.KVRWSet.encode({ ...kv, writes }).finish(),
  });
}
