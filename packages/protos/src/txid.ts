import { createHash } from 'node:crypto';

/**
 * Fabric's transaction id: the lowercase hex SHA-256 of the signature header's nonce followed by
 * its creator (the marshaled `msp.SerializedIdentity`), as `protoutil.ComputeTxID` computes it.
 */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex');
}
