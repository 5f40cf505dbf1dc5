/**
 * Certificate chains as Go's `x509.Certificate.Verify` builds them for Fabric's MSP: parents found
 * by raw subject = raw issuer (key identifiers only order the candidates), every chain from the
 * leaf to a root enumerated, each certificate judged at one instant, critical extensions Go does
 * not know refused, intermediates required to be CAs, path lengths and extended key usages (the
 * MSP passes none, so Go asks for serverAuth) enforced. Name constraints are not evaluated.
 */
import {
  EKU_ANY,
  EKU_SERVER_AUTH,
  SignatureCheckError,
  checkSignatureFrom,
  type Certificate,
} from './certificate.js';

/** No chain: the message says why, in Go's words. */
export class ChainError extends Error {
  override readonly name = 'ChainError';
}

/** A set of certificates indexed by subject, as Go's CertPool (duplicates by DER dropped). */
export class CertPool {
  readonly #all: Certificate[] = [];
  readonly #byDer = new Set<string>();
  readonly #bySubject = new Map<string, Certificate[]>();

  constructor(certs: Iterable<Certificate> = []) {
    for (const c of certs) this.add(c);
  }

  add(cert: Certificate): void {
    const key = cert.der.toString('latin1');
    if (this.#byDer.has(key)) return;
    this.#byDer.add(key);
    this.#all.push(cert);
    const subject = cert.rawSubject.toString('latin1');
    const list = this.#bySubject.get(subject);
    if (list === undefined) this.#bySubject.set(subject, [cert]);
    else list.push(cert);
  }

  contains(cert: Certificate): boolean {
    return this.#byDer.has(cert.der.toString('latin1'));
  }

  get certificates(): readonly Certificate[] {
    return this.#all;
  }

  /**
   * Certificates whose subject is `child`'s issuer: first those whose subject key id equals the
   * child's authority key id, then those where exactly one of the two is missing, then the rest.
   */
  potentialParents(child: Certificate): Certificate[] {
    const named = this.#bySubject.get(child.rawIssuer.toString('latin1')) ?? [];
    const matching: Certificate[] = [];
    const oneMissing: Certificate[] = [];
    const mismatching: Certificate[] = [];
    const aki = child.authorityKeyId ?? Buffer.alloc(0);
    for (const candidate of named) {
      const ski = candidate.subjectKeyId ?? Buffer.alloc(0);
      if (ski.equals(aki)) matching.push(candidate);
      else if ((ski.length === 0) !== (aki.length === 0)) oneMissing.push(candidate);
      else mismatching.push(candidate);
    }
    return [...matching, ...oneMissing, ...mismatching];
  }
}

/** What {@link verifyChains} checks against. */
export interface ChainOptions {
  readonly roots: CertPool;
  readonly intermediates: CertPool;
  /** Every certificate of the chain must be valid at this instant. */
  readonly at: Date;
}

const MAX_SIGNATURE_CHECKS = 100;

type Role = 'leaf' | 'intermediate' | 'root';

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's `isValid` for a certificate about to join `chain` in `role`; a reason, or undefined. */
function invalidReason(
  cert: Certificate,
  role: Role,
  chain: readonly Certificate[],
  at: Date,
): string | undefined {
  if (cert.unhandledCriticalExtensions.length > 0) {
    return `x509: unhandled critical extension (${cert.unhandledCriticalExtensions.join(', ')})`;
  }
  const child = chain[chain.length - 1];
  if (child !== undefined && !child.rawIssuer.equals(cert.rawSubject)) {
    return 'x509: issuer name does not match subject from issuing certificate';
  }
  if (at.getTime() < cert.notBefore.getTime()) {
    return `x509: certificate has expired or is not yet valid: current time ${rfc3339(at)} is before ${rfc3339(cert.notBefore)}`;
  }
  if (at.getTime() > cert.notAfter.getTime()) {
    return `x509: certificate has expired or is not yet valid: current time ${rfc3339(at)} is after ${rfc3339(cert.notAfter)}`;
  }
  if (
    cert.extKeyUsage.length > 0 &&
    !cert.extKeyUsage.some((u) => u === EKU_ANY || u === EKU_SERVER_AUTH)
  ) {
    return 'x509: certificate specifies an incompatible key usage';
  }
  if (role === 'intermediate' && (!cert.basicConstraintsValid || !cert.isCa)) {
    return 'x509: certificate is not authorized to sign other certificates';
  }
  if (cert.basicConstraintsValid && cert.maxPathLen >= 0 && chain.length - 1 > cert.maxPathLen) {
    return 'x509: too many intermediates for path length constraint';
  }
  return undefined;
}

function sameKeyAndName(a: Certificate, b: Certificate): boolean {
  if (!a.rawSubject.equals(b.rawSubject) || !a.spki.equals(b.spki)) return false;
  if (a.subjectAltName === undefined && b.subjectAltName === undefined) return true;
  if (a.subjectAltName === undefined || b.subjectAltName === undefined) return false;
  return a.subjectAltName.equals(b.subjectAltName);
}

/**
 * Every chain from `leaf` to a root of `options.roots` (leaf first, root last), as Go's Verify
 * returns them; throws ChainError when there is none.
 */
export function verifyChains(leaf: Certificate, options: ChainOptions): Certificate[][] {
  const leafProblem = invalidReason(leaf, 'leaf', [], options.at);
  if (leafProblem !== undefined) throw new ChainError(leafProblem);
  if (options.roots.contains(leaf)) return [[leaf]];
  const state = { checks: 0 };
  const result = build(leaf, [leaf], options, state);
  if (result.chains.length > 0) return result.chains;
  throw new ChainError(result.error ?? 'x509: certificate signed by unknown authority');
}

function build(
  cert: Certificate,
  chain: Certificate[],
  options: ChainOptions,
  state: { checks: number },
): { chains: Certificate[][]; error: string | undefined } {
  const chains: Certificate[][] = [];
  let error: string | undefined;
  let hint: string | undefined;

  const consider = (role: 'intermediate' | 'root', candidate: Certificate): void => {
    if (chain.some((c) => sameKeyAndName(candidate, c))) return;
    state.checks++;
    if (state.checks > MAX_SIGNATURE_CHECKS) {
      error = 'x509: signature check attempts limit reached while verifying certificate chain';
      return;
    }
    try {
      checkSignatureFrom(cert, candidate);
    } catch (err) {
      if (hint === undefined) {
        const reason = err instanceof SignatureCheckError ? err.message : String(err);
        hint = `possibly because of "${reason}" while trying to verify candidate authority certificate "${candidate.commonName}"`;
      }
      return;
    }
    const problem = invalidReason(candidate, role, chain, options.at);
    if (problem !== undefined) {
      error = problem;
      return;
    }
    if (role === 'root') {
      chains.push([...chain, candidate]);
    } else {
      const sub = build(candidate, [...chain, candidate], options, state);
      chains.push(...sub.chains);
      error = sub.error;
    }
  };

  for (const root of options.roots.potentialParents(cert)) consider('root', root);
  for (const mid of options.intermediates.potentialParents(cert)) consider('intermediate', mid);

  if (chains.length > 0) return { chains, error: undefined };
  if (error === undefined) {
    error = `x509: certificate signed by unknown authority${hint === undefined ? '' : ` (${hint})`}`;
  }
  return { chains, error };
}
