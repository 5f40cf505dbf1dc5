// The transaction simulator and query executor: what they read, what they record, what they refuse.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import type { StateIterator, VersionedDB } from '@fabric-peer/api';
import { protos } from '@fabric-peer/protos';
import {
  decodeTxPvtRwSet,
  decodeTxRwSet,
  totalReturnLimit,
  type CollectionConfigProvider,
  type KvLedger,
  type LedgerError,
  type TxSimulator,
} from '../src/index.js';
import { ChainBuilder, configTx, endorserTx, text, utf8 } from '../test-support/blocks.js';
import { delegatingDb, ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const code = (c: string) => (e: LedgerError) => e.code === c;

/** A state database with rich queries: a "query" is a key prefix. */
function withRichQueries(db: VersionedDB): VersionedDB {
  return delegatingDb(db, {
    executeQuery: (ns: string, query: string): Promise<StateIterator> =>
      db.getStateRangeScanIterator(ns, query, query + '\uffff'),
  });
}

describe('transaction simulator and query executor', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  let chain: ChainBuilder;

  async function commitWrites(pairs: Record<string, string>, ns = 'cc'): Promise<number> {
    const sim = await ledger.newTxSimulator('setup');
    for (const [k, v] of Object.entries(pairs)) await sim.setState(ns, k, utf8(v));
    const r = await sim.getTxSimulationResults();
    sim.done();
    const res = await ledger.commit(chain.block([endorserTx(r.publicRwset)]));
    return res.blockNumber;
  }

  async function open(o: Parameters<LedgerEnv['open']>[0] = {}): Promise<void> {
    ledger = await env.open(o);
    chain = new ChainBuilder();
    await ledger.commit(chain.block([configTx()]));
  }

  beforeEach(() => {
    env = ledgerEnv();
  });

  afterEach(async () => {
    await env.dispose();
  });

  it('reads committed state, not its own writes, and records the committed version', async () => {
    await open();
    const b = await commitWrites({ k: 'committed' });
    const sim = await ledger.newTxSimulator('t1');
    await sim.setState('cc', 'k', utf8('mine'));
    assert.equal(text(await sim.getState('cc', 'k')), 'committed');
    assert.equal(await sim.getState('cc', 'nope'), undefined);
    const rw = decodeTxRwSet((await sim.getTxSimulationResults()).publicRwset);
    sim.done();
    assert.deepEqual(rw.nsRwSets[0]!.kvRwSet.reads, [
      { key: 'k', version: { blockNum: BigInt(b), txNum: 0n } },
      { key: 'nope' },
    ]);
    assert.equal(text(rw.nsRwSets[0]!.kvRwSet.writes[0]!.value), 'mine');
  });

  it('records reads of getStateMultipleKeys and getStateMetadata', async () => {
    await open();
    await commitWrites({ a: '1', b: '2' });
    const sim = await ledger.newTxSimulator('t');
    assert.deepEqual((await sim.getStateMultipleKeys('cc', ['b', 'x', 'a'])).map(text), [
      '2',
      undefined,
      '1',
    ]);
    assert.equal(await sim.getStateMetadata('cc', 'a').then((m) => m?.size ?? 0), 0);
    const rw = decodeTxRwSet((await sim.getTxSimulationResults()).publicRwset);
    sim.done();
    assert.deepEqual(
      rw.nsRwSets[0]!.kvRwSet.reads.map((r) => r.key),
      ['a', 'b', 'x'],
    );
  });

  it('refuses every call after done(), and results twice', async () => {
    await open();
    const sim = await ledger.newTxSimulator('t');
    await sim.getTxSimulationResults();
    await assert.rejects(sim.getTxSimulationResults(), code('SIMULATION_DONE'));
    sim.done();
    sim.done();
    await assert.rejects(sim.getState('cc', 'k'), /should not be used after calling Done/);
    await assert.rejects(sim.setState('cc', 'k', utf8('v')), code('SIMULATION_DONE'));
    await assert.rejects(sim.getStateRangeScanIterator('cc', '', ''), code('SIMULATION_DONE'));
    const qe = await ledger.newQueryExecutor();
    qe.done();
    await assert.rejects(qe.getState('cc', 'k'), code('SIMULATION_DONE'));
  });

  it("follows Fabric's rules on paginated and private queries in transactions that write", async () => {
    await open();
    const s1 = await ledger.newTxSimulator('t1');
    await s1.setState('cc', 'k', utf8('v'));
    await assert.rejects(
      s1.getStateRangeScanIteratorWithPagination('cc', '', '', 2),
      /Paginated queries are supported only in a read-only transaction/,
    );
    await assert.rejects(
      s1.getPrivateDataRangeScanIterator('cc', 'c', '', ''),
      /Queries on pvt data is supported only in a read-only transaction/,
    );
    s1.done();
    const s2 = await ledger.newTxSimulator('t2');
    await (await s2.getStateRangeScanIteratorWithPagination('cc', '', '', 2)).close();
    await assert.rejects(s2.setState('cc', 'k', utf8('v')), /already performed a paginated query/);
    s2.done();
    const s3 = await ledger.newTxSimulator('t3');
    await (await s3.getPrivateDataRangeScanIterator('cc', 'c', '', '')).close();
    await assert.rejects(
      s3.setPrivateData('cc', 'c', 'k', utf8('v')),
      /already performed queries on pvt data/,
    );
    s3.done();
  });

  it('pages range scans with bookmarks and caps them at min(pageSize, totalQueryLimit)', async () => {
    await open({ totalQueryLimit: 3 });
    await commitWrites({ a: '1', b: '2', c: '3', d: '4', e: '5' });
    const qe = await ledger.newQueryExecutor();
    try {
      const p1 = await qe.getStateByRangeWithPagination('cc', '', '', 2, '');
      assert.deepEqual(
        p1.results.map((r) => r.key),
        ['a', 'b'],
      );
      assert.deepEqual(p1.metadata, { fetchedRecordsCount: 2, bookmark: 'c' });
      const p2 = await qe.getStateByRangeWithPagination('cc', '', '', 2, p1.metadata.bookmark);
      assert.deepEqual(
        p2.results.map((r) => r.key),
        ['c', 'd'],
      );
      const p3 = await qe.getStateByRangeWithPagination('cc', '', '', 2, p2.metadata.bookmark);
      assert.deepEqual(p3.metadata, { fetchedRecordsCount: 1, bookmark: '' });
      const big = await qe.getStateByRangeWithPagination('cc', '', '', 10, '');
      assert.deepEqual(
        big.results.map((r) => r.key),
        ['a', 'b', 'c'],
      );
      assert.equal(big.metadata.bookmark, 'd');
    } finally {
      qe.done();
    }
    assert.equal(totalReturnLimit(100000, 0), 100000);
    assert.equal(totalReturnLimit(100000, 25), 25);
  });

  it('records a paginated range query with the page as its range', async () => {
    await open();
    await commitWrites({ a: '1', b: '2', c: '3' });
    const sim = await ledger.newTxSimulator('t');
    const itr = await sim.getStateRangeScanIteratorWithPagination('cc', 'a', '', 2);
    for await (const _ of itr) void _;
    // LevelDB's bookmark: the key after the page.
    assert.equal(await itr.getBookmarkAndClose(), 'c');
    const rqi = decodeTxRwSet((await sim.getTxSimulationResults()).publicRwset).nsRwSets[0]!.kvRwSet
      .rangeQueriesInfo[0]!;
    sim.done();
    assert.deepEqual(
      [rqi.startKey, rqi.endKey, rqi.itrExhausted, rqi.rawReads?.map((r) => r.key)],
      ['a', '', true, ['a', 'b']],
    );
  });

  it('records each rich query result as a read (no range info) and refuses rich queries on LevelDB-like databases', async () => {
    await open();
    await commitWrites({ 'p:1': 'x', 'p:2': 'y', 'q:1': 'z' });
    const sim = await ledger.newTxSimulator('t');
    await assert.rejects(sim.executeQuery('cc', 'p:'), code('QUERY_NOT_SUPPORTED'));
    sim.done();
    await ledger.close();
    ledger = await env.open({ wrapState: withRichQueries });
    chain = ChainBuilder.after(
      (await ledger.getBlockByNumber(Number(ledger.getBlockchainInfo().height) - 1))!,
    );
    const sim2 = await ledger.newTxSimulator('t2');
    const keys: string[] = [];
    for await (const kv of await sim2.executeQuery('cc', 'p:')) keys.push(kv.key);
    assert.deepEqual(keys, ['p:1', 'p:2']);
    const kv = decodeTxRwSet((await sim2.getTxSimulationResults()).publicRwset).nsRwSets[0]!
      .kvRwSet;
    sim2.done();
    assert.deepEqual(
      kv.reads.map((r) => r.key),
      ['p:1', 'p:2'],
    );
    assert.equal(kv.rangeQueriesInfo.length, 0);
  });

  it('refuses keys the database refuses, at simulation (CouchDB rules)', async () => {
    await env.dispose();
    env = ledgerEnv({ rules: 'couchdb' });
    await open();
    const sim = await ledger.newTxSimulator('t');
    await assert.rejects(sim.setState('cc', '_bad', utf8('{}')), code('INVALID_KEY_VALUE'));
    await assert.rejects(sim.setState('cc', '\ud800', utf8('{}')), code('INVALID_KEY_VALUE'));
    sim.done();
  });

  it('records private reads as hashed reads and checks collection names through the provider', async () => {
    const lookups: string[] = [];
    const collections: CollectionConfigProvider = {
      async allCollectionsConfigPkg(channelId, ns, qe) {
        lookups.push(`${channelId}/${ns}`);
        await qe.getState('_lifecycle', `namespaces/fields/${ns}/Collections`);
        if (ns === 'nocolls') return undefined;
        return protos.CollectionConfigPackage.create({
          config: [{ staticCollectionConfig: { name: 'coll' } }],
        });
      },
    };
    await open({ collections });
    const sim = await ledger.newTxSimulator('t');
    await sim.setPrivateData('cc', 'coll', 'k', utf8('v'));
    assert.equal(await sim.getPrivateData('cc', 'coll', 'other'), undefined);
    await assert.rejects(
      sim.getPrivateData('cc', 'nope', 'k'),
      /collection \[nope\] not defined in the collection config for chaincode \[cc\]/,
    );
    await assert.rejects(
      sim.setPrivateData('nocolls', 'coll', 'k', utf8('v')),
      code('COLLECTION_CONFIG_NOT_DEFINED'),
    );
    await assert.rejects(
      sim.getPrivateDataMetadataByHash('cc', 'coll', sha('k')),
      code('SIMULATION_UNSUPPORTED'),
    );
    const r = await sim.getTxSimulationResults();
    sim.done();
    assert.deepEqual(lookups, ['testchannel/cc', 'testchannel/nocolls']);
    const tx = decodeTxRwSet(r.publicRwset);
    // The lookup's reads of _lifecycle are in the read set, as in Fabric.
    assert.deepEqual(
      tx.nsRwSets.map((n) => n.namespace),
      ['_lifecycle', 'cc'],
    );
    const coll = tx.nsRwSets[1]!.collHashedRwSets[0]!;
    assert.equal(coll.hashedRwSet.hashedReads.length, 1);
    assert.equal(
      Buffer.from(coll.hashedRwSet.hashedReads[0]!.keyHash).toString('hex'),
      Buffer.from(sha('other')).toString('hex'),
    );
    assert.equal(coll.hashedRwSet.hashedReads[0]!.version, undefined);
    assert.equal(
      Buffer.from(coll.hashedRwSet.hashedWrites[0]!.keyHash).toString('hex'),
      Buffer.from(sha('k')).toString('hex'),
    );
    assert.deepEqual([...r.privateReads.get('cc')!], ['coll']);
    const pvt = decodeTxPvtRwSet(r.privateRwset!);
    assert.equal(text(pvt.nsPvtRwSets[0]!.collPvtRwSets[0]!.kvRwSet.writes[0]!.value), 'v');
  });

  it('holds commits back until open simulators are done', async () => {
    await open();
    const sim = await ledger.newTxSimulator('long');
    await sim.getState('cc', 'k');
    const other = await ledger.newTxSimulator('w');
    await other.setState('cc', 'k', utf8('v'));
    const r = await other.getTxSimulationResults();
    other.done();
    let committed = false;
    const commit = ledger.commit(chain.block([endorserTx(r.publicRwset)])).then(() => {
      committed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(committed, false, 'the state commit waits for the open simulator');
    assert.equal(
      await sim.getState('cc', 'k'),
      undefined,
      'the simulator still sees the state it started with',
    );
    sim.done();
    await commit;
    assert.equal(committed, true);
  });

  it('serves history through the executor, and says when the history database is disabled', async () => {
    await open();
    await commitWrites({ h: '1' });
    const qe = await ledger.newQueryExecutor();
    const mods = [];
    for await (const m of await qe.getHistoryForKey('cc', 'h')) mods.push(text(m.value));
    qe.done();
    assert.deepEqual(mods, ['1']);
    await env.dispose();
    env = ledgerEnv({ history: false });
    await open();
    assert.equal(ledger.newHistoryQueryExecutor(), undefined);
    const qe2 = await ledger.newQueryExecutor();
    await assert.rejects(qe2.getHistoryForKey('cc', 'h'), code('HISTORY_DISABLED'));
    qe2.done();
  });

  it('records private data hashes read with getPrivateDataHash without needing the value', async () => {
    await open();
    const w = await ledger.newTxSimulator('w');
    await w.setPrivateData('cc', 'coll', 'k', utf8('v'));
    const r = await w.getTxSimulationResults();
    w.done();
    // Committed without its private data (a peer outside the collection).
    const res = await ledger.commit(chain.block([endorserTx(r.publicRwset)]));
    const sim: TxSimulator = await ledger.newTxSimulator('r');
    assert.deepEqual(await sim.getPrivateDataHash('cc', 'coll', 'k'), sha('v'));
    await assert.rejects(
      sim.getPrivateData('cc', 'coll', 'k'),
      /private data matching public hash version is not available/,
    );
    const tx = decodeTxRwSet((await sim.getTxSimulationResults()).publicRwset);
    sim.done();
    assert.deepEqual(tx.nsRwSets[0]!.collHashedRwSets[0]!.hashedRwSet.hashedReads[0]!.version, {
      blockNum: BigInt(res.blockNumber),
      txNum: 0n,
    });
  });
});
