// Keys and values of the block index, inside the channel's sublevel of the index database.
// Integers are big-endian, so keys sort by number. See README.md for the table.
import { readU64, writeU64 } from './record.js';

const PREFIX_BLOCK_NUM = 0x6e; // 'n'
const PREFIX_BLOCK_HASH = 0x68; // 'h'
const PREFIX_TXID = 0x74; // 't'
const PREFIX_FILE = 0x66; // 'f'

/** The checkpoint: height, and where the next record goes. */
export const CHECKPOINT_KEY = Buffer.from('c');
const CHECKPOINT_VERSION = 1;

/** Where a block's record is. */
export interface BlockLoc {
  readonly file: number;
  /** Offset of the record header in the file. */
  readonly offset: number;
  /** Payload (block bytes) length. */
  readonly length: number;
}

/** Where a transaction's envelope is, with its code. */
export interface TxLoc {
  readonly validationCode: number;
  readonly file: number;
  /** Offset of the envelope bytes in the file. */
  readonly offset: number;
  readonly length: number;
  /** CRC-32 of the envelope bytes. */
  readonly crc: number;
}

/** The index checkpoint: every block below `height` is indexed; the last one ends at `file`/`end`. */
export interface Checkpoint {
  readonly height: number;
  readonly file: number;
  readonly end: number;
}

export function blockNumKey(blockNum: number): Buffer {
  const k = Buffer.allocUnsafe(9);
  k[0] = PREFIX_BLOCK_NUM;
  writeU64(k, blockNum, 1);
  return k;
}

export function encodeBlockLoc(loc: BlockLoc): Buffer {
  const v = Buffer.allocUnsafe(16);
  v.writeUInt32BE(loc.file, 0);
  writeU64(v, loc.offset, 4);
  v.writeUInt32BE(loc.length, 12);
  return v;
}

export function decodeBlockLoc(v: Uint8Array): BlockLoc {
  if (v.length !== 16) throw new Error(`block location of ${v.length} bytes, expected 16`);
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { file: b.readUInt32BE(0), offset: readU64(b, 4), length: b.readUInt32BE(12) };
}

export function blockHashKey(hash: Uint8Array): Buffer {
  const k = Buffer.allocUnsafe(1 + hash.length);
  k[0] = PREFIX_BLOCK_HASH;
  k.set(hash, 1);
  return k;
}

export function encodeU64(n: number): Buffer {
  const v = Buffer.allocUnsafe(8);
  writeU64(v, n, 0);
  return v;
}

export function decodeU64(v: Uint8Array): number {
  if (v.length !== 8) throw new Error(`number of ${v.length} bytes, expected 8`);
  return readU64(v, 0);
}

/** `t` ‖ len(txid) (4 bytes) ‖ txid (UTF-8): every occurrence of the txid starts with this. */
export function txIdPrefix(txId: string): Buffer {
  const len = Buffer.byteLength(txId, 'utf8');
  const k = Buffer.allocUnsafe(5 + len);
  k[0] = PREFIX_TXID;
  k.writeUInt32BE(len, 1);
  k.write(txId, 5, 'utf8');
  return k;
}

/** The txid key of one occurrence: the prefix ‖ block number (8) ‖ transaction number (4). */
export function txIdKey(txId: string, blockNum: number, txNum: number): Buffer {
  const p = txIdPrefix(txId);
  const k = Buffer.allocUnsafe(p.length + 12);
  p.copy(k, 0);
  writeU64(k, blockNum, p.length);
  k.writeUInt32BE(txNum, p.length + 8);
  return k;
}

/** The last possible key of a txid's occurrences (for a range scan). */
export function txIdUpperBound(txId: string): Buffer {
  const p = txIdPrefix(txId);
  return Buffer.concat([p, Buffer.alloc(12, 0xff)]);
}

/** The range of every txid key. */
export const TXID_KEYS_START = Buffer.from([PREFIX_TXID]);
export const TXID_KEYS_END = Buffer.from([PREFIX_TXID + 1]);

export function isTxIdKey(key: Uint8Array): boolean {
  return key[0] === PREFIX_TXID;
}

/** The txid prefix ({@link txIdPrefix}) a txid key starts with. */
export function txIdPrefixOfKey(key: Uint8Array): Uint8Array {
  return key.subarray(0, key.length - 12);
}

/** Block and transaction numbers of a txid key. */
export function decodeTxIdKeyTail(key: Uint8Array): { blockNum: number; txNum: number } {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return { blockNum: readU64(b, b.length - 12), txNum: b.readUInt32BE(b.length - 4) };
}

export function encodeTxLoc(loc: TxLoc): Buffer {
  const v = Buffer.allocUnsafe(21);
  v[0] = loc.validationCode;
  v.writeUInt32BE(loc.file, 1);
  writeU64(v, loc.offset, 5);
  v.writeUInt32BE(loc.length, 13);
  v.writeUInt32BE(loc.crc, 17);
  return v;
}

export function decodeTxLoc(v: Uint8Array): TxLoc {
  if (v.length !== 21) throw new Error(`transaction location of ${v.length} bytes, expected 21`);
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return {
    validationCode: b[0]!,
    file: b.readUInt32BE(1),
    offset: readU64(b, 5),
    length: b.readUInt32BE(13),
    crc: b.readUInt32BE(17),
  };
}

/** `f` ‖ file number: the length of a block file that is complete (a later file exists). */
export function fileKey(file: number): Buffer {
  const k = Buffer.allocUnsafe(5);
  k[0] = PREFIX_FILE;
  k.writeUInt32BE(file, 1);
  return k;
}

export function encodeCheckpoint(cp: Checkpoint): Buffer {
  const v = Buffer.allocUnsafe(21);
  v[0] = CHECKPOINT_VERSION;
  writeU64(v, cp.height, 1);
  v.writeUInt32BE(cp.file, 9);
  writeU64(v, cp.end, 13);
  return v;
}

export function decodeCheckpoint(v: Uint8Array): Checkpoint {
  if (v.length !== 21 || v[0] !== CHECKPOINT_VERSION) {
    throw new Error(`unknown checkpoint format (${v.length} bytes, version ${v[0]})`);
  }
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { height: readU64(b, 1), file: b.readUInt32BE(9), end: readU64(b, 13) };
}
