/** SHA-256 as Fabric's ledger uses it (util.ComputeHash, ComputeStringHash, the rwset hash function). */
import { createHash } from 'node:crypto';

/** SHA-256 of bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** SHA-256 of a string's UTF-8 bytes (Fabric's ComputeStringHash, used for private key hashes). */
export function sha256String(s: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(s, 'utf8').digest());
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
    Buffer.from(y.buffer, y.byteOffset, y.byteLength),
  );
}

/** Byte-wise order (Go's bytes.Compare / string comparison of raw bytes). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** Lowercase hex. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
