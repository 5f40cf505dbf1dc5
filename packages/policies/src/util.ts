/** Small helpers shared by the package: 64-bit numbers, bytes, Go-like string handling. */
import type { Long } from '@fabric-peer/protos';

/** A uint64 as protobufjs gives it (a Long or a number), or absent, as a bigint. */
export function u64(value: Long | number | string | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return BigInt(value);
  return BigInt(value.toUnsigned().toString());
}

const EMPTY = new Uint8Array(0);

/** The bytes of a bytes field, or an empty array when the field is absent. */
export function bytesOf(value: Uint8Array | null | undefined): Uint8Array {
  return value ?? EMPTY;
}

/** True when both arrays hold the same bytes (absent and empty are equal, as in Go). */
export function bytesEqual(
  a: Uint8Array | null | undefined,
  b: Uint8Array | null | undefined,
): boolean {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** `a ‖ b ‖ ...` in a new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Keys of a protobufjs map field (an object) or of a Map, own keys only. */
export function ownEntries<T>(map: Readonly<Record<string, T>> | null | undefined): [string, T][] {
  if (map === null || map === undefined) return [];
  return Object.keys(map).map((k) => [k, map[k] as T]);
}

/** Go's `len(s)` for a string: its length in UTF-8 bytes. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Keys sorted by their UTF-8 bytes, as Go's `sort.Strings` orders them. Fabric iterates Go maps in
 * random order; where that order could show (which error is reported first), this package uses
 * this order instead, so that its messages are stable.
 */
export function sortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/** Go's `%q` for a string, close enough for messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
