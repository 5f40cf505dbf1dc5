/**
 * Versions and Fabric's order-preserving variable-length integers (`common/ledger/util`
 * EncodeOrderPreservingVarUint64, `core/ledger/internal/version`).
 *
 * The encoding is one length byte (0..8, the number of significant big-endian bytes) followed by
 * those bytes: 0 → `00`, 1 → `01 01`, 256 → `02 01 00`. Byte order of encodings equals numeric
 * order, which is what history keys and savepoints rely on.
 */
import type { Height } from '@fabric-peer/api';
import { LedgerError } from './errors.js';

const MAX_UINT64 = (1n << 64n) - 1n;

/** A version as a read-write set carries it (uint64 on the wire, so bigint here). */
export interface RwVersion {
  readonly blockNum: bigint;
  readonly txNum: bigint;
}

function toBigInt(n: number | bigint): bigint {
  const v = typeof n === 'bigint' ? n : BigInt(n);
  if (v < 0n || v > MAX_UINT64) throw new RangeError(`not a uint64: ${String(n)}`);
  return v;
}

/** Fabric's EncodeOrderPreservingVarUint64. */
export function encodeOrderedVarUint64(n: number | bigint): Uint8Array {
  let v = toBigInt(n);
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from([bytes.length, ...bytes]);
}

/**
 * Fabric's DecodeOrderPreservingVarUint64: the value and the bytes consumed. Throws a
 * LedgerError('MALFORMED') where Fabric returns an error.
 */
export function decodeOrderedVarUint64(
  bytes: Uint8Array,
  offset = 0,
): { value: bigint; consumed: number } {
  const size = bytes[offset];
  // Fabric decodes the size with proto.DecodeVarint and wants it to take exactly one byte.
  if (size === undefined || size >= 0x80) {
    throw new LedgerError('MALFORMED', 'number of consumed bytes from DecodeVarint is invalid');
  }
  if (size > 8) {
    throw new LedgerError(
      'MALFORMED',
      `decoded size from DecodeVarint is invalid, expected <=8, but got ${size}`,
    );
  }
  if (size > bytes.length - offset - 1) {
    throw new LedgerError(
      'MALFORMED',
      `decoded size (${size}) from DecodeVarint is more than available bytes (${bytes.length - offset - 1})`,
    );
  }
  let value = 0n;
  for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(bytes[offset + 1 + i]!);
  return { value, consumed: size + 1 };
}

/** Fabric's Height.ToBytes: ordered varint of the block number, then of the tx number. */
export function heightToBytes(h: Height | RwVersion): Uint8Array {
  const a = encodeOrderedVarUint64(h.blockNum);
  const b = encodeOrderedVarUint64(h.txNum);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Fabric's NewHeightFromBytes, as numbers (block and tx numbers beyond 2^53 are refused). */
export function heightFromBytes(bytes: Uint8Array): Height {
  const a = decodeOrderedVarUint64(bytes, 0);
  const b = decodeOrderedVarUint64(bytes, a.consumed);
  return { blockNum: safeNumber(a.value), txNum: safeNumber(b.value) };
}

function safeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LedgerError('MALFORMED', `height component ${v} is beyond 2^53`);
  }
  return Number(v);
}

/** The read-write-set form of a committed version. */
export function rwVersionOf(h: Height): RwVersion {
  return { blockNum: BigInt(h.blockNum), txNum: BigInt(h.txNum) };
}

/** Fabric's version.AreSame: both absent, or both present and equal. */
export function sameVersion(
  a: Height | RwVersion | undefined,
  b: Height | RwVersion | undefined,
): boolean {
  if (a === undefined) return b === undefined;
  if (b === undefined) return false;
  return BigInt(a.blockNum) === BigInt(b.blockNum) && BigInt(a.txNum) === BigInt(b.txNum);
}

/** `{BlockNum: 3, TxNum: 0}` or `<nil>`, as Fabric prints heights in messages. */
export function formatHeight(h: Height | RwVersion | undefined): string {
  if (h === undefined) return '<nil>';
  return `{BlockNum: ${String(h.blockNum)}, TxNum: ${String(h.txNum)}}`;
}

/** A protobuf uint64 (number or Long) as a number; throws beyond 2^53. */
export function uint64ToNumber(n: number | { toString(): string } | null | undefined): number {
  if (n === null || n === undefined) return 0;
  if (typeof n === 'number') return n;
  const v = BigInt(n.toString());
  if (v < 0n) return Number(BigInt.asUintN(64, v));
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LedgerError('MALFORMED', `block number ${v} is beyond 2^53`);
  }
  return Number(v);
}
