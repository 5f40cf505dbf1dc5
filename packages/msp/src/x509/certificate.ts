/**
 * One X.509 certificate, parsed once into what the MSP needs: the raw slices Go keeps (TBS,
 * subject, issuer, public key), the extensions Go interprets, the OUs of the subject, the public
 * key as a node:crypto KeyObject. @peculiar/x509 reads the names, dates and extension values; a
 * small DER walker finds the raw slices and refuses what Go's parser refuses (trailing data,
 * duplicate extensions, mismatched signature algorithms, negative serials, compressed or
 * unsupported EC points).
 */
import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import {
  DerError,
  TAG,
  bytesOf,
  childrenOf,
  contentOf,
  expectTlv,
  integerFromContent,
  oidToString,
  readTlv,
  type Tlv,
} from './der.js';
import { curveByNodeName, type EcCurve } from './ecdsa.js';
import { x509 } from './provider.js';

/** A certificate that cannot be parsed (Fabric: "parseCertificate failed"). */
export class CertificateParseError extends Error {
  override readonly name = 'CertificateParseError';
}

/** A signature check that failed, with Go's wording of why. */
export class SignatureCheckError extends Error {
  override readonly name = 'SignatureCheckError';
}

/** Key usage bit of keyCertSign (Go's x509.KeyUsageCertSign). */
export const KEY_USAGE_CERT_SIGN = 1 << 5;

/** Extended key usage OIDs Go's chain verification looks at. */
export const EKU_ANY = '2.5.29.37.0';
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_ED25519 = '1.3.101.112';
const OID_AIA = '1.3.6.1.5.5.7.1.1';

/** Extensions Go's certificate parser interprets; other critical ones make a chain invalid. */
const HANDLED_EXTENSIONS = new Set([
  '2.5.29.14', // subject key identifier
  '2.5.29.15', // key usage
  '2.5.29.17', // subject alternative name (unless it holds no name Go knows)
  '2.5.29.19', // basic constraints
  '2.5.29.30', // name constraints
  '2.5.29.31', // CRL distribution points
  '2.5.29.32', // certificate policies
  '2.5.29.33', // policy mappings
  '2.5.29.35', // authority key identifier
  '2.5.29.36', // policy constraints
  '2.5.29.37', // extended key usage
  '2.5.29.54', // inhibit anyPolicy
  OID_AIA,
]);

/** How a certificate signature algorithm verifies, in Go's terms. */
export interface SignatureAlgorithm {
  /** Go's name, e.g. `ECDSA-SHA256`. */
  readonly name: string;
  /** Public key type it needs. */
  readonly key: 'ec' | 'rsa' | 'rsa-pss' | 'ed25519';
  /** node:crypto digest name; null for Ed25519 (signs the message itself). */
  readonly hash: string | null;
  /** SHA-1 based: Go refuses it for certificates, accepts it for CRLs. */
  readonly sha1?: boolean;
  /** MD2 / MD5: always refused. */
  readonly insecure?: boolean;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  '1.2.840.10045.4.1': { name: 'ECDSA-SHA1', key: 'ec', hash: 'sha1', sha1: true },
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', key: 'ec', hash: 'sha512' },
  '1.2.840.113549.1.1.2': { name: 'MD2-RSA', key: 'rsa', hash: null, insecure: true },
  '1.2.840.113549.1.1.4': { name: 'MD5-RSA', key: 'rsa', hash: 'md5', insecure: true },
  '1.2.840.113549.1.1.5': { name: 'SHA1-RSA', key: 'rsa', hash: 'sha1', sha1: true },
  '1.2.840.113549.1.1.11': { name: 'SHA256-RSA', key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'SHA384-RSA', key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'SHA512-RSA', key: 'rsa', hash: 'sha512' },
  '1.3.101.112': { name: 'Ed25519', key: 'ed25519', hash: null },
};

const OID_RSA_PSS = '1.2.840.113549.1.1.10';
const PSS_HASHES: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Reads an AlgorithmIdentifier element into a signature algorithm, or undefined if unknown. */
export function signatureAlgorithmOf(buf: Uint8Array, algId: Tlv): SignatureAlgorithm | undefined {
  const parts = childrenOf(buf, algId);
  const oidTlv = parts[0];
  if (oidTlv === undefined || oidTlv.tag !== TAG.OID) return undefined;
  const oid = oidToString(contentOf(buf, oidTlv));
  if (oid === OID_ED25519 && parts.length > 1) return undefined;
  if (oid !== OID_RSA_PSS) return SIGNATURE_ALGORITHMS[oid];
  // RSASSA-PSS: Go accepts SHA-256/384/512 (same hash for MGF1, salt as long as the hash).
  const params = parts[1];
  if (params === undefined || params.tag !== TAG.SEQUENCE) return undefined;
  const hashParam = childrenOf(buf, params).find((t) => t.tag === 0xa0);
  if (hashParam === undefined) return undefined;
  const hashAlg = readTlv(buf, hashParam.contentStart, hashParam.end);
  const hashOid = childrenOf(buf, hashAlg)[0];
  if (hashOid === undefined || hashOid.tag !== TAG.OID) return undefined;
  const hash = PSS_HASHES[oidToString(contentOf(buf, hashOid))];
  return hash === undefined
    ? undefined
    : { name: `${hash.toUpperCase()}-RSAPSS`, key: 'rsa-pss', hash };
}

/** Public key algorithm of a certificate, as Fabric's key import sees it. */
export type PublicKeyKind = 'ec' | 'rsa' | 'ed25519' | 'other';

/** One extension as encoded. */
export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** Contents of the extnValue OCTET STRING. */
  readonly value: Uint8Array;
}

/** A parsed certificate. Instances are immutable and shared between identities. */
export interface Certificate {
  /** The DER bytes. */
  readonly der: Buffer;
  /** DER of the TBSCertificate (what the issuer signed). */
  readonly tbs: Buffer;
  /** The outer signatureAlgorithm element, as encoded. */
  readonly signatureAlgorithmDer: Buffer;
  readonly signatureAlgorithm: SignatureAlgorithm | undefined;
  /** The signature (BIT STRING contents). */
  readonly signature: Buffer;
  /** 1, 2 or 3. */
  readonly version: number;
  readonly serialNumber: bigint;
  readonly rawSubject: Buffer;
  readonly rawIssuer: Buffer;
  /** DER of the SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Subject and issuer as text (RFC 4514 order as encoded), for messages. */
  readonly subject: string;
  readonly issuer: string;
  readonly commonName: string;
  /** Subject OU values, in encoding order (multi-valued RDNs included). */
  readonly organizationalUnits: readonly string[];
  readonly extensions: readonly RawExtension[];
  /** BasicConstraints present. */
  readonly basicConstraintsValid: boolean;
  readonly isCa: boolean;
  /** pathLenConstraint, -1 when absent. */
  readonly maxPathLen: number;
  /** KeyUsage bits (Go's numbering: digitalSignature = 1), 0 when absent. */
  readonly keyUsage: number;
  /** ExtendedKeyUsage OIDs (empty when absent). */
  readonly extKeyUsage: readonly string[];
  readonly subjectKeyId: Buffer | undefined;
  readonly authorityKeyId: Buffer | undefined;
  /** The SAN extension's value, when there is one. */
  readonly subjectAltName: Buffer | undefined;
  readonly hasNameConstraints: boolean;
  /** Critical extensions Go does not interpret. */
  readonly unhandledCriticalExtensions: readonly string[];
  readonly publicKeyKind: PublicKeyKind;
  /** The subject public key; undefined for an algorithm node:crypto cannot load. */
  readonly publicKey: KeyObject | undefined;
  /** Its curve, for an EC key. */
  readonly curve: EcCurve | undefined;
}

function fail(message: string, cause?: unknown): never {
  throw new CertificateParseError(`x509: ${message}`, cause === undefined ? undefined : { cause });
}

function parseExtensions(buf: Buffer, tlv: Tlv): RawExtension[] {
  const seq = expectTlv(buf, tlv.contentStart, TAG.SEQUENCE, 'extensions', tlv.end);
  if (seq.end !== tlv.end) fail('malformed extensions');
  const out: RawExtension[] = [];
  const seen = new Set<string>();
  for (const ext of childrenOf(buf, seq)) {
    if (ext.tag !== TAG.SEQUENCE) fail('malformed extension');
    const parts = childrenOf(buf, ext);
    const [oidTlv, second, third] = parts;
    if (oidTlv === undefined || oidTlv.tag !== TAG.OID) fail('malformed extension OID field');
    let critical = false;
    let valueTlv = second;
    if (second !== undefined && second.tag === TAG.BOOLEAN) {
      const content = contentOf(buf, second);
      if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff)) {
        fail('malformed extension critical field');
      }
      critical = content[0] === 0xff;
      valueTlv = third;
    }
    if (valueTlv === undefined || valueTlv.tag !== TAG.OCTET_STRING || valueTlv.end !== ext.end) {
      fail('malformed extension value field');
    }
    const oid = oidToString(contentOf(buf, oidTlv));
    if (seen.has(oid)) fail('certificate contains duplicate extensions');
    seen.add(oid);
    out.push({ oid, critical, value: contentOf(buf, valueTlv) });
  }
  return out;
}

function publicKeyOf(
  buf: Buffer,
  spki: Tlv,
): { kind: PublicKeyKind; key: KeyObject | undefined; curve: EcCurve | undefined } {
  const [algId, bits] = childrenOf(buf, spki);
  if (algId?.tag !== TAG.SEQUENCE || bits?.tag !== TAG.BIT_STRING) fail('malformed public key');
  const algParts = childrenOf(buf, algId);
  const oidTlv = algParts[0];
  if (oidTlv?.tag !== TAG.OID) fail('malformed public key algorithm');
  const oid = oidToString(contentOf(buf, oidTlv));
  const keyBits = contentOf(buf, bits);
  const load = (): KeyObject => {
    try {
      return createPublicKey({ key: bytesOf(buf, spki) as Buffer, format: 'der', type: 'spki' });
    } catch (err) {
      return fail('failed to parse public key', err);
    }
  };
  switch (oid) {
    case OID_EC_PUBLIC_KEY: {
      if (keyBits[0] !== 0 || keyBits[1] !== 0x04) {
        fail('failed to unmarshal elliptic curve point');
      }
      const key = load();
      const curve = curveByNodeName(key.asymmetricKeyDetails?.namedCurve);
      if (curve === undefined) fail('unsupported elliptic curve');
      return { kind: 'ec', key, curve };
    }
    case OID_RSA: {
      const params = algParts[1];
      if (params === undefined || params.tag !== TAG.NULL) fail('RSA key missing NULL parameters');
      return { kind: 'rsa', key: load(), curve: undefined };
    }
    case OID_ED25519:
      return { kind: 'ed25519', key: load(), curve: undefined };
    default: {
      let key: KeyObject | undefined;
      try {
        key = createPublicKey({ key: bytesOf(buf, spki) as Buffer, format: 'der', type: 'spki' });
      } catch {
        key = undefined;
      }
      return { kind: 'other', key, curve: undefined };
    }
  }
}

function hexToBuffer(hex: string | undefined): Buffer | undefined {
  return hex === undefined ? undefined : Buffer.from(hex, 'hex');
}

/** Parses a DER certificate; throws CertificateParseError with Go's reason when it cannot. */
export function parseCertificate(input: Uint8Array): Certificate {
  const der = Buffer.from(input);
  try {
    return parseDer(der);
  } catch (err) {
    if (err instanceof CertificateParseError) throw err;
    if (err instanceof DerError) return fail(`malformed certificate: ${err.message}`, err);
    return fail(`malformed certificate: ${(err as Error).message}`, err);
  }
}

function parseDer(der: Buffer): Certificate {
  const outer = readTlv(der, 0);
  if (outer.tag !== TAG.SEQUENCE) fail('malformed certificate');
  if (outer.end !== der.length) fail('trailing data');
  const [tbs, sigAlg, sigBits, ...more] = childrenOf(der, outer);
  if (tbs?.tag !== TAG.SEQUENCE || sigAlg?.tag !== TAG.SEQUENCE) fail('malformed certificate');
  if (sigBits?.tag !== TAG.BIT_STRING || more.length > 0) fail('malformed signature');
  const sigContent = contentOf(der, sigBits);
  if (sigContent.length === 0 || sigContent[0] !== 0) fail('malformed signature');

  const fields = childrenOf(der, tbs);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const v = expectTlv(der, fields[0].contentStart, TAG.INTEGER, 'version', fields[0].end);
    const n = integerFromContent(contentOf(der, v));
    if (n < 0n || n > 2n) fail('invalid version');
    version = Number(n) + 1;
    i++;
  }
  const serialTlv = fields[i++];
  const tbsSigAlg = fields[i++];
  const issuerTlv = fields[i++];
  const validityTlv = fields[i++];
  const subjectTlv = fields[i++];
  const spkiTlv = fields[i++];
  if (
    serialTlv?.tag !== TAG.INTEGER ||
    tbsSigAlg?.tag !== TAG.SEQUENCE ||
    issuerTlv?.tag !== TAG.SEQUENCE ||
    validityTlv?.tag !== TAG.SEQUENCE ||
    subjectTlv?.tag !== TAG.SEQUENCE ||
    spkiTlv?.tag !== TAG.SEQUENCE
  ) {
    fail('malformed tbs certificate');
  }
  const serialNumber = integerFromContent(contentOf(der, serialTlv));
  if (serialNumber < 0n) fail('negative serial number');
  if (!(bytesOf(der, tbsSigAlg) as Buffer).equals(bytesOf(der, sigAlg))) {
    fail("inner and outer signature algorithm identifiers don't match");
  }
  let extensions: RawExtension[] = [];
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.tag === 0x81 || f.tag === 0x82) continue; // issuer / subject unique ids
    if (f.tag === 0xa3) {
      if (version !== 3) fail('malformed extensions');
      extensions = parseExtensions(der, f);
      continue;
    }
    fail('malformed tbs certificate');
  }

  // Names, dates and extension values through @peculiar/x509.
  let peculiar: x509.X509Certificate;
  try {
    peculiar = new x509.X509Certificate(der);
  } catch (err) {
    return fail(`malformed certificate: ${(err as Error).message}`, err);
  }
  const subjectName = peculiar.subjectName;
  const organizationalUnits: string[] = [];
  let commonName = '';
  for (const rdn of subjectName.toJSON()) {
    for (const value of rdn.OU ?? []) organizationalUnits.push(value);
    const cn = rdn.CN;
    if (cn !== undefined && cn.length > 0) commonName = cn[cn.length - 1]!;
  }

  let basicConstraintsValid = false;
  let isCa = false;
  let maxPathLen = -1;
  let keyUsage = 0;
  let extKeyUsage: string[] = [];
  let subjectKeyId: Buffer | undefined;
  let authorityKeyId: Buffer | undefined;
  let subjectAltName: Buffer | undefined;
  let hasNameConstraints = false;
  const unhandledCriticalExtensions: string[] = [];
  const typed = peculiar.extensions;
  for (const ext of extensions) {
    const parsed = typed.find((e) => e.type === ext.oid);
    let handled = HANDLED_EXTENSIONS.has(ext.oid);
    if (parsed instanceof x509.BasicConstraintsExtension) {
      basicConstraintsValid = true;
      isCa = parsed.ca;
      maxPathLen = parsed.pathLength ?? -1;
    } else if (parsed instanceof x509.KeyUsagesExtension) {
      keyUsage = parsed.usages;
    } else if (parsed instanceof x509.ExtendedKeyUsageExtension) {
      extKeyUsage = parsed.usages.map(String);
    } else if (parsed instanceof x509.SubjectKeyIdentifierExtension) {
      subjectKeyId = hexToBuffer(parsed.keyId);
    } else if (parsed instanceof x509.AuthorityKeyIdentifierExtension) {
      authorityKeyId = hexToBuffer(parsed.keyId);
    } else if (parsed instanceof x509.SubjectAlternativeNameExtension) {
      subjectAltName = Buffer.from(ext.value);
      // Go leaves a SAN with no DNS, email, IP or URI name "unhandled".
      handled = parsed.names.items.some((n) => ['dns', 'email', 'ip', 'url'].includes(n.type));
    } else if (ext.oid === '2.5.29.30') {
      hasNameConstraints = true;
    }
    if (ext.oid === '2.5.29.17' && subjectAltName === undefined) {
      subjectAltName = Buffer.from(ext.value);
    }
    if (ext.critical && !handled) unhandledCriticalExtensions.push(ext.oid);
  }

  const { kind, key, curve } = publicKeyOf(der, spkiTlv);
  return {
    der,
    tbs: bytesOf(der, tbs) as Buffer,
    signatureAlgorithmDer: bytesOf(der, sigAlg) as Buffer,
    signatureAlgorithm: signatureAlgorithmOf(der, sigAlg),
    signature: Buffer.from(sigContent.subarray(1)),
    version,
    serialNumber,
    rawSubject: bytesOf(der, subjectTlv) as Buffer,
    rawIssuer: bytesOf(der, issuerTlv) as Buffer,
    spki: bytesOf(der, spkiTlv) as Buffer,
    notBefore: peculiar.notBefore,
    notAfter: peculiar.notAfter,
    subject: peculiar.subject,
    issuer: peculiar.issuer,
    commonName,
    organizationalUnits,
    extensions,
    basicConstraintsValid,
    isCa,
    maxPathLen,
    keyUsage,
    extKeyUsage,
    subjectKeyId,
    authorityKeyId,
    subjectAltName,
    hasNameConstraints,
    unhandledCriticalExtensions,
    publicKeyKind: kind,
    publicKey: key,
    curve,
  };
}

/**
 * Checks `signature` over `signed` with `key` as Go's x509 `checkSignature` does; SHA-1 only when
 * `allowSha1` (Go allows it for CRLs, not for certificates). Throws SignatureCheckError.
 */
export function checkSignature(
  algorithm: SignatureAlgorithm | undefined,
  signed: Uint8Array,
  signature: Uint8Array,
  key: KeyObject | undefined,
  keyKind: PublicKeyKind,
  allowSha1: boolean,
): void {
  if (algorithm === undefined) {
    throw new SignatureCheckError('x509: cannot verify signature: algorithm unimplemented');
  }
  if (algorithm.insecure === true || (algorithm.sha1 === true && !allowSha1)) {
    throw new SignatureCheckError(
      `x509: cannot verify signature: insecure algorithm ${algorithm.name}`,
    );
  }
  const wanted = algorithm.key === 'rsa-pss' ? 'rsa' : algorithm.key;
  if (key === undefined || keyKind === 'other') {
    throw new SignatureCheckError('x509: cannot verify signature: algorithm unimplemented');
  }
  if (keyKind !== wanted) {
    throw new SignatureCheckError(
      `x509: signature algorithm specifies an ${wanted.toUpperCase()} public key, but have public key of type ${keyKind.toUpperCase()}`,
    );
  }
  let ok: boolean;
  try {
    switch (algorithm.key) {
      case 'ec':
        ok = cryptoVerify(algorithm.hash, signed, { key, dsaEncoding: 'der' }, signature);
        break;
      case 'rsa':
        ok = cryptoVerify(algorithm.hash, signed, key, signature);
        break;
      case 'rsa-pss':
        ok = cryptoVerify(
          algorithm.hash,
          signed,
          {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
        break;
      case 'ed25519':
        ok = cryptoVerify(null, signed, key, signature);
        break;
    }
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new SignatureCheckError(
      algorithm.key === 'ec'
        ? 'x509: ECDSA verification failure'
        : algorithm.key === 'ed25519'
          ? 'x509: Ed25519 verification failure'
          : 'crypto/rsa: verification error',
    );
  }
}

/**
 * Go's `Certificate.CheckSignatureFrom`: `parent` may sign certificates (BasicConstraints CA, or a
 * v1 certificate; keyCertSign when it has a KeyUsage) and its key verifies `child`'s signature.
 */
export function checkSignatureFrom(child: Certificate, parent: Certificate): void {
  if (
    (parent.version === 3 && !parent.basicConstraintsValid) ||
    (parent.basicConstraintsValid && !parent.isCa) ||
    (parent.keyUsage !== 0 && (parent.keyUsage & KEY_USAGE_CERT_SIGN) === 0)
  ) {
    throw new SignatureCheckError(
      'x509: invalid signature: parent certificate cannot sign this kind of certificate',
    );
  }
  checkSignature(
    child.signatureAlgorithm,
    child.tbs,
    child.signature,
    parent.publicKey,
    parent.publicKeyKind,
    false,
  );
}

/** Whether the certificate is signed with ECDSA (Fabric sanitises only those). */
export function isEcdsaSigned(cert: Certificate): boolean {
  return cert.signatureAlgorithm?.key === 'ec';
}
