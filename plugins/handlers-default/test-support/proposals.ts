/**
 * Signed proposals as a client builds them: each layer a real protobuf message from
 * @fabric-peer/protos, encoded to bytes and nested in the next (SerializedIdentity → SignatureHeader,
 * ChannelHeader → Header → Proposal → SignedProposal).
 */
import { randomBytes } from 'node:crypto';
import { common, msp, protos, timestampFromMillis } from '@fabric-peer/protos';

/** The bytes of an `msp.SerializedIdentity`. */
export function serializedIdentity(mspid: string, idBytes: Uint8Array | string): Uint8Array {
  const bytes = typeof idBytes === 'string' ? Buffer.from(idBytes) : idBytes;
  return msp.SerializedIdentity.encode({ mspid, idBytes: bytes }).finish();
}

export interface ProposalParts {
  /** Serialized identity of the creator. */
  readonly creator: Uint8Array;
  /** Milliseconds since the epoch for the channel header's timestamp; null leaves it unset. */
  readonly timestampMs?: number | null;
  readonly channelId?: string;
}

/** The encoded `common.SignatureHeader` of a creator, with a fresh nonce. */
export function signatureHeaderBytes(creator: Uint8Array): Uint8Array {
  return common.SignatureHeader.encode({ creator, nonce: randomBytes(24) }).finish();
}

/** The encoded `common.ChannelHeader` of an endorser transaction. */
export function channelHeaderBytes(
  timestampMs: number | null,
  channelId = 'mychannel',
): Uint8Array {
  return common.ChannelHeader.encode({
    type: common.HeaderType.ENDORSER_TRANSACTION,
    version: 0,
    channelId,
    txId: randomBytes(32).toString('hex'),
    ...(timestampMs === null ? {} : { timestamp: timestampFromMillis(timestampMs) }),
  }).finish();
}

/** The encoded `common.Header` made of the given (possibly malformed) header bytes. */
export function headerBytes(channelHeader: Uint8Array, signatureHeader: Uint8Array): Uint8Array {
  return common.Header.encode({ channelHeader, signatureHeader }).finish();
}

/** The encoded `protos.Proposal` around header bytes, invoking `basic` with `ping`. */
export function proposalBytes(header: Uint8Array): Uint8Array {
  const spec = protos.ChaincodeInvocationSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type.NODE,
      chaincodeId: { name: 'basic' },
      input: { args: [Buffer.from('ping')] },
    },
  }).finish();
  const payload = protos.ChaincodeProposalPayload.encode({ input: spec }).finish();
  return protos.Proposal.encode({ header, payload }).finish();
}

/**
 * A `protos.SignedProposal` as it arrives from the network: decoded from its own bytes, so that the
 * handlers see exactly what the gRPC layer hands them. The signature is not checked by the auth
 * filters (pre-processing does that), so random bytes stand in for it.
 */
export function signedProposalFrom(proposal: Uint8Array): protos.SignedProposal {
  const wire = protos.SignedProposal.encode({
    proposalBytes: proposal,
    signature: randomBytes(70),
  }).finish();
  return protos.SignedProposal.decode(wire);
}

/** A well-formed signed proposal from `creator`, stamped `timestampMs` (default: now). */
export function signedProposal(parts: ProposalParts): protos.SignedProposal {
  const ts = parts.timestampMs === undefined ? Date.now() : parts.timestampMs;
  return signedProposalFrom(
    proposalBytes(
      headerBytes(channelHeaderBytes(ts, parts.channelId), signatureHeaderBytes(parts.creator)),
    ),
  );
}

/**
 * Bytes no protobuf decoder accepts: a length-delimited field 1 that claims five bytes and has
 * one, as a truncated message would.
 */
export const GARBAGE = Uint8Array.of(0x0a, 0x05, 0x01);
