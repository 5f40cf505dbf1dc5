/**
 * The validator pool: worker threads check creator and endorsement signatures (with MSPs rebuilt
 * from the channel configuration) and the main thread trusts their verdicts; codes are the same as
 * without the pool, the main thread verifies none of those signatures again, a new configuration
 * reaches the workers, and a closed pool leaves everything to the main thread.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { protos } from '@fabric-peer/protos';

import { ValidatorPool } from '../src/index.js';
import {
  aclUpdateTx,
  codeNames,
  defineChaincode,
  endorserTx,
  openCommitterFixture,
  policyReference,
  rwsetOf,
  type CommitterFixture,
  type TxSpec,
} from '../test-support/index.js';

const enc = new TextEncoder();

/** Signatures Org1's MSP (on the main thread) verified so far. */
function org1Verifications(f: CommitterFixture): number {
  return f.signaturesVerified('Org1MSP');
}

describe('validator pool', () => {
  let f: CommitterFixture;
  let pool: ValidatorPool;

  before(async () => {
    pool = new ValidatorPool({ size: 2, sliceSize: 3 });
    f = await openCommitterFixture({ committer: () => ({ pool }) });
    await defineChaincode(f, 'mycc', policyReference('/Channel/Application/Endorsement'));
  });
  after(async () => {
    await f.close();
    await pool.close();
  });

  function spec(overrides: Partial<TxSpec> = {}, on: CommitterFixture = f): TxSpec {
    return {
      channelId: on.net.channelId,
      creator: on.net.identities.user,
      endorsers: [on.net.identities.peer],
      chaincode: 'mycc',
      results: rwsetOf({ namespace: 'mycc', writes: [{ key: 'k', value: enc.encode('v') }] }),
      ...overrides,
    };
  }

  /** A block mixing valid transactions with each kind of signature problem. */
  async function mixedBlock(
    on: CommitterFixture = f,
  ): Promise<{ envelopes: Uint8Array[]; expected: string[] }> {
    const flip = (s: Uint8Array) => Uint8Array.from(s, (b, i) => (i === 15 ? b ^ 1 : b));
    const cases: [Partial<TxSpec>, string][] = [
      [{}, 'VALID'],
      [{ signature: flip }, 'BAD_CREATOR_SIGNATURE'],
      [{ txId: '0'.repeat(64) }, 'BAD_PROPOSAL_TXID'],
      [
        {
          endorsements: (es) =>
            es.map((e) => ({ endorser: e.endorser!, signature: flip(e.signature!) })),
        },
        'ENDORSEMENT_POLICY_FAILURE',
      ],
      [{ endorsers: [on.net.identities.user] }, 'ENDORSEMENT_POLICY_FAILURE'],
      [{ results: rwsetOf({ namespace: 'mycc' }) }, 'VALID'],
      [{ endorsers: [on.net.identities.user, on.net.identities.peer] }, 'VALID'],
    ];
    const envelopes: Uint8Array[] = [];
    const expected: string[] = [];
    for (const [overrides, code] of cases) {
      envelopes.push((await endorserTx(spec(overrides, on))).envelope);
      expected.push(code);
    }
    return { envelopes, expected };
  }

  it('gives the codes the main thread gives, checking every signature in the workers', async () => {
    const { envelopes, expected } = await mixedBlock();
    const checked = pool.stats.checked;
    const verified = org1Verifications(f);
    const done = await f.committer.commitBlock(await f.blocks.next(envelopes));
    assert.deepEqual(codeNames(done.validationCodes), expected);
    assert.equal(pool.stats.checked - checked, envelopes.length);
    assert.equal(pool.stats.fallbacks, 0);
    assert.ok(pool.stats.slices >= 3, 'the block went out in several slices');
    // The one bad endorsement signature is checked again here; the valid ones are not.
    assert.equal(org1Verifications(f) - verified, 1);
  });

  it('reaches the same codes without the pool (and then verifies on the main thread)', async () => {
    const inline = await openCommitterFixture();
    try {
      await defineChaincode(inline, 'mycc', policyReference('/Channel/Application/Endorsement'));
      const { envelopes, expected } = await mixedBlock(inline);
      const verified = org1Verifications(inline);
      const done = await inline.committer.commitBlock(await inline.blocks.next(envelopes));
      assert.deepEqual(codeNames(done.validationCodes), expected);
      assert.ok(org1Verifications(inline) - verified >= envelopes.length);
    } finally {
      await inline.close();
    }
  });

  it('hands the workers a new configuration', async () => {
    const update = await aclUpdateTx({
      bundle: f.committer.bundle(),
      resource: 'peer/Propose',
      policyRef: '/Channel/Application/Writers',
      signers: [f.net.identities.admin],
      orderer: f.orderer,
    });
    assert.deepEqual(
      codeNames((await f.committer.commitBlock(await f.blocks.next([update]))).validationCodes),
      ['VALID'],
    );
    assert.equal(f.committer.bundle().sequence, 1n);
    const checked = pool.stats.checked;
    const done = await f.committer.commitBlock(
      await f.blocks.next([(await endorserTx(spec())).envelope]),
    );
    assert.equal(done.validationCodes[0], protos.TxValidationCode.VALID);
    assert.equal(pool.stats.checked - checked, 1);
  });

  it('leaves everything to the main thread once closed', async () => {
    const closed = new ValidatorPool({ size: 1 });
    await closed.close();
    const g = await openCommitterFixture({ committer: () => ({ pool: closed }) });
    try {
      await defineChaincode(g, 'mycc', policyReference('/Channel/Application/Endorsement'));
      const tx = await endorserTx(spec({}, g));
      const done = await g.committer.commitBlock(await g.blocks.next([tx.envelope]));
      assert.deepEqual(codeNames(done.validationCodes), ['VALID']);
      assert.ok(closed.stats.fallbacks >= 1);
      assert.equal(closed.stats.checked, 0);
    } finally {
      await g.close();
    }
  });
});
