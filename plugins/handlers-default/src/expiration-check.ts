/**
 * ExpirationCheck: refuses a proposal whose creator's X.509 certificate has expired, as Fabric's
 * filter does. A creator that is not an X.509 certificate (idemix) has no expiry and passes.
 */
import { X509Certificate } from 'node:crypto';
import { injectable } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';
import { ProposalRejected } from './errors.js';
import { ForwardingFilter } from './forwarding-filter.js';
import { creatorIdentity, proposalHeader, signatureHeader } from './proposal.js';

// The first PEM block of a text, whatever its label, as Go's pem.Decode finds it.
const PEM_BLOCK = /(?:^|\n)-----BEGIN ([^\r\n]*?)-----[ \t]*\r?\n([\s\S]*?)-----END \1-----/;

/**
 * When the certificate in a serialized identity expires, or undefined when that cannot be told.
 * As Fabric's `crypto.ExpiresAt`, only the first PEM block of `id_bytes` is read: an identity that
 * is not a serialized identity, not PEM (idemix, a bare DER certificate) or not a certificate has no
 * expiry here and is left to the MSP.
 */
export function expiresAt(creator: Uint8Array): Date | undefined {
  const id = creatorIdentity(creator);
  if (!id?.idBytes || id.idBytes.length === 0) return undefined;
  const block = PEM_BLOCK.exec(Buffer.from(id.idBytes).toString('latin1'));
  if (!block?.[2]) return undefined;
  try {
    return new Date(new X509Certificate(Buffer.from(block[2], 'base64')).validTo);
  } catch {
    return undefined;
  }
}

/** Creators whose expiry is known (parsing a certificate costs ≈ 130 µs; the answer never changes). */
const KNOWN_CREATORS = 1024;

@injectable()
export class ExpirationCheck extends ForwardingFilter {
  readonly #expiries = new Map<string, Date | null>();

  constructor(private readonly now: () => Date = () => new Date()) {
    super();
  }

  #expiryOf(creator: Uint8Array): Date | undefined {
    const key = Buffer.from(creator.buffer, creator.byteOffset, creator.byteLength).toString(
      'latin1',
    );
    let known = this.#expiries.get(key);
    if (known === undefined) {
      known = expiresAt(creator) ?? null;
      if (this.#expiries.size >= KNOWN_CREATORS) {
        this.#expiries.delete(this.#expiries.keys().next().value!);
      }
      this.#expiries.set(key, known);
    }
    return known ?? undefined;
  }

  protected check(signed: protos.ISignedProposal): void {
    const sh = signatureHeader(proposalHeader(signed));
    const expiry = this.#expiryOf(sh.creator ?? new Uint8Array());
    if (expiry && this.now().getTime() > expiry.getTime()) {
      throw new ProposalRejected('identity expired');
    }
  }
}
