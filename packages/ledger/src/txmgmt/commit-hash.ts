/**
 * The block commit hash (`kv_ledger.go` addBlockCommitHash, `txmgr/update_batch_bytes.go`):
 *
 *   commitHash = SHA-256( varint(len(filter)) ‖ filter ‖ updateBatchBytes ‖ previousCommitHash )
 *
 * where updateBatchBytes is the marshaled `txmgr.Updates{kvwrites}`: for each namespace but the
 * channel-config one (""), sorted, its public writes sorted by key, then its collections sorted by
 * name with their hashed writes sorted by key hash; each KVWrite carries key, is_delete, value
 * (the value hash for collections) and version_bytes (the ordered-varint height); the namespace is
 * set only on the first write of each namespace, the collection only on the first of each
 * collection. Fabric stores the result in metadata slot COMMIT_HASH as `Metadata{value}` and starts
 * the chain of hashes at block 1.
 */
import { compareKeys } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import { compareBytes, sha256 } from './hashing.js';
import { heightToBytes } from './height.js';
import type { BatchValue, HashedBatchValue, UpdateBatch } from './update-batch.js';
import { WireWriter, encodeVarint } from './wire.js';

interface UpdatesKVWrite {
  namespace?: string;
  collection?: string;
  key: Uint8Array;
  isDelete: boolean;
  value?: Uint8Array;
  versionBytes: Uint8Array;
}

function kv(key: Uint8Array, v: BatchValue): UpdatesKVWrite {
  const w: UpdatesKVWrite = {
    key,
    isDelete: v.value === undefined,
    versionBytes: heightToBytes(v.version),
  };
  if (v.value !== undefined) w.value = v.value;
  return w;
}

/** Fabric's deterministicBytesForPubAndHashUpdates. */
export function deterministicUpdateBytes(batch: UpdateBatch): Uint8Array {
  const namespaces = [
    ...new Set([...batch.pub.updates.keys(), ...batch.hashed.updates.keys()]),
  ].sort(compareKeys);
  const writes: UpdatesKVWrite[] = [];
  for (const ns of namespaces) {
    if (ns === '') continue;
    const kvs: UpdatesKVWrite[] = [];
    const pub = batch.pub.updates.get(ns);
    if (pub !== undefined) {
      for (const key of [...pub.keys()].sort(compareKeys))
        kvs.push(kv(Buffer.from(key, 'utf8'), pub.get(key)!));
    }
    const colls = batch.hashed.updates.get(ns);
    if (colls !== undefined) {
      for (const coll of [...colls.keys()].sort(compareKeys)) {
        const values: HashedBatchValue[] = [...colls.get(coll)!.values()].sort((a, b) =>
          compareBytes(a.keyHash, b.keyHash),
        );
        const collKvs = values.map((v) => kv(v.keyHash, v));
        if (collKvs[0] !== undefined) collKvs[0].collection = coll;
        kvs.push(...collKvs);
      }
    }
    if (kvs[0] !== undefined) kvs[0].namespace = ns;
    writes.push(...kvs);
  }
  const updates = new WireWriter();
  for (const w of writes) {
    const m = new WireWriter()
      .stringFieldNoZero(1, w.namespace)
      .stringFieldNoZero(2, w.collection)
      .bytesFieldNoZero(3, w.key)
      .varintFieldNoZero(4, w.isDelete)
      .bytesFieldNoZero(5, w.value)
      .bytesFieldNoZero(6, w.versionBytes)
      .finish();
    updates.bytesField(1, m);
  }
  return updates.finish();
}

/** The next commit hash. */
export function computeCommitHash(
  txFilter: Uint8Array,
  updateBatchBytes: Uint8Array,
  previousCommitHash: Uint8Array,
): Uint8Array {
  return sha256(
    Buffer.concat([encodeVarint(txFilter.length), txFilter, updateBatchBytes, previousCommitHash]),
  );
}

/** The COMMIT_HASH metadata slot's bytes: `common.Metadata{value: commitHash}`. */
export function commitHashMetadata(commitHash: Uint8Array): Uint8Array {
  return common.Metadata.encode({ value: commitHash }).finish();
}
