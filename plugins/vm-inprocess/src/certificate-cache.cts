/**
 * fabric-shim builds a ClientIdentity for every transaction of a fabric-contract-api chaincode,
 * and parses the creator's X.509 certificate for it with @fidm/x509 (ASN.1 in JavaScript): about
 * 40 µs of the chaincode's CPU per transaction, for a certificate a client sends again and again.
 * Before the chaincode loads fabric-shim, the @fidm/x509 copy that shim resolves remembers its last
 * {@link CAPACITY} parses by PEM text (`Certificate.fromPEM`). The shim only reads the certificate
 * (subject, issuer, the attribute extension), and the copy is fabric-shim's own: a chaincode
 * reaches it only through the shim.
 */
// A CommonJS file under verbatimModuleSyntax imports with `import x = require()`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import Module = require('node:module');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import path = require('node:path');

/** Distinct certificates remembered: the clients of one chaincode, with room to spare. */
const CAPACITY = 256;

interface CertificateClass {
  fromPEM(this: unknown, data: unknown): unknown;
}

const done = new WeakSet<object>();

/** Least recently used first: a Map iterates in insertion order and a hit is re-inserted. */
function remembering(parse: (data: unknown) => unknown): (data: unknown) => unknown {
  const parsed = new Map<string, unknown>();
  return (data) => {
    const key =
      typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('latin1') : undefined;
    if (key === undefined) return parse(data);
    const hit = parsed.get(key);
    if (hit !== undefined) {
      parsed.delete(key);
      parsed.set(key, hit);
      return hit;
    }
    const certificate = parse(data);
    parsed.set(key, certificate);
    if (parsed.size > CAPACITY) parsed.delete(parsed.keys().next().value!);
    return certificate;
  };
}

/**
 * Applies the above to the @fidm/x509 that fabric-shim, as resolved from `dir` (the chaincode's
 * folder), loads. Nothing happens where either is not found.
 */
function rememberCertificatesFor(dir: string): void {
  let certificate: CertificateClass | undefined;
  try {
    const fromDir = Module.createRequire(path.join(dir, 'index.js'));
    const fromShim = Module.createRequire(fromDir.resolve('fabric-shim/package.json'));
    certificate = (fromShim('@fidm/x509') as { Certificate?: CertificateClass }).Certificate;
  } catch {
    return;
  }
  if (certificate === undefined || typeof certificate.fromPEM !== 'function') return;
  if (done.has(certificate)) return;
  done.add(certificate);
  const parse = certificate.fromPEM.bind(certificate);
  certificate.fromPEM = remembering(parse);
}

export = { rememberCertificatesFor, CAPACITY };
