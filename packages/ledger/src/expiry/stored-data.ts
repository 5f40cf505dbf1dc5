/**
 * Block-to-live in the private data store, as the ledger applies it: the expiring block each
 * stored entry is listed under, and what a read serves of a block's stored data (Fabric's
 * pvtdatastorage skips expired collections the same way until its purger removes them).
 */
import { rwset } from '@fabric-peer/protos';
import type { PvtDataEntry, TxPvtData } from '../pvtdatastore/store.js';
import type { BtlPolicy } from './btl-policy.js';

/** `entries` of block `blockNum`, each with the block at which its collection's data expires. */
export async function withExpiringBlocks(
  btl: BtlPolicy,
  entries: readonly PvtDataEntry[],
  blockNum: number,
): Promise<PvtDataEntry[]> {
  const out: PvtDataEntry[] = [];
  for (const e of entries) {
    const expiringBlock = await btl.expiringBlock(e.namespace, e.collection, blockNum);
    out.push(expiringBlock === undefined ? e : { ...e, expiringBlock });
  }
  return out;
}

/** `data` of block `blockNum` without the collections expired once block `lastBlock` is committed. */
export async function withoutExpired(
  btl: BtlPolicy,
  data: TxPvtData[],
  blockNum: number,
  lastBlock: number,
): Promise<TxPvtData[]> {
  if (data.length === 0) return data;
  const live = async (ns: string, coll: string): Promise<boolean> => {
    const expiring = await btl.expiringBlock(ns, coll, blockNum);
    return expiring === undefined || expiring > lastBlock;
  };
  const out: TxPvtData[] = [];
  for (const tx of data) {
    const nsPvtRwset: rwset.NsPvtReadWriteSet[] = [];
    let dropped = false;
    for (const ns of tx.writeSet.nsPvtRwset) {
      const colls: rwset.ICollectionPvtReadWriteSet[] = [];
      for (const c of ns.collectionPvtRwset ?? []) {
        if (await live(ns.namespace ?? '', c.collectionName ?? '')) colls.push(c);
        else dropped = true;
      }
      if (colls.length > 0) {
        nsPvtRwset.push(
          rwset.NsPvtReadWriteSet.create({ namespace: ns.namespace, collectionPvtRwset: colls }),
        );
      }
    }
    if (!dropped) out.push(tx);
    else if (nsPvtRwset.length > 0) {
      out.push({
        seqInBlock: tx.seqInBlock,
        writeSet: rwset.TxPvtReadWriteSet.create({ nsPvtRwset }),
      });
    }
  }
  return out;
}
