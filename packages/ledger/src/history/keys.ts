/**
 * History keys (Fabric v2.5 `kvledger/history/kv_encoding.go`), inside the channel's part of the
 * shared history LevelDB (Fabric's leveldbhelper prefixes every key with `<channel> 0x00`):
 *
 *   data key  = ns 0x00 ovarint(len(key)) key 0x00 ovarint(blockNum) ovarint(tranNum)   (value: empty)
 *   savepoint = "s" → ovarint(blockNum) ovarint(number of transactions in the block)
 *
 * where ovarint is the order-preserving varint (txmgmt/height.ts) and len(key) counts UTF-8 bytes.
 * All modifications of one key share the prefix up to the second 0x00 and sort by height.
 */
import { LedgerError } from '../txmgmt/errors.js';
import { decodeOrderedVarUint64, encodeOrderedVarUint64 } from '../txmgmt/height.js';
import { concatBytes, utf8 } from './level.js';

const SEP = Uint8Array.of(0x00);
/** Fabric's savePointKey. */
export const SAVEPOINT_KEY = Uint8Array.of(0x73);
/** Fabric's leveldbhelper formatVersionKey, under its internal db name "_". */
export const FORMAT_KEY = concatBytes(utf8('_'), SEP, utf8('f'));
/** Fabric's dataformat.CurrentFormat. */
export const CURRENT_FORMAT = '2.0';

/** Fabric's leveldbhelper constructLevelKey(dbName, key). */
export function channelKey(channelId: string, key: Uint8Array): Uint8Array {
  return concatBytes(utf8(channelId), SEP, key);
}

/** The key range `{ gte, lt }` holding every key of `channelId` (its constructLevelKey prefix). */
export function channelRange(channelId: string): { gte: Uint8Array; lt: Uint8Array } {
  const gte = channelKey(channelId, new Uint8Array());
  const lt = Uint8Array.from(gte);
  lt[lt.length - 1] = 0x01;
  return { gte, lt };
}

/** The prefix shared by every history key of `key` in `ns` (Fabric's constructRangeScan start). */
export function historyKeyPrefix(ns: string, key: string): Uint8Array {
  const k = utf8(key);
  return concatBytes(utf8(ns), SEP, encodeOrderedVarUint64(k.length), k, SEP);
}

/** Fabric's constructDataKey. */
export function historyDataKey(
  ns: string,
  key: string,
  blockNum: number,
  tranNum: number,
): Uint8Array {
  return concatBytes(
    historyKeyPrefix(ns, key),
    encodeOrderedVarUint64(blockNum),
    encodeOrderedVarUint64(tranNum),
  );
}

/** Fabric's decodeBlockNumTranNum: the height encoded after `prefix`. */
export function decodeHistoryHeight(
  prefix: Uint8Array,
  dataKey: Uint8Array,
): { blockNum: number; tranNum: number } {
  const rest = dataKey.subarray(prefix.length);
  const b = decodeOrderedVarUint64(rest, 0);
  const t = decodeOrderedVarUint64(rest, b.consumed);
  if (b.consumed + t.consumed !== rest.length) {
    throw new LedgerError(
      'MALFORMED',
      `number of decoded bytes (${b.consumed + t.consumed}) is not equal to the length of blockNumTranNumBytes (${rest.length})`,
    );
  }
  if (b.value > BigInt(Number.MAX_SAFE_INTEGER) || t.value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LedgerError('MALFORMED', 'history height beyond 2^53');
  }
  return { blockNum: Number(b.value), tranNum: Number(t.value) };
}
