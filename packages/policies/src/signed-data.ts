/**
 * What Fabric signs, as protoutil and core/policy build it for policy checks: a signed proposal, an
 * envelope's creator signature, the endorsements of a transaction action, and an orderer's block
 * signatures. A config update's signatures are in configtx.ts.
 */
import type { SignedData } from '@fabric-peer/api';
import { blockHeaderBytes, common, protos } from '@fabric-peer/protos';
import { messageOf } from './errors.js';
import { concatBytes } from './util.js';

const EMPTY = new Uint8Array(0);

/** Which layer of a signed proposal failed to decode (callers word their errors by it, as Fabric). */
export type SignedDataStage = 'proposal' | 'header' | 'signatureHeader';

/** A proposal or envelope whose signed parts do not decode. */
export class SignedDataError extends Error {
  constructor(
    readonly stage: SignedDataStage,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'SignedDataError';
  }
}

function decode<T>(stage: SignedDataStage, what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new SignedDataError(stage, `error unmarshalling ${what}: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

/**
 * core/policy's view of a signed proposal: the proposal bytes, signed by the creator of the
 * proposal's signature header. Throws SignedDataError naming the layer that does not decode.
 */
export function signedProposalAsSignedData(signed: protos.ISignedProposal): SignedData {
  const proposal = decode('proposal', 'Proposal', () =>
    protos.Proposal.decode(signed.proposalBytes ?? EMPTY),
  );
  const header = decode('header', 'Header', () => common.Header.decode(proposal.header ?? EMPTY));
  const sh = decode('signatureHeader', 'SignatureHeader', () =>
    common.SignatureHeader.decode(header.signatureHeader ?? EMPTY),
  );
  return {
    data: signed.proposalBytes ?? EMPTY,
    identity: sh.creator,
    signature: signed.signature ?? EMPTY,
  };
}

/**
 * Fabric's EnvelopeAsSignedData: the payload, signed by the creator of its signature header, with
 * Fabric's errors (`Missing Header`, `GetSignatureHeaderFromBytes failed, err ...`).
 */
export function envelopeAsSignedData(envelope: common.IEnvelope): SignedData[] {
  const payload = decode('proposal', 'Payload', () =>
    common.Payload.decode(envelope.payload ?? EMPTY),
  );
  if (payload.header === null || payload.header === undefined) {
    throw new SignedDataError('header', 'Missing Header');
  }
  let sh: common.SignatureHeader;
  try {
    sh = common.SignatureHeader.decode(payload.header.signatureHeader ?? EMPTY);
  } catch (err) {
    throw new SignedDataError(
      'signatureHeader',
      `GetSignatureHeaderFromBytes failed, err ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
  return [
    {
      data: envelope.payload ?? EMPTY,
      identity: sh.creator,
      signature: envelope.signature ?? EMPTY,
    },
  ];
}

/** One envelope's creator signature (see {@link envelopeAsSignedData}). */
export function envelopeSignedData(envelope: common.IEnvelope): SignedData {
  return envelopeAsSignedData(envelope)[0]!;
}

/**
 * The endorsements of one chaincode action: each endorser signed the proposal response payload
 * followed by its own serialized identity.
 */
export function endorsementsSignedData(action: protos.IChaincodeEndorsedAction): SignedData[] {
  const payload = action.proposalResponsePayload ?? EMPTY;
  return (action.endorsements ?? []).map((e) => ({
    data: concatBytes(payload, e.endorser ?? EMPTY),
    identity: e.endorser ?? EMPTY,
    signature: e.signature ?? EMPTY,
  }));
}

/**
 * The orderer signatures of a block (metadata slot SIGNATURES): each signed the metadata value,
 * its signature header and the ASN.1 header bytes. BFT identifier headers (v3) are not handled here.
 */
export function blockSignaturesSignedData(block: common.IBlock): SignedData[] {
  const raw = block.metadata?.metadata?.[common.BlockMetadataIndex.SIGNATURES] ?? EMPTY;
  const metadata = common.Metadata.decode(raw);
  const headerBytes = blockHeaderBytes(block.header ?? {});
  return metadata.signatures.map((s) => {
    const sh = common.SignatureHeader.decode(s.signatureHeader ?? EMPTY);
    return {
      data: concatBytes(metadata.value ?? EMPTY, s.signatureHeader ?? EMPTY, headerBytes),
      identity: sh.creator,
      signature: s.signature ?? EMPTY,
    };
  });
}
