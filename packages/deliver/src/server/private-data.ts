/**
 * Private data for `DeliverWithPrivateData` (Fabric's blockAndPrivateDataResponseSender): the
 * private write sets this peer holds for a block, keeping only the collections the requester may
 * read, grouped by transaction.
 */
import type { SignedData } from '@fabric-peer/api';
import type { rwset } from '@fabric-peer/protos';

/** One transaction's private write set, as the ledger's private data store returns it. */
export interface TxPrivateData {
  /** Index of the transaction in the block. */
  readonly seqInBlock: number;
  readonly writeSet?: rwset.TxPvtReadWriteSet.$Properties | null;
}

/**
 * Where private data comes from. The peer's ledger has no private data store yet, so the service
 * runs without one (blocks go out with an empty private data map) until one is wired in.
 */
export interface PrivateDataSource {
  /** Fabric's GetPvtDataByNum: the private write sets held for a block (any order). */
  privateDataOf(channelId: string, blockNumber: bigint): Promise<readonly TxPrivateData[]>;
  /**
   * Fabric's CheckCollectionPolicy: whether the requester (the seek envelope's signed data) may
   * read the collection as configured at the block: true when the collection is not member-only
   * read, else the collection's member policy decides. Rejects when the collection is unknown.
   */
  isEligible(
    channelId: string,
    blockNumber: bigint,
    namespace: string,
    collection: string,
    requester: SignedData,
  ): Promise<boolean>;
}

/**
 * The `private_data_map` of a BlockAndPrivateData: by transaction index, the namespaces and
 * collections of its write set the requester is eligible for; transactions with none are absent.
 */
export async function eligiblePrivateData(
  source: PrivateDataSource,
  channelId: string,
  blockNumber: bigint,
  requester: SignedData,
): Promise<Record<string, rwset.TxPvtReadWriteSet.$Properties>> {
  const out: Record<string, rwset.TxPvtReadWriteSet.$Properties> = {};
  for (const item of await source.privateDataOf(channelId, blockNumber)) {
    const writeSet = item.writeSet;
    if (writeSet === null || writeSet === undefined) continue;
    const namespaces = new Map<string, rwset.CollectionPvtReadWriteSet.$Properties[]>();
    for (const ns of writeSet.nsPvtRwset ?? []) {
      const namespace = ns.namespace ?? '';
      for (const collection of ns.collectionPvtRwset ?? []) {
        const eligible = await source.isEligible(
          channelId,
          blockNumber,
          namespace,
          collection.collectionName ?? '',
          requester,
        );
        if (!eligible) continue;
        const list = namespaces.get(namespace) ?? [];
        list.push(collection);
        namespaces.set(namespace, list);
      }
    }
    if (namespaces.size === 0) continue;
    out[String(item.seqInBlock)] = {
      dataModel: writeSet.dataModel ?? 0,
      nsPvtRwset: [...namespaces].map(([namespace, collectionPvtRwset]) => ({
        namespace,
        collectionPvtRwset,
      })),
    };
  }
  return out;
}
