/**
 * A throwaway PKI: ECDSA P-256 CAs and leaf certificates, as Fabric's cryptogen makes them, built
 * with @peculiar/x509 over Node's WebCrypto (no `openssl` binary needed).
 */
// @peculiar/x509 resolves its services with tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import { KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto, typed by @types/node rather than the DOM library @peculiar/x509 expects.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
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
  /** The key pair as WebCrypto keys (ECDSA P-256, extractable, sign/verify). */
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

function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

async function toTestCert(
  cert: x509.X509Certificate,
  subject: string,
  keys: webcrypto.CryptoKeyPair,
  isCa: boolean,
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
    keys,
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
  };
}

/** A self-signed CA certificate, subject `CN=<name>` unless `options.subject` says otherwise. */
export async function makeCa(name: string, options: CertOptions = {}): Promise<TestCa> {
  const now = Date.now();
  const subject = options.subject ?? `CN=${name}`;
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject,
    notBefore: wholeSecond(options.notBefore ?? new Date(now - 365 * DAY_MS)),
    notAfter: wholeSecond(options.notAfter ?? new Date(now + 10 * 365 * DAY_MS)),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ...(await toTestCert(cert, subject, keys, true)), isCa: true };
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
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    // The CA's subject exactly as its certificate encodes it, so that chains build by name.
    issuer: new x509.X509Certificate(ca.der).subjectName,
    notBefore: wholeSecond(options.notBefore ?? new Date(now - HOUR_MS)),
    notAfter: wholeSecond(options.notAfter ?? new Date(now + 2 * DAY_MS)),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...usageExtensions(options.usage ?? 'signing'),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return toTestCert(cert, subject, keys, false);
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
