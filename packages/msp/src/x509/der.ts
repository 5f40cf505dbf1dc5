/**
 * A strict DER reader (definite, minimal lengths; one-byte tags) for the few structures the MSP
 * walks itself: certificates and CRLs (for their raw sub-slices), ECDSA signatures and keys.
 */

/** DER input that does not parse. */
export class DerError extends Error {
  override readonly name = 'DerError';
}

/** One tag-length-value element: `buf.subarray(start, end)` is the whole element. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  readonly start: number;
  /** First byte of the contents. */
  readonly contentStart: number;
  readonly end: number;
}

/** Universal and context tags the MSP meets. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the element at `offset`, which must end by `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not expected here');
  const first = buf[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length (not DER)');
    if (count > 4) throw new DerError('length too large');
    if (offset + 2 + count > limit) throw new DerError('truncated length');
    if (buf[offset + 2] === 0) throw new DerError('superfluous leading zeros in length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 2 + i]!;
    if (length < 0x80) throw new DerError('non-minimal length');
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('data truncated');
  return { tag, start: offset, contentStart, end };
}

/** Reads the element at `offset` and checks its tag. */
export function expectTlv(
  buf: Uint8Array,
  offset: number,
  tag: number,
  what: string,
  limit: number = buf.length,
): Tlv {
  const tlv = readTlv(buf, offset, limit);
  if (tlv.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(tlv.tag)}`);
  }
  return tlv;
}

/** The elements inside a constructed element, in order. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const tlv = readTlv(buf, offset, parent.end);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

/** Contents of an element. */
export function contentOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding of an element. */
export function bytesOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/** Dotted text of an OBJECT IDENTIFIER's contents. */
export function oidToString(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty object identifier');
  const parts: number[] = [];
  let value = 0;
  let started = false;
  for (const byte of content) {
    if (!started && byte === 0x80) throw new DerError('non-minimal object identifier');
    started = true;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError('object identifier too large');
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
      started = false;
    }
  }
  if (started) throw new DerError('truncated object identifier');
  const head = parts[0]!;
  const arcs = head < 40 ? [0, head] : head < 80 ? [1, head - 40] : [2, head - 80];
  return [...arcs, ...parts.slice(1)].join('.');
}

/**
 * An INTEGER's contents as a signed bigint, refusing what Go's encoding/asn1 refuses (empty,
 * not minimally encoded).
 */
export function integerFromContent(content: Uint8Array): bigint {
  if (content.length === 0) throw new DerError('empty integer');
  if (
    content.length > 1 &&
    ((content[0] === 0 && (content[1]! & 0x80) === 0) ||
      (content[0] === 0xff && (content[1]! & 0x80) === 0x80))
  ) {
    throw new DerError('integer not minimally-encoded');
  }
  let value = 0n;
  for (const byte of content) value = (value << 8n) | BigInt(byte);
  if ((content[0]! & 0x80) !== 0) value -= 1n << BigInt(content.length * 8);
  return value;
}

/** Encodes a length in DER. */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Encodes one element. */
export function encodeTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((n, c) => n + c.length, 0);
  return Buffer.concat([Uint8Array.of(tag), encodeLength(length), ...contents]);
}

/** Minimal two's complement encoding of a non-negative bigint, as an INTEGER element. */
export function encodeInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('negative integers are not encoded here');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Uint8Array.of(0), bytes]);
  return encodeTlv(TAG.INTEGER, bytes);
}

/** Unsigned big-endian bytes of a bigint, left-padded to `size`; undefined when it does not fit. */
export function bigintToFixed(value: bigint, size: number): Uint8Array | undefined {
  if (value < 0n) return undefined;
  let hex = value.toString(16);
  if (hex.length > size * 2) return undefined;
  hex = hex.padStart(size * 2, '0');
  return Buffer.from(hex, 'hex');
}

/** Unsigned big-endian bytes as a bigint. */
export function bigintFromUnsigned(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
