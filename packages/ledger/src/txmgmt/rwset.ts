/**
 * Read-write sets as the ledger works with them (Fabric's `rwsetutil` TxRwSet / TxPvtRwSet), their
 * decoding with Go's semantics (see wire.ts) and their encoding with @fabric-peer/protos, which
 * writes what Go's proto.Marshal writes (fields in number order, proto3 defaults omitted).
 */
import { Long, kvrwset, rwset } from '@fabric-peer/protos';
import type { RwVersion } from './height.js';
import { WireError, decodeMessage, type MessageSpec } from './wire.js';

export interface KVRead {
  readonly key: string;
  /** Absent when the key did not exist. */
  readonly version?: RwVersion;
}

export interface KVWrite {
  readonly key: string;
  readonly isDelete: boolean;
  /** Empty when absent. */
  readonly value: Uint8Array;
}

export interface KVMetadataEntry {
  readonly name: string;
  readonly value: Uint8Array;
}

export interface KVMetadataWrite {
  readonly key: string;
  /** Empty means "delete the key's metadata" (Go's nil Entries). */
  readonly entries: readonly KVMetadataEntry[];
}

export interface MerkleSummary {
  readonly maxDegree: number;
  readonly maxLevel: number;
  readonly maxLevelHashes: readonly Uint8Array[];
}

export interface RangeQueryInfo {
  readonly startKey: string;
  readonly endKey: string;
  readonly itrExhausted: boolean;
  /** The reads, when the range held no more than the max degree of results. */
  readonly rawReads?: readonly KVRead[];
  /** The Merkle summary of the reads otherwise. */
  readonly readsMerkleHashes?: MerkleSummary;
}

export interface KVRWSet {
  readonly reads: readonly KVRead[];
  readonly rangeQueriesInfo: readonly RangeQueryInfo[];
  readonly writes: readonly KVWrite[];
  readonly metadataWrites: readonly KVMetadataWrite[];
}

export interface KVReadHash {
  readonly keyHash: Uint8Array;
  readonly version?: RwVersion;
}

export interface KVWriteHash {
  readonly keyHash: Uint8Array;
  readonly isDelete: boolean;
  readonly valueHash: Uint8Array;
  readonly isPurge: boolean;
}

export interface KVMetadataWriteHash {
  readonly keyHash: Uint8Array;
  readonly entries: readonly KVMetadataEntry[];
}

export interface HashedRWSet {
  readonly hashedReads: readonly KVReadHash[];
  readonly hashedWrites: readonly KVWriteHash[];
  readonly metadataWrites: readonly KVMetadataWriteHash[];
}

export interface CollHashedRwSet {
  readonly collectionName: string;
  readonly hashedRwSet: HashedRWSet;
  /** SHA-256 of the collection's private rwset bytes; absent (Go nil) when empty. */
  readonly pvtRwSetHash?: Uint8Array;
}

export interface NsRwSet {
  readonly namespace: string;
  readonly kvRwSet: KVRWSet;
  readonly collHashedRwSets: readonly CollHashedRwSet[];
}

/** A transaction's public read-write set (Fabric's rwsetutil.TxRwSet). */
export interface TxRwSet {
  readonly nsRwSets: readonly NsRwSet[];
}

export interface CollPvtRwSet {
  readonly collectionName: string;
  /** The collection's KVRWSet bytes as received (what pvt_rwset_hash covers). */
  readonly rwsetBytes: Uint8Array;
  readonly kvRwSet: KVRWSet;
}

export interface NsPvtRwSet {
  readonly namespace: string;
  readonly collPvtRwSets: readonly CollPvtRwSet[];
}

/** A transaction's private read-write set (Fabric's rwsetutil.TxPvtRwSet). */
export interface TxPvtRwSet {
  readonly nsPvtRwSets: readonly NsPvtRwSet[];
}

// ---------------------------------------------------------------------------------------------
// Message layouts for the Go-compatible decoder.

const VersionSpec: MessageSpec = {
  name: 'kvrwset.Version',
  fields: { 1: { name: 'blockNum', kind: 'uint64' }, 2: { name: 'txNum', kind: 'uint64' } },
};
const KVReadSpec: MessageSpec = {
  name: 'kvrwset.KVRead',
  fields: {
    1: { name: 'key', kind: 'string' },
    2: { name: 'version', kind: 'message', message: () => VersionSpec },
  },
};
const KVWriteSpec: MessageSpec = {
  name: 'kvrwset.KVWrite',
  fields: {
    1: { name: 'key', kind: 'string' },
    2: { name: 'isDelete', kind: 'bool' },
    3: { name: 'value', kind: 'bytes' },
  },
};
const KVMetadataEntrySpec: MessageSpec = {
  name: 'kvrwset.KVMetadataEntry',
  fields: { 1: { name: 'name', kind: 'string' }, 2: { name: 'value', kind: 'bytes' } },
};
const KVMetadataWriteSpec: MessageSpec = {
  name: 'kvrwset.KVMetadataWrite',
  fields: {
    1: { name: 'key', kind: 'string' },
    2: {
      name: 'entries',
      kind: 'message',
      repeated: true,
      message: () => KVMetadataEntrySpec,
    },
  },
};
const QueryReadsSpec: MessageSpec = {
  name: 'kvrwset.QueryReads',
  fields: { 1: { name: 'kvReads', kind: 'message', repeated: true, message: () => KVReadSpec } },
};
const MerkleSummarySpec: MessageSpec = {
  name: 'kvrwset.QueryReadsMerkleSummary',
  fields: {
    1: { name: 'maxDegree', kind: 'uint32' },
    2: { name: 'maxLevel', kind: 'uint32' },
    3: { name: 'maxLevelHashes', kind: 'bytes', repeated: true },
  },
};
const RangeQueryInfoSpec: MessageSpec = {
  name: 'kvrwset.RangeQueryInfo',
  fields: {
    1: { name: 'startKey', kind: 'string' },
    2: { name: 'endKey', kind: 'string' },
    3: { name: 'itrExhausted', kind: 'bool' },
    4: { name: 'rawReads', kind: 'message', message: () => QueryReadsSpec, oneof: 'readsInfo' },
    5: {
      name: 'readsMerkleHashes',
      kind: 'message',
      message: () => MerkleSummarySpec,
      oneof: 'readsInfo',
    },
  },
};
const KVRWSetSpec: MessageSpec = {
  name: 'kvrwset.KVRWSet',
  fields: {
    1: { name: 'reads', kind: 'message', repeated: true, message: () => KVReadSpec },
    2: {
      name: 'rangeQueriesInfo',
      kind: 'message',
      repeated: true,
      message: () => RangeQueryInfoSpec,
    },
    3: { name: 'writes', kind: 'message', repeated: true, message: () => KVWriteSpec },
    4: {
      name: 'metadataWrites',
      kind: 'message',
      repeated: true,
      message: () => KVMetadataWriteSpec,
    },
  },
};
const KVReadHashSpec: MessageSpec = {
  name: 'kvrwset.KVReadHash',
  fields: {
    1: { name: 'keyHash', kind: 'bytes' },
    2: { name: 'version', kind: 'message', message: () => VersionSpec },
  },
};
const KVWriteHashSpec: MessageSpec = {
  name: 'kvrwset.KVWriteHash',
  fields: {
    1: { name: 'keyHash', kind: 'bytes' },
    2: { name: 'isDelete', kind: 'bool' },
    3: { name: 'valueHash', kind: 'bytes' },
    4: { name: 'isPurge', kind: 'bool' },
  },
};
const KVMetadataWriteHashSpec: MessageSpec = {
  name: 'kvrwset.KVMetadataWriteHash',
  fields: {
    1: { name: 'keyHash', kind: 'bytes' },
    2: {
      name: 'entries',
      kind: 'message',
      repeated: true,
      message: () => KVMetadataEntrySpec,
    },
  },
};
const HashedRWSetSpec: MessageSpec = {
  name: 'kvrwset.HashedRWSet',
  fields: {
    1: { name: 'hashedReads', kind: 'message', repeated: true, message: () => KVReadHashSpec },
    2: { name: 'hashedWrites', kind: 'message', repeated: true, message: () => KVWriteHashSpec },
    3: {
      name: 'metadataWrites',
      kind: 'message',
      repeated: true,
      message: () => KVMetadataWriteHashSpec,
    },
  },
};
const CollHashedSpec: MessageSpec = {
  name: 'rwset.CollectionHashedReadWriteSet',
  fields: {
    1: { name: 'collectionName', kind: 'string' },
    2: { name: 'hashedRwset', kind: 'bytes' },
    3: { name: 'pvtRwsetHash', kind: 'bytes' },
  },
};
const NsRwSetSpec: MessageSpec = {
  name: 'rwset.NsReadWriteSet',
  fields: {
    1: { name: 'namespace', kind: 'string' },
    2: { name: 'rwset', kind: 'bytes' },
    3: {
      name: 'collectionHashedRwset',
      kind: 'message',
      repeated: true,
      message: () => CollHashedSpec,
    },
  },
};
const TxRwSetSpec: MessageSpec = {
  name: 'rwset.TxReadWriteSet',
  fields: {
    1: { name: 'dataModel', kind: 'enum' },
    2: { name: 'nsRwset', kind: 'message', repeated: true, message: () => NsRwSetSpec },
  },
};
const CollPvtSpec: MessageSpec = {
  name: 'rwset.CollectionPvtReadWriteSet',
  fields: { 1: { name: 'collectionName', kind: 'string' }, 2: { name: 'rwset', kind: 'bytes' } },
};
const NsPvtSpec: MessageSpec = {
  name: 'rwset.NsPvtReadWriteSet',
  fields: {
    1: { name: 'namespace', kind: 'string' },
    2: { name: 'collectionPvtRwset', kind: 'message', repeated: true, message: () => CollPvtSpec },
  },
};
const TxPvtSpec: MessageSpec = {
  name: 'rwset.TxPvtReadWriteSet',
  fields: {
    1: { name: 'dataModel', kind: 'enum' },
    2: { name: 'nsPvtRwset', kind: 'message', repeated: true, message: () => NsPvtSpec },
  },
};

// ---------------------------------------------------------------------------------------------
// Decoding: the Go-decoded plain objects → typed structures.

type Obj = Record<string, unknown>;
const EMPTY = new Uint8Array(0);

const str = (o: Obj, k: string): string => (o[k] as string | undefined) ?? '';
const bytes = (o: Obj, k: string): Uint8Array => (o[k] as Uint8Array | undefined) ?? EMPTY;
const bool = (o: Obj, k: string): boolean => (o[k] as boolean | undefined) ?? false;
const list = (o: Obj, k: string): Obj[] => (o[k] as Obj[] | undefined) ?? [];

function version(o: Obj): RwVersion | undefined {
  const v = o['version'] as Obj | undefined;
  if (v === undefined) return undefined;
  return {
    blockNum: (v['blockNum'] as bigint | undefined) ?? 0n,
    txNum: (v['txNum'] as bigint | undefined) ?? 0n,
  };
}

function kvRead(o: Obj): KVRead {
  const v = version(o);
  return v === undefined ? { key: str(o, 'key') } : { key: str(o, 'key'), version: v };
}

function entries(o: Obj): KVMetadataEntry[] {
  return list(o, 'entries').map((e) => ({ name: str(e, 'name'), value: bytes(e, 'value') }));
}

function kvRwSetFrom(o: Obj): KVRWSet {
  return {
    reads: list(o, 'reads').map(kvRead),
    rangeQueriesInfo: list(o, 'rangeQueriesInfo').map((q): RangeQueryInfo => {
      const base = {
        startKey: str(q, 'startKey'),
        endKey: str(q, 'endKey'),
        itrExhausted: bool(q, 'itrExhausted'),
      };
      const raw = q['rawReads'] as Obj | undefined;
      if (raw !== undefined) return { ...base, rawReads: list(raw, 'kvReads').map(kvRead) };
      const m = q['readsMerkleHashes'] as Obj | undefined;
      if (m !== undefined) {
        return {
          ...base,
          readsMerkleHashes: {
            maxDegree: (m['maxDegree'] as number | undefined) ?? 0,
            maxLevel: (m['maxLevel'] as number | undefined) ?? 0,
            maxLevelHashes: (m['maxLevelHashes'] as Uint8Array[] | undefined) ?? [],
          },
        };
      }
      return base;
    }),
    writes: list(o, 'writes').map((w) => ({
      key: str(w, 'key'),
      isDelete: bool(w, 'isDelete'),
      value: bytes(w, 'value'),
    })),
    metadataWrites: list(o, 'metadataWrites').map((w) => ({
      key: str(w, 'key'),
      entries: entries(w),
    })),
  };
}

function hashedRwSetFrom(o: Obj): HashedRWSet {
  return {
    hashedReads: list(o, 'hashedReads').map((r) => {
      const v = version(r);
      return v === undefined
        ? { keyHash: bytes(r, 'keyHash') }
        : { keyHash: bytes(r, 'keyHash'), version: v };
    }),
    hashedWrites: list(o, 'hashedWrites').map((w) => ({
      keyHash: bytes(w, 'keyHash'),
      isDelete: bool(w, 'isDelete'),
      valueHash: bytes(w, 'valueHash'),
      isPurge: bool(w, 'isPurge'),
    })),
    metadataWrites: list(o, 'metadataWrites').map((w) => ({
      keyHash: bytes(w, 'keyHash'),
      entries: entries(w),
    })),
  };
}

/** Decodes a KVRWSet with Go's semantics; throws WireError where Go fails. */
export function decodeKVRWSet(b: Uint8Array): KVRWSet {
  return kvRwSetFrom(decodeMessage(KVRWSetSpec, b));
}

/**
 * Fabric's TxRwSet.FromProtoBytes: the TxReadWriteSet, each namespace's KVRWSet and each
 * collection's HashedRWSet; throws WireError where Go's Unmarshal fails.
 */
export function decodeTxRwSet(b: Uint8Array): TxRwSet {
  const tx = decodeMessage(TxRwSetSpec, b);
  return {
    nsRwSets: list(tx, 'nsRwset').map((ns): NsRwSet => ({
      namespace: str(ns, 'namespace'),
      kvRwSet: kvRwSetFrom(decodeMessage(KVRWSetSpec, bytes(ns, 'rwset'))),
      collHashedRwSets: list(ns, 'collectionHashedRwset').map((c): CollHashedRwSet => {
        const hashed = hashedRwSetFrom(decodeMessage(HashedRWSetSpec, bytes(c, 'hashedRwset')));
        const h = c['pvtRwsetHash'] as Uint8Array | undefined;
        return h === undefined
          ? { collectionName: str(c, 'collectionName'), hashedRwSet: hashed }
          : { collectionName: str(c, 'collectionName'), hashedRwSet: hashed, pvtRwSetHash: h };
      }),
    })),
  };
}

/** Fabric's TxPvtRwSet.FromProtoBytes; throws WireError where Go's Unmarshal fails. */
export function decodeTxPvtRwSet(b: Uint8Array): TxPvtRwSet {
  const tx = decodeMessage(TxPvtSpec, b);
  return {
    nsPvtRwSets: list(tx, 'nsPvtRwset').map((ns) => ({
      namespace: str(ns, 'namespace'),
      collPvtRwSets: list(ns, 'collectionPvtRwset').map((c) => {
        const rw = bytes(c, 'rwset');
        return {
          collectionName: str(c, 'collectionName'),
          rwsetBytes: rw,
          kvRwSet: kvRwSetFrom(decodeMessage(KVRWSetSpec, rw)),
        };
      }),
    })),
  };
}

export { WireError };

// ---------------------------------------------------------------------------------------------
// Encoding through @fabric-peer/protos.

function protoVersion(v: RwVersion): kvrwset.Version.$Properties {
  const out: { blockNum?: Long; txNum?: Long } = {};
  if (v.blockNum !== 0n) out.blockNum = Long.fromString(v.blockNum.toString(), true);
  if (v.txNum !== 0n) out.txNum = Long.fromString(v.txNum.toString(), true);
  return out;
}

/** The protobuf message of a KVRead (version omitted for a missing key, as Fabric). */
export function protoKVRead(r: KVRead): kvrwset.KVRead.$Properties {
  const out: { key?: string; version?: kvrwset.Version.$Properties } = {};
  if (r.key !== '') out.key = r.key;
  if (r.version !== undefined) out.version = protoVersion(r.version);
  return out;
}

function protoEntries(es: readonly KVMetadataEntry[]): kvrwset.KVMetadataEntry.$Properties[] {
  return es.map((e) => ({ name: e.name, value: e.value }));
}

function protoKVRWSet(s: KVRWSet): kvrwset.KVRWSet.$Properties {
  return {
    reads: s.reads.map(protoKVRead),
    rangeQueriesInfo: s.rangeQueriesInfo.map((q) => {
      const out: kvrwset.RangeQueryInfo.$Properties = {
        startKey: q.startKey,
        endKey: q.endKey,
        itrExhausted: q.itrExhausted,
      };
      if (q.rawReads !== undefined) {
        out.rawReads = { kvReads: q.rawReads.map(protoKVRead) };
      } else if (q.readsMerkleHashes !== undefined) {
        out.readsMerkleHashes = {
          maxDegree: q.readsMerkleHashes.maxDegree,
          maxLevel: q.readsMerkleHashes.maxLevel,
          maxLevelHashes: [...q.readsMerkleHashes.maxLevelHashes],
        };
      }
      return out;
    }),
    writes: s.writes.map((w) => ({ key: w.key, isDelete: w.isDelete, value: w.value })),
    metadataWrites: s.metadataWrites.map((m) => ({ key: m.key, entries: protoEntries(m.entries) })),
  };
}

/** Go's proto.Marshal of a KVRWSet. */
export function encodeKVRWSet(s: KVRWSet): Uint8Array {
  return kvrwset.KVRWSet.encode(protoKVRWSet(s)).finish();
}

/** Go's proto.Marshal of a HashedRWSet. */
export function encodeHashedRWSet(s: HashedRWSet): Uint8Array {
  return kvrwset.HashedRWSet.encode({
    hashedReads: s.hashedReads.map((r) =>
      r.version === undefined
        ? { keyHash: r.keyHash }
        : { keyHash: r.keyHash, version: protoVersion(r.version) },
    ),
    hashedWrites: s.hashedWrites.map((w) => ({
      keyHash: w.keyHash,
      isDelete: w.isDelete,
      valueHash: w.valueHash,
      isPurge: w.isPurge,
    })),
    metadataWrites: s.metadataWrites.map((m) => ({
      keyHash: m.keyHash,
      entries: protoEntries(m.entries),
    })),
  }).finish();
}

/** Go's proto.Marshal of QueryReads{KvReads} (what range-query Merkle leaves hash). */
export function encodeQueryReads(reads: readonly KVRead[]): Uint8Array {
  return kvrwset.QueryReads.encode({ kvReads: reads.map(protoKVRead) }).finish();
}

/** The TxReadWriteSet message of a TxRwSet (data model KV), as Fabric's toProtoMsg. */
export function txRwSetToProto(tx: TxRwSet): rwset.TxReadWriteSet {
  return rwset.TxReadWriteSet.create({
    nsRwset: tx.nsRwSets.map((ns) =>
      rwset.NsReadWriteSet.create({
        namespace: ns.namespace,
        rwset: encodeKVRWSet(ns.kvRwSet),
        collectionHashedRwset: ns.collHashedRwSets.map((c) =>
          rwset.CollectionHashedReadWriteSet.create({
            collectionName: c.collectionName,
            hashedRwset: encodeHashedRWSet(c.hashedRwSet),
            ...(c.pvtRwSetHash !== undefined ? { pvtRwsetHash: c.pvtRwSetHash } : {}),
          }),
        ),
      }),
    ),
  });
}

/** Go's proto.Marshal of the TxReadWriteSet of a TxRwSet. */
export function encodeTxRwSet(tx: TxRwSet): Uint8Array {
  return rwset.TxReadWriteSet.encode(txRwSetToProto(tx)).finish();
}

/** The TxPvtReadWriteSet message of a TxPvtRwSet; collection rwset bytes are used as they are. */
export function txPvtRwSetToProto(tx: TxPvtRwSet): rwset.TxPvtReadWriteSet {
  return rwset.TxPvtReadWriteSet.create({
    nsPvtRwset: tx.nsPvtRwSets.map((ns) =>
      rwset.NsPvtReadWriteSet.create({
        namespace: ns.namespace,
        collectionPvtRwset: ns.collPvtRwSets.map((c) =>
          rwset.CollectionPvtReadWriteSet.create({
            collectionName: c.collectionName,
            rwset: c.rwsetBytes,
          }),
        ),
      }),
    ),
  });
}

/** Go's proto.Marshal of a TxPvtReadWriteSet. */
export function encodeTxPvtRwSet(tx: TxPvtRwSet): Uint8Array {
  return rwset.TxPvtReadWriteSet.encode(txPvtRwSetToProto(tx)).finish();
}

/** Fabric's rwsetutil.IsKVWriteDelete. */
export function isKVWriteDelete(w: KVWrite): boolean {
  return w.isDelete || w.value.length === 0;
}
