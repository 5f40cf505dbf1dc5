/**
 * Fabric's validation codes from hand-built transactions, each committed in a real block (orderer
 * signed) through the committer with DefaultValidation: every code the v20 validator and the
 * ledger can give an orderered transaction, and the cases where Fabric stops the block instead.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { common, msp, protos } from '@fabric-peer/protos';
import { recordingLoggers } from '@fabric-peer/testkit';

import { CommitterError } from '../src/index.js';
import {
  aclUpdateTx,
  codeNames,
  defineChaincode,
  endorserTx,
  heightOf,
  openCommitterFixture,
  policyReference,
  rwsetOf,
  type CommitterFixture,
  type TxSpec,
} from '../test-support/index.js';

const enc = new TextEncoder();

describe('validation codes', () => {
  let f: CommitterFixture;
  const logs = recordingLoggers();

  before(async () => {
    f = await openCommitterFixture({ logger: logs.factory('committer') });
    await defineChaincode(f, 'mycc', policyReference('/Channel/Application/Endorsement'));
  });
  after(() => f.close());

  /** A transaction of `mycc` by the user, endorsed by the peer, writing key `k`. */
  function spec(overrides: Partial<TxSpec> = {}): TxSpec {
    return {
      channelId: f.net.channelId,
      creator: f.net.identities.user,
      endorsers: [f.net.identities.peer],
      chaincode: 'mycc',
      results: rwsetOf({ namespace: 'mycc', writes: [{ key: 'k', value: enc.encode('v') }] }),
      ...overrides,
    };
  }

  /** Commits one block of these envelopes and returns the codes by name. */
  async function commit(...envelopes: Uint8Array[]): Promise<string[]> {
    const block = await f.blocks.make(envelopes);
    const done = await f.committer.commitBlock(block);
    f.blocks.chain(block);
    return codeNames(done.validationCodes);
  }

  async function codeOf(overrides: Partial<TxSpec>): Promise<string> {
    const [code] = await commit((await endorserTx(spec(overrides))).envelope);
    return code!;
  }

  it('VALID', async () => {
    assert.equal(await codeOf({}), 'VALID');
  });

  it('BAD_PAYLOAD: a payload that does not decode', async () => {
    const env = common.Envelope.encode({
      payload: Uint8Array.of(0x0a, 0x05, 0x01),
      signature: randomBytes(70),
    }).finish();
    // Not first: a block whose first envelope has no channel header is refused as a whole.
    const first = (await endorserTx(spec({ results: rwsetOf({ namespace: 'mycc' }) }))).envelope;
    assert.deepEqual(await commit(first, env), ['VALID', 'BAD_PAYLOAD']);
  });

  it('BAD_COMMON_HEADER: header type, epoch, nonce', async () => {
    assert.equal(await codeOf({ type: common.HeaderType.MESSAGE }), 'BAD_COMMON_HEADER');
    assert.equal(await codeOf({ epoch: 1 }), 'BAD_COMMON_HEADER');
    assert.equal(await codeOf({ nonce: new Uint8Array(0) }), 'BAD_COMMON_HEADER');
  });

  it('BAD_CREATOR_SIGNATURE: a bad signature, an MSP the channel does not know', async () => {
    assert.equal(
      await codeOf({ signature: (s) => Uint8Array.from(s, (b, i) => (i === 10 ? b ^ 1 : b)) }),
      'BAD_CREATOR_SIGNATURE',
    );
    const stranger = {
      serialize: () =>
        msp.SerializedIdentity.encode({
          mspid: 'NoSuchMSP',
          idBytes: msp.SerializedIdentity.decode(f.net.identities.user.serialize()).idBytes,
        }).finish(),
      sign: (m: Uint8Array) => f.net.identities.user.sign(m),
    };
    assert.equal(await codeOf({ creator: stranger }), 'BAD_CREATOR_SIGNATURE');
  });

  it('BAD_PROPOSAL_TXID: a txid that is not SHA-256(nonce ‖ creator)', async () => {
    assert.equal(await codeOf({ txId: 'f'.repeat(64) }), 'BAD_PROPOSAL_TXID');
  });

  it('INVALID_ENDORSER_TRANSACTION: two actions, a wrong proposal hash, no action', async () => {
    assert.equal(
      await codeOf({ transaction: (tx) => ({ actions: [...tx.actions!, ...tx.actions!] }) }),
      'INVALID_ENDORSER_TRANSACTION',
    );
    assert.equal(
      await codeOf({ prp: (p) => ({ ...p, proposalHash: randomBytes(32) }) }),
      'INVALID_ENDORSER_TRANSACTION',
    );
    // Fabric's peer dereferences the missing action and crashes; here the transaction is invalid.
    assert.equal(
      await codeOf({
        transaction: (tx) => ({
          actions: [
            {
              header: tx.actions![0]!.header!,
              payload: protos.ChaincodeActionPayload.encode({
                chaincodeProposalPayload: Uint8Array.of(1),
              }).finish(),
            },
          ],
        }),
      }),
      'INVALID_ENDORSER_TRANSACTION',
    );
  });

  it('UNSUPPORTED_TX_PAYLOAD: a CONFIG_UPDATE transaction in a block', async () => {
    assert.equal(await codeOf({ type: common.HeaderType.CONFIG_UPDATE }), 'UNSUPPORTED_TX_PAYLOAD');
  });

  it('DUPLICATE_TXID: twice in one block, and again in a later block', async () => {
    const tx = await endorserTx(spec({ results: rwsetOf({ namespace: 'mycc' }) }));
    assert.deepEqual(await commit(tx.envelope, tx.envelope), ['VALID', 'DUPLICATE_TXID']);
    assert.deepEqual(await commit(tx.envelope), ['DUPLICATE_TXID']);
  });

  it('DUPLICATE_TXID in a block counts only transactions found valid', async () => {
    const nonce = randomBytes(24);
    const bad = await endorserTx(spec({ nonce, endorsers: [] }));
    const good = await endorserTx(spec({ nonce, results: rwsetOf({ namespace: 'mycc' }) }));
    assert.equal(bad.txId, good.txId);
    assert.deepEqual(await commit(bad.envelope, good.envelope), [
      'ENDORSEMENT_POLICY_FAILURE',
      'VALID',
    ]);
  });

  it('ENDORSEMENT_POLICY_FAILURE: no endorsement, the wrong role, a bad endorsement signature', async () => {
    assert.equal(await codeOf({ endorsers: [] }), 'ENDORSEMENT_POLICY_FAILURE');
    assert.equal(
      await codeOf({ endorsers: [f.net.identities.user] }),
      'ENDORSEMENT_POLICY_FAILURE',
    );
    assert.equal(
      await codeOf({
        endorsements: (es) =>
          es.map((e) => ({
            endorser: e.endorser!,
            signature: Uint8Array.from(e.signature!, (b, i) => (i === 12 ? b ^ 1 : b)),
          })),
      }),
      'ENDORSEMENT_POLICY_FAILURE',
    );
  });

  it('INVALID_CHAINCODE: not defined, names that differ, no version', async () => {
    assert.equal(
      await codeOf({ chaincode: 'nocc', results: rwsetOf({ namespace: 'nocc' }) }),
      'INVALID_CHAINCODE',
    );
    assert.equal(await codeOf({ actionChaincode: 'other' }), 'INVALID_CHAINCODE');
    assert.equal(await codeOf({ version: '' }), 'INVALID_CHAINCODE');
    // A defined chaincode that writes to an undefined namespace.
    assert.equal(
      await codeOf({
        results: rwsetOf(
          { namespace: 'mycc' },
          { namespace: 'ghost', writes: [{ key: 'x', value: enc.encode('1') }] },
        ),
      }),
      'INVALID_CHAINCODE',
    );
  });

  it('BAD_HEADER_EXTENSION, BAD_RESPONSE_PAYLOAD, BAD_RWSET', async () => {
    assert.equal(await codeOf({ extension: Uint8Array.of(0x12, 0x05) }), 'BAD_HEADER_EXTENSION');
    assert.equal(
      await codeOf({ prp: (p) => ({ proposalHash: p.proposalHash! }) }),
      'BAD_RESPONSE_PAYLOAD',
    );
    assert.equal(await codeOf({ results: Uint8Array.of(0x12, 0x09, 0x01) }), 'BAD_RWSET');
  });

  it('ILLEGAL_WRITESET: a namespace twice in the read-write set', async () => {
    assert.equal(
      await codeOf({ results: rwsetOf({ namespace: 'mycc' }, { namespace: 'mycc' }) }),
      'ILLEGAL_WRITESET',
    );
  });

  it('INVALID_OTHER_REASON: no chaincode id in the header, an event of another chaincode', async () => {
    assert.equal(
      await codeOf({ extension: protos.ChaincodeHeaderExtension.encode({}).finish() }),
      'INVALID_OTHER_REASON',
    );
    assert.equal(
      await codeOf({
        events: protos.ChaincodeEvent.encode({ chaincodeId: 'other', eventName: 'e' }).finish(),
      }),
      'INVALID_OTHER_REASON',
    );
    assert.equal(
      await codeOf({
        events: protos.ChaincodeEvent.encode({ chaincodeId: 'mycc', eventName: 'e' }).finish(),
      }),
      'VALID',
    );
  });

  it('MVCC_READ_CONFLICT: a read of an old version (from the ledger, after validation)', async () => {
    const read = { key: 'k', version: { blockNum: 1, txNum: 0 } };
    assert.equal(
      await codeOf({ results: rwsetOf({ namespace: 'mycc', reads: [read] }) }),
      'MVCC_READ_CONFLICT',
    );
  });

  it('logs why each transaction is invalid', () => {
    const invalid = logs.records.filter((r) => r.msg === 'transaction invalid');
    assert.ok(invalid.length > 20);
    const policy = invalid.find((r) => r.fields?.['code'] === 'BAD_PROPOSAL_TXID');
    assert.match(String(policy?.fields?.['reason']), /invalid txid\. got \[f+\], expected/);
  });

  it('stops the block when a namespace names a validation plugin that is not configured', async () => {
    await defineChaincode(f, 'oddcc', policyReference('/Channel/Application/Endorsement'), {
      plugin: 'custom-vscc',
    });
    const height = heightOf(f);
    const tx = await endorserTx(
      spec({ chaincode: 'oddcc', results: rwsetOf({ namespace: 'oddcc' }) }),
    );
    const block = await f.blocks.make([tx.envelope]);
    await assert.rejects(f.committer.commitBlock(block), (err: unknown) => {
      assert.ok(err instanceof CommitterError);
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.match(err.message, /plugin with name custom-vscc couldn't be used/);
      return true;
    });
    assert.equal(heightOf(f), height);
  });

  it('stops a config block whose update is not authorized, and applies one that is', async () => {
    const height = heightOf(f);
    const bundle = f.committer.bundle();
    assert.equal(bundle.sequence, 0n);
    const unauthorized = await aclUpdateTx({
      bundle,
      resource: 'peer/Propose',
      policyRef: '/Channel/Application/Admins',
      signers: [f.net.identities.user],
      orderer: f.orderer,
    });
    const block = await f.blocks.make([unauthorized]);
    await assert.rejects(f.committer.commitBlock(block), (err: unknown) => {
      assert.ok(err instanceof CommitterError);
      assert.equal(err.code, 'CONFIG_UPDATE_INVALID');
      assert.match(
        err.message,
        /policy for \[Value\] {2}\/Channel\/Application\/ACLs not satisfied/,
      );
      return true;
    });
    assert.equal(heightOf(f), height);

    const authorized = await aclUpdateTx({
      bundle,
      resource: 'peer/Propose',
      policyRef: '/Channel/Application/Admins',
      signers: [f.net.identities.admin],
      orderer: f.orderer,
    });
    assert.deepEqual(await commit(authorized), ['VALID']);
    assert.equal(f.committer.bundle().sequence, 1n);
    assert.equal(
      f.committer.bundle().application?.aclPolicyRefs.get('peer/Propose'),
      '/Channel/Application/Admins',
    );
    // The next block is verified and validated under the new configuration.
    assert.equal(await codeOf({}), 'VALID');
  });
});
