/**
 * Access control of one deliver request (Fabric's `common/deliver` SessionAccessControl and
 * binding inspector): the ACL is checked before the first block and again whenever the channel's
 * config sequence has grown since, and the session ends when the requester's certificate expires.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { msp } from '@fabric-peer/protos';

/**
 * Fabric's crypto.ExpiresAt: the NotAfter of the X.509 certificate in a serialized identity, or
 * undefined when it cannot be told (not an identity, not PEM, not a certificate).
 */
export function identityExpiresAt(serializedIdentity: Uint8Array): Date | undefined {
  let idBytes: Uint8Array;
  try {
    idBytes = msp.SerializedIdentity.decode(serializedIdentity).idBytes;
  } catch {
    return undefined;
  }
  const text = Buffer.from(idBytes).toString('latin1');
  if (!text.includes('-----BEGIN')) return undefined;
  try {
    return new Date(new X509Certificate(Buffer.from(idBytes)).validTo);
  } catch {
    return undefined;
  }
}

/**
 * Fabric's mutual TLS binding: the channel header must carry the SHA-256 of the TLS certificate the
 * client presented. Throws saying why not.
 */
export function checkTlsBinding(
  claimedHash: Uint8Array | null | undefined,
  clientCertificate: Uint8Array | undefined,
): void {
  if (claimedHash === null || claimedHash === undefined || claimedHash.length === 0) {
    throw new Error("client didn't include its TLS cert hash");
  }
  if (clientCertificate === undefined || clientCertificate.length === 0) {
    throw new Error("client didn't send a TLS certificate");
  }
  const actual = createHash('sha256').update(clientCertificate).digest();
  if (!actual.equals(Buffer.from(claimedHash))) {
    throw new Error(
      `claimed TLS cert hash is ${Buffer.from(claimedHash).toString('hex')} but actual TLS cert hash is ${actual.toString('hex')}`,
    );
  }
}

/** The ACL decision of one request, cached until the config changes or the identity expires. */
export class SessionAccessControl {
  #lastSequence = 0n;
  #usedAtLeastOnce = false;

  constructor(
    /** The channel's current config sequence. */
    private readonly sequence: () => bigint,
    /** The ACL check of the request's envelope; rejects when denied. */
    private readonly check: () => Promise<void>,
    /** When the requester's certificate expires, if known. */
    private readonly sessionEnd: Date | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the request may go on; rejects saying why not. */
  async evaluate(): Promise<void> {
    if (this.sessionEnd !== undefined && this.now() > this.sessionEnd.getTime()) {
      throw new Error(
        `deliver client identity expired ${this.now() - this.sessionEnd.getTime()}ms before`,
      );
    }
    let needed = !this.#usedAtLeastOnce;
    const current = this.sequence();
    if (current > this.#lastSequence) {
      this.#lastSequence = current;
      needed = true;
    }
    if (!needed) return;
    this.#usedAtLeastOnce = true;
    await this.check();
  }
}
