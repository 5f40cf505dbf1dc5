// The transaction simulator against real Fabric v2.4.9 read-write sets: each `basic` transaction of
// the corpus is simulated again, with the calls the chaincode made, over a ledger holding the state
// it was endorsed against; the read-write set must equal the block's byte for byte.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { kvrwset, Long, rwset } from '@fabric-peer/protos';
import { decodeTxRwSet, type KvLedger } from '../src/index.js';
import {
  CORPUS_CHANNEL,
  CORPUS_HEIGHT,
  filterOf,
  nsRwSetBytes,
  peerBlock,
  txResults,
  validationCodes,
  withFilter,
  workload,
} from '../test-support/corpus.js';
import { ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const MVCC = 11;
const PHANTOM = 12;

/** Fabric's filter with the codes MVCC computes put back to VALID (what the committer hands the ledger). */
function inputFilter(n: number): Uint8Array {
  return Uint8Array.from(filterOf(peerBlock(n)), (c) => (c === MVCC || c === PHANTOM ? 0 : c));
}

interface Simulated {
  readonly block: number;
  readonly index: number;
  readonly fn: string;
  readonly publicRwset: Uint8Array;
}

describe('transaction simulator against the corpus', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  const simulated: Simulated[] = [];
  const versions = new Map<string, { blockNum: number; txNum: number }>();

  /** The block before which each basic transaction was endorsed. */
  function endorsedBefore(): Map<number, number> {
    const steps = workload();
    const first = steps.find((s) => s.label === 'mvcc-first')!;
    const second = steps.find((s) => s.label.startsWith('mvcc-second'))!;
    // Both were endorsed at the same state; the second was submitted after the first committed.
    return new Map([[second.block!, first.block!]]);
  }

  async function simulateBlockTxs(n: number): Promise<void> {
    const block = peerBlock(n);
    const codes = validationCodes()[n]!;
    for (const tx of codes.transactions) {
      if (tx.chaincode !== 'basic') continue;
      const envelope = block.data!.data![tx.index]!;
      const recorded = decodeTxRwSet(txResults(envelope));
      const basic = recorded.nsRwSets.find((ns) => ns.namespace === 'basic')!;
      const value = (key: string) => basic.kvRwSet.writes.find((w) => w.key === key)!.value;
      const sim = await ledger.newTxSimulator(tx.txid);
      try {
        // The endorser reads the chaincode definition through the same simulator.
        await sim.getState('_lifecycle', 'namespaces/fields/basic/Sequence');
        const id = tx.args![0]!;
        switch (tx.function) {
          case 'CreateAsset':
          case 'UpdateAsset':
          case 'TransferAsset':
            await sim.getState('basic', id);
            await sim.setState('basic', id, value(id));
            break;
          case 'DeleteAsset':
            await sim.getState('basic', id);
            await sim.deleteState('basic', id);
            break;
          case 'put':
            await sim.setState('basic', id, value(id));
            break;
          default:
            assert.fail(`unexpected function ${tx.function}`);
        }
        const results = await sim.getTxSimulationResults();
        simulated.push({
          block: n,
          index: tx.index,
          fn: tx.function,
          publicRwset: results.publicRwset,
        });
      } finally {
        sim.done();
      }
    }
  }

  before(async () => {
    env = ledgerEnv({ channelId: CORPUS_CHANNEL });
    ledger = await env.open();
    const early = endorsedBefore();
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      for (const [late, before] of early) if (before === n) await simulateBlockTxs(late);
      if (![...early.keys()].includes(n)) await simulateBlockTxs(n);
      const result = await ledger.commit(withFilter(peerBlock(n), inputFilter(n)));
      result.txs.forEach((t) => {
        if (t.validationCode !== 0) return;
        for (const ns of t.rwset?.nsRwSets ?? []) {
          if (ns.namespace !== 'basic') continue;
          for (const w of ns.kvRwSet.writes) {
            if (w.isDelete || w.value.length === 0) versions.delete(w.key);
            else versions.set(w.key, { blockNum: n, txNum: t.index });
          }
        }
      });
    }
  });

  after(async () => {
    await env.dispose();
  });

  it('simulates every basic transaction of the corpus (83 of them)', () => {
    const expected = validationCodes().flatMap((b) =>
      b.transactions.filter((t) => t.chaincode === 'basic').map((t) => `${b.number}/${t.index}`),
    );
    assert.equal(expected.length, 83);
    assert.deepEqual(simulated.map((s) => `${s.block}/${s.index}`).sort(), [...expected].sort());
  });

  it('produces the basic NsReadWriteSet of each transaction byte for byte', () => {
    for (const s of simulated) {
      const recorded = txResults(peerBlock(s.block).data!.data![s.index]!);
      const mine = nsRwSetBytes(s.publicRwset).get('basic');
      const fabric = nsRwSetBytes(recorded).get('basic');
      assert.ok(fabric, `block ${s.block} has a basic rwset`);
      assert.deepEqual(
        Buffer.from(mine!).toString('hex'),
        Buffer.from(fabric).toString('hex'),
        `block ${s.block} tx ${s.index} (${s.fn})`,
      );
    }
  });

  it('produces the whole TxReadWriteSet (with the _lifecycle read) byte for byte', () => {
    for (const s of simulated) {
      const recorded = txResults(peerBlock(s.block).data!.data![s.index]!);
      assert.ok(
        Buffer.from(s.publicRwset).equals(Buffer.from(recorded)),
        `block ${s.block} tx ${s.index} (${s.fn})`,
      );
    }
  });

  it('covers creates, updates, transfers, deletes, puts and the MVCC-conflicting transfer', () => {
    const fns = new Set(simulated.map((s) => s.fn));
    assert.deepEqual([...fns].sort(), [
      'CreateAsset',
      'DeleteAsset',
      'TransferAsset',
      'UpdateAsset',
      'put',
    ]);
    assert.ok(simulated.some((s) => s.block === 85));
  });

  it('records GetAllAssets over the final 50 keys as Fabric does: raw reads (50 ≤ max degree 50)', async () => {
    const sim = await ledger.newTxSimulator('get-all-assets');
    let count = 0;
    try {
      const itr = await sim.getStateRangeScanIterator('basic', '', '');
      for await (const kv of itr) {
        assert.equal(kv.namespace, 'basic');
        count++;
      }
      const results = await sim.getTxSimulationResults();
      assert.equal(count, 50);
      // The expectation, from Fabric's rules: start '' and end '' (exhausted: the requested end),
      // itr_exhausted, and the 50 reads in byte order with their committed versions.
      const keys = [...versions.keys()].sort((a, b) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)),
      );
      assert.equal(keys.length, 50);
      const expected = kvrwset.KVRWSet.encode({
        rangeQueriesInfo: [
          {
            itrExhausted: true,
            rawReads: {
              kvReads: keys.map((key) => {
                const v = versions.get(key)!;
                return {
                  key,
                  version: {
                    ...(v.blockNum !== 0 ? { blockNum: Long.fromNumber(v.blockNum, true) } : {}),
                    ...(v.txNum !== 0 ? { txNum: Long.fromNumber(v.txNum, true) } : {}),
                  },
                };
              }),
            },
          },
        ],
      }).finish();
      const basic = decodeTxRwSet(results.publicRwset).nsRwSets.find(
        (n) => n.namespace === 'basic',
      )!;
      assert.equal(basic.kvRwSet.rangeQueriesInfo.length, 1);
      assert.equal(basic.kvRwSet.rangeQueriesInfo[0]!.readsMerkleHashes, undefined);
      const mine = rwset.NsReadWriteSet.decode(nsRwSetBytes(results.publicRwset).get('basic')!);
      assert.equal(Buffer.from(mine.rwset).toString('hex'), Buffer.from(expected).toString('hex'));
    } finally {
      sim.done();
    }
  });
});
