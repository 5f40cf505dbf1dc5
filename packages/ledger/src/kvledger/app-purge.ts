/**
 * App-initiated purge (Fabric v2.5 PurgePrivateData) as the ledger commits a block: the block's
 * purges (hashed writes flagged `is_purge` of valid transactions) become the private data
 * store's purge markers, and the purged keys the store knows leave the private state even on a
 * peer that did not get the purging transaction's private write set (Fabric's
 * FetchPrivateDataRawKey and purgeAppInitiatedPvtKeys).
 */
import { compareHeights, type Height } from '@fabric-peer/api';
import { protos } from '@fabric-peer/protos';
import type { PurgeMarker } from '../pvtdatastore/purge.js';
import type { PvtDataStore } from '../pvtdatastore/store.js';
import { toHex } from '../txmgmt/hashing.js';
import type { UpdateBatch } from '../txmgmt/update-batch.js';
import type { ValidatedTx } from '../txmgmt/validation.js';

/** A private key an app-initiated purge removes, at the purging transaction's height. */
export interface PurgedKey {
  readonly namespace: string;
  readonly collection: string;
  readonly key: string;
  readonly version: Height;
}

/** The purges of the block's valid transactions, the last per key (Fabric's pvtdataPurgeTracker). */
export function purgesOf(txs: readonly ValidatedTx[]): PurgeMarker[] {
  const valid: number = protos.TxValidationCode.VALID;
  const byKey = new Map<string, PurgeMarker>();
  for (const tx of txs) {
    if (tx.validationCode !== valid || tx.rwset === undefined) continue;
    for (const ns of tx.rwset.nsRwSets) {
      for (const c of ns.collHashedRwSets) {
        for (const w of c.hashedRwSet.hashedWrites) {
          if (!w.isPurge) continue;
          byKey.set(`${ns.namespace}\u0000${c.collectionName}\u0000${toHex(w.keyHash)}`, {
            namespace: ns.namespace,
            collection: c.collectionName,
            keyHash: w.keyHash,
            txNum: tx.index,
          });
        }
      }
    }
  }
  return [...byKey.values()];
}

/**
 * The keys of `purges` (block `blockNum`'s) that `store` holds a write of; look them up before the
 * block's markers are stored, which lets the store drop its index of them.
 */
export async function purgedPrivateKeys(
  store: PvtDataStore,
  purges: readonly PurgeMarker[],
  blockNum: number,
): Promise<PurgedKey[]> {
  const out: PurgedKey[] = [];
  for (const p of purges) {
    const key = await store.rawKey(p.namespace, p.collection, p.keyHash);
    if (key !== undefined) {
      out.push({
        namespace: p.namespace,
        collection: p.collection,
        key,
        version: { blockNum, txNum: p.txNum },
      });
    }
  }
  return out;
}

/** A purged key leaves the private state unless the block writes it again at a later height. */
export function deletePurgedKeys(batch: UpdateBatch, keys: readonly PurgedKey[]): void {
  for (const k of keys) {
    const update = batch.pvt.get(k.namespace, k.collection, k.key);
    if (update === undefined || compareHeights(update.version, k.version) < 0) {
      batch.pvt.delete(k.namespace, k.collection, k.key, k.version);
    }
  }
}
