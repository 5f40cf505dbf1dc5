/** DefaultAuth: Fabric's pass-through filter; it exists so a chain always has a head. */
import {
  injectable,
  type AuthFilter,
  type CallContext,
  type ProposalProcessor,
} from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';

@injectable()
export class DefaultAuth implements AuthFilter {
  #next: ProposalProcessor | undefined;

  init(next: ProposalProcessor): void {
    this.#next = next;
  }

  async processProposal(
    signed: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse> {
    if (!this.#next) throw new Error('DefaultAuth used before init');
    return this.#next.processProposal(signed, context);
  }
}
