/**
 * Blocks the committer must refuse before validating anything: out of sequence, a broken hash
 * chain or data hash, orderer signatures missing, wrong or not satisfying BlockValidation,
 * malformed envelopes, another channel. Each refusal names the problem, commits nothing, and the
 * next good block commits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Long, common, protos } from '@fabric-peer/protos';

import { CommitterError } from '../src/index.js';
import {
  LIFECYCLE,
  definitionWrites,
  endorserTx,
  heightOf,
  openCommitterFixture,
  policyReference,
  rwsetOf,
  type CommitterFixture,
} from '../test-support/index.js';

describe('block verification', () => {
  let f: CommitterFixture;
  let good: Uint8Array;

  before(async () => {
    f = await openCommitterFixture();
    good = (
      await endorserTx({
        channelId: f.net.channelId,
        creator: f.net.identities.admin,
        endorsers: [f.net.identities.peer],
        chaincode: LIFECYCLE,
        version: '2.5',
        results: rwsetOf({
          namespace: LIFECYCLE,
          writes: definitionWrites('mycc', policyReference('/Channel/Application/Endorsement')),
        }),
      })
    ).envelope;
  });
  after(() => f.close());

  /** Commits `block`, expects a refusal with `code` and a message matching `message`. */
  async function refused(block: common.IBlock, code: string, message: RegExp): Promise<void> {
    const height = heightOf(f);
    await assert.rejects(f.committer.commitBlock(block), (err: unknown) => {
      assert.ok(err instanceof CommitterError, String(err));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, message);
      return true;
    });
    assert.equal(heightOf(f), height, 'nothing was committed');
  }

  it('refuses a block out of sequence', async () => {
    const block = await f.blocks.make([good], {
      header: { number: Long.fromNumber(5, true) },
    });
    await refused(
      block,
      'BLOCK_OUT_OF_SEQUENCE',
      /Claimed seqNum is \[1\] but actual seqNum inside block is \[5\]/,
    );
  });

  it('refuses a block whose previous hash is not the last block', async () => {
    const block = await f.blocks.make([good], { header: { previousHash: new Uint8Array(32) } });
    await refused(block, 'BLOCK_PREVIOUS_HASH_MISMATCH', /unexpected Previous block hash/);
  });

  it('refuses a block whose data hash is not the hash of its data', async () => {
    const block = await f.blocks.make([good], { header: { dataHash: new Uint8Array(32).fill(7) } });
    await refused(
      block,
      'BLOCK_DATA_HASH_MISMATCH',
      /Header.DataHash is different from Hash\(block.Data\)/,
    );
  });

  it('refuses an unsigned block', async () => {
    const block = await f.blocks.make([good], { signer: null });
    await refused(
      block,
      'BLOCK_SIGNATURE_INVALID',
      /\/Channel\/Orderer\/BlockValidation not satisfied by its 0 signature/,
    );
  });

  it('refuses a block signed by a peer instead of an orderer', async () => {
    const block = await f.blocks.make([good], { signer: f.net.identities.peer });
    await refused(block, 'BLOCK_SIGNATURE_INVALID', /BlockValidation not satisfied/);
  });

  it('refuses a block whose orderer signature does not verify', async () => {
    const block = await f.blocks.make([good]);
    const md = common.Metadata.decode(block.metadata!.metadata![0]!);
    const sig = Uint8Array.from(md.signatures[0]!.signature ?? []);
    sig[sig.length - 3]! ^= 0x01;
    md.signatures[0]!.signature = sig;
    block.metadata!.metadata![0] = common.Metadata.encode(md).finish();
    await refused(block, 'BLOCK_SIGNATURE_INVALID', /BlockValidation not satisfied/);
  });

  it('refuses a block signed over another header', async () => {
    const block = await f.blocks.make([good]);
    // The signature was made over the real header; the block now claims other data.
    const other = await f.blocks.make([good, good]);
    block.header = other.header;
    block.data = other.data;
    await refused(block, 'BLOCK_SIGNATURE_INVALID', /BlockValidation not satisfied/);
  });

  it('refuses malformed envelopes: not canonical, no signature, no payload, not decodable', async () => {
    const env = common.Envelope.decode(good);
    // The signature field twice: Go keeps the last and re-marshals fewer bytes.
    const sigField = common.Envelope.encode({ signature: env.signature }).finish();
    const doubled = Uint8Array.from([...good, ...sigField]);
    await refused(
      await f.blocks.make([good, doubled]),
      'BLOCK_INVALID',
      /block has malformed transactions: transaction 1 has \d+ trailing bytes/,
    );
    const reordered = Uint8Array.from([
      ...sigField,
      ...common.Envelope.encode({ payload: env.payload }).finish(),
    ]);
    await refused(
      await f.blocks.make([good, reordered]),
      'BLOCK_INVALID',
      /transaction 1 does not match its raw form/,
    );
    await refused(
      await f.blocks.make([good, Uint8Array.of(0x00)]),
      'BLOCK_INVALID',
      /transaction 1 is invalid: .*invalid field number/,
    );
    const unsigned = common.Envelope.encode({ payload: env.payload }).finish();
    await refused(
      await f.blocks.make([good, unsigned]),
      'BLOCK_INVALID',
      /transaction 1 has no signature/,
    );
    const empty = common.Envelope.encode({ signature: env.signature }).finish();
    await refused(
      await f.blocks.make([good, empty]),
      'BLOCK_INVALID',
      /transaction 1 has no payload/,
    );
  });

  it('refuses a block of another channel, and blocks without header or metadata', async () => {
    const other = (
      await endorserTx({
        channelId: 'otherchannel',
        creator: f.net.identities.admin,
        endorsers: [f.net.identities.peer],
        chaincode: LIFECYCLE,
        results: rwsetOf({ namespace: LIFECYCLE }),
      })
    ).envelope;
    await refused(
      await f.blocks.make([other]),
      'BLOCK_INVALID',
      /Expected \[mychannel\]. Given \[otherchannel\]/,
    );
    const block = await f.blocks.make([good]);
    await refused(
      { data: block.data, metadata: block.metadata },
      'BLOCK_INVALID',
      /Header must be different from nil/,
    );
    await refused(
      { header: block.header, data: block.data },
      'BLOCK_INVALID',
      /does not have metadata/,
    );
  });

  it('commits the next good block after all that', async () => {
    const done = await f.committer.commitBlock(await f.blocks.next([good]));
    assert.equal(done.blockNumber, 1);
    assert.deepEqual([...done.validationCodes], [protos.TxValidationCode.VALID]);
    assert.equal(heightOf(f), 2);
  });
});
