/**
 * Private data over a plain VersionedDB, as Fabric's `privacyenabledstate` lays it out: the
 * private values of collection C of chaincode N live in namespace `N$$pC` under their own keys;
 * their hashes (what every peer has) live in `N$$hC` under the key's SHA-256. A key hash is 32 raw
 * bytes; databases that take only text keys (bytesKeySupported() false: CouchDB) get it in
 * standard base64 as in Fabric, the others as a binary string (one character per byte,
 * U+0000..U+00FF), since the VersionedDB contract has string keys.
 */
import type { Height, VersionedDB, VersionedValue } from '@fabric-peer/api';
import { sha256String } from './hashing.js';

const NS_JOINER = '$$';
const PVT_DATA_PREFIX = 'p';
const HASH_DATA_PREFIX = 'h';

/** Fabric's derivePvtDataNs. */
export function privateDataNamespace(ns: string, coll: string): string {
  return ns + NS_JOINER + PVT_DATA_PREFIX + coll;
}

/** Fabric's deriveHashedDataNs. */
export function hashedDataNamespace(ns: string, coll: string): string {
  return ns + NS_JOINER + HASH_DATA_PREFIX + coll;
}

/** Whether a namespace holds private values or hashes (Fabric's isPvtdataNs / isHashedDataNs). */
export function isPrivateOrHashedNamespace(ns: string): boolean {
  return ns.includes(NS_JOINER + PVT_DATA_PREFIX) || ns.includes(NS_JOINER + HASH_DATA_PREFIX);
}

/** How a key hash is written as a VersionedDB key. */
export function keyHashToDbKey(keyHash: Uint8Array, bytesKeySupported: boolean): string {
  const b = Buffer.from(keyHash.buffer, keyHash.byteOffset, keyHash.byteLength);
  return bytesKeySupported ? b.toString('latin1') : b.toString('base64');
}

/** Reads of private data and hashes over a VersionedDB. */
export class PrivacyAwareState {
  private readonly bytesKeys: boolean;

  constructor(readonly db: VersionedDB) {
    this.bytesKeys = db.bytesKeySupported();
  }

  hashedKey(keyHash: Uint8Array): string {
    return keyHashToDbKey(keyHash, this.bytesKeys);
  }

  getPrivateData(ns: string, coll: string, key: string): Promise<VersionedValue | undefined> {
    return this.db.getState(privateDataNamespace(ns, coll), key);
  }

  getPrivateDataHash(ns: string, coll: string, key: string): Promise<VersionedValue | undefined> {
    return this.getValueHash(ns, coll, sha256String(key));
  }

  getValueHash(ns: string, coll: string, keyHash: Uint8Array): Promise<VersionedValue | undefined> {
    return this.db.getState(hashedDataNamespace(ns, coll), this.hashedKey(keyHash));
  }

  async getKeyHashVersion(
    ns: string,
    coll: string,
    keyHash: Uint8Array,
  ): Promise<Height | undefined> {
    return (await this.getValueHash(ns, coll, keyHash))?.version;
  }

  async getVersion(ns: string, key: string): Promise<Height | undefined> {
    return (await this.db.getState(ns, key))?.version;
  }
}
