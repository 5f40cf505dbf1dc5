/**
 * Private data for `DeliverWithPrivateData` (Fabric's blockAndPrivateDataResponseSender): the
 * private write sets this peer holds for a block, keeping only the collections the requester may
 * read, grouped by transaction.
 */
import type { SignedData } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { rwset } from '@fabric-peer/protos';
import { DeliverError, messageOf } from '../errors.js';

/** One transaction's private write set, as the ledger's private data store returns it. */
export interface TxPrivateData {
  /** Index of the transaction in the block. */
  readonly seqInBlock: number;
  readonly writeSet?: rwset.TxPvtReadWriteSet.$Properties | null;
}

/**
 * Where private data comes from: {@link ledgerPrivateDataSource} over the peer's ledgers. Without
 * one, the service sends blocks with an empty private data map.
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
  // One decision per collection and block, however many transactions write it.
  const decided = new Map<string, Promise<boolean>>();
  const eligible = (namespace: string, collection: string): Promise<boolean> => {
    const id = `${namespace}\u0000${collection}`;
    let d = decided.get(id);
    if (d === undefined) {
      d = source.isEligible(channelId, blockNumber, namespace, collection, requester);
      decided.set(id, d);
    }
    return d;
  };
  for (const item of await source.privateDataOf(channelId, blockNumber)) {
    const writeSet = item.writeSet;
    if (writeSet === null || writeSet === undefined) continue;
    const namespaces = new Map<string, rwset.CollectionPvtReadWriteSet.$Properties[]>();
    for (const ns of writeSet.nsPvtRwset ?? []) {
      const namespace = ns.namespace ?? '';
      for (const collection of ns.collectionPvtRwset ?? []) {
        if (!(await eligible(namespace, collection.collectionName ?? ''))) continue;
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

/** Options of {@link ledgerPrivateDataSource}. */
export interface LedgerPrivateDataSourceOptions {
  /** The joined channels: each one's ledger keeps its blocks' private data. */
  readonly channels: Pick<ChannelRegistry, 'get'>;
  /**
   * Fabric's CheckCollectionPolicy: whether the requester may read a collection — true when it
   * is not `member_only_read`, else when the requester's signed data satisfies its
   * `member_orgs_policy` with the channel's MSPs; rejects when the collection is unknown or its
   * configuration unusable, with Fabric's message. The peer gives `@fabric-peer/scc`'s
   * CollectionStore, which also decides chaincode calls' collection permissions.
   */
  readonly collectionPolicy: {
    readable(
      channelId: string,
      namespace: string,
      collection: string,
      requester: SignedData,
    ): Promise<boolean>;
  };
}

/**
 * The peer's {@link PrivateDataSource}: a block's private write sets from the channel's ledger
 * (Fabric's GetPvtDataByNum), and eligibility from the collection policy (Fabric's
 * CheckCollectionPolicy).
 *
 * The collection configuration is the current one, not the one in force when the block was
 * committed as Fabric takes it (from its collection config history, which this ledger does not
 * keep): after a collection update, older blocks are filtered by the new membership.
 */
export function ledgerPrivateDataSource(
  options: LedgerPrivateDataSourceOptions,
): PrivateDataSource {
  return {
    async privateDataOf(channelId, blockNumber) {
      const channel = options.channels.get(channelId);
      if (channel === undefined) {
        throw new DeliverError('CHANNEL_NOT_FOUND', `channel ${channelId} not found`);
      }
      try {
        return await channel.ledger.getPvtDataByNum(Number(blockNumber));
      } catch (err) {
        throw new DeliverError(
          'PRIVATE_DATA_UNAVAILABLE',
          `error getting private data by block number ${blockNumber}: ${messageOf(err)}`,
          { cause: err },
        );
      }
    },

    async isEligible(channelId, _blockNumber, namespace, collection, requester) {
      try {
        return await options.collectionPolicy.readable(channelId, namespace, collection, requester);
      } catch (err) {
        throw new DeliverError('COLLECTION_CONFIG', messageOf(err), { cause: err });
      }
    },
  };
}
