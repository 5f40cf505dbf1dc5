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
 * every `purgeInterval` blocks, the ledger likewise). Until then the ledger filters what has expired
 * out of what it serves.
 *
 * App-initiated purge (purge.ts): `commit` takes the block's purges as markers and indexes which
 * key each stored write set writes; writes purged are not served from then on, `purgeMarked()`
 * removes them from the stored write sets, and `rawKey` finds a purged key from its hash.
 *
 * Not kept (unlike Fabric): missing-data entries for the reconciler.
 */
import { compareHeights, type Height } from '@fabric-peer/api';
import { rwset } from '@fabric-peer/protos';
import { sha256String } from '../txmgmt/hashing.js';
import { heightFromBytes, heightToBytes } from '../txmgmt/height.js';
import { channelKey, channelRange } from '../history/keys.js';
import { openLevel, type BinaryLevel } from '../history/level.js';
import { LedgerError } from '../txmgmt/errors.js';
import {
  DATA_END_KEY,
  DATA_KEY_PREFIX,
  EXPIRY_END_KEY,
  HASHED_INDEX_PREFIX,
  PURGE_MARKER_PREFIX,
  blockStartKey,
  decodeDataKey,
  decodeExpiryKey,
  decodeHashedIndexKey,
  decodePurgeMarkerKey,
  encodeCollPurgeMarkerKey,
  encodeDataKey,
  encodeExpiryKey,
  encodeHashedIndexKey,
  encodePurgeMarkerKey,
  expiryEndKey,
  hashedIndexPrefix,
  type DataKey,
} from './keys.js';
import { withoutKey, withoutPurgedWrites, writtenKeys, type PurgeMarker } from './purge.js';

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
  /**
   * Stores a block's entries, and the purge markers of its valid transactions' purges, in one
   * batch (synced unless the provider was opened without sync).
   */
  commit(
    blockNum: number,
    entries: readonly PvtDataEntry[],
    purges?: readonly PurgeMarker[],
  ): Promise<void>;
  /** The block's private write sets, by transaction in block order (Fabric's GetPvtDataByBlockNum). */
  getPvtDataByBlockNum(blockNum: number, filter?: PvtNsCollFilter): Promise<TxPvtData[]>;
  /** The highest block number with private data, if any. */
  lastBlockWithData(): Promise<number | undefined>;
  /** Removes the private data of every block numbered `height` or more. */
  truncate(height: number): Promise<void>;
  /** Deletes the entries that expire at block `block` or before; returns how many. */
  purgeExpired(block: number): Promise<number>;
  /**
   * Removes the writes purge markers cover from the stored write sets, then the markers
   * (Fabric's deleteDataMarkedForPurge); returns the writes removed.
   */
  purgeMarked(): Promise<PurgedWrite[]>;
  /** A key this store holds a write of, from its hash (Fabric's FetchPrivateDataRawKey). */
  rawKey(namespace: string, collection: string, keyHash: Uint8Array): Promise<string | undefined>;
}

/** A key's write removed from a stored write set by an app-initiated purge. */
export interface PurgedWrite {
  readonly namespace: string;
  readonly collection: string;
  readonly keyHash: Uint8Array;
  /** Where the write set is stored. */
  readonly blockNum: number;
  readonly txNum: number;
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

  async commit(
    blockNum: number,
    entries: readonly PvtDataEntry[],
    purges: readonly PurgeMarker[] = [],
  ): Promise<void> {
    if (entries.length === 0 && purges.length === 0) return;
    const ops: BatchOp[] = entries.map((e) => ({
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
    for (const e of entries) {
      for (const [key, value] of this.indexEntries({ blockNum, ...e }, e.rwset)) {
        ops.push({ type: 'put', key, value: Buffer.from(value) });
      }
    }
    const latestInColl = new Map<string, PurgeMarker>();
    for (const p of purges) {
      const height = heightToBytes({ blockNum, txNum: p.txNum });
      ops.push({
        type: 'put',
        key: this.key(encodePurgeMarkerKey(p.namespace, p.collection, p.keyHash)),
        value: height,
      });
      const id = `${p.namespace}\u0000${p.collection}`;
      if ((latestInColl.get(id)?.txNum ?? -1) < p.txNum) latestInColl.set(id, p);
    }
    for (const p of latestInColl.values()) {
      ops.push({
        type: 'put',
        key: this.key(encodeCollPurgeMarkerKey(p.namespace, p.collection)),
        value: heightToBytes({ blockNum, txNum: p.txNum }),
      });
    }
    await this.write(ops, `store the private data of block [${blockNum}]`);
  }

  /** One batch (synced as the provider says); a failure is a DB_ERROR saying what it was for. */
  private async write(ops: BatchOp[], what: string): Promise<void> {
    try {
      await this.db.batch(ops, { sync: this.sync });
    } catch (err) {
      throw new LedgerError(
        'DB_ERROR',
        `cannot ${what} of channel [${this.channelId}]: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** The hashed index entries (index key, key) of a collection write set (KVRWSet bytes `kv`). */
  private indexEntries(at: DataKey, kv: Uint8Array): [Uint8Array, string][] {
    return writtenKeys(kv).map((key) => [
      this.key(
        encodeHashedIndexKey(at.namespace, at.collection, sha256String(key), at.blockNum, at.txNum),
      ),
      key,
    ]);
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
    const collMarkers = new Map<string, Height | undefined>();
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
        value = await this.unpurged(key, value, collMarkers);
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

  /** `value` without the writes purged since it was stored (Fabric's removePurgedDataFromCollPvtRWset). */
  private async unpurged(
    key: DataKey,
    value: rwset.CollectionPvtReadWriteSet,
    collMarkers: Map<string, Height | undefined>,
  ): Promise<rwset.CollectionPvtReadWriteSet> {
    const id = `${key.namespace}\u0000${key.collection}`;
    if (!collMarkers.has(id)) {
      const bytes = await this.db.get(
        this.key(encodeCollPurgeMarkerKey(key.namespace, key.collection)),
      );
      collMarkers.set(id, bytes === undefined ? undefined : heightFromBytes(bytes));
    }
    const latest = collMarkers.get(id);
    const height = { blockNum: key.blockNum, txNum: key.txNum };
    // No purge in the collection since this write set: nothing to look up key by key.
    if (latest === undefined || compareHeights(height, latest) > 0) return value;
    return withoutPurgedWrites(value, height, async (keyHash) => {
      const bytes = await this.db.get(
        this.key(encodePurgeMarkerKey(key.namespace, key.collection, keyHash)),
      );
      return bytes === undefined ? undefined : heightFromBytes(bytes);
    });
  }

  async rawKey(
    namespace: string,
    collection: string,
    keyHash: Uint8Array,
  ): Promise<string | undefined> {
    const prefix = this.key(hashedIndexPrefix(namespace, collection, keyHash));
    const values = this.db.values({ gte: prefix, lt: prefixEnd(prefix), limit: 1 });
    try {
      const v = await values.next();
      return v === undefined ? undefined : Buffer.from(v).toString();
    } finally {
      await values.close();
    }
  }

  async purgeMarked(): Promise<PurgedWrite[]> {
    const start = this.key(Uint8Array.of(PURGE_MARKER_PREFIX));
    const markers: { key: Uint8Array; value: Uint8Array }[] = [];
    for await (const [key, value] of this.db.iterator({ gte: start, lt: prefixEnd(start) })) {
      markers.push({ key, value });
    }
    if (markers.length === 0) return [];
    const ops: BatchOp[] = [];
    // Write sets changed in this pass, by data key (several purged keys may share one).
    const changed = new Map<string, { key: Uint8Array; set: rwset.CollectionPvtReadWriteSet }>();
    const purged: PurgedWrite[] = [];
    for (const marker of markers) {
      const { namespace, collection, keyHash } = decodePurgeMarkerKey(
        marker.key.subarray(this.prefixLength),
      );
      const upTo = heightFromBytes(marker.value);
      const prefix = this.key(hashedIndexPrefix(namespace, collection, keyHash));
      for await (const [indexKey, rawKey] of this.db.iterator({
        gte: prefix,
        lt: prefixEnd(prefix),
      })) {
        const at = decodeHashedIndexKey(indexKey.subarray(this.prefixLength));
        if (compareHeights({ blockNum: at.blockNum, txNum: at.txNum }, upTo) > 0) break;
        const dataKey = this.key(encodeDataKey(at));
        const id = Buffer.from(dataKey).toString('latin1');
        let entry = changed.get(id);
        if (entry === undefined) {
          const stored = await this.db.get(dataKey);
          if (stored !== undefined) {
            entry = { key: dataKey, set: rwset.CollectionPvtReadWriteSet.decode(stored) };
            changed.set(id, entry);
          }
        }
        if (entry !== undefined) {
          entry.set = withoutKey(entry.set, Buffer.from(rawKey).toString());
          purged.push({ namespace, collection, keyHash, blockNum: at.blockNum, txNum: at.txNum });
        }
        ops.push({ type: 'del', key: indexKey });
      }
      ops.push({ type: 'del', key: marker.key });
    }
    for (const { key, set } of changed.values()) {
      ops.push({ type: 'put', key, value: rwset.CollectionPvtReadWriteSet.encode(set).finish() });
    }
    await this.write(ops, 'purge the private data marked for purge');
    return purged;
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
    // Hashed index entries and purge markers of the removed blocks (the collection markers stay:
    // one too recent only makes reads look key by key).
    const index = this.key(Uint8Array.of(HASHED_INDEX_PREFIX));
    for await (const k of this.db.keys({ gte: index, lt: prefixEnd(index) })) {
      if (decodeHashedIndexKey(k.subarray(this.prefixLength)).blockNum >= height) stale.push(k);
    }
    const marks = this.key(Uint8Array.of(PURGE_MARKER_PREFIX));
    for await (const [k, v] of this.db.iterator({ gte: marks, lt: prefixEnd(marks) })) {
      if (heightFromBytes(v).blockNum >= height) stale.push(k);
    }
    if (stale.length > 0) {
      await this.db.batch(stale.map((key) => ({ type: 'del' as const, key })));
    }
  }

  async purgeExpired(block: number): Promise<number> {
    const ops: BatchOp[] = [];
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
        const dataKey = this.key(
          encodeDataKey({ blockNum: committingBlock, txNum, namespace, collection }),
        );
        const stored = await this.db.get(dataKey);
        if (stored !== undefined) {
          const at = { blockNum: committingBlock, txNum, namespace, collection };
          const kv = rwset.CollectionPvtReadWriteSet.decode(stored).rwset;
          for (const [key] of this.indexEntries(at, kv)) ops.push({ type: 'del', key });
        }
        ops.push({ type: 'del', key: dataKey });
      }
      ops.push({ type: 'del', key: k });
    }
    if (ops.length === 0) return 0;
    await this.write(ops, 'purge the expired private data');
    return purged;
  }
}

type BatchOp =
  { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0xff, 0xff, 0xff, 0xff);
}
