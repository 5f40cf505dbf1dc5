import { FabricPeerError } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';

export type EndorserErrorCode =
  /** The signed proposal does not decode, or a part Fabric requires is missing. */
  | 'PROPOSAL_MALFORMED'
  /** Header checks, creator identity or signature failed (Fabric's "error validating proposal"). */
  | 'PROPOSAL_INVALID'
  /** The transaction id is already on the channel's ledger. */
  | 'DUPLICATE_TXID'
  /** The `peer/Propose` ACL refused the creator. */
  | 'ACCESS_DENIED'
  /** The proposal names a system chaincode that proposals cannot invoke (escc, vscc). */
  | 'NOT_INVOKABLE';

/**
 * A proposal refused before simulation. As in Fabric, these are the failures the Endorser service
 * returns as a gRPC error; `response` is the ProposalResponse Fabric builds beside the error (status
 * 500 and the same message), for callers in process (the gateway) that want it.
 */
export class EndorserError extends FabricPeerError {
  declare readonly code: EndorserErrorCode;
  readonly response: protos.IProposalResponse;

  constructor(code: EndorserErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.response = { response: { status: 500, message } };
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
