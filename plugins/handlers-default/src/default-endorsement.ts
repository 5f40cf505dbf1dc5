/**
 * DefaultEndorsement (Fabric's escc): signs the proposal response payload followed by the
 * endorser's serialized identity, and returns the payload unchanged.
 */
import {
  injectable,
  type EndorsementDependencies,
  type EndorsementPlugin,
  type EndorsementResult,
} from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';

@injectable()
export class DefaultEndorsement implements EndorsementPlugin {
  #deps: EndorsementDependencies | undefined;

  init(dependencies: EndorsementDependencies): Promise<void> {
    this.#deps = dependencies;
    return Promise.resolve();
  }

  async endorse(
    payload: Uint8Array,
    signedProposal: protos.ISignedProposal,
  ): Promise<EndorsementResult> {
    if (!this.#deps) throw new Error('DefaultEndorsement used before init');
    const signer = await this.#deps.signingIdentityFor(signedProposal);
    const endorser = signer.serialize();
    const signed = new Uint8Array(payload.length + endorser.length);
    signed.set(payload, 0);
    signed.set(endorser, payload.length);
    const signature = await signer.sign(signed);
    return { endorsement: { endorser, signature }, payload };
  }
}
