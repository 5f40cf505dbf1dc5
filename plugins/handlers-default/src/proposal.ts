/** Decoding of the parts of a signed proposal the filters look at, with Fabric's error wording. */
import { common, msp, protos } from '@fabric-peer/protos';
import { ProposalRejected } from './errors.js';

function decode<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new ProposalRejected(`failed parsing ${what}: ${(err as Error).message}`);
  }
}

/** The proposal's header, decoded one layer at a time as Fabric's protoutil does. */
export function proposalHeader(signed: protos.ISignedProposal): common.Header {
  const proposal = decode('proposal', () =>
    protos.Proposal.decode(signed.proposalBytes ?? new Uint8Array()),
  );
  return decode('header', () => common.Header.decode(proposal.header ?? new Uint8Array()));
}

export function signatureHeader(header: common.IHeader): common.SignatureHeader {
  return decode('signature header', () =>
    common.SignatureHeader.decode(header.signatureHeader ?? new Uint8Array()),
  );
}

export function channelHeader(header: common.IHeader): common.ChannelHeader {
  return decode('channel header', () =>
    common.ChannelHeader.decode(header.channelHeader ?? new Uint8Array()),
  );
}

/** The creator's serialized identity, or undefined when it is not one. */
export function creatorIdentity(creator: Uint8Array): msp.SerializedIdentity | undefined {
  try {
    return msp.SerializedIdentity.decode(creator);
  } catch {
    return undefined;
  }
}
