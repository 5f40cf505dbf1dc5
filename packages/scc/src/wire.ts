/**
 * Byte-exact encodings the system chaincodes write or return. Fabric's Go structs marshal proto3
 * zero values as absent, and `ChaincodeData.policy` / `instantiation_policy` are raw bytes in Go
 * (ccprovider.ChaincodeData) although the .proto names a message: they are kept and written
 * exactly as given, never decoded and re-encoded, because every endorser of a deploy must write the
 * same bytes and the validator uses them as the endorsement policy.
 */
import { common } from '@fabric-peer/protos';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

function varint(n: number, out: number[]): void {
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** Appends a length-delimited field unless `value` is empty (proto3). */
function field(out: number[], chunks: Uint8Array[], no: number, value: Uint8Array): void {
  if (value.length === 0) return;
  const head: number[] = [];
  varint((no << 3) | 2, head);
  varint(value.length, head);
  chunks.push(Uint8Array.from([...out, ...head]));
  out.length = 0;
  chunks.push(value);
}

/** Fabric's ccprovider.ChaincodeData. */
export interface ChaincodeData {
  readonly name: string;
  readonly version: string;
  readonly escc: string;
  readonly vscc: string;
  /** Marshaled SignaturePolicyEnvelope (the endorsement policy), as given. */
  readonly policy: Uint8Array;
  /** Marshaled CDSData{hash, metadatahash}: the installed code's fingerprint. */
  readonly data: Uint8Array;
  /** SHA-256(code hash ‖ metadata hash). */
  readonly id: Uint8Array;
  /** Marshaled SignaturePolicyEnvelope, as given. */
  readonly instantiationPolicy: Uint8Array;
}

export function encodeChaincodeData(cd: ChaincodeData): Uint8Array {
  const out: number[] = [];
  const chunks: Uint8Array[] = [];
  field(out, chunks, 1, enc.encode(cd.name));
  field(out, chunks, 2, enc.encode(cd.version));
  field(out, chunks, 3, enc.encode(cd.escc));
  field(out, chunks, 4, enc.encode(cd.vscc));
  field(out, chunks, 5, cd.policy);
  field(out, chunks, 6, cd.data);
  field(out, chunks, 7, cd.id);
  field(out, chunks, 8, cd.instantiationPolicy);
  const buf = Buffer.concat(chunks);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Reads a varint at `pos`; throws on truncation. */
function readVarint(b: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const byte = b[pos + i];
    if (byte === undefined) throw new Error('unexpected EOF');
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) return [value, pos + i + 1];
    mul *= 128;
  }
  throw new Error('proto: integer overflow');
}

/** The length-delimited fields of a message by number (the last wins); throws when malformed. */
function bytesFields(b: Uint8Array): Map<number, Uint8Array> {
  const fields = new Map<number, Uint8Array>();
  let pos = 0;
  while (pos < b.length) {
    let tag: number;
    [tag, pos] = readVarint(b, pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (no === 0) throw new Error('proto: illegal tag 0');
    if (wire === 0) {
      [, pos] = readVarint(b, pos);
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      let len: number;
      [len, pos] = readVarint(b, pos);
      if (pos + len > b.length) throw new Error('unexpected EOF');
      fields.set(no, b.subarray(pos, pos + len));
      pos += len;
    } else {
      throw new Error(`proto: illegal wireType ${wire}`);
    }
    if (pos > b.length) throw new Error('unexpected EOF');
  }
  return fields;
}

/** Decodes ChaincodeData, keeping bytes fields as they are. Throws on malformed input. */
export function decodeChaincodeData(b: Uint8Array): ChaincodeData {
  const fields = bytesFields(b);
  const str = (no: number): string => dec.decode(fields.get(no) ?? new Uint8Array(0));
  const bytes = (no: number): Uint8Array => fields.get(no) ?? new Uint8Array(0);
  return {
    name: str(1),
    version: str(2),
    escc: str(3),
    vscc: str(4),
    policy: bytes(5),
    data: bytes(6),
    id: bytes(7),
    instantiationPolicy: bytes(8),
  };
}

/** CDSData fingerprints are equal (Fabric's CDSData.Equals on the decoded hashes). */
export function sameFingerprint(a: Uint8Array, b: Uint8Array): boolean {
  const fa = decodeCdsData(a);
  const fb = decodeCdsData(b);
  return (
    Buffer.from(fa.hash).equals(fb.hash) && Buffer.from(fa.metadatahash).equals(fb.metadatahash)
  );
}

function decodeCdsData(b: Uint8Array): { hash: Uint8Array; metadatahash: Uint8Array } {
  const fields = bytesFields(b);
  const empty = new Uint8Array(0);
  return { hash: fields.get(1) ?? empty, metadatahash: fields.get(2) ?? empty };
}

/**
 * policydsl.SignedByNOutOfGivenRole(1, role, ids) marshaled as Go does: ids sorted, one ROLE
 * principal each, NOutOf(1, SignedBy(i)...). Used for lscc's default endorsement policy (MEMBER)
 * and default instantiation policy (ADMIN).
 */
export function signedByAnyOfRole(
  role: common.MSPRole.MSPRoleType,
  ids: readonly string[],
): Uint8Array {
  const sorted = [...ids].sort();
  // MEMBER and the ROLE classification are 0, which Go leaves out.
  const principals = sorted.map((id) => {
    const r: common.IMSPRole = { mspIdentifier: id };
    if (role !== common.MSPRole.MSPRoleType.MEMBER) r.role = role;
    return { principal: common.MSPRole.encode(r).finish() };
  });
  return common.SignaturePolicyEnvelope.encode({
    rule: { nOutOf: { n: 1, rules: sorted.map((_, i) => ({ signedBy: i })) } },
    identities: principals,
  }).finish();
}
