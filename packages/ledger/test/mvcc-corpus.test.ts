// MVCC against real Fabric v2.4.9: the 87 corpus blocks are committed into a fresh ledger with the
// codes Fabric's earlier validation steps gave (MVCC_READ_CONFLICT and PHANTOM_READ_CONFLICT put
// back to VALID, since MVCC is what computes them). The ledger must reach Fabric's final filters,
// Fabric's commit hashes and Fabric's world state.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { CHANNEL_CONFIG_KEY, type CommitResult, type KvLedger } from '../src/index.js';
import {
  CORPUS_CHANNEL,
  CORPUS_HEIGHT,
  filterOf,
  finalBasicState,
  peerBlock,
  withFilter,
} from '../test-support/corpus.js';
import { ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const MVCC = 11;
const PHANTOM = 12;
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array(0)).toString('hex');

describe('MVCC over the corpus blocks 0..86', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  const results: CommitResult[] = [];

  before(async () => {
    env = ledgerEnv({ channelId: CORPUS_CHANNEL });
    ledger = await env.open();
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      const fabric = peerBlock(n);
      const input = Uint8Array.from(filterOf(fabric), (c) => (c === MVCC || c === PHANTOM ? 0 : c));
      results.push(await ledger.commit(withFilter(fabric, input)));
    }
  });

  after(async () => {
    await env.dispose();
  });

  it('marks exactly block 85 transaction 0 MVCC_READ_CONFLICT', () => {
    const conflicts: string[] = [];
    results.forEach((r, n) =>
      r.validationCodes.forEach((c, i) => {
        if (c === MVCC || c === PHANTOM) conflicts.push(`${n}/${i}:${c}`);
      }),
    );
    assert.deepEqual(conflicts, ['85/0:11']);
  });

  it("ends with Fabric's TRANSACTIONS_FILTER for every block", () => {
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      assert.equal(hex(results[n]!.validationCodes), hex(filterOf(peerBlock(n))), `block ${n}`);
    }
  });

  it("computes Fabric's COMMIT_HASH for every block (none for block 0)", () => {
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      const fabricSlot = peerBlock(n).metadata!.metadata![common.BlockMetadataIndex.COMMIT_HASH]!;
      const mine = results[n]!.block.metadata!.metadata![common.BlockMetadataIndex.COMMIT_HASH]!;
      assert.equal(hex(mine), hex(fabricSlot), `block ${n}`);
      if (n === 0) assert.equal(results[n]!.commitHash, undefined);
      else assert.equal(hex(results[n]!.commitHash), hex(common.Metadata.decode(fabricSlot).value));
    }
  });

  it('stores blocks whose metadata equals the blocks Fabric peers served', async () => {
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      const stored = await ledger.getBlockByNumber(n);
      const fabric = peerBlock(n);
      for (const slot of [
        common.BlockMetadataIndex.TRANSACTIONS_FILTER,
        common.BlockMetadataIndex.COMMIT_HASH,
      ]) {
        assert.equal(
          hex(stored!.metadata!.metadata![slot]),
          hex(fabric.metadata!.metadata![slot]),
          `block ${n} slot ${slot}`,
        );
      }
    }
  });

  it('ends with the basic state of state.json', async () => {
    const expected = finalBasicState();
    const qe = await ledger.newQueryExecutor();
    try {
      const actual: Record<string, string> = {};
      for await (const kv of await qe.getStateRangeScanIterator('basic', '', '')) {
        actual[kv.key] = Buffer.from(kv.value).toString('utf8');
      }
      assert.deepEqual(actual, expected);
      // The rejected transfer of asset030 and the rejected update of asset031 left no trace.
      assert.match(actual['asset030']!, /"Owner":"Tomoko","AppraisedValue":3030/);
      assert.match(actual['asset031']!, /"AppraisedValue":3100/);
    } finally {
      qe.done();
    }
  });

  it('stores the channel configuration of the genesis block under the empty namespace', async () => {
    const qe = await ledger.newQueryExecutor();
    try {
      const config = await qe.getState('', CHANNEL_CONFIG_KEY);
      const genesis = common.Envelope.decode(peerBlock(0).data!.data![0]!);
      const payload = common.Payload.decode(genesis.payload);
      assert.equal(hex(config), hex(payload.data));
    } finally {
      qe.done();
    }
  });

  it('records the height of the last block as the state savepoint', async () => {
    const info = ledger.getBlockchainInfo();
    assert.equal(Number(info.height), CORPUS_HEIGHT);
    const sp = await (await env.provider.open(CORPUS_CHANNEL)).getLatestSavePoint();
    assert.deepEqual(sp, { blockNum: CORPUS_HEIGHT - 1, txNum: 0 });
  });
});
