// Certificate comparison for the tests: what a certificate says, parsed with @peculiar/x509 (and
// the string types read with our own DER reader), with keys, serials and dates left out.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { certificateParts, nameRdns } from './der.js';

/** What two certificates of the same role must share. */
export interface CertSummary {
  readonly version: string;
  readonly signatureAlgorithm: string;
  readonly subject: string[][];
  readonly issuer: string[][];
  readonly publicKey: { readonly algorithm: string; readonly curve: string };
  /** Days between notBefore and notAfter. */
  readonly validityDays: number;
  /** Extensions in order: OID, criticality, and a decoded value (key ids by length only). */
  readonly extensions: readonly { oid: string; critical: boolean; value: unknown }[];
}

/** The DER bytes of a PEM certificate file. */
export function readCertDer(file: string): Uint8Array {
  const text = readFileSync(file, 'utf8');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  if (m === null) throw new Error(`${file}: no certificate`);
  return new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

function extensionValue(ext: x509.Extension): unknown {
  if (ext instanceof x509.KeyUsagesExtension) return { keyUsage: ext.usages };
  if (ext instanceof x509.ExtendedKeyUsageExtension) return { extKeyUsage: ext.usages };
  if (ext instanceof x509.BasicConstraintsExtension) {
    return { ca: ext.ca, pathLength: ext.pathLength ?? null };
  }
  if (ext instanceof x509.SubjectKeyIdentifierExtension) {
    return { subjectKeyIdBytes: ext.keyId.length / 2 };
  }
  if (ext instanceof x509.AuthorityKeyIdentifierExtension) {
    return { authorityKeyIdBytes: (ext.keyId ?? '').length / 2, certId: ext.certId ?? null };
  }
  if (ext instanceof x509.SubjectAlternativeNameExtension) {
    return { names: ext.names.toJSON() };
  }
  return { raw: Buffer.from(ext.value).toString('hex') };
}

/** The summary of a certificate (DER). */
export function summarize(der: Uint8Array): CertSummary {
  const cert = new x509.X509Certificate(der);
  const parts = certificateParts(der);
  // tbs: [0] version, serial, signature, issuer, validity, subject, spki, [3] extensions
  const [version, , , issuer, , subject, spki] = parts.tbs;
  if (issuer === undefined || subject === undefined || spki === undefined) {
    throw new Error('bad tbsCertificate');
  }
  const key = cert.publicKey.algorithm as { name: string; namedCurve?: string };
  return {
    version: Buffer.from(version?.raw ?? []).toString('hex'),
    signatureAlgorithm: parts.signatureAlgorithm,
    subject: nameRdns(subject),
    issuer: nameRdns(issuer),
    publicKey: { algorithm: key.name, curve: key.namedCurve ?? '' },
    validityDays: (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000,
    extensions: cert.extensions.map((ext) => ({
      oid: ext.type,
      critical: ext.critical,
      value: extensionValue(ext),
    })),
  };
}

/** The subject key id and authority key id of a certificate, hex (empty when absent). */
export function keyIds(der: Uint8Array): { ski: string; aki: string } {
  const cert = new x509.X509Certificate(der);
  return {
    ski: cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '',
    aki: cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId ?? '',
  };
}
