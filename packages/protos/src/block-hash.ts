/**
 * Block hashing as Fabric's protoutil does it. The header hash is SHA-256 of the ASN.1 DER encoding
 * of SEQUENCE { number INTEGER, previousHash OCTET STRING, dataHash OCTET STRING } (not of the
 * protobuf bytes); the data hash is SHA-256 of the block's envelopes concatenated (not a Merkle tree).
 * Orderers sign `metadata value ‖ signature header ‖ header ASN.1 bytes`.
 */
import { createHash } from 'node:crypto';
import Long from 'long';
import type { common } from './generated/fabric.js';

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), derLength(body.length), body]);
}

/**
 * DER INTEGER of a block number. Fabric casts the uint64 to int64 before encoding, so numbers at or
 * above 2^63 encode as negative values, exactly as Go's asn1 does.
 */
function derInteger(value: bigint): Buffer {
  let v = BigInt.asIntN(64, value);
  const bytes: number[] = [];
  // Two's complement, minimal length: stop when the remaining value is the sign extension.
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!((v === 0n && (bytes[0]! & 0x80) === 0) || (v === -1n && (bytes[0]! & 0x80) !== 0)));
  return derTlv(0x02, Buffer.from(bytes));
}

function toBigInt(n: number | Long | null | undefined): bigint {
  if (n === null || n === undefined) return 0n;
  if (typeof n === 'number') return BigInt(n);
  return BigInt(Long.fromValue(n).toUnsigned().toString());
}

/** The ASN.1 DER bytes of a block header, as Fabric's protoutil.BlockHeaderBytes. */
export function blockHeaderBytes(header: common.IBlockHeader): Buffer {
  const body = Buffer.concat([
    derInteger(toBigInt(header.number)),
    derTlv(0x04, Buffer.from(header.previousHash ?? new Uint8Array())),
    derTlv(0x04, Buffer.from(header.dataHash ?? new Uint8Array())),
  ]);
  return derTlv(0x30, body);
}

/** The block hash: SHA-256 of the header's ASN.1 bytes (what the next block's previous_hash holds). */
export function blockHeaderHash(header: common.IBlockHeader): Buffer {
  return createHash('sha256').update(blockHeaderBytes(header)).digest();
}

/** SHA-256 of the block's envelopes concatenated (what header.data_hash must hold). */
export function blockDataHash(data: common.IBlockData | null | undefined): Buffer {
  const h = createHash('sha256');
  for (const d of data?.data ?? []) h.update(d);
  return h.digest();
}
