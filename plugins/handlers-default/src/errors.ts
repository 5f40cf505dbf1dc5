import { FabricPeerError } from '@fabric-peer/api';

/** An auth filter refused a proposal; the gRPC layer returns the message to the client. */
export class ProposalRejected extends FabricPeerError {
  constructor(message: string) {
    super('PROPOSAL_REJECTED', message);
  }
}
