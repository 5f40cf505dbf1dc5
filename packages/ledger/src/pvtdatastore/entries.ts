/**
 * What of a block's private data the store keeps (Fabric's constructPvtDataAndMissingData, the data
 * part): every collection write set handed to the commit whose SHA-256 is the `pvt_rwset_hash` the
 * transaction's public read-write set carries for it. Transactions MVCC marked invalid keep theirs,
 * as in Fabric (a block may be processed again); anything that does not match the block is left
 * out, so the store only ever serves data the block vouches for.
 */
import { rwset } from '@fabric-peer/protos';
import { bytesEqual, sha256 } from '../txmgmt/hashing.js';
import { decodeTxPvtRwSet, type TxPvtRwSet } from '../txmgmt/rwset.js';
import type { ValidatedTx } from '../txmgmt/validation.js';
import type { PvtDataEntry, TxPvtData } from './store.js';

/** The entries to store, and what was left out (`tx:namespace:collection` with the reason). */
export interface BlockPvtEntries {
  readonly entries: PvtDataEntry[];
  readonly skipped: string[];
}

/** The entries of a block's private data (TxPvtReadWriteSet bytes by transaction index). */
export function pvtEntriesOf(
  pvtData: ReadonlyMap<number, Uint8Array> | undefined,
  txs: readonly ValidatedTx[],
): BlockPvtEntries {
  const entries: PvtDataEntry[] = [];
  const skipped: string[] = [];
  if (pvtData === undefined) return { entries, skipped };
  for (const [txNum, bytes] of [...pvtData].sort((a, b) => a[0] - b[0])) {
    const tx = txs[txNum];
    if (tx === undefined) {
      skipped.push(`${txNum}: no such transaction in the block`);
      continue;
    }
    if (tx.rwset === undefined) {
      skipped.push(`${txNum}: the transaction has no read-write set the ledger processed`);
      continue;
    }
    let pvt: TxPvtRwSet;
    try {
      pvt = decodeTxPvtRwSet(bytes);
    } catch (err) {
      skipped.push(`${txNum}: the private write set does not decode (${(err as Error).message})`);
      continue;
    }
    for (const ns of pvt.nsPvtRwSets) {
      const pub = tx.rwset.nsRwSets.find((n) => n.namespace === ns.namespace);
      for (const c of ns.collPvtRwSets) {
        const hash = pub?.collHashedRwSets.find(
          (h) => h.collectionName === c.collectionName,
        )?.pvtRwSetHash;
        if (hash === undefined || !bytesEqual(sha256(c.rwsetBytes), hash)) {
          skipped.push(
            `${txNum}:${ns.namespace}:${c.collectionName}: not the private write set the block's hash names`,
          );
          continue;
        }
        entries.push({
          txNum,
          namespace: ns.namespace,
          collection: c.collectionName,
          rwset: c.rwsetBytes,
        });
      }
    }
  }
  return { entries, skipped };
}

/** Stored private data as the commit takes it: TxPvtReadWriteSet bytes by transaction index. */
export function pvtDataMapOf(data: readonly TxPvtData[]): Map<number, Uint8Array> {
  return new Map(
    data.map((d) => [d.seqInBlock, rwset.TxPvtReadWriteSet.encode(d.writeSet).finish()]),
  );
}
