/**
 * The messages an endorsement signs, encoded as Go's proto.Marshal encodes them. Clients compare
 * the ProposalResponsePayload bytes of every endorser of a transaction (Fabric's and ours), so a
 * field Go omits (proto3 zero value) must be omitted here too: protobufjs writes any property that
 * is set, even to '' or 0, so these builders set only non-default fields.
 */
import { protos } from '@fabric-peer/protos';

function nonEmpty(b: Uint8Array | null | undefined): b is Uint8Array {
  return b !== null && b !== undefined && b.length > 0;
}

/** A pb.Response with Go's zero-value omission. */
export function goResponse(r: protos.IResponse): protos.IResponse {
  const out: protos.IResponse = {};
  if (r.status) out.status = r.status;
  if (r.message) out.message = r.message;
  if (nonEmpty(r.payload)) out.payload = r.payload;
  return out;
}

/** A pb.ChaincodeEvent with Go's zero-value omission, encoded. */
export function goEventBytes(e: protos.IChaincodeEvent): Uint8Array {
  const out: protos.IChaincodeEvent = {};
  if (e.chaincodeId) out.chaincodeId = e.chaincodeId;
  if (e.txId) out.txId = e.txId;
  if (e.eventName) out.eventName = e.eventName;
  if (nonEmpty(e.payload)) out.payload = e.payload;
  return protos.ChaincodeEvent.encode(out).finish();
}

/**
 * Fabric's protoutil.GetBytesProposalResponsePayload: ProposalResponsePayload{proposal_hash,
 * extension = ChaincodeAction{results, events, response, chaincode_id}}.
 */
export function proposalResponsePayloadBytes(
  proposalHash: Uint8Array,
  response: protos.IResponse,
  results: Uint8Array | undefined,
  events: Uint8Array | undefined,
  chaincodeId: { readonly name: string; readonly version: string },
): Uint8Array {
  const action: protos.IChaincodeAction = {};
  if (nonEmpty(results)) action.results = results;
  if (nonEmpty(events)) action.events = events;
  action.response = response;
  const ccid: protos.IChaincodeID = {};
  if (chaincodeId.name) ccid.name = chaincodeId.name;
  if (chaincodeId.version) ccid.version = chaincodeId.version;
  action.chaincodeId = ccid;
  const extension = protos.ChaincodeAction.encode(action).finish();
  const prp: protos.IProposalResponsePayload = { extension };
  if (proposalHash.length > 0) prp.proposalHash = proposalHash;
  return protos.ProposalResponsePayload.encode(prp).finish();
}
