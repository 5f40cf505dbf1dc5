// The proposal and envelope builder: Fabric's wire layout, the txid rule and real signatures.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCrypto } from '@fabric-peer/devtools';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';
import { common, computeTxId, protos } from '@fabric-peer/protos';
import { buildSignedProposal, DevnetError, transactionEnvelope } from '../src/index.js';

const dec = new TextDecoder();

function identity(dir: string, name: string): X509SigningIdentity {
  const msp = join(dir, 'peerOrganizations/org1.example.com/users', name, 'msp');
  return createMsp(loadMspFolder(msp, 'Org1MSP', { signing: true }), {
    version: 'v1_4_3',
  }).defaultSigningIdentity();
}

/** A response as an endorser makes it: a payload and an endorsement signed by `endorser`. */
async function endorsed(
  endorser: X509SigningIdentity,
  payload: Uint8Array,
  status = 200,
): Promise<protos.IProposalResponse> {
  return {
    version: 1,
    response: { status, message: status === 200 ? '' : 'chaincode said no' },
    payload,
    endorsement: {
      endorser: endorser.serialize(),
      signature: await endorser.sign(Buffer.concat([payload, endorser.serialize()])),
    },
  };
}

describe('proposals and transaction envelopes', () => {
  let dir = '';
  let admin: X509SigningIdentity;
  let user: X509SigningIdentity;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devnet-proposal-'));
    await generateCrypto(
      {
        PeerOrgs: [
          {
            Name: 'Org1',
            Domain: 'org1.example.com',
            EnableNodeOUs: true,
            Template: { Count: 1 },
            Users: { Count: 1 },
          },
        ],
      },
      dir,
    );
    admin = identity(dir, 'Admin@org1.example.com');
    user = identity(dir, 'User1@org1.example.com');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('builds a signed proposal with Fabric’s headers, txid and input', async () => {
    const nonce = new Uint8Array(24).fill(7);
    const built = await buildSignedProposal({
      signer: user,
      channelId: 'mychannel',
      chaincode: 'basic',
      args: ['ReadAsset', new Uint8Array([1, 2])],
      nonce,
      timestampMs: 1_700_000_000_123,
    });
    assert.equal(built.txId, computeTxId(nonce, user.serialize()));
    assert.match(built.txId, /^[0-9a-f]{64}$/);
    const proposal = protos.Proposal.decode(built.signed.proposalBytes!);
    const header = common.Header.decode(proposal.header);
    const ch = common.ChannelHeader.decode(header.channelHeader);
    assert.equal(ch.type, common.HeaderType.ENDORSER_TRANSACTION);
    assert.equal(ch.channelId, 'mychannel');
    assert.equal(ch.txId, built.txId);
    assert.equal(Number(ch.timestamp?.seconds), 1_700_000_000);
    assert.equal(ch.timestamp?.nanos, 123_000_000);
    const ext = protos.ChaincodeHeaderExtension.decode(ch.extension);
    assert.equal(ext.chaincodeId?.name, 'basic');
    const sh = common.SignatureHeader.decode(header.signatureHeader);
    assert.deepEqual(Buffer.from(sh.creator), Buffer.from(user.serialize()));
    assert.deepEqual(Buffer.from(sh.nonce), Buffer.from(nonce));
    const cpp = protos.ChaincodeProposalPayload.decode(proposal.payload);
    const spec = protos.ChaincodeInvocationSpec.decode(cpp.input).chaincodeSpec!;
    assert.equal(spec.chaincodeId?.name, 'basic');
    assert.equal(spec.type, protos.ChaincodeSpec.Type.UNDEFINED);
    assert.deepEqual(
      spec.input?.args?.map((a) => Buffer.from(a)),
      [Buffer.from('ReadAsset'), Buffer.from([1, 2])],
    );
    // The signature is the creator's, over the proposal bytes as sent.
    await user.verify(built.signed.proposalBytes!, built.signed.signature!);
    await assert.rejects(admin.verify(built.signed.proposalBytes!, built.signed.signature!));
  });

  it('gives each proposal its own nonce and txid', async () => {
    const spec = { signer: user, channelId: 'mychannel', chaincode: 'basic', args: ['A'] };
    const [a, b] = [await buildSignedProposal(spec), await buildSignedProposal(spec)];
    assert.notEqual(a.txId, b.txId);
  });

  it('wraps the endorsements in a transaction signed by the creator, without the transient map', async () => {
    const built = await buildSignedProposal({
      signer: admin,
      channelId: 'mychannel',
      chaincode: '_lifecycle',
      args: ['CommitChaincodeDefinition', new Uint8Array([9])],
    });
    const prp = new Uint8Array([1, 2, 3]);
    const responses = [await endorsed(user, prp), await endorsed(admin, prp)];
    const envelope = await transactionEnvelope(built, responses, admin);
    await admin.verify(envelope.payload, envelope.signature);

    const payload = common.Payload.decode(envelope.payload);
    const proposalHeader = common.Header.decode(built.proposal.header);
    assert.deepEqual(
      Buffer.from(payload.header!.channelHeader!),
      Buffer.from(proposalHeader.channelHeader),
    );
    const tx = protos.Transaction.decode(payload.data);
    assert.equal(tx.actions.length, 1);
    assert.deepEqual(
      Buffer.from(tx.actions[0]!.header!),
      Buffer.from(proposalHeader.signatureHeader),
    );
    const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]!.payload!);
    assert.deepEqual(Buffer.from(cap.action!.proposalResponsePayload!), Buffer.from(prp));
    assert.deepEqual(
      cap.action!.endorsements!.map((e) => Buffer.from(e.endorser!)),
      [Buffer.from(user.serialize()), Buffer.from(admin.serialize())],
    );
    const cpp = protos.ChaincodeProposalPayload.decode(cap.chaincodeProposalPayload);
    assert.equal(Object.keys(cpp.TransientMap ?? {}).length, 0);
    const input = protos.ChaincodeInvocationSpec.decode(cpp.input);
    assert.equal(dec.decode(input.chaincodeSpec!.input!.args![0]), 'CommitChaincodeDefinition');
  });

  it('refuses what Fabric’s CreateSignedTx refuses, in its words', async () => {
    const built = await buildSignedProposal({
      signer: admin,
      channelId: 'mychannel',
      chaincode: 'basic',
      args: ['X'],
    });
    const ok = await endorsed(user, new Uint8Array([1]));
    const failed = await endorsed(user, new Uint8Array([1]), 500);
    const other = await endorsed(admin, new Uint8Array([2]));
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => transactionEnvelope(built, [], admin), /at least one proposal response is required/],
      [
        () => transactionEnvelope(built, [ok], user),
        /signer must be the same as the one referenced in the header/,
      ],
      [
        () => transactionEnvelope(built, [failed], admin),
        /proposal response was not successful, error code 500, msg chaincode said no/,
      ],
      [
        () => transactionEnvelope(built, [ok, other], admin),
        /ProposalResponsePayloads do not match/,
      ],
    ];
    for (const [attempt, message] of cases) {
      await assert.rejects(attempt(), (err: unknown) => {
        assert.ok(err instanceof DevnetError);
        assert.equal(err.code, 'DEVNET_STEP_FAILED');
        assert.match(err.message, message);
        return true;
      });
    }
  });
});
