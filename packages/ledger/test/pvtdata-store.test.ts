// The private data store: on its own (keys, grouping, filter, truncation, channels apart), and in
// the kvledger — kept per block with the commit, only what the block's hashes vouch for, served
// for committed blocks only, kept across a reopen, cleared when a crash or a refused append left
// it ahead of the block store, and replayed into the private state when state is recovered.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { kvrwset, protos, rwset, type common } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import {
  fileBlockStoreFactory,
  openLedgerManager,
  openPvtDataStoreProvider,
  type BlockStore,
  type KvLedger,
  type LedgerError,
  type PvtDataStoreProvider,
  type TxPvtData,
  type TxSimulator,
} from '../src/index.js';
import {
  ChainBuilder,
  TEST_CHANNEL,
  configTx,
  endorserTx,
  text,
  utf8,
} from '../test-support/blocks.js';
import {
  delegatingDb,
  ledgerEnv,
  simulate as simulateOn,
  type LedgerEnv,
} from '../test-support/ledger-env.js';
import { IdStore, LedgerStatus } from '../src/manager/id-store.js';
import { tempDir } from '../test-support/paths.js';

const V = protos.TxValidationCode;
const code = (c: string) => (e: LedgerError) => e.code === c;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A KVRWSet's bytes with one write (what a collection's private write set holds). */
function kvWrite(key: string, value: string): Uint8Array {
  return kvrwset.KVRWSet.encode({ writes: [{ key, value: utf8(value) }] }).finish();
}

/** `[seq, ns/coll, ...]` of stored data, for comparisons. */
function shape(data: readonly TxPvtData[]): string[] {
  return data.map(
    (d) =>
      `${d.seqInBlock}:` +
      d.writeSet.nsPvtRwset
        .map(
          (ns) =>
            `${ns.namespace}[${(ns.collectionPvtRwset ?? []).map((c) => c.collectionName).join(',')}]`,
        )
        .join(' '),
  );
}

describe('private data store', () => {
  let tmp: { dir: string; dispose(): void };
  let provider: PvtDataStoreProvider;

  beforeEach(async () => {
    tmp = tempDir('pvt');
    provider = await openPvtDataStoreProvider(join(tmp.dir, 'pvtdataStore'), { sync: false });
  });

  afterEach(async () => {
    await provider.close();
    tmp.dispose();
  });

  it('groups a block by transaction and namespace, filters, truncates, keeps channels apart', async () => {
    const a = provider.handle('a');
    const b = provider.handle('b');
    assert.equal(await a.lastBlockWithData(), undefined);
    await a.commit(3, [
      { txNum: 7, namespace: 'cc2', collection: 'c1', rwset: kvWrite('k7', 'v7') },
      { txNum: 0, namespace: 'cc', collection: 'z', rwset: kvWrite('k0z', 'v') },
      { txNum: 0, namespace: 'cc', collection: 'a', rwset: kvWrite('k0a', 'v') },
      { txNum: 0, namespace: 'cc2', collection: 'c1', rwset: kvWrite('k0', 'v') },
      // 256 needs two bytes in the ordered varint: still after 7.
      { txNum: 256, namespace: 'cc', collection: 'a', rwset: kvWrite('k256', 'v') },
    ]);
    await a.commit(4, []);
    await a.commit(5, [{ txNum: 1, namespace: 'cc', collection: 'a', rwset: kvWrite('x', 'y') }]);
    await b.commit(3, [{ txNum: 2, namespace: 'cc', collection: 'a', rwset: kvWrite('b', 'b') }]);

    const block3 = await a.getPvtDataByBlockNum(3);
    assert.deepEqual(shape(block3), ['0:cc[a,z] cc2[c1]', '7:cc2[c1]', '256:cc[a]']);
    const first = block3[0]!.writeSet.nsPvtRwset[0]!.collectionPvtRwset![0]!;
    assert.equal(hex(first.rwset!), hex(kvWrite('k0a', 'v')));
    assert.deepEqual(await a.getPvtDataByBlockNum(4), []);
    assert.deepEqual(shape(await a.getPvtDataByBlockNum(3, new Map([['cc2', new Set(['c1'])]]))), [
      '0:cc2[c1]',
      '7:cc2[c1]',
    ]);
    assert.deepEqual(shape(await b.getPvtDataByBlockNum(3)), ['2:cc[a]']);
    assert.equal(await a.lastBlockWithData(), 5);

    await a.truncate(4);
    assert.equal(await a.lastBlockWithData(), 3);
    assert.deepEqual(await a.getPvtDataByBlockNum(5), []);
    assert.equal((await a.getPvtDataByBlockNum(3)).length, 3);
    await provider.drop('a');
    assert.equal(await a.lastBlockWithData(), undefined);
    assert.equal(await b.lastBlockWithData(), 3, 'another channel is untouched');
  });
});

describe('private data in the kvledger', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  let chain: ChainBuilder;

  beforeEach(async () => {
    env = ledgerEnv();
    ledger = await env.open();
    chain = new ChainBuilder();
    await ledger.commit(chain.block([configTx()]));
  });

  afterEach(async () => {
    await env.dispose();
  });

  const simulate = (fn: (sim: TxSimulator) => Promise<void>) => simulateOn(ledger, fn);

  async function privateValue(ns: string, coll: string, key: string): Promise<string | undefined> {
    const qe = await ledger.newQueryExecutor();
    try {
      return text(await qe.getPrivateData(ns, coll, key));
    } finally {
      qe.done();
    }
  }

  const reencoded = (d: TxPvtData): string =>
    hex(rwset.TxPvtReadWriteSet.encode(d.writeSet).finish());

  it('keeps the private write sets a block commits, as the transactions produced them', async () => {
    const t0 = await simulate(async (sim) => {
      await sim.setPrivateData('cc', 'coll', 'secret', utf8('s3cret'));
      await sim.setPrivateData('cc', 'other', 'o', utf8('1'));
      await sim.setPrivateData('cc2', 'coll', 'x', utf8('2'));
    });
    const t1 = await simulate((sim) => sim.setState('cc', 'public', utf8('p')));
    const t2 = await simulate((sim) => sim.deletePrivateData('cc', 'coll', 'gone'));
    const r = await ledger.commit(
      chain.block([endorserTx(t0.pub), endorserTx(t1.pub), endorserTx(t2.pub)]),
      {
        pvtData: new Map([
          [0, t0.pvt!],
          [2, t2.pvt!],
        ]),
      },
    );
    assert.deepEqual([...r.validationCodes], [V.VALID, V.VALID, V.VALID]);
    const kept = await ledger.getPvtDataByNum(1);
    assert.deepEqual(shape(kept), ['0:cc[coll,other] cc2[coll]', '2:cc[coll]']);
    // Byte for byte what the simulator produced.
    assert.equal(reencoded(kept[0]!), hex(t0.pvt!));
    assert.equal(reencoded(kept[1]!), hex(t2.pvt!));
    assert.deepEqual(
      shape(await ledger.getPvtDataByNum(1, new Map([['cc', new Set(['other'])]]))),
      ['0:cc[other]'],
    );
    assert.deepEqual(await ledger.getPvtDataByNum(0), [], 'a block without private data');
    assert.equal(await privateValue('cc', 'coll', 'secret'), 's3cret');
  });

  it('keeps an MVCC-invalid transaction’s data, and nothing the block’s hashes do not vouch for', async () => {
    const base = await simulate((sim) => sim.setState('cc', 'k', utf8('0')));
    await ledger.commit(chain.block([endorserTx(base.pub)]));
    const conflicting = async (value: string) =>
      simulate(async (sim) => {
        await sim.getState('cc', 'k');
        await sim.setState('cc', 'k', utf8(value));
        await sim.setPrivateData('cc', 'coll', 'p', utf8(value));
      });
    const first = await conflicting('a');
    const second = await conflicting('b');
    const stranger = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'q', utf8('s')));
    const noHash = await simulate((sim) => sim.setState('cc', 'plain', utf8('1')));
    const r = await ledger.commit(
      chain.block([
        endorserTx(first.pub),
        endorserTx(second.pub),
        endorserTx(noHash.pub),
        endorserTx(stranger.pub),
      ]),
      {
        pvtData: new Map([
          [0, first.pvt!],
          [1, second.pvt!],
          // Private data for a transaction that names no collection, and for one beyond the block.
          [2, stranger.pvt!],
          [9, stranger.pvt!],
        ]),
      },
    );
    assert.deepEqual([...r.validationCodes], [V.VALID, V.MVCC_READ_CONFLICT, V.VALID, V.VALID]);
    const kept = await ledger.getPvtDataByNum(2);
    assert.deepEqual(shape(kept), ['0:cc[coll]', '1:cc[coll]']);
    assert.equal(reencoded(kept[1]!), hex(second.pvt!));
    // The private state has the valid transaction's value only.
    assert.equal(await privateValue('cc', 'coll', 'p'), 'a');
  });

  it('serves committed blocks only', async () => {
    await assert.rejects(
      ledger.getPvtDataByNum(1),
      (e: LedgerError) =>
        e.code === 'BLOCK_NOT_COMMITTED' &&
        /last committed block number \[0\] smaller than the requested block number \[1\]/.test(
          e.message,
        ),
    );
    await assert.rejects(ledger.getPvtDataByNum(-1), code('BLOCK_NOT_COMMITTED'));
    await assert.rejects(ledger.getPvtDataByNum(0.5), code('BLOCK_NOT_COMMITTED'));
  });

  it('keeps the data across a reopen', async () => {
    const t = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v')));
    await ledger.commit(chain.block([endorserTx(t.pub)]), { pvtData: new Map([[0, t.pvt!]]) });
    await env.closeAll();
    ledger = await env.open();
    assert.equal(reencoded((await ledger.getPvtDataByNum(1))[0]!), hex(t.pvt!));
    assert.equal(await privateValue('cc', 'coll', 'k'), 'v');
  });

  it('clears data a crash left ahead of the block store, on open', async () => {
    // The process "dies" between the private data write and the block append.
    const dying = (store: BlockStore): BlockStore =>
      new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'addBlock') return () => Promise.reject(new Error('killed'));
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    await env.closeAll();
    ledger = await env.open({ wrapBlockStore: dying });
    const t = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v')));
    const block1 = chain.block([endorserTx(t.pub)]);
    await assert.rejects(ledger.commit(block1, { pvtData: new Map([[0, t.pvt!]]) }), /killed/);
    assert.equal(
      await env.pvtProvider()!.handle(TEST_CHANNEL).lastBlockWithData(),
      1,
      'written ahead of the block store',
    );
    await env.closeAll();

    ledger = await env.open();
    assert.equal(Number(ledger.getBlockchainInfo().height), 1);
    assert.equal(await env.pvtProvider()!.handle(TEST_CHANNEL).lastBlockWithData(), undefined);
    // The block arrives again, this time without its private data: nothing stale remains.
    await ledger.commit(block1);
    assert.deepEqual(await ledger.getPvtDataByNum(1), []);
    // Only the hash was committed: the value is not available on this peer.
    await assert.rejects(privateValue('cc', 'coll', 'k'), code('PRIVATE_DATA_NOT_AVAILABLE'));
  });

  it('clears data of a block the block store refused before the block is written again', async () => {
    let refuse = true;
    const refusing = (store: BlockStore): BlockStore =>
      new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'addBlock') {
            return (b: common.IBlock) =>
              refuse ? Promise.reject(new Error('disk full')) : target.addBlock(b);
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    await env.closeAll();
    ledger = await env.open({ wrapBlockStore: refusing });
    const t = await simulate(async (sim) => {
      await sim.setPrivateData('cc', 'coll', 'k', utf8('v'));
      await sim.setPrivateData('cc', 'coll2', 'k', utf8('v'));
    });
    const block1 = chain.block([endorserTx(t.pub)]);
    await assert.rejects(ledger.commit(block1, { pvtData: new Map([[0, t.pvt!]]) }), /disk full/);
    // Not served: the block store does not have the block.
    await assert.rejects(ledger.getPvtDataByNum(1), code('BLOCK_NOT_COMMITTED'));
    refuse = false;
    // Again, with the private data of one collection only.
    const one = rwset.TxPvtReadWriteSet.decode(t.pvt!);
    one.nsPvtRwset[0]!.collectionPvtRwset = one.nsPvtRwset[0]!.collectionPvtRwset!.slice(0, 1);
    await ledger.commit(block1, {
      pvtData: new Map([[0, rwset.TxPvtReadWriteSet.encode(one).finish()]]),
    });
    assert.deepEqual(shape(await ledger.getPvtDataByNum(1)), ['0:cc[coll]']);
  });

  it('replays private values from the store when state is recovered from the block store', async () => {
    // "Crash": the state database loses the writes of block 1 and 2.
    let lose = false;
    const lossy = (db: VersionedDB) =>
      delegatingDb(db, {
        applyUpdates: (u, sp) => (lose ? Promise.resolve() : db.applyUpdates(u, sp)),
      });
    await env.closeAll();
    ledger = await env.open({ wrapState: lossy });
    const t1 = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v1')));
    const t2 = await simulate(async (sim) => {
      await sim.setPrivateData('cc', 'coll', 'k2', utf8('v2'));
      await sim.setState('cc', 'pub', utf8('p'));
    });
    lose = true;
    await ledger.commit(chain.block([endorserTx(t1.pub)]), { pvtData: new Map([[0, t1.pvt!]]) });
    await ledger.commit(chain.block([endorserTx(t2.pub)]), { pvtData: new Map([[0, t2.pvt!]]) });
    assert.equal(await privateValue('cc', 'coll', 'k'), undefined);
    await env.closeAll();
    lose = false;

    ledger = await env.open();
    assert.equal(await privateValue('cc', 'coll', 'k'), 'v1');
    assert.equal(await privateValue('cc', 'coll', 'k2'), 'v2');
    const qe = await ledger.newQueryExecutor();
    try {
      assert.equal(text(await qe.getState('cc', 'pub')), 'p');
    } finally {
      qe.done();
    }
  });
});

describe('private data in the ledger manager', () => {
  it('keeps pvtdataStore/ beside the other databases and drops a half-created ledger’s data', async () => {
    const tmp = tempDir('pvt-mgr');
    const provider = memoryStateDatabaseProvider();
    const open = () =>
      openLedgerManager({
        fileSystemPath: tmp.dir,
        stateDatabaseProvider: provider,
        blockStores: fileBlockStoreFactory({ sync: false }),
        syncPvtDataStore: false,
      });
    try {
      let manager = await open();
      const chain = new ChainBuilder();
      let ledger = await manager.createFromGenesisBlock(chain.block([configTx()]));
      const sim = await ledger.newTxSimulator('t');
      await sim.setPrivateData('cc', 'coll', 'k', utf8('v'));
      const r = await sim.getTxSimulationResults();
      sim.done();
      await ledger.commit(chain.block([endorserTx(r.publicRwset)]), {
        pvtData: new Map([[0, r.privateRwset!]]),
      });
      await manager.close();

      manager = await open();
      ledger = await manager.open(TEST_CHANNEL);
      assert.equal(
        hex(
          rwset.TxPvtReadWriteSet.encode((await ledger.getPvtDataByNum(1))[0]!.writeSet).finish(),
        ),
        hex(r.privateRwset!),
      );
      await manager.close();

      // A ledger whose creation never finished is removed with its private data.
      const raw = await openPvtDataStoreProvider(join(tmp.dir, 'ledgersData', 'pvtdataStore'));
      await raw
        .handle('half')
        .commit(0, [{ txNum: 0, namespace: 'cc', collection: 'c', rwset: kvWrite('k', 'v') }]);
      await raw.close();
      const ids = await IdStore.open(join(tmp.dir, 'ledgersData', 'ledgerProvider'));
      await ids.create('half', LedgerStatus.UNDER_CONSTRUCTION);
      await ids.close();
      manager = await open();
      await manager.close();
      const after = await openPvtDataStoreProvider(join(tmp.dir, 'ledgersData', 'pvtdataStore'));
      try {
        assert.equal(await after.handle('half').lastBlockWithData(), undefined);
        assert.equal(await after.handle(TEST_CHANNEL).lastBlockWithData(), 1);
      } finally {
        await after.close();
      }
    } finally {
      await provider.close();
      tmp.dispose();
    }
  });
});
