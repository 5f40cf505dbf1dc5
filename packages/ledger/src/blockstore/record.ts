// Framing of one block in a block file, and a sequential reader that tells complete records from a
// torn tail and from damage.
//
//   offset  size  field
//   0       4     magic 0x46424b31 ("FBK1")
//   4       4     payload length (bytes of the block's protobuf encoding)
//   8       8     block number
//   16      4     CRC-32 of the payload
//   20      4     CRC-32 of bytes 0..19 (so a damaged length is never mistaken for a torn tail)
//   24      n     payload: the common.Block protobuf bytes
//
// All integers are big-endian. CRC-32 is zlib's (IEEE 802.3), computed natively by node:zlib.
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

export const RECORD_MAGIC = 0x46424b31;
export const RECORD_HEADER_SIZE = 24;
/** The largest payload a record can frame. */
export const MAX_RECORD_PAYLOAD = 0xffffffff;

const TWO_32 = 0x1_0000_0000;

/** Writes a big-endian unsigned integer below 2^53 as 8 bytes. */
export function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

/** Reads 8 big-endian bytes; values at or above 2^53 come back inexact, callers check the range. */
export function readU64(buf: Uint8Array, offset: number): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.readUInt32BE(offset) * TWO_32 + b.readUInt32BE(offset + 4);
}

/** The 24 header bytes of a record framing `payload` as block `blockNum`. */
export function encodeRecordHeader(blockNum: number, payload: Uint8Array): Buffer {
  const h = Buffer.allocUnsafe(RECORD_HEADER_SIZE);
  h.writeUInt32BE(RECORD_MAGIC, 0);
  h.writeUInt32BE(payload.length, 4);
  writeU64(h, blockNum, 8);
  h.writeUInt32BE(crc32(payload), 16);
  h.writeUInt32BE(crc32(h.subarray(0, 20)), 20);
  return h;
}

/** A record header that passed its own checksum. */
export interface RecordHeader {
  readonly length: number;
  readonly blockNum: number;
  readonly payloadCrc: number;
}

/** Parses 24 header bytes; a string says why they are not a valid header. */
export function parseRecordHeader(h: Uint8Array): RecordHeader | string {
  const b = Buffer.from(h.buffer, h.byteOffset, h.byteLength);
  if (b.length < RECORD_HEADER_SIZE) return 'incomplete record header';
  if (b.readUInt32BE(0) !== RECORD_MAGIC) return 'no record magic';
  if (crc32(b.subarray(0, 20)) !== b.readUInt32BE(20)) return 'record header checksum mismatch';
  const blockNum = readU64(b, 8);
  if (!Number.isSafeInteger(blockNum)) return 'record block number out of range';
  return { length: b.readUInt32BE(4), blockNum, payloadCrc: b.readUInt32BE(16) };
}

/** True when `payload` matches the checksum in its header. */
export function payloadMatches(header: RecordHeader, payload: Uint8Array): boolean {
  return payload.length === header.length && crc32(payload) === header.payloadCrc;
}

/** One complete, checksummed record found by {@link RecordReader}. */
export interface ScannedRecord {
  readonly kind: 'record';
  /** Offset of the record (its header) in the file. */
  readonly offset: number;
  readonly blockNum: number;
  /** The block's bytes; a view of a buffer that is not reused. */
  readonly payload: Buffer;
  /** Offset just past the record. */
  readonly end: number;
}

/**
 * Where reading stopped. `torn`: the bytes from `offset` to the end of the file are an unfinished
 * record (a header cut short, a payload running past the end, a bad payload checksum on the last
 * record, or zeros where a header should be); they hold no complete record. `corrupt`: damage that
 * is followed by more data, so cutting there could lose blocks.
 */
export type ScanStop =
  | { readonly kind: 'eof'; readonly offset: number }
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

const CHUNK = 4 * 1024 * 1024;

/** Reads the records of one block file in order, from `start` up to `limit` (the file size). */
export class RecordReader {
  private pos: number;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly limit: number,
    start: number,
  ) {
    this.pos = start;
  }

  /** The next record, or why there is none. */
  async next(): Promise<ScannedRecord | ScanStop> {
    const offset = this.pos;
    if (offset >= this.limit) return { kind: 'eof', offset };
    const remaining = this.limit - offset;
    if (remaining < RECORD_HEADER_SIZE) {
      return { kind: 'torn', offset, reason: `only ${remaining} bytes of a record header` };
    }
    const header = parseRecordHeader(await this.read(offset, RECORD_HEADER_SIZE));
    if (typeof header === 'string') {
      if (await this.zerosFrom(offset)) {
        return { kind: 'torn', offset, reason: `${header} (${remaining} zero bytes to the end)` };
      }
      return { kind: 'corrupt', offset, reason: header };
    }
    const end = offset + RECORD_HEADER_SIZE + header.length;
    if (end > this.limit) {
      return {
        kind: 'torn',
        offset,
        reason: `record of ${header.length} bytes runs ${end - this.limit} bytes past the end of the file`,
      };
    }
    const payload = await this.read(offset + RECORD_HEADER_SIZE, header.length);
    if (!payloadMatches(header, payload)) {
      if (end === this.limit || (await this.zerosFrom(end))) {
        return { kind: 'torn', offset, reason: 'payload checksum mismatch in the last record' };
      }
      return {
        kind: 'corrupt',
        offset,
        reason: `payload checksum mismatch (block ${header.blockNum})`,
      };
    }
    this.pos = end;
    return { kind: 'record', offset, blockNum: header.blockNum, payload, end };
  }

  /** `length` bytes at `offset`, from the buffered window when they are in it. */
  private async read(offset: number, length: number): Promise<Buffer> {
    if (offset >= this.bufStart && offset + length <= this.bufStart + this.buf.length) {
      return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + length);
    }
    const size = Math.min(Math.max(length, CHUNK), this.limit - offset);
    // A fresh buffer each time, so views handed out earlier stay valid.
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await this.fh.read(buf, got, size - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.buf = buf.subarray(0, got);
    this.bufStart = offset;
    if (got < length) throw new Error(`short read: ${got} of ${length} bytes at offset ${offset}`);
    return this.buf.subarray(0, length);
  }

  /** True when every byte from `offset` to the limit is zero (a file extended but never written). */
  private async zerosFrom(offset: number): Promise<boolean> {
    for (let at = offset; at < this.limit;) {
      const n = Math.min(CHUNK, this.limit - at);
      const chunk = await this.read(at, n);
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
      at += n;
    }
    return true;
  }
}
