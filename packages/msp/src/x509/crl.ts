/**
 * Certificate revocation lists as Fabric's MSP uses them: parsed as Go's `x509.ParseCRL` does
 * (PEM of type `X509 CRL`, or DER), the ECDSA signature re-encoded canonically, the
 * AuthorityKeyIdentifier that ties the CRL to its CA, the revoked serial numbers.
 *
 * Walked with the package's DER reader rather than @peculiar/x509: its X509Crl (2.2.0) loses the
 * revoked entries of a CRL without nextUpdate.
 */
import {
  DerError,
  TAG,
  bytesOf,
  childrenOf,
  contentOf,
  integerFromContent,
  oidToString,
  readTlv,
} from './der.js';
import { marshalEcdsaSignature, parseEcdsaSignature } from './ecdsa.js';
import {
  checkSignature,
  signatureAlgorithmOf,
  type Certificate,
  type SignatureAlgorithm,
} from './certificate.js';
import { decodePem } from './pem.js';
import { x509 } from './provider.js';

/** A CRL that cannot be parsed. */
export class CrlParseError extends Error {
  override readonly name = 'CrlParseError';
}

/** A parsed CRL. */
export interface Crl {
  readonly der: Buffer;
  /** DER of the TBSCertList (what the CA signed). */
  readonly tbs: Buffer;
  readonly signatureAlgorithm: SignatureAlgorithm | undefined;
  /** The signature; canonical DER for ECDSA (as Fabric re-encodes it at setup). */
  readonly signature: Buffer;
  /** Issuer as text, for messages. */
  readonly issuer: string;
  /**
   * keyIdentifier of the AuthorityKeyIdentifier extension; undefined when the extension has
   * none. `authorityKeyIdError` says why it could not be read at all (no extension, bad DER).
   */
  readonly authorityKeyId: Buffer | undefined;
  readonly authorityKeyIdError: string | undefined;
  /** Revoked serial numbers (decimal text of the signed INTEGERs). */
  readonly revokedSerials: ReadonlySet<string>;
}

const PEM_PREFIX = Buffer.from('-----BEGIN X509 CRL');
const OID_AKI = '2.5.29.35';

function fail(message: string, cause?: unknown): never {
  throw new CrlParseError(message, cause === undefined ? undefined : { cause });
}

/** Parses a CRL from PEM (type `X509 CRL`) or DER bytes. */
export function parseCrl(input: Uint8Array): Crl {
  let der: Buffer = Buffer.from(input);
  if (der.subarray(0, PEM_PREFIX.length).equals(PEM_PREFIX)) {
    const block = decodePem(der);
    if (block !== undefined && block.type === 'X509 CRL') der = block.bytes;
  }
  try {
    return parseDer(der);
  } catch (err) {
    if (err instanceof CrlParseError) throw err;
    return fail(`could not parse RevocationList: ${(err as Error).message}`, err);
  }
}

function parseDer(der: Buffer): Crl {
  const outer = readTlv(der, 0);
  if (outer.tag !== TAG.SEQUENCE) throw new DerError('not a SEQUENCE');
  if (outer.end !== der.length) throw new DerError('x509: trailing data after CRL');
  const [tbs, sigAlg, sigBits] = childrenOf(der, outer);
  if (
    tbs?.tag !== TAG.SEQUENCE ||
    sigAlg?.tag !== TAG.SEQUENCE ||
    sigBits?.tag !== TAG.BIT_STRING
  ) {
    throw new DerError('malformed CertificateList');
  }
  const fields = childrenOf(der, tbs);
  let i = 0;
  if (fields[i]?.tag === TAG.INTEGER) i++; // version
  const innerAlg = fields[i++];
  const issuer = fields[i++];
  const thisUpdate = fields[i++];
  if (innerAlg?.tag !== TAG.SEQUENCE || issuer?.tag !== TAG.SEQUENCE) {
    throw new DerError('malformed TBSCertList');
  }
  if (thisUpdate?.tag !== TAG.UTC_TIME && thisUpdate?.tag !== TAG.GENERALIZED_TIME) {
    throw new DerError('malformed thisUpdate');
  }
  const next = fields[i];
  if (next?.tag === TAG.UTC_TIME || next?.tag === TAG.GENERALIZED_TIME) i++;
  const revokedSerials = new Set<string>();
  if (fields[i]?.tag === TAG.SEQUENCE) {
    for (const entry of childrenOf(der, fields[i]!)) {
      const [serial] = childrenOf(der, entry);
      if (entry.tag !== TAG.SEQUENCE || serial?.tag !== TAG.INTEGER) {
        throw new DerError('malformed revoked certificate');
      }
      revokedSerials.add(integerFromContent(contentOf(der, serial)).toString());
    }
    i++;
  }
  let authorityKeyId: Buffer | undefined;
  let authorityKeyIdError: string | undefined = 'authorityKeyIdentifier not found in certificate';
  const extsTlv = fields[i];
  if (extsTlv?.tag === 0xa0) {
    const seq = readTlv(der, extsTlv.contentStart, extsTlv.end);
    for (const ext of childrenOf(der, seq)) {
      const [oid, a, b] = childrenOf(der, ext);
      if (oid?.tag !== TAG.OID || oidToString(contentOf(der, oid)) !== OID_AKI) continue;
      const value = a?.tag === TAG.BOOLEAN ? b : a;
      try {
        if (value?.tag !== TAG.OCTET_STRING) throw new DerError('malformed extension');
        const akiSeq = readTlv(der, value.contentStart, value.end);
        if (akiSeq.tag !== TAG.SEQUENCE) throw new DerError('sequence tag mismatch');
        const keyId = childrenOf(der, akiSeq).find((t) => t.tag === 0x80);
        authorityKeyId = keyId === undefined ? undefined : Buffer.from(contentOf(der, keyId));
        authorityKeyIdError = undefined;
      } catch (err) {
        authorityKeyIdError = `failed to unmarshal AKI: ${(err as Error).message}`;
      }
      break;
    }
  }
  const sigContent = contentOf(der, sigBits);
  if (sigContent.length === 0 || sigContent[0] !== 0) throw new DerError('malformed signature');
  let signature = Buffer.from(sigContent.subarray(1));
  const algorithm = signatureAlgorithmOf(der, sigAlg);
  const algOid = oidToString(contentOf(der, childrenOf(der, sigAlg)[0]!));
  if (algOid.startsWith('1.2.840.10045.4.')) {
    // Fabric re-encodes the (r, s) of an ECDSA CRL signature; unparseable ones fail the setup.
    signature = Buffer.from(marshalEcdsaSignature(parseEcdsaSignature(signature)));
  }
  let issuerText: string;
  try {
    issuerText = new x509.Name(bytesOf(der, issuer)).toString();
  } catch {
    issuerText = '(unreadable issuer)';
  }
  return {
    der,
    tbs: bytesOf(der, tbs) as Buffer,
    signatureAlgorithm: algorithm,
    signature,
    issuer: issuerText,
    authorityKeyId,
    authorityKeyIdError,
    revokedSerials,
  };
}

/** Go's `Certificate.CheckCRLSignature`: the CA's key verifies the CRL (SHA-1 allowed). */
export function checkCrlSignature(crl: Crl, ca: Certificate): void {
  checkSignature(
    crl.signatureAlgorithm,
    crl.tbs,
    crl.signature,
    ca.publicKey,
    ca.publicKeyKind,
    true,
  );
}
