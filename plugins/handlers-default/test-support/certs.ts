/**
 * Real ECDSA P-256 certificates for the tests, made with @peculiar/x509 on Node's WebCrypto: one
 * valid now, one that expired yesterday, one not valid until tomorrow.
 */
// @peculiar/x509 needs the reflect-metadata polyfill loaded first; @fabric-peer/api loads it.
import '@fabric-peer/api';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto, typed by @types/node rather than the DOM library @peculiar/x509 expects.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY_MS = 24 * 60 * 60 * 1000;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate with the key pair it was issued for. */
export interface TestCert {
  /** PEM text, as Fabric MSPs put it in `SerializedIdentity.id_bytes`. */
  readonly pem: string;
  /** DER bytes. */
  readonly der: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A whole second: X.509 times have no fractions, so notAfter round-trips exactly. */
function wholeSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

let serial = 1;

/** A self-signed ECDSA P-256 certificate valid from `notBefore` to `notAfter`. */
export async function makeCert(cn: string, notBefore: Date, notAfter: Date): Promise<TestCert> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    name: `CN=${cn}, O=Org1, C=US`,
    notBefore,
    notAfter,
    signingAlgorithm: EC_P256,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return {
    pem: cert.toString('pem'),
    der: new Uint8Array(cert.rawData),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
  };
}

/** The three certificates the suites use, relative to `now`. */
export interface TestCerts {
  readonly valid: TestCert;
  readonly expired: TestCert;
  readonly notYetValid: TestCert;
}

export async function makeCerts(now = Date.now()): Promise<TestCerts> {
  const [valid, expired, notYetValid] = await Promise.all([
    makeCert('valid', wholeSecond(now - DAY_MS), wholeSecond(now + 365 * DAY_MS)),
    makeCert('expired', wholeSecond(now - 30 * DAY_MS), wholeSecond(now - DAY_MS)),
    makeCert('not-yet-valid', wholeSecond(now + DAY_MS), wholeSecond(now + 30 * DAY_MS)),
  ]);
  return { valid, expired, notYetValid };
}
