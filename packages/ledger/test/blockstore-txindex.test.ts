// The txid index as Fabric's blockindex.go keeps it: every transaction is indexed, valid or not,
// under (txid, block, tx); a lookup answers with the first occurrence.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common, computeTxId } from '@fabric-peer/protos';
import {
  openBlockIndexDb,
  openBlockStore,
  type BlockIndexDb,
  type BlockStore,
} from '../src/index.js';
import { txIdOfEnvelope } from '../src/blockstore/block-info.js';
import {
  dropIndexOfLastBlocks,
  dumpIndex,
  makeBlock,
  makeEnvelope,
  tempDir,
} from '../test-support/blockstore-fixtures.js';

const CH = 'txindex';

describe('block store: txid index', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: BlockIndexDb;
  let store: BlockStore;
  const blockBytes: Uint8Array[] = [];
  const nonce = Buffer.from('a nonce of some length');
  const creator = Buffer.from('serialized identity');
  const computed = computeTxId(nonce, creator);
  const dupA = makeEnvelope({ txId: 'dup', filler: 10 });
  const dupB = makeEnvelope({ txId: 'dup', filler: 20 });
  const dupC = makeEnvelope({ txId: 'dup', filler: 30 });
  const garbage = Buffer.from([0xff, 0xff, 0xff]);
  const noHeader = Buffer.from(
    common.Envelope.encode({ payload: Buffer.from([0x12, 0x01, 0x00]) }).finish(),
  );

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    db = await openBlockIndexDb(dir);
    store = await openBlockStore({ dir, channelId: CH, indexDb: db });
    const b0 = makeBlock(undefined, [makeEnvelope({ txId: 'genesis' })]);
    // Block 1: an invalid first occurrence, then the same txid again in the same block.
    const b1 = makeBlock(b0, [dupA, makeEnvelope({ txId: 'other' }), dupB], [10, 0, 9]);
    // Block 2: the txid once more (valid this time), a txid computed from nonce and creator, and
    // two envelopes Fabric cannot read a txid from.
    const b2 = makeBlock(
      b1,
      [dupC, makeEnvelope({ nonce, creator }), garbage, noHeader],
      [0, 0, 1, 2],
    );
    // Block 3: no TRANSACTIONS_FILTER at all.
    const b3 = makeBlock(b2, [makeEnvelope({ txId: 'unfiltered' })], null);
    for (const b of [b0, b1, b2, b3]) {
      await store.addBlock(b);
      blockBytes.push(common.Block.encode(b).finish());
    }
  });

  after(async () => {
    await store.close();
    await db.close();
    await cleanup();
  });

  it('answers a duplicated txid with its first occurrence, invalid as it was', async () => {
    assert.deepEqual(await store.getTxLocation('dup'), {
      blockNum: 1,
      txNum: 0,
      validationCode: 10,
    });
    const env = await store.getTxEnvelope('dup');
    assert.ok(Buffer.from(env!.envelope).equals(dupA));
    assert.equal(Number((await store.getBlockByTxId('dup'))!.header!.number), 1);
    assert.deepEqual(await store.getTxLocation('other'), {
      blockNum: 1,
      txNum: 1,
      validationCode: 0,
    });
  });

  it('indexes every occurrence, as Fabric does', async () => {
    const dupPrefix = Buffer.concat([
      Buffer.from('t'),
      Buffer.from([0, 0, 0, 3]),
      Buffer.from('dup'),
    ]).toString('hex');
    const entries = (await dumpIndex(db, CH)).filter((e) => e.startsWith(dupPrefix));
    assert.equal(entries.length, 3);
  });

  it('computes the txid from nonce and creator when the channel header has none', async () => {
    assert.equal(txIdOfEnvelope(makeEnvelope({ nonce, creator })), computed);
    assert.deepEqual(await store.getTxLocation(computed), {
      blockNum: 2,
      txNum: 1,
      validationCode: 0,
    });
  });

  it('indexes unreadable envelopes under the empty txid, as Fabric does', async () => {
    assert.equal(txIdOfEnvelope(garbage), '');
    assert.equal(txIdOfEnvelope(noHeader), '');
    assert.deepEqual(await store.getTxLocation(''), { blockNum: 2, txNum: 2, validationCode: 1 });
    assert.ok(Buffer.from((await store.getTxEnvelope(''))!.envelope).equals(garbage));
  });

  it('reports NOT_VALIDATED (254) when the block has no TRANSACTIONS_FILTER', async () => {
    assert.deepEqual(await store.getTxLocation('unfiltered'), {
      blockNum: 3,
      txNum: 0,
      validationCode: 254,
    });
  });

  it('does not confuse a txid with one it is a prefix of', async () => {
    assert.equal(await store.txIdExists('du'), false);
    assert.equal(await store.txIdExists('dupe'), false);
    assert.equal(await store.txIdExists('genesis'), true);
  });

  it('rebuilds the same txid entries when it re-indexes from the files', async () => {
    const before = await dumpIndex(db, CH);
    await store.close();
    await dropIndexOfLastBlocks(db, CH, blockBytes, blockBytes.length);
    assert.deepEqual(await dumpIndex(db, CH), []);
    store = await openBlockStore({ dir, channelId: CH, indexDb: db });
    assert.deepEqual(await dumpIndex(db, CH), before);
    assert.deepEqual(await store.getTxLocation('dup'), {
      blockNum: 1,
      txNum: 0,
      validationCode: 10,
    });
  });
});
