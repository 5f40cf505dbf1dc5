/**
 * Private data store keys (Fabric v2.5 `pvtdatastorage/kv_encoding.go`), inside the channel's part of
 * the shared LevelDB (`<channel> 0x00` first, as Fabric's leveldbhelper):
 *
 *   data key = 0x02 ovarint(blockNum) ovarint(txNum) ns 0x00 coll  → CollectionPvtReadWriteSet bytes
 *
 *   expiry key = 0x03 ovarint(expiringBlock) ovarint(committingBlock)
 *              → JSON [[txNum, ns, coll], ...]: the block's data keys that expire then
 *
 *   hashed index key  = 'b' ns 0x00 coll 0x00 keyHash ovarint(block) ovarint(tx) → key
 *   purge marker      = 'c' ns 0x00 coll 0x00 keyHash → height (ovarint block, tx) of the purge
 *   coll purge marker = 'd' ns 0x00 coll → height of the collection's latest purge
 *
 * where ovarint is the order-preserving varint (txmgmt/height.ts), so a block's entries are one
 * contiguous range sorted by transaction, namespace and collection, every block at or above a
 * height is the range from that height's first key to the prefix 0x03, and the expiry entries due
 * up to a block are one range. (Fabric's expiry value is its ExpiryData message; this one is the
 * peer's own.)
 */
import { LedgerError } from '../txmgmt/errors.js';
import { decodeOrderedVarUint64, encodeOrderedVarUint64, heightToBytes } from '../txmgmt/height.js';
import { concatBytes, utf8 } from '../history/level.js';

/** Fabric's pvtDataKeyPrefix. */
export const DATA_KEY_PREFIX = 0x02;
/** Fabric's expiryKeyPrefix, right after the data keys: also the end of every data range. */
export const EXPIRY_KEY_PREFIX = 0x03;
const SEP = 0x00;

/** What a data key names. */
export interface DataKey {
  readonly blockNum: number;
  readonly txNum: number;
  readonly namespace: string;
  readonly collection: string;
}

/** Fabric's encodeDataKey. */
export function encodeDataKey(k: DataKey): Uint8Array {
  return concatBytes(
    Uint8Array.of(DATA_KEY_PREFIX),
    heightToBytes({ blockNum: k.blockNum, txNum: k.txNum }),
    utf8(k.namespace),
    Uint8Array.of(SEP),
    utf8(k.collection),
  );
}

/** Fabric's decodeDatakey (of a key without the channel prefix). */
export function decodeDataKey(bytes: Uint8Array): DataKey {
  if (bytes[0] !== DATA_KEY_PREFIX) {
    throw new LedgerError('MALFORMED', 'not a private data key');
  }
  const block = decodeOrderedVarUint64(bytes, 1);
  const tx = decodeOrderedVarUint64(bytes, 1 + block.consumed);
  const rest = bytes.subarray(1 + block.consumed + tx.consumed);
  const sep = rest.indexOf(SEP);
  if (sep < 0) throw new LedgerError('MALFORMED', 'private data key has no collection');
  const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString();
  return {
    blockNum: Number(block.value),
    txNum: Number(tx.value),
    namespace: text(rest.subarray(0, sep)),
    collection: text(rest.subarray(sep + 1)),
  };
}

/** The first data key of block `blockNum` (Fabric's getDataKeysForRangeScanByBlockNum start). */
export function blockStartKey(blockNum: number): Uint8Array {
  return concatBytes(Uint8Array.of(DATA_KEY_PREFIX), heightToBytes({ blockNum, txNum: 0 }));
}

/** Past every data key. */
export const DATA_END_KEY = Uint8Array.of(EXPIRY_KEY_PREFIX);

/** The expiry key of the data `committingBlock` keeps until `expiringBlock`. */
export function encodeExpiryKey(expiringBlock: number, committingBlock: number): Uint8Array {
  return concatBytes(
    Uint8Array.of(EXPIRY_KEY_PREFIX),
    encodeOrderedVarUint64(expiringBlock),
    encodeOrderedVarUint64(committingBlock),
  );
}

/** Of an expiry key without the channel prefix. */
export function decodeExpiryKey(bytes: Uint8Array): {
  expiringBlock: number;
  committingBlock: number;
} {
  if (bytes[0] !== EXPIRY_KEY_PREFIX) {
    throw new LedgerError('MALFORMED', 'not a private data expiry key');
  }
  const expiring = decodeOrderedVarUint64(bytes, 1);
  const committing = decodeOrderedVarUint64(bytes, 1 + expiring.consumed);
  return { expiringBlock: Number(expiring.value), committingBlock: Number(committing.value) };
}

/** Past every expiry key due at `block` or before. */
export function expiryEndKey(block: number): Uint8Array {
  return concatBytes(Uint8Array.of(EXPIRY_KEY_PREFIX), encodeOrderedVarUint64(block + 1));
}

/** Past every expiry key. */
export const EXPIRY_END_KEY = Uint8Array.of(EXPIRY_KEY_PREFIX + 1);

/** Fabric's hashedIndexKeyPrefix: which key of a collection a stored write set writes. */
export const HASHED_INDEX_PREFIX = 0x62;
/** Fabric's purgeMarkerKeyPrefix: the height up to which a key's writes are purged. */
export const PURGE_MARKER_PREFIX = 0x63;
/** Fabric's purgeMarkerCollKeyPrefix: the height of a collection's latest purge. */
export const COLL_PURGE_MARKER_PREFIX = 0x64;

function nsCollKey(prefix: number, ns: string, coll: string): Uint8Array {
  return concatBytes(Uint8Array.of(prefix), utf8(ns), Uint8Array.of(SEP), utf8(coll));
}

/** The hashed index entries of one key of a collection: `hashedIndexPrefix(...)` + height. */
export function hashedIndexPrefix(ns: string, coll: string, keyHash: Uint8Array): Uint8Array {
  return concatBytes(nsCollKey(HASHED_INDEX_PREFIX, ns, coll), Uint8Array.of(SEP), keyHash);
}

/**
 * Hashed index key = 'b' ns 0x00 coll 0x00 keyHash(32 bytes) ovarint(block) ovarint(tx) → the key,
 * for each write a stored collection write set makes.
 */
export function encodeHashedIndexKey(
  ns: string,
  coll: string,
  keyHash: Uint8Array,
  blockNum: number,
  txNum: number,
): Uint8Array {
  return concatBytes(hashedIndexPrefix(ns, coll, keyHash), heightToBytes({ blockNum, txNum }));
}

/** The namespace, collection and height of a hashed index key (without the channel prefix). */
export function decodeHashedIndexKey(bytes: Uint8Array): DataKey {
  const first = bytes.indexOf(SEP, 1);
  const second = bytes.indexOf(SEP, first + 1);
  if (bytes[0] !== HASHED_INDEX_PREFIX || first < 0 || second < 0) {
    throw new LedgerError('MALFORMED', 'not a private data hashed index key');
  }
  const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString();
  const at = second + 1 + 32;
  const block = decodeOrderedVarUint64(bytes, at);
  const tx = decodeOrderedVarUint64(bytes, at + block.consumed);
  return {
    namespace: text(bytes.subarray(1, first)),
    collection: text(bytes.subarray(first + 1, second)),
    blockNum: Number(block.value),
    txNum: Number(tx.value),
  };
}

/** Purge marker key = 'c' ns 0x00 coll 0x00 keyHash → height of the purging transaction. */
export function encodePurgeMarkerKey(ns: string, coll: string, keyHash: Uint8Array): Uint8Array {
  return concatBytes(nsCollKey(PURGE_MARKER_PREFIX, ns, coll), Uint8Array.of(SEP), keyHash);
}

/** Of a purge marker key (without the channel prefix). */
export function decodePurgeMarkerKey(bytes: Uint8Array): {
  namespace: string;
  collection: string;
  keyHash: Uint8Array;
} {
  const first = bytes.indexOf(SEP, 1);
  const second = bytes.indexOf(SEP, first + 1);
  if (bytes[0] !== PURGE_MARKER_PREFIX || first < 0 || second < 0) {
    throw new LedgerError('MALFORMED', 'not a private data purge marker key');
  }
  const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString();
  return {
    namespace: text(bytes.subarray(1, first)),
    collection: text(bytes.subarray(first + 1, second)),
    keyHash: bytes.slice(second + 1),
  };
}

/** Collection purge marker key = 'd' ns 0x00 coll → height of the collection's latest purge. */
export function encodeCollPurgeMarkerKey(ns: string, coll: string): Uint8Array {
  return nsCollKey(COLL_PURGE_MARKER_PREFIX, ns, coll);
}
