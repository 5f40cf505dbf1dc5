/**
 * Fabric's certificate sanitisation: an ECDSA-signed certificate whose signature has a high S is
 * re-encoded with the low-S twin of that signature (judged against the issuer's curve), so that
 * the same certificate always has the same bytes, hence the same identity identifier.
 */
import { TAG, encodeTlv } from './der.js';
import { isLowS, marshalEcdsaSignature, parseEcdsaSignature, toLowS } from './ecdsa.js';
import type { Certificate } from './certificate.js';

/**
 * `cert` with its signature in low-S form against `issuer`'s curve: the same object when it
 * already is, a certificate parsed (with `parse`) from the re-encoded DER otherwise.
 */
export function sanitizeAgainst(
  cert: Certificate,
  issuer: Certificate,
  parse: (der: Uint8Array) => Certificate,
): Certificate {
  const curve = issuer.curve;
  if (curve === undefined) {
    throw new Error(
      `the issuer of ${cert.subject} has no ECDSA key to sanitise its signature with`,
    );
  }
  const sig = parseEcdsaSignature(cert.signature);
  const low = toLowS(curve, sig);
  const expected = marshalEcdsaSignature(low);
  if (isLowS(curve, sig.s) && Buffer.from(expected).equals(cert.signature)) return cert;
  const der = encodeTlv(
    TAG.SEQUENCE,
    cert.tbs,
    cert.signatureAlgorithmDer,
    encodeTlv(TAG.BIT_STRING, Uint8Array.of(0), expected),
  );
  return parse(der);
}
