/**
 * A throwaway PKI: CAs, intermediate CAs, leaf certificates and CRLs, as Fabric's cryptogen and
 * fabric-ca make them, built with @peculiar/x509 over Node's WebCrypto (no `openssl` binary needed).
 * Keys are ECDSA P-256 unless asked otherwise (P-384, Ed25519).
 */
// @peculiar/x509 resolves its services with tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import { KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto, typed by @types/node rather than the DOM library @peculiar/x509 expects.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Key algorithm of a certificate: ECDSA on P-256 (cryptogen's) or P-384, or Ed25519. */
export type KeyAlgorithm = 'P-256' | 'P-384' | 'Ed25519';

/** WebCrypto key generation parameters of each key algorithm. */
const KEY_PARAMS: Record<KeyAlgorithm, webcrypto.EcKeyGenParams | webcrypto.Algorithm> = {
  'P-256': { name: 'ECDSA', namedCurve: 'P-256' },
  'P-384': { name: 'ECDSA', namedCurve: 'P-384' },
  Ed25519: { name: 'Ed25519' },
};

/** How a key of each algorithm signs certificates and CRLs (the hash follows the curve). */
const SIGNING: Record<KeyAlgorithm, webcrypto.EcdsaParams | webcrypto.Algorithm> = {
  'P-256': { name: 'ECDSA', hash: 'SHA-256' },
  'P-384': { name: 'ECDSA', hash: 'SHA-384' },
  Ed25519: { name: 'Ed25519' },
};
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * What a leaf certificate is for:
 * - `server`: TLS server, extended key usage serverAuth, SAN `localhost` and `127.0.0.1`;
 * - `client`: TLS client, extended key usage clientAuth;
 * - `signing`: an identity that signs (an MSP signcert), key usage digitalSignature only.
 */
export type CertUsage = 'server' | 'client' | 'signing';

/** Subject and validity of a certificate. */
export interface CertOptions {
  /** The full distinguished name, e.g. `CN=peer0, O=Org1, C=US`; default `CN=<name>`. */
  readonly subject?: string;
  /**
   * Start of validity. X.509 times have whole seconds: a fraction is dropped. Default: one hour
   * ago for a leaf, a year ago for a CA.
   */
  readonly notBefore?: Date;
  /** End of validity, in whole seconds too. Default: two days ahead for a leaf, ten years for a CA. */
  readonly notAfter?: Date;
  /** Key algorithm of the certificate's own key pair. Default `P-256`. */
  readonly keyAlgorithm?: KeyAlgorithm;
}

/** Options of an intermediate CA ({@link makeIntermediate}). */
export interface IntermediateOptions extends CertOptions {
  /** BasicConstraints pathLenConstraint; default none. */
  readonly pathLength?: number;
}

/** Options of a leaf certificate. */
export interface LeafOptions extends CertOptions {
  /** Default `signing`. */
  readonly usage?: CertUsage;
}

/** A certificate with the key pair it was issued for, in the forms tests hand around. */
export interface TestCert {
  /** Whether it is a CA (made by {@link makeCa}), which {@link issue} can sign with. */
  readonly isCa: boolean;
  /** Subject distinguished name, as given (`CN=<name>` by default). */
  readonly subject: string;
  /** The certificate as PEM text. */
  readonly certPem: string;
  /** Its private key as PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`). */
  readonly keyPem: string;
  /** The certificate's DER bytes. */
  readonly der: Uint8Array;
  /** The certificate parsed by node:crypto (for `verify`, `checkIssued`, `checkHost`...). */
  readonly certificate: X509Certificate;
  /** Validity, as the certificate encodes it (whole seconds). */
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Serial number in hex, as @peculiar/x509 gives it (a CRL entry takes it as is). */
  readonly serialNumber: string;
  /** Key algorithm of the key pair. */
  readonly keyAlgorithm: KeyAlgorithm;
  /** The key pair as WebCrypto keys (extractable, sign/verify; ECDSA P-256 by default). */
  readonly keys: webcrypto.CryptoKeyPair;
  /** The same keys as node:crypto KeyObjects, for `crypto.sign` and `crypto.verify`. */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A CA certificate: {@link issue} signs leaves with it. */
export interface TestCa extends TestCert {
  readonly isCa: true;
}

function wholeSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** A random positive 64-bit serial number, in hex. */
function serialNumber(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

async function newKeys(algorithm: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  const keys = await webcrypto.subtle.generateKey(KEY_PARAMS[algorithm], true, ['sign', 'verify']);
  return keys as webcrypto.CryptoKeyPair;
}

async function toTestCert(
  cert: x509.X509Certificate,
  subject: string,
  keys: webcrypto.CryptoKeyPair,
  isCa: boolean,
  keyAlgorithm: KeyAlgorithm,
): Promise<TestCert> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const der = new Uint8Array(cert.rawData);
  return {
    isCa,
    subject,
    certPem: cert.toString('pem'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    der,
    certificate: new X509Certificate(der),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: cert.serialNumber,
    keyAlgorithm,
    keys,
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
  };
}

/** A self-signed CA certificate, subject `CN=<name>` unless `options.subject` says otherwise. */
export async function makeCa(name: string, options: CertOptions = {}): Promise<TestCa> {
  const now = Date.now();
  const subject = options.subject ?? `CN=${name}`;
  const keyAlgorithm = options.keyAlgorithm ?? 'P-256';
  const keys = await newKeys(keyAlgorithm);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject,
    notBefore: wholeSecond(options.notBefore ?? new Date(now - 365 * DAY_MS)),
    notAfter: wholeSecond(options.notAfter ?? new Date(now + 10 * 365 * DAY_MS)),
    keys,
    signingAlgorithm: SIGNING[keyAlgorithm],
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ...(await toTestCert(cert, subject, keys, true, keyAlgorithm)), isCa: true };
}

/**
 * An intermediate CA certificate signed by `parent` (a root or another intermediate), subject
 * `CN=<name>` unless `options.subject` says otherwise; {@link issue} signs leaves with it.
 */
export async function makeIntermediate(
  parent: TestCa,
  name: string,
  options: IntermediateOptions = {},
): Promise<TestCa> {
  const now = Date.now();
  const subject = options.subject ?? `CN=${name}`;
  const keyAlgorithm = options.keyAlgorithm ?? 'P-256';
  const keys = await newKeys(keyAlgorithm);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: new x509.X509Certificate(parent.der).subjectName,
    notBefore: wholeSecond(options.notBefore ?? new Date(now - 300 * DAY_MS)),
    notAfter: wholeSecond(options.notAfter ?? new Date(now + 5 * 365 * DAY_MS)),
    publicKey: keys.publicKey,
    signingKey: parent.keys.privateKey,
    signingAlgorithm: SIGNING[parent.keyAlgorithm],
    extensions: [
      new x509.BasicConstraintsExtension(true, options.pathLength, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(parent.keys.publicKey),
    ],
  });
  return { ...(await toTestCert(cert, subject, keys, true, keyAlgorithm)), isCa: true };
}

function usageExtensions(usage: CertUsage): x509.Extension[] {
  switch (usage) {
    case 'server':
      return [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
      ];
    case 'client':
      return [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      ];
    case 'signing':
      return [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)];
  }
}

/**
 * A leaf certificate signed by `ca` for a fresh key pair, subject `CN=<name>` unless
 * `options.subject` says otherwise. Give `notBefore`/`notAfter` in the past or the future for an
 * expired or a not-yet-valid certificate.
 */
export async function issue(
  ca: TestCa,
  name: string,
  options: LeafOptions = {},
): Promise<TestCert> {
  const now = Date.now();
  const subject = options.subject ?? `CN=${name}`;
  const keyAlgorithm = options.keyAlgorithm ?? 'P-256';
  const keys = await newKeys(keyAlgorithm);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    // The CA's subject exactly as its certificate encodes it, so that chains build by name.
    issuer: new x509.X509Certificate(ca.der).subjectName,
    notBefore: wholeSecond(options.notBefore ?? new Date(now - HOUR_MS)),
    notAfter: wholeSecond(options.notAfter ?? new Date(now + 2 * DAY_MS)),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING[ca.keyAlgorithm],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...usageExtensions(options.usage ?? 'signing'),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return toTestCert(cert, subject, keys, false, keyAlgorithm);
}

/** Options of {@link makeCrl}. */
export interface CrlOptions {
  /** Default: one hour ago. */
  readonly thisUpdate?: Date;
  /** Default: a week after thisUpdate; `null` for a CRL without nextUpdate. */
  readonly nextUpdate?: Date | null;
  /**
   * Whether the CRL carries an AuthorityKeyIdentifier extension naming the CA's key (Fabric finds
   * the CRL of a CA by it). Default true.
   */
  readonly authorityKeyIdentifier?: boolean;
  /** Sign with this key pair instead of the CA's (a CRL that names the CA but is forged). */
  readonly signingKeys?: webcrypto.CryptoKeyPair;
}

/** A certificate revocation list. */
export interface TestCrl {
  /** PEM text, type `X509 CRL` (the only PEM type Go's x509.ParseCRL accepts). */
  readonly pem: string;
  readonly der: Uint8Array;
}

/**
 * A CRL issued by `ca` revoking the given certificates (or hex serial numbers), signed with the
 * CA's key.
 */
export async function makeCrl(
  ca: TestCa,
  revoked: readonly (TestCert | string)[],
  options: CrlOptions = {},
): Promise<TestCrl> {
  const thisUpdate = wholeSecond(options.thisUpdate ?? new Date(Date.now() - HOUR_MS));
  const nextUpdate =
    options.nextUpdate === null
      ? undefined
      : wholeSecond(options.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * DAY_MS));
  const extensions: x509.Extension[] = [];
  if (options.authorityKeyIdentifier ?? true) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey));
  }
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(ca.der).subjectName,
    thisUpdate,
    ...(nextUpdate !== undefined ? { nextUpdate } : {}),
    signingKey: (options.signingKeys ?? ca.keys).privateKey,
    signingAlgorithm: SIGNING[ca.keyAlgorithm],
    extensions,
    entries: revoked.map((r) => ({
      serialNumber: typeof r === 'string' ? r : r.serialNumber,
      revocationDate: thisUpdate,
    })),
  });
  const der = new Uint8Array(crl.rawData);
  return { der, pem: x509.PemConverter.encode(crl.rawData, 'X509 CRL') };
}

/**
 * Writes `<dir>/<name>.crt` (the certificate) and `<dir>/<name>.key` (its PKCS#8 key, mode 0600),
 * creating `dir` if needed; returns their paths.
 */
export function writePair(
  dir: string,
  name: string,
  cert: TestCert,
): { readonly cert: string; readonly key: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, cert.certPem);
  writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
  return { cert: certFile, key: keyFile };
}
