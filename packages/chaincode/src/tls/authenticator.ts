/**
 * Binds client certificates to chaincode ids (Fabric's core/chaincode/accesscontrol): each launch
 * gets a certificate from the chaincode CA whose hash is recorded with the chaincode id, and a
 * REGISTER over a TLS stream is accepted only when the client certificate was issued for that id.
 */
import { certificateHash, type CertKeyPair, type ChaincodeCa } from './ca.js';

/** How long an issued certificate can be used to register (Fabric: 10 minutes). */
export const CERT_BINDING_TTL_MS = 10 * 60_000;

export class ChaincodeAuthenticator {
  private readonly bindings = new Map<string, { chaincodeId: string; expires: number }>();

  constructor(
    private readonly ca: ChaincodeCa,
    private readonly ttlMs: number = CERT_BINDING_TTL_MS,
  ) {}

  /** Fabric's Generate: a client certificate bound to `chaincodeId`. */
  async generate(chaincodeId: string): Promise<CertKeyPair> {
    const pair = await this.ca.newClientCertKeyPair();
    this.purge();
    this.bindings.set(certificateHash(pair.der), {
      chaincodeId,
      expires: Date.now() + this.ttlMs,
    });
    return pair;
  }

  /**
   * Fabric's authenticate: throws unless `certDer` (the TLS client certificate of the stream) was
   * issued for `chaincodeId`.
   */
  authenticate(chaincodeId: string, certDer: Uint8Array | undefined): void {
    if (certDer === undefined || certDer.length === 0) {
      throw new Error(`TLS is active but chaincode ${chaincodeId} didn't send certificate`);
    }
    const hash = certificateHash(certDer);
    const binding = this.bindings.get(hash);
    if (binding === undefined || binding.expires < Date.now()) {
      throw new Error(
        `Chaincode ${chaincodeId} with given certificate hash ${hash} not found in registry`,
      );
    }
    if (binding.chaincodeId !== chaincodeId) {
      throw new Error(
        `Chaincode ${chaincodeId} with given certificate hash ${hash} belongs to a different chaincode`,
      );
    }
  }

  /** Drops expired bindings (instead of a timer per certificate). */
  private purge(): void {
    const now = Date.now();
    for (const [hash, b] of this.bindings) if (b.expires < now) this.bindings.delete(hash);
  }
}
