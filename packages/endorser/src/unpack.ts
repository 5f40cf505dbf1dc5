/**
 * Fabric's UnpackProposal and UnpackedProposal.Validate (core/endorser/msgvalidation.go): decode
 * the proposal layer by layer, compute the proposal hash from the original header bytes, and check
 * headers, txid, creator and signature.
 */
import { createHash } from 'node:crypto';
import type { Identity, IdentityDeserializer } from '@fabric-peer/api';
import { common, computeTxId, protos } from '@fabric-peer/protos';
import { EndorserError, messageOf } from './errors.js';

const EMPTY = new Uint8Array(0);
const ENDORSER_TRANSACTION: number = common.HeaderType.ENDORSER_TRANSACTION;
const CONFIG: number = common.HeaderType.CONFIG;

/** What the endorser uses of a proposal, decoded once. */
export interface UnpackedProposal {
  readonly signedProposal: protos.ISignedProposal;
  readonly proposalBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly proposal: protos.Proposal;
  readonly channelHeader: common.ChannelHeader;
  readonly signatureHeader: common.SignatureHeader;
  readonly channelId: string;
  readonly txId: string;
  readonly creator: Uint8Array;
  readonly chaincodeName: string;
  readonly input: protos.ChaincodeInput;
  /** SHA-256(channel header ‖ signature header ‖ ChaincodeProposalPayload without transient). */
  readonly proposalHash: Uint8Array;
}

function decode<T>(what: string, bytes: Uint8Array, f: (b: Uint8Array) => T): T {
  try {
    return f(bytes);
  } catch (err) {
    throw new EndorserError(
      'PROPOSAL_MALFORMED',
      `error unmarshalling ${what}: ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
}

function malformed(message: string): EndorserError {
  return new EndorserError('PROPOSAL_MALFORMED', message);
}

/** Protobuf length prefix of `n` (a varint). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Fabric's UnpackProposal. Throws EndorserError PROPOSAL_MALFORMED with Fabric's wording. */
export function unpackProposal(signed: protos.ISignedProposal): UnpackedProposal {
  const proposalBytes = signed.proposalBytes ?? EMPTY;
  const proposal = decode('Proposal', proposalBytes, (b) => protos.Proposal.decode(b));
  const header = decode('Header', proposal.header ?? EMPTY, (b) => common.Header.decode(b));
  const chdrBytes = header.channelHeader ?? EMPTY;
  const shdrBytes = header.signatureHeader ?? EMPTY;
  const channelHeader = decode('ChannelHeader', chdrBytes, (b) => common.ChannelHeader.decode(b));
  const signatureHeader = decode('SignatureHeader', shdrBytes, (b) =>
    common.SignatureHeader.decode(b),
  );
  const ext = decode('ChaincodeHeaderExtension', channelHeader.extension ?? EMPTY, (b) =>
    protos.ChaincodeHeaderExtension.decode(b),
  );
  if (!ext.chaincodeId) throw malformed('ChaincodeHeaderExtension.ChaincodeId is nil');
  if (!ext.chaincodeId.name) throw malformed('ChaincodeHeaderExtension.ChaincodeId.Name is empty');
  const cpp = decode('ChaincodeProposalPayload', proposal.payload ?? EMPTY, (b) =>
    protos.ChaincodeProposalPayload.decode(b),
  );
  const inputBytes = cpp.input ?? EMPTY;
  const cis = decode('ChaincodeInvocationSpec', inputBytes, (b) =>
    protos.ChaincodeInvocationSpec.decode(b),
  );
  if (!cis.chaincodeSpec) {
    throw malformed('chaincode invocation spec did not contain chaincode spec');
  }
  if (!cis.chaincodeSpec.input) throw malformed('chaincode input did not contain any input');

  // marshal(ChaincodeProposalPayload{input}) without re-encoding: field 1 (length-delimited) with
  // the input bytes as received; proto3 omits an empty field.
  const hash = createHash('sha256').update(chdrBytes).update(shdrBytes);
  if (inputBytes.length > 0) {
    hash.update(Uint8Array.from([0x0a, ...varint(inputBytes.length)])).update(inputBytes);
  }

  return {
    signedProposal: signed,
    proposalBytes,
    signature: signed.signature ?? EMPTY,
    proposal,
    channelHeader,
    signatureHeader,
    channelId: channelHeader.channelId ?? '',
    txId: channelHeader.txId ?? '',
    creator: signatureHeader.creator ?? EMPTY,
    chaincodeName: ext.chaincodeId.name,
    input: cis.chaincodeSpec.input as protos.ChaincodeInput,
    proposalHash: new Uint8Array(hash.digest()),
  };
}

function headerTypeName(type: number): string {
  const name = (common.HeaderType as unknown as Record<number, string | undefined>)[type];
  return name ?? String(type);
}

function invalid(message: string, cause?: unknown): EndorserError {
  return new EndorserError(
    'PROPOSAL_INVALID',
    `error validating proposal: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Fabric's UnpackedProposal.Validate against the channel's (or the local) MSPs. Resolves with the
 * creator; rejects with EndorserError PROPOSAL_INVALID ("error validating proposal: ...").
 */
export async function validateProposal(
  up: UnpackedProposal,
  deserializer: IdentityDeserializer,
): Promise<Identity> {
  const type: number = up.channelHeader.type ?? 0;
  if (type !== ENDORSER_TRANSACTION && type !== CONFIG) {
    throw invalid(`invalid header type ${headerTypeName(type)}`);
  }
  const epoch = up.channelHeader.epoch;
  if (epoch !== null && epoch !== undefined && Number(epoch) !== 0) {
    throw invalid('epoch is non-zero');
  }
  const nonce = up.signatureHeader.nonce ?? EMPTY;
  if (nonce.length === 0) throw invalid('nonce is empty');
  if (up.creator.length === 0) throw invalid('creator is empty');
  const expected = computeTxId(nonce, up.creator);
  if (up.txId !== expected) {
    throw invalid(`incorrectly computed txid '${up.txId}' -- expected '${expected}'`);
  }
  if (up.proposalBytes.length === 0) throw invalid('empty proposal bytes');
  if (up.signature.length === 0) throw invalid('empty signature bytes');

  let creator: Identity;
  try {
    creator = deserializer.deserializeIdentity(up.creator);
  } catch (err) {
    throw invalid(
      `access denied: channel [${up.channelId}] creator org unknown, creator is malformed`,
      err,
    );
  }
  const generic = `access denied: channel [${up.channelId}] creator org [${creator.mspId}]`;
  try {
    creator.validate();
  } catch (err) {
    throw invalid(generic, err);
  }
  try {
    await creator.verify(up.proposalBytes, up.signature);
  } catch (err) {
    throw invalid(generic, err);
  }
  return creator;
}
