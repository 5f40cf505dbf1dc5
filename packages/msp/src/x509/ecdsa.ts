/**
 * ECDSA signatures as Fabric's bccsp handles them: parsed with Go's encoding/asn1 (which ignores
 * bytes after the SEQUENCE and extra elements inside it), S normalised to the low half of the
 * curve order, re-encoded in canonical DER.
 */
import {
  TAG,
  bigintToFixed,
  encodeInteger,
  encodeTlv,
  integerFromContent,
  readTlv,
} from './der.js';

/** A curve Fabric's ECDSA code knows (Go's P-224, P-256, P-384, P-521). */
export interface EcCurve {
  /** Name as WebCrypto / JOSE say it. */
  readonly name: 'P-224' | 'P-256' | 'P-384' | 'P-521';
  /** Name as node:crypto reports it in `asymmetricKeyDetails.namedCurve`. */
  readonly nodeName: string;
  /** Order of the base point. */
  readonly n: bigint;
  readonly halfOrder: bigint;
  /** halfOrder as `size` big-endian bytes, for comparisons without BigInt. */
  readonly halfOrderBytes: Uint8Array;
  /** Bytes of a scalar (r, s) in IEEE P1363 form. */
  readonly size: number;
}

function curve(name: EcCurve['name'], nodeName: string, nHex: string, size: number): EcCurve {
  const n = BigInt(`0x${nHex}`);
  const halfOrder = n >> 1n;
  const halfOrderBytes = Buffer.from(halfOrder.toString(16).padStart(size * 2, '0'), 'hex');
  return { name, nodeName, n, halfOrder, halfOrderBytes, size };
}

const CURVES: readonly EcCurve[] = [
  curve('P-224', 'secp224r1', 'ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d', 28),
  curve(
    'P-256',
    'prime256v1',
    'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
    32,
  ),
  curve(
    'P-384',
    'secp384r1',
    'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
    48,
  ),
  curve(
    'P-521',
    'secp521r1',
    '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    66,
  ),
];

/** The curve of a node:crypto `namedCurve`, or undefined for a curve Go does not support. */
export function curveByNodeName(nodeName: string | undefined): EcCurve | undefined {
  return CURVES.find((c) => c.nodeName === nodeName);
}

/** r and s of an ECDSA signature. */
export interface EcdsaSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/**
 * Parses a DER ECDSA signature as Fabric's `utils.UnmarshalECDSASignature`: a SEQUENCE of two
 * minimally encoded INTEGERs, both positive; anything after them (inside or after the SEQUENCE)
 * is ignored, as Go's encoding/asn1 does. Throws with Fabric's reason otherwise.
 */
export function parseEcdsaSignature(sig: Uint8Array): EcdsaSignature {
  let r: bigint;
  let s: bigint;
  try {
    const seq = readTlv(sig, 0);
    if (seq.tag !== TAG.SEQUENCE) throw new Error('sequence tag mismatch');
    const rTlv = readTlv(sig, seq.contentStart, seq.end);
    if (rTlv.tag !== TAG.INTEGER) throw new Error('tags don\u2019t match (R)');
    r = integerFromContent(sig.subarray(rTlv.contentStart, rTlv.end));
    const sTlv = readTlv(sig, rTlv.end, seq.end);
    if (sTlv.tag !== TAG.INTEGER) throw new Error('tags don\u2019t match (S)');
    s = integerFromContent(sig.subarray(sTlv.contentStart, sTlv.end));
  } catch (err) {
    throw new Error(`failed unmarshalling signature [${(err as Error).message}]`, { cause: err });
  }
  if (r <= 0n) throw new Error('invalid signature, R must be larger than zero');
  if (s <= 0n) throw new Error('invalid signature, S must be larger than zero');
  return { r, s };
}

/** Canonical DER of (r, s). */
export function marshalEcdsaSignature(sig: EcdsaSignature): Uint8Array {
  return encodeTlv(TAG.SEQUENCE, encodeInteger(sig.r), encodeInteger(sig.s));
}

/** Whether s is in the lower half of the curve order (Fabric accepts only those). */
export function isLowS(curve: EcCurve, s: bigint): boolean {
  return s <= curve.halfOrder;
}

/** The same signature with s replaced by n − s when s is high. */
export function toLowS(curve: EcCurve, sig: EcdsaSignature): EcdsaSignature {
  return isLowS(curve, sig.s) ? sig : { r: sig.r, s: curve.n - sig.s };
}

/**
 * The content of a positive, minimally encoded DER INTEGER without its sign byte, or undefined
 * when it is not one (zero, negative, padded).
 */
function positiveMagnitude(content: Uint8Array): Uint8Array | undefined {
  if (content.length === 0 || (content[0]! & 0x80) !== 0) return undefined;
  if (content[0] === 0) {
    if (content.length === 1 || (content[1]! & 0x80) === 0) return undefined;
    return content.subarray(1);
  }
  return content;
}

/**
 * The verification hot path: a DER signature that parses, has positive r and s, a low s and fits
 * the curve, as IEEE P1363 bytes — computed on bytes, without BigInt. Undefined for anything else;
 * the caller then takes the detailed path ({@link parseEcdsaSignature}, {@link isLowS}), which
 * refuses exactly those signatures and says why.
 */
export function lowSP1363(curve: EcCurve, sig: Uint8Array): Uint8Array | undefined {
  try {
    const seq = readTlv(sig, 0);
    if (seq.tag !== TAG.SEQUENCE) return undefined;
    const rTlv = readTlv(sig, seq.contentStart, seq.end);
    if (rTlv.tag !== TAG.INTEGER) return undefined;
    const sTlv = readTlv(sig, rTlv.end, seq.end);
    if (sTlv.tag !== TAG.INTEGER) return undefined;
    const r = positiveMagnitude(sig.subarray(rTlv.contentStart, rTlv.end));
    const s = positiveMagnitude(sig.subarray(sTlv.contentStart, sTlv.end));
    if (r === undefined || s === undefined || r.length > curve.size || s.length > curve.size) {
      return undefined;
    }
    const out = Buffer.alloc(curve.size * 2);
    out.set(r, curve.size - r.length);
    out.set(s, curve.size * 2 - s.length);
    // Low S: s ≤ n/2, compared as fixed-width big-endian numbers.
    if (Buffer.compare(out.subarray(curve.size), curve.halfOrderBytes) > 0) return undefined;
    return out;
  } catch {
    return undefined;
  }
}

/** IEEE P1363 form (r ‖ s, fixed width) for node:crypto; undefined when r or s does not fit. */
export function toP1363(curve: EcCurve, sig: EcdsaSignature): Uint8Array | undefined {
  const r = bigintToFixed(sig.r, curve.size);
  const s = bigintToFixed(sig.s, curve.size);
  return r === undefined || s === undefined ? undefined : Buffer.concat([r, s]);
}
