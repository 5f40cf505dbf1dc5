/**
 * Private keys as Fabric's software BCCSP finds and uses them: PEM files holding a PKCS#8 or SEC1
 * ("EC PRIVATE KEY") ECDSA key, looked up in a key store folder by the subject key identifier of
 * the certificate's public key (SHA-256 of the uncompressed point), first as `<ski>_sk`, then by
 * reading every small file of the folder.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { curveByNodeName, type EcCurve } from './x509/ecdsa.js';
import { decodePem } from './x509/pem.js';

/** Finds the private key of a public key, by Fabric's SKI (see {@link keyStoreSki}). */
export interface KeyStore {
  /** The private key whose public key has this SKI, or undefined. */
  privateKeyFor(ski: Uint8Array): KeyObject | undefined;
}

/** Files larger than this are not read while searching a key store (Fabric's limit). */
const MAX_KEY_FILE = 1 << 16;

/**
 * Fabric's SKI of an ECDSA public key: SHA-256 of the uncompressed point (0x04 ‖ X ‖ Y). Not the
 * certificate's SubjectKeyIdentifier extension. Undefined for a key that is not ECDSA.
 */
export function keyStoreSki(key: KeyObject): Buffer | undefined {
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) return undefined;
  const point = Buffer.concat([
    Uint8Array.of(4),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  return createHash('sha256').update(point).digest();
}

/**
 * Reads an ECDSA private key from PEM (any block type; the DER may be PKCS#8 or SEC1), as
 * Fabric's `pemToPrivateKey` / `DERToPrivateKey` accept it. Throws saying why not.
 */
export function parseEcPrivateKey(input: Uint8Array): { key: KeyObject; curve: EcCurve } {
  const block = decodePem(input);
  if (block === undefined) throw new Error('failed decoding PEM: no PEM block');
  const der = block.bytes;
  let key: KeyObject | undefined;
  for (const type of ['pkcs8', 'sec1'] as const) {
    try {
      key = createPrivateKey({ key: der, format: 'der', type });
      break;
    } catch {
      // try the next encoding
    }
  }
  if (key === undefined) {
    throw new Error('invalid key type. The DER must contain an ecdsa.PrivateKey (PKCS#8 or SEC1)');
  }
  if (key.asymmetricKeyType !== 'ec') {
    throw new Error(`not an ECDSA private key (${key.asymmetricKeyType ?? 'unknown'})`);
  }
  const curve = curveByNodeName(key.asymmetricKeyDetails?.namedCurve);
  if (curve === undefined) {
    throw new Error(`unsupported curve ${key.asymmetricKeyDetails?.namedCurve ?? '(none)'}`);
  }
  return { key, curve };
}

/** A private key file found in a key store folder. */
export interface KeyFile {
  readonly file: string;
  /** The file's content (PEM). */
  readonly content: Buffer;
  readonly key: KeyObject;
}

/**
 * Searches a key store folder as Fabric's file-based key store does: `<hex ski>_sk` first, then
 * every regular file of at most 64 KiB, in name order, whose key has the SKI.
 */
export function findKeyFile(dir: string, ski: Uint8Array): KeyFile | undefined {
  const wanted = Buffer.from(ski);
  const tryFile = (file: string, limit: boolean): KeyFile | undefined => {
    try {
      const st = statSync(file);
      if (!st.isFile() || (limit && st.size > MAX_KEY_FILE)) return undefined;
      const content = readFileSync(file);
      const { key } = parseEcPrivateKey(content);
      return keyStoreSki(key)?.equals(wanted) === true ? { file, content, key } : undefined;
    } catch {
      return undefined;
    }
  };
  const named = tryFile(join(dir, `${wanted.toString('hex')}_sk`), false);
  if (named !== undefined) return named;
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const found = tryFile(join(dir, name), true);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A {@link KeyStore} over a folder (see {@link findKeyFile}). */
export function fileKeyStore(dir: string): KeyStore & { readonly dir: string } {
  return {
    dir,
    privateKeyFor: (ski) => findKeyFile(dir, ski)?.key,
  };
}
