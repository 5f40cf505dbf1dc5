/**
 * Signed proposals and transaction envelopes, as Fabric's `peer` command builds them
 * (protoutil.CreateChaincodeProposalWithTxIDNonceAndTransient, SignProposal, CreateSignedTx): what
 * an administrator needs to join a channel and deploy a chaincode through `_lifecycle`.
 */
import { randomBytes } from 'node:crypto';
import type { Signer } from '@fabric-peer/api';
import { common, computeTxId, protos, timestampFromMillis } from '@fabric-peer/protos';
import { DevnetError } from './errors.js';

/** Who signs: a serialized identity (the proposal's creator) and its key. */
export type ProposalSigner = Signer;

/** What to call. */
export interface ProposalSpec {
  readonly signer: ProposalSigner;
  /** The channel; `''` for peer-wide calls (cscc JoinChain, `_lifecycle` InstallChaincode). */
  readonly channelId: string;
  readonly chaincode: string;
  /** The chaincode input: function name first, as `peer chaincode invoke -c '{"Args":[...]}'`. */
  readonly args: readonly (string | Uint8Array)[];
  /** Default 24 random bytes, as Fabric's CreateNonce. */
  readonly nonce?: Uint8Array;
  /** Default now. */
  readonly timestampMs?: number;
  /** ChaincodeSpec type; default UNDEFINED, as Fabric's lifecycle commands send it. */
  readonly type?: protos.ChaincodeSpec.Type;
}

/** A signed proposal and what the transaction built from its endorsements needs. */
export interface BuiltProposal {
  /** What is sent to the Endorser service. */
  readonly signed: protos.ISignedProposal;
  readonly proposal: protos.Proposal;
  readonly txId: string;
  /** The serialized creator, as in the signature header. */
  readonly creator: Uint8Array;
}

const enc = new TextEncoder();

/** Builds and signs a proposal for `spec` (txid = SHA-256(nonce ‖ creator), hex). */
export async function buildSignedProposal(spec: ProposalSpec): Promise<BuiltProposal> {
  const creator = spec.signer.serialize();
  const nonce = spec.nonce ?? randomBytes(24);
  const txId = computeTxId(nonce, creator);
  const chaincodeId = { name: spec.chaincode };
  const channelHeader = common.ChannelHeader.encode({
    type: common.HeaderType.ENDORSER_TRANSACTION,
    version: 0,
    channelId: spec.channelId,
    txId,
    epoch: 0,
    timestamp: timestampFromMillis(spec.timestampMs ?? Date.now()),
    extension: protos.ChaincodeHeaderExtension.encode({ chaincodeId }).finish(),
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({ creator, nonce }).finish();
  const header = common.Header.encode({ channelHeader, signatureHeader }).finish();
  const input = protos.ChaincodeInvocationSpec.encode({
    chaincodeSpec: {
      type: spec.type ?? protos.ChaincodeSpec.Type.UNDEFINED,
      chaincodeId,
      input: { args: spec.args.map((a) => (typeof a === 'string' ? enc.encode(a) : a)) },
    },
  }).finish();
  const payload = protos.ChaincodeProposalPayload.encode({ input }).finish();
  const proposalBytes = protos.Proposal.encode({ header, payload }).finish();
  const signature = await spec.signer.sign(proposalBytes);
  return {
    signed: { proposalBytes, signature },
    proposal: protos.Proposal.decode(proposalBytes),
    txId,
    creator,
  };
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  return Buffer.compare(Buffer.from(a ?? []), Buffer.from(b ?? [])) === 0;
}

/**
 * Fabric's protoutil.CreateSignedTx: the transaction envelope of an endorsed proposal, signed by
 * the proposal's creator. Refuses, with Fabric's words, responses that failed or disagree.
 */
export async function transactionEnvelope(
  built: BuiltProposal,
  responses: readonly protos.IProposalResponse[],
  signer: ProposalSigner,
): Promise<{ payload: Uint8Array; signature: Uint8Array }> {
  if (responses.length === 0) {
    throw new DevnetError('DEVNET_STEP_FAILED', 'at least one proposal response is required');
  }
  if (!sameBytes(signer.serialize(), built.creator)) {
    throw new DevnetError(
      'DEVNET_STEP_FAILED',
      'signer must be the same as the one referenced in the header',
    );
  }
  for (const r of responses) {
    const status = r.response?.status ?? 0;
    if (status < 200 || status >= 400) {
      throw new DevnetError(
        'DEVNET_STEP_FAILED',
        `proposal response was not successful, error code ${status}, msg ${r.response?.message ?? ''}`,
        { details: { status } },
      );
    }
  }
  const first = responses[0]!;
  if (responses.some((r) => !sameBytes(r.payload, first.payload))) {
    throw new DevnetError('DEVNET_STEP_FAILED', 'ProposalResponsePayloads do not match');
  }
  const endorsements = responses.map((r) => r.endorsement).filter((e) => e != null);
  if (endorsements.length !== responses.length) {
    throw new DevnetError('DEVNET_STEP_FAILED', 'a proposal response carries no endorsement');
  }
  const header = common.Header.decode(built.proposal.header);
  const proposalPayload = protos.ChaincodeProposalPayload.decode(built.proposal.payload);
  // The transient map never goes into the transaction (Fabric's GetBytesProposalPayloadForTx).
  const actionPayload = protos.ChaincodeActionPayload.encode({
    chaincodeProposalPayload: protos.ChaincodeProposalPayload.encode({
      input: proposalPayload.input,
    }).finish(),
    action: { proposalResponsePayload: first.payload ?? new Uint8Array(0), endorsements },
  }).finish();
  const transaction = protos.Transaction.encode({
    actions: [{ header: header.signatureHeader, payload: actionPayload }],
  }).finish();
  const payload = common.Payload.encode({ header, data: transaction }).finish();
  return { payload, signature: await signer.sign(payload) };
}
