/**
 * What the gateway reads from a signed proposal (channel, chaincode, transient data), the result
 * inside a proposal response, and the prepared transaction it builds from endorsements — all as
 * Fabric's gateway does (evaluate.go, endorse.go, submit.go).
 */
import { common, protos } from '@fabric-peer/protos';

/** The parts of a signed proposal the gateway routes by. */
export interface ProposalInfo {
  readonly channelId: string;
  readonly chaincodeId: string;
  readonly hasTransientData: boolean;
  readonly txId: string;
  /** The proposal's header, as sent. */
  readonly header: common.Header;
  /** The proposal's payload, decoded. */
  readonly payload: protos.ChaincodeProposalPayload;
}

function transientCount(payload: protos.ChaincodeProposalPayload): number {
  return Object.keys(payload.TransientMap ?? {}).length;
}

function decodeParts(
  signed: protos.SignedProposal.$Properties | null | undefined,
): ProposalInfo & { readonly spec: protos.ChaincodeInvocationSpec } {
  const proposal = protos.Proposal.decode(signed?.proposalBytes ?? new Uint8Array(0));
  const header = common.Header.decode(proposal.header);
  const channelHeader = common.ChannelHeader.decode(header.channelHeader);
  const payload = protos.ChaincodeProposalPayload.decode(proposal.payload);
  const spec = protos.ChaincodeInvocationSpec.decode(payload.input);
  return {
    channelId: channelHeader.channelId,
    chaincodeId: spec.chaincodeSpec?.chaincodeId?.name ?? '',
    hasTransientData: transientCount(payload) > 0,
    txId: channelHeader.txId,
    header,
    payload,
    spec,
  };
}

/**
 * Fabric's getChannelAndChaincodeFromSignedProposal (Evaluate): throws with Fabric's message when a
 * part is missing or does not decode.
 */
export function evaluateProposalInfo(
  signed: protos.SignedProposal.$Properties | null | undefined,
): ProposalInfo {
  if ((signed?.proposalBytes?.length ?? 0) === 0) throw new Error('a signed proposal is required');
  const info = decodeParts(signed);
  if (info.channelId.length === 0) throw new Error('no channel id provided');
  const ccSpec = info.spec.chaincodeSpec;
  if (ccSpec === null || ccSpec === undefined) {
    throw new Error(`no chaincode spec is provided, channel id [${info.channelId}]`);
  }
  if (ccSpec.chaincodeId === null || ccSpec.chaincodeId === undefined) {
    throw new Error(`no chaincode id is provided, channel id [${info.channelId}]`);
  }
  if (info.chaincodeId.length === 0) {
    throw new Error(`no chaincode name is provided, channel id [${info.channelId}]`);
  }
  return info;
}

/** Endorse's unpacking: decoding failures throw; Fabric checks nothing else here. */
export function endorseProposalInfo(
  signed: protos.SignedProposal.$Properties | null | undefined,
): ProposalInfo {
  return decodeParts(signed);
}

/**
 * The transaction result in a proposal response: the payload of the ChaincodeAction's response
 * (Fabric prefers it to `Response.payload`, which a chaincode need not set to the result).
 */
export function resultFromProposalResponse(response: protos.IProposalResponse): Uint8Array {
  let prp: protos.ProposalResponsePayload;
  try {
    prp = protos.ProposalResponsePayload.decode(response.payload ?? new Uint8Array(0));
  } catch (err) {
    throw new Error('failed to deserialize proposal response payload', { cause: err });
  }
  let action: protos.ChaincodeAction;
  try {
    action = protos.ChaincodeAction.decode(prp.extension);
  } catch (err) {
    throw new Error('failed to deserialize chaincode action', { cause: err });
  }
  return action.response?.payload ?? new Uint8Array(0);
}

/**
 * Fabric's prepareTransaction: the unsigned transaction envelope carrying the proposal's header,
 * its payload without the transient map, and the endorsed action.
 */
export function prepareTransaction(
  header: common.Header,
  payload: protos.ChaincodeProposalPayload,
  proposalResponsePayload: Uint8Array,
  endorsements: readonly protos.IEndorsement[],
): common.Envelope {
  const cppNoTransient = protos.ChaincodeProposalPayload.encode({ input: payload.input }).finish();
  const cap = protos.ChaincodeActionPayload.encode({
    chaincodeProposalPayload: cppNoTransient,
    action: { proposalResponsePayload, endorsements: [...endorsements] },
  }).finish();
  const tx = protos.Transaction.encode({
    actions: [{ header: header.signatureHeader, payload: cap }],
  }).finish();
  const paylBytes = common.Payload.encode({
    header: { channelHeader: header.channelHeader, signatureHeader: header.signatureHeader },
    data: tx,
  }).finish();
  return common.Envelope.create({ payload: paylBytes });
}

/** Fabric's uniqueEndorsements: one endorsement per endorser identity, first one kept. */
export function uniqueEndorsements(
  endorsements: readonly (protos.IEndorsement | null | undefined)[],
): protos.IEndorsement[] {
  const seen = new Set<string>();
  const unique: protos.IEndorsement[] = [];
  for (const e of endorsements) {
    if (e === null || e === undefined) continue;
    const key = Buffer.from(e.endorser ?? new Uint8Array(0)).toString('base64');
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(e);
  }
  return unique;
}
