/**
 * ECDSA P-256 keys and X.509 certificates built with @peculiar/x509 over Node's WebCrypto, encoded
 * the way Go's crypto/x509 encodes what cryptogen asks of it. This is the only module that loads
 * @peculiar/x509.
 */
// @peculiar/x509 resolves its algorithm services through tsyringe, which needs the Reflect
// metadata polyfill to be installed before @peculiar/x509 is evaluated: keep this import first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type PeculiarCrypto = Parameters<typeof x509.cryptoProvider.set>[0];

// @peculiar/x509 falls back to a global provider where a call is not handed one. Point it at
// Node's WebCrypto (typed by @types/node rather than the DOM library @peculiar/x509 expects);
// every call below is handed the low-S provider explicitly anyway.
x509.cryptoProvider.set(webcrypto as unknown as PeculiarCrypto);

/** The key algorithm of every key cryptogen makes. */
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Order of the P-256 group. */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const P256_HALF_N = P256_N >> 1n;

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function toBytes(n: bigint, length: number): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex'));
}

/**
 * Rewrites a WebCrypto ECDSA P-256 signature (IEEE P1363 `r ‖ s`) so that s ≤ n/2, as Fabric
 * requires: (r, s) and (r, n − s) are both valid, and Fabric's MSP and its signature checks accept
 * only the low one.
 */
export function toLowS(signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) return signature;
  const s = toBigInt(signature.subarray(32));
  if (s <= P256_HALF_N) return signature;
  const out = new Uint8Array(64);
  out.set(signature.subarray(0, 32), 0);
  out.set(toBytes(P256_N - s, 32), 32);
  return out;
}

/** Node's WebCrypto with ECDSA signatures normalized to low S; everything else passes through. */
function lowSCrypto(): PeculiarCrypto {
  const subtle = webcrypto.subtle;
  const wrapped = new Proxy(subtle, {
    get(target, prop): unknown {
      if (prop === 'sign') {
        return async (
          algorithm: Parameters<typeof subtle.sign>[0],
          key: webcrypto.CryptoKey,
          data: Parameters<typeof subtle.sign>[2],
        ): Promise<ArrayBuffer> => {
          const sig = new Uint8Array(await target.sign(algorithm, key, data));
          const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
          const low = name.toUpperCase() === 'ECDSA' ? toLowS(sig) : sig;
          return low.buffer.slice(low.byteOffset, low.byteOffset + low.byteLength) as ArrayBuffer;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    subtle: wrapped,
    getRandomValues: <T extends ArrayBufferView | null>(array: T): T =>
      webcrypto.getRandomValues(array as unknown as Uint8Array) as unknown as T,
    randomUUID: () => webcrypto.randomUUID(),
  } as unknown as PeculiarCrypto;
}

const LOW_S = lowSCrypto();

/** An ECDSA P-256 key pair (extractable, so the private key can be written out). */
export type KeyPair = webcrypto.CryptoKeyPair;

/** A new ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

/** The uncompressed public point (0x04 ‖ X ‖ Y), what Go's elliptic.Marshal returns. */
export async function publicPoint(key: webcrypto.CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await webcrypto.subtle.exportKey('raw', key));
}

/** PEM text as Go's encoding/pem writes it: 64-character lines, a final newline. */
export function pem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/**
 * The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form cryptogen writes:
 * PrivateKeyInfo { ecPublicKey, prime256v1 } holding an ECPrivateKey with the public key and
 * without repeated curve parameters — which is what WebCrypto's `pkcs8` export gives too.
 */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key)));
}

/** One relative distinguished name: an attribute type and its values (several make one SET). */
export interface Rdn {
  readonly oid: string;
  readonly values: readonly string[];
}

/** Attribute types cryptogen fills, by Go's `pkix.Name` field. */
export const OID = {
  country: '2.5.4.6',
  province: '2.5.4.8',
  locality: '2.5.4.7',
  streetAddress: '2.5.4.9',
  postalCode: '2.5.4.17',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
} as const;

/** Go's rule for a PrintableString (what asn1.Marshal picks when no string type is forced). */
function isPrintable(s: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
}

function derTlv(tag: number, body: Buffer): Buffer {
  const lenBytes: number[] = [];
  for (let n = body.length; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n % 256);
  const len = body.length < 0x80 ? [body.length] : [0x80 | lenBytes.length, ...lenBytes];
  return Buffer.concat([Buffer.of(tag, ...len), body]);
}

/**
 * The DER value of one attribute (its string, tagged PrintableString or UTF8String as Go picks):
 * members of a multi-valued RDN share the type, so this orders them as DER orders a SET OF.
 */
function atvSortKey(value: string): Buffer {
  const body = Buffer.from(value, 'utf8');
  return derTlv(0x30, derTlv(isPrintable(value) ? 0x13 : 0x0c, body));
}

function toName(rdns: readonly Rdn[]): x509.Name {
  const json: x509.JsonNameParams = [];
  for (const rdn of rdns) {
    if (rdn.values.length === 0) continue;
    // Go writes a SET OF in DER order; values of one type differ by string type, length, bytes.
    const values = [...rdn.values].sort((a, b) => Buffer.compare(atvSortKey(a), atvSortKey(b)));
    json.push({
      [rdn.oid]: values.map((v) => (isPrintable(v) ? { printableString: v } : { utf8String: v })),
    });
  }
  return new x509.Name(json);
}

/** Key usage bits (RFC 5280 order), as Go's x509.KeyUsage names them. */
export const KeyUsage = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  certSign: x509.KeyUsageFlags.keyCertSign,
  crlSign: x509.KeyUsageFlags.cRLSign,
} as const;

/** Extended key usage OIDs cryptogen uses. */
export const ExtKeyUsage = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
} as const;

/** What goes into one certificate. */
export interface CertificateRequest {
  readonly subject: readonly Rdn[];
  /** The issuer's subject, as its certificate encodes it; absent for a self-signed certificate. */
  readonly issuer?: x509.X509Certificate;
  readonly publicKey: webcrypto.CryptoKey;
  readonly signingKey: webcrypto.CryptoKey;
  /** Serial number, big-endian bytes (made positive and minimal by the encoder). */
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyUsage: number;
  /** In the order they are written. Empty: no extension. */
  readonly extKeyUsage: readonly string[];
  readonly isCa: boolean;
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/**
 * Builds and signs a certificate with the extensions in Go's order: key usage (critical), extended
 * key usage, basic constraints (critical), subject key id, authority key id, subject alt names
 * (DNS names, then IP addresses). The signature is ECDSA with SHA-256, always low-S.
 */
export async function createCertificate(req: CertificateRequest): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [];
  if (req.keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(req.keyUsage, true));
  if (req.extKeyUsage.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension([...req.extKeyUsage], false));
  }
  extensions.push(new x509.BasicConstraintsExtension(req.isCa, undefined, true));
  if (req.subjectKeyId !== undefined) {
    extensions.push(
      new x509.SubjectKeyIdentifierExtension(Buffer.from(req.subjectKeyId).toString('hex')),
    );
  }
  if (req.authorityKeyId !== undefined) {
    extensions.push(
      new x509.AuthorityKeyIdentifierExtension(Buffer.from(req.authorityKeyId).toString('hex')),
    );
  }
  if (req.dnsNames.length + req.ipAddresses.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...req.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...req.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const subject = toName(req.subject);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: Buffer.from(req.serial).toString('hex'),
      subject,
      issuer:
        req.issuer !== undefined ? new x509.Name(req.issuer.subjectName.toArrayBuffer()) : subject,
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      // @peculiar/x509 declares the DOM CryptoKey; Node's webcrypto.CryptoKey is what it gets.
      publicKey: req.publicKey,
      signingKey: req.signingKey,
      signingAlgorithm: EC_P256,
      extensions,
    },
    LOW_S,
  );
}

/** The DER bytes of a certificate. */
export function certificateDer(cert: x509.X509Certificate): Uint8Array {
  return new Uint8Array(cert.rawData);
}

export type { X509Certificate } from '@peculiar/x509';
