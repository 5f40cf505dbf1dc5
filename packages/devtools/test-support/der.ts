// A minimal DER reader, independent of the code under test, for what the tests check byte-wise:
// string types in names, and the S of ECDSA signatures.

/** One TLV. */
export interface Tlv {
  readonly tag: number;
  /** The value bytes. */
  readonly value: Uint8Array;
  /** The whole encoding. */
  readonly raw: Uint8Array;
}

/** Reads the TLV at `offset`. */
export function readTlv(bytes: Uint8Array, offset = 0): Tlv {
  const tag = bytes[offset];
  let lenByte = bytes[offset + 1];
  if (tag === undefined || lenByte === undefined) throw new Error('truncated DER');
  let pos = offset + 2;
  let length = lenByte;
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) {
      lenByte = bytes[pos + i];
      if (lenByte === undefined) throw new Error('truncated DER length');
      length = length * 256 + lenByte;
    }
    pos += n;
  }
  if (pos + length > bytes.length) throw new Error('truncated DER value');
  return {
    tag,
    value: bytes.subarray(pos, pos + length),
    raw: bytes.subarray(offset, pos + length),
  };
}

/** The TLVs inside a constructed value. */
export function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < tlv.value.length;) {
    const c = readTlv(tlv.value, off);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's value. */
export function oid(value: Uint8Array): string {
  const first = value[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let acc = 0;
  for (const b of value.subarray(1)) {
    acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

const STRING_TAGS: Readonly<Record<number, string>> = {
  0x0c: 'UTF8String',
  0x13: 'PrintableString',
  0x16: 'IA5String',
};

/** A Name as RDNs, each a list of `oid=Type:value`. */
export function nameRdns(name: Tlv): string[][] {
  return children(name).map((set) =>
    children(set).map((atv) => {
      const [type, val] = children(atv);
      if (type === undefined || val === undefined) throw new Error('bad AttributeTypeAndValue');
      return `${oid(type.value)}=${STRING_TAGS[val.tag] ?? `tag${val.tag}`}:${Buffer.from(val.value).toString('utf8')}`;
    }),
  );
}

/** A certificate's parts: tbs fields by position, signature algorithm, signature value. */
export function certificateParts(der: Uint8Array): {
  tbs: Tlv[];
  signatureAlgorithm: string;
  signature: Uint8Array;
} {
  const [tbs, alg, sig] = children(readTlv(der));
  if (tbs === undefined || alg === undefined || sig === undefined)
    throw new Error('bad certificate');
  const [algOid] = children(alg);
  return {
    tbs: children(tbs),
    signatureAlgorithm: oid(algOid?.value ?? new Uint8Array()),
    // BIT STRING: the first byte counts unused bits.
    signature: sig.value.subarray(1),
  };
}

/** P-256's group order n. */
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** The S of a DER ECDSA-Sig-Value, and whether it is at most n/2. */
export function lowS(signature: Uint8Array): { s: bigint; low: boolean } {
  const [, s] = children(readTlv(signature));
  if (s === undefined || s.tag !== 0x02) throw new Error('not an ECDSA signature');
  const value = BigInt(`0x${Buffer.from(s.value).toString('hex') || '0'}`);
  return { s: value, low: value <= N / 2n };
}
