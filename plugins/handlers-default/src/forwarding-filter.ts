/**
 * What every Fabric auth filter shares: it holds the next processor in the chain, checks the
 * proposal, and forwards it. Subclasses implement only the check.
 */
import type { AuthFilter, CallContext, ProposalProcessor } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';

export abstract class ForwardingFilter implements AuthFilter {
  #next: ProposalProcessor | undefined;

  init(next: ProposalProcessor): void {
    this.#next = next;
  }

  async processProposal(
    signed: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse> {
    if (!this.#next) throw new Error(`${this.constructor.name} used before init`);
    this.check(signed);
    return this.#next.processProposal(signed, context);
  }

  /** Throws ProposalRejected to refuse the proposal; returns to pass it on. */
  protected abstract check(signed: protos.ISignedProposal): void;
}
