/**
 * Fabric's RWSetBuilder (`rwsetutil/rwset_builder.go`): collects a simulation's reads, writes,
 * metadata writes, range queries and private data, and builds the public TxReadWriteSet and the
 * private TxPvtReadWriteSet with Fabric's rules: namespaces, keys and collections sorted by their
 * UTF-8 bytes; one read per key (the last one recorded); the last write of a key wins; a write of
 * an empty value is a delete; range queries in the order first seen, duplicates (same start, end
 * and exhaustion) kept once; private writes appear hashed (SHA-256 of key and value) in the public
 * set, with the SHA-256 of the collection's private KVRWSet bytes as `pvt_rwset_hash`.
 */
import { compareKeys } from '@fabric-peer/api';
import type { rwset } from '@fabric-peer/protos';
import { sha256, sha256String } from './hashing.js';
import type { RwVersion } from './height.js';
import {
  encodeKVRWSet,
  encodeTxPvtRwSet,
  encodeTxRwSet,
  txPvtRwSetToProto,
  txRwSetToProto,
  type CollHashedRwSet,
  type CollPvtRwSet,
  type KVMetadataEntry,
  type KVMetadataWrite,
  type KVMetadataWriteHash,
  type KVRead,
  type KVReadHash,
  type KVWrite,
  type KVWriteHash,
  type NsPvtRwSet,
  type NsRwSet,
  type RangeQueryInfo,
  type TxPvtRwSet,
  type TxRwSet,
} from './rwset.js';

/** Metadata to write for a key: name → value; an empty map (or none) deletes the metadata. */
export type MetadataInput = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** What a simulation produced. */
export interface TxSimulationResults {
  /** The public read-write set, marshaled as Fabric marshals it (what goes in the proposal response). */
  readonly publicRwset: Uint8Array;
  /** The same, decoded. */
  readonly publicRwsetProto: rwset.TxReadWriteSet;
  /** The private read-write set (TxPvtReadWriteSet bytes), when the simulation wrote private data. */
  readonly privateRwset?: Uint8Array;
  readonly privateRwsetProto?: rwset.TxPvtReadWriteSet;
  /** Namespace → collections the simulation read private data from (Fabric's PrivateReads). */
  readonly privateReads: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Builds a transaction's read-write sets. */
export interface RWSetBuilder {
  addToReadSet(ns: string, key: string, version: RwVersion | undefined): void;
  addToWriteSet(ns: string, key: string, value: Uint8Array | undefined): void;
  addToMetadataWriteSet(ns: string, key: string, metadata: MetadataInput | undefined): void;
  addToRangeQuerySet(ns: string, info: RangeQueryInfo): void;
  addToHashedReadSet(ns: string, coll: string, key: string, version: RwVersion | undefined): void;
  addToPvtAndHashedWriteSet(
    ns: string,
    coll: string,
    key: string,
    value: Uint8Array | undefined,
  ): void;
  addToPvtAndHashedWriteSetForPurge(ns: string, coll: string, key: string): void;
  addToHashedMetadataWriteSet(
    ns: string,
    coll: string,
    key: string,
    metadata: MetadataInput | undefined,
  ): void;
  /** The public and private sets (Fabric's GetTxSimulationResults, without its once-only check). */
  build(): { pub: TxRwSet; pvt?: TxPvtRwSet; publicRwset: Uint8Array; privateRwset?: Uint8Array };
}

/** The entries of a map or a record of byte values. */
export function entriesOf(
  m: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
): [string, Uint8Array][] {
  if (m instanceof Map) return [...(m as ReadonlyMap<string, Uint8Array>)];
  return Object.entries(m as Readonly<Record<string, Uint8Array>>);
}

/** A new, empty builder. */
export function newRWSetBuilder(): RWSetBuilder {
  return new RWSetBuilderImpl();
}

const EMPTY = new Uint8Array(0);

function sortedValues<V>(m: ReadonlyMap<string, V>): V[] {
  return [...m.keys()].sort(compareKeys).map((k) => m.get(k)!);
}

function metadataEntries(m: MetadataInput | undefined): KVMetadataEntry[] {
  if (m === undefined) return [];
  const pairs = entriesOf(m);
  return pairs.sort(([a], [b]) => compareKeys(a, b)).map(([name, value]) => ({ name, value }));
}

/** Fabric's newKVWrite: an empty (or absent) value is a delete. */
function newKVWrite(key: string, value: Uint8Array | undefined): KVWrite {
  const v = value ?? EMPTY;
  return { key, isDelete: v.length === 0, value: v };
}

class CollHashBuilder {
  readonly reads = new Map<string, KVReadHash>();
  readonly writes = new Map<string, KVWriteHash>();
  readonly metadataWrites = new Map<string, KVMetadataWriteHash>();
  pvtDataHash: Uint8Array | undefined;
  constructor(readonly collName: string) {}

  build(): CollHashedRwSet {
    const hashed = {
      hashedReads: sortedValues(this.reads),
      hashedWrites: sortedValues(this.writes),
      metadataWrites: sortedValues(this.metadataWrites),
    };
    return this.pvtDataHash === undefined || this.pvtDataHash.length === 0
      ? { collectionName: this.collName, hashedRwSet: hashed }
      : { collectionName: this.collName, hashedRwSet: hashed, pvtRwSetHash: this.pvtDataHash };
  }
}

class NsPubBuilder {
  readonly reads = new Map<string, KVRead>();
  readonly writes = new Map<string, KVWrite>();
  readonly metadataWrites = new Map<string, KVMetadataWrite>();
  readonly rangeQueries = new Map<string, RangeQueryInfo>();
  readonly colls = new Map<string, CollHashBuilder>();
  constructor(readonly namespace: string) {}

  coll(name: string): CollHashBuilder {
    let b = this.colls.get(name);
    if (b === undefined) {
      b = new CollHashBuilder(name);
      this.colls.set(name, b);
    }
    return b;
  }

  build(): NsRwSet {
    return {
      namespace: this.namespace,
      kvRwSet: {
        reads: sortedValues(this.reads),
        rangeQueriesInfo: [...this.rangeQueries.values()],
        writes: sortedValues(this.writes),
        metadataWrites: sortedValues(this.metadataWrites),
      },
      collHashedRwSets: sortedValues(this.colls).map((c) => c.build()),
    };
  }
}

class CollPvtBuilder {
  readonly writes = new Map<string, KVWrite>();
  readonly metadataWrites = new Map<string, KVMetadataWrite>();
  constructor(readonly collName: string) {}

  build(): CollPvtRwSet {
    const kvRwSet = {
      reads: [],
      rangeQueriesInfo: [],
      writes: sortedValues(this.writes),
      metadataWrites: sortedValues(this.metadataWrites),
    };
    return { collectionName: this.collName, kvRwSet, rwsetBytes: encodeKVRWSet(kvRwSet) };
  }
}

class RWSetBuilderImpl implements RWSetBuilder {
  private readonly pub = new Map<string, NsPubBuilder>();
  private readonly pvt = new Map<string, Map<string, CollPvtBuilder>>();

  private ns(ns: string): NsPubBuilder {
    let b = this.pub.get(ns);
    if (b === undefined) {
      b = new NsPubBuilder(ns);
      this.pub.set(ns, b);
    }
    return b;
  }

  private pvtColl(ns: string, coll: string): CollPvtBuilder {
    let m = this.pvt.get(ns);
    if (m === undefined) {
      m = new Map();
      this.pvt.set(ns, m);
    }
    let b = m.get(coll);
    if (b === undefined) {
      b = new CollPvtBuilder(coll);
      m.set(coll, b);
    }
    return b;
  }

  addToReadSet(ns: string, key: string, version: RwVersion | undefined): void {
    this.ns(ns).reads.set(key, version === undefined ? { key } : { key, version });
  }

  addToWriteSet(ns: string, key: string, value: Uint8Array | undefined): void {
    this.ns(ns).writes.set(key, newKVWrite(key, value));
  }

  addToMetadataWriteSet(ns: string, key: string, metadata: MetadataInput | undefined): void {
    this.ns(ns).metadataWrites.set(key, { key, entries: metadataEntries(metadata) });
  }

  addToRangeQuerySet(ns: string, info: RangeQueryInfo): void {
    const b = this.ns(ns);
    const id = JSON.stringify([info.startKey, info.endKey, info.itrExhausted]);
    if (!b.rangeQueries.has(id)) b.rangeQueries.set(id, info);
  }

  addToHashedReadSet(ns: string, coll: string, key: string, version: RwVersion | undefined): void {
    const keyHash = sha256String(key);
    this.ns(ns)
      .coll(coll)
      .reads.set(key, version === undefined ? { keyHash } : { keyHash, version });
  }

  addToPvtAndHashedWriteSet(
    ns: string,
    coll: string,
    key: string,
    value: Uint8Array | undefined,
  ): void {
    const w = newKVWrite(key, value);
    this.pvtColl(ns, coll).writes.set(key, w);
    this.ns(ns).coll(coll).writes.set(key, hashedWrite(w, false));
  }

  addToPvtAndHashedWriteSetForPurge(ns: string, coll: string, key: string): void {
    const w = newKVWrite(key, undefined);
    this.pvtColl(ns, coll).writes.set(key, w);
    this.ns(ns).coll(coll).writes.set(key, hashedWrite(w, true));
  }

  addToHashedMetadataWriteSet(
    ns: string,
    coll: string,
    key: string,
    metadata: MetadataInput | undefined,
  ): void {
    // Fabric keeps the key, not the entries, in the private set.
    this.pvtColl(ns, coll).metadataWrites.set(key, { key, entries: [] });
    this.ns(ns)
      .coll(coll)
      .metadataWrites.set(key, { keyHash: sha256String(key), entries: metadataEntries(metadata) });
  }

  build(): { pub: TxRwSet; pvt?: TxPvtRwSet; publicRwset: Uint8Array; privateRwset?: Uint8Array } {
    let pvt: TxPvtRwSet | undefined;
    if (this.pvt.size > 0) {
      const nsPvtRwSets: NsPvtRwSet[] = [...this.pvt.keys()].sort(compareKeys).map((ns) => {
        const colls = this.pvt.get(ns)!;
        return { namespace: ns, collPvtRwSets: sortedValues(colls).map((c) => c.build()) };
      });
      pvt = { nsPvtRwSets };
      for (const ns of nsPvtRwSets) {
        for (const c of ns.collPvtRwSets) {
          this.ns(ns.namespace).coll(c.collectionName).pvtDataHash = sha256(c.rwsetBytes);
        }
      }
    }
    const pub: TxRwSet = { nsRwSets: sortedValues(this.pub).map((b) => b.build()) };
    return pvt === undefined
      ? { pub, publicRwset: encodeTxRwSet(pub) }
      : { pub, pvt, publicRwset: encodeTxRwSet(pub), privateRwset: encodeTxPvtRwSet(pvt) };
  }
}

function hashedWrite(w: KVWrite, isPurge: boolean): KVWriteHash {
  return {
    keyHash: sha256String(w.key),
    isDelete: w.isDelete,
    valueHash: w.isDelete ? EMPTY : sha256(w.value),
    isPurge,
  };
}

export { txPvtRwSetToProto, txRwSetToProto };
