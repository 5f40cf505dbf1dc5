/**
 * A SignedProposal as a client makes one, enough for the shim to build a stub with a creator
 * (fabric-contract-api reads the client identity from it). The signature is not checked by the
 * chaincode, and this double of the peer checks nothing either.
 */
import { randomBytes } from 'node:crypto';
import { common, computeTxId, msp, protos, timestampNow } from '@fabric-peer/protos';

/** A proposal from `certPem` of `mspId` to invoke `chaincode` on `channelId` with `args`. */
export function testProposal(options: {
  mspId: string;
  certPem: string;
  channelId: string;
  chaincode: string;
  args: readonly string[];
}): { proposal: protos.SignedProposal.$Properties; txId: string } {
  const creator = msp.SerializedIdentity.encode({
    mspid: options.mspId,
    idBytes: Buffer.from(options.certPem, 'utf8'),
  }).finish();
  const nonce = randomBytes(24);
  const txId = computeTxId(nonce, creator);
  const channelHeader = common.ChannelHeader.encode({
    type: common.HeaderType.ENDORSER_TRANSACTION,
    channelId: options.channelId,
    txId,
    timestamp: timestampNow(),
    extension: protos.ChaincodeHeaderExtension.encode({
      chaincodeId: { name: options.chaincode },
    }).finish(),
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({ creator, nonce }).finish();
  const input = protos.ChaincodeInvocationSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type.NODE,
      chaincodeId: { name: options.chaincode },
      input: { args: options.args.map((a) => Buffer.from(a, 'utf8')) },
    },
  }).finish();
  const proposalBytes = protos.Proposal.encode({
    header: common.Header.encode({ channelHeader, signatureHeader }).finish(),
    payload: protos.ChaincodeProposalPayload.encode({ input }).finish(),
  }).finish();
  return { proposal: { proposalBytes, signature: Buffer.from('unchecked') }, txId };
}
