/**
 * The private data store (Fabric v2.5 `core/ledger/pvtdatastorage`): the private write sets of each
 * committed block, by transaction and collection, in one LevelDB for all channels
 * (`<ledgersData>/pvtdataStore`, keys in keys.ts). Deliver (DeliverWithPrivateData) serves them, and
 * the ledger replays them into the private state when it recovers state from the block store.
 *
 * The kvledger writes a block's private data (one synced batch) before the block store appends the
 * block, so a committed block never lacks its private data; on open (and after a failed append) it
 * removes whatever the store holds for blocks the block store lacks (`truncate`). A block without
 * private data writes nothing here.
 *
 * Block-to-live: an entry given an `expiringBlock` is also listed under that block (keys.ts), and
 * `purgeExpired(n)` deletes every entry due at block n or before, as Fabric's purger does (Fabric
 * every `purgeInterval` blocks, the ledger here after each commit). Until then the ledger filters
 * what has expired out of what it serves.
 *
 * Not kept (unlike Fabric): missing-data entries for the reconciler and purge markers.
 */
import { rwset } from '@fabric-peer/protos';
import { channelKey, channelRange } from '../history/keys.js';
import { openLevel, type BinaryLevel } from '../history/level.js';
import { LedgerError } from '../txmgmt/errors.js';
import {
  DATA_END_KEY,
  DATA_KEY_PREFIX,
  EXPIRY_END_KEY,
  blockStartKey,
  decodeDataKey,
  decodeExpiryKey,
  encodeDataKey,
  encodeExpiryKey,
  expiryEndKey,
} from './keys.js';

const EMPTY = new Uint8Array(0);

/** One transaction's private write set as the store keeps it (Fabric's ledger.TxPvtData). */
export interface TxPvtData {
  /** Index of the transaction in its block. */
  readonly seqInBlock: number;
  readonly writeSet: rwset.TxPvtReadWriteSet;
}

/** The collections to return, by namespace (Fabric's PvtNsCollFilter); absent: everything. */
export type PvtNsCollFilter = ReadonlyMap<string, ReadonlySet<string>>;

/** One collection's private write set of one transaction, to store. */
export interface PvtDataEntry {
  readonly txNum: number;
  readonly namespace: string;
  readonly collection: string;
  /** The collection's KVRWSet bytes as the transaction produced them (what pvt_rwset_hash covers). */
  readonly rwset: Uint8Array;
  /** The block at whose commit the entry expires (its collection's block-to-live); absent: never. */
  readonly expiringBlock?: number;
}

/** The private data of one channel. */
export interface PvtDataStore {
  readonly channelId: string;
  /** Stores a block's entries in one batch (synced unless the provider was opened without sync). */
  commit(blockNum: number, entries: readonly PvtDataEntry[]): Promise<void>;
  /** The block's private write sets, by transaction in block order (Fabric's GetPvtDataByBlockNum). */
  getPvtDataByBlockNum(blockNum: number, filter?: PvtNsCollFilter): Promise<TxPvtData[]>;
  /** The highest block number with private data, if any. */
  lastBlockWithData(): Promise<number | undefined>;
  /** Removes the private data of every block numbered `height` or more. */
  truncate(height: number): Promise<void>;
  /** Deletes the entries that expire at block `block` or before; returns how many. */
  purgeExpired(block: number): Promise<number>;
}

/** The shared private data LevelDB. */
export interface PvtDataStoreProvider {
  handle(channelId: string): PvtDataStore;
  /** Removes a channel's private data. */
  drop(channelId: string): Promise<void>;
  close(): Promise<void>;
}

export interface PvtDataStoreProviderOptions {
  /** fsync each block's batch (default true: the block store fsyncs its blocks too). */
  readonly sync?: boolean;
}

/** Opens (creating) the private data LevelDB at `path`. */
export async function openPvtDataStoreProvider(
  path: string,
  options: PvtDataStoreProviderOptions = {},
): Promise<PvtDataStoreProvider> {
  const db = await openLevel(path, 'private data');
  return new PvtDataStoreProviderImpl(db, options.sync ?? true);
}

class PvtDataStoreProviderImpl implements PvtDataStoreProvider {
  constructor(
    private readonly db: BinaryLevel,
    private readonly sync: boolean,
  ) {}

  handle(channelId: string): PvtDataStore {
    return new PvtDataStoreImpl(this.db, channelId, this.sync);
  }

  async drop(channelId: string): Promise<void> {
    await this.db.clear(channelRange(channelId));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

class PvtDataStoreImpl implements PvtDataStore {
  private readonly prefixLength: number;

  constructor(
    private readonly db: BinaryLevel,
    readonly channelId: string,
    private readonly sync: boolean,
  ) {
    this.prefixLength = channelKey(channelId, EMPTY).length;
  }

  private key(k: Uint8Array): Uint8Array {
    return channelKey(this.channelId, k);
  }

  async commit(blockNum: number, entries: readonly PvtDataEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const ops: { type: 'put'; key: Uint8Array; value: Uint8Array }[] = entries.map((e) => ({
      type: 'put' as const,
      key: this.key(
        encodeDataKey({
          blockNum,
          txNum: e.txNum,
          namespace: e.namespace,
          collection: e.collection,
        }),
      ),
      value: rwset.CollectionPvtReadWriteSet.encode({
        collectionName: e.collection,
        rwset: e.rwset,
      }).finish(),
    }));
    const expiring = new Map<number, [number, string, string][]>();
    for (const e of entries) {
      if (e.expiringBlock === undefined) continue;
      const list = expiring.get(e.expiringBlock) ?? [];
      list.push([e.txNum, e.namespace, e.collection]);
      expiring.set(e.expiringBlock, list);
    }
    for (const [block, list] of expiring) {
      ops.push({
        type: 'put',
        key: this.key(encodeExpiryKey(block, blockNum)),
        value: Buffer.from(JSON.stringify(list)),
      });
    }
    try {
      await this.db.batch(ops, { sync: this.sync });
    } catch (err) {
      throw new LedgerError(
        'DB_ERROR',
        `cannot store the private data of block [${blockNum}] of channel [${this.channelId}]: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async getPvtDataByBlockNum(blockNum: number, filter?: PvtNsCollFilter): Promise<TxPvtData[]> {
    const out: TxPvtData[] = [];
    let current:
      { txNum: number; byNs: Map<string, rwset.ICollectionPvtReadWriteSet[]> } | undefined;
    const flush = (): void => {
      if (current === undefined) return;
      out.push({
        seqInBlock: current.txNum,
        // Data model KV: the proto3 default, left unset as Go leaves it.
        writeSet: rwset.TxPvtReadWriteSet.create({
          nsPvtRwset: [...current.byNs].map(([namespace, collectionPvtRwset]) =>
            rwset.NsPvtReadWriteSet.create({ namespace, collectionPvtRwset }),
          ),
        }),
      });
    };
    const prefixLength = this.prefixLength;
    const it = this.db.iterator({
      gte: this.key(blockStartKey(blockNum)),
      lt: this.key(blockStartKey(blockNum + 1)),
    });
    try {
      for await (const [k, v] of it) {
        const key = decodeDataKey(k.subarray(prefixLength));
        if (filter !== undefined && filter.get(key.namespace)?.has(key.collection) !== true) {
          continue;
        }
        let value: rwset.CollectionPvtReadWriteSet;
        try {
          value = rwset.CollectionPvtReadWriteSet.decode(v);
        } catch (err) {
          throw new LedgerError(
            'MALFORMED',
            `stored private data of block [${blockNum}] transaction [${key.txNum}] does not decode: ${(err as Error).message}`,
            { cause: err },
          );
        }
        if (current?.txNum !== key.txNum) {
          flush();
          current = { txNum: key.txNum, byNs: new Map() };
        }
        const list = current.byNs.get(key.namespace) ?? [];
        list.push(value);
        current.byNs.set(key.namespace, list);
      }
    } finally {
      await it.close();
    }
    flush();
    return out;
  }

  async lastBlockWithData(): Promise<number | undefined> {
    const it = this.db.keys({
      gte: this.key(Uint8Array.of(DATA_KEY_PREFIX)),
      lt: this.key(DATA_END_KEY),
      reverse: true,
      limit: 1,
    });
    try {
      const k = await it.next();
      return k === undefined
        ? undefined
        : decodeDataKey(k.subarray(this.key(EMPTY).length)).blockNum;
    } finally {
      await it.close();
    }
  }

  async truncate(height: number): Promise<void> {
    await this.db.clear({ gte: this.key(blockStartKey(height)), lt: this.key(DATA_END_KEY) });
    // Expiry entries are ordered by expiring block: those of the removed blocks are found by scan.
    const stale: Uint8Array[] = [];
    for await (const k of this.db.keys({
      gte: this.key(DATA_END_KEY),
      lt: this.key(EXPIRY_END_KEY),
    })) {
      if (decodeExpiryKey(k.subarray(this.prefixLength)).committingBlock >= height) stale.push(k);
    }
    if (stale.length > 0) {
      await this.db.batch(stale.map((key) => ({ type: 'del' as const, key })));
    }
  }

  async purgeExpired(block: number): Promise<number> {
    const ops: { type: 'del'; key: Uint8Array }[] = [];
    let purged = 0;
    for await (const [k, v] of this.db.iterator({
      gte: this.key(DATA_END_KEY),
      lt: this.key(expiryEndKey(block)),
    })) {
      const { committingBlock } = decodeExpiryKey(k.subarray(this.prefixLength));
      let list: [number, string, string][];
      try {
        list = JSON.parse(Buffer.from(v).toString()) as [number, string, string][];
      } catch (err) {
        throw new LedgerError(
          'MALFORMED',
          `a private data expiry entry of block [${committingBlock}] does not decode: ${(err as Error).message}`,
          { cause: err },
        );
      }
      purged += list.length;
      for (const [txNum, namespace, collection] of list) {
        ops.push({
          type: 'del',
          key: this.key(encodeDataKey({ blockNum: committingBlock, txNum, namespace, collection })),
        });
      }
      ops.push({ type: 'del', key: k });
    }
    if (ops.length === 0) return 0;
    try {
      await this.db.batch(ops, { sync: this.sync });
    } catch (err) {
      throw new LedgerError(
        'DB_ERROR',
        `cannot purge the expired private data of channel [${this.channelId}]: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return purged;
  }
}
