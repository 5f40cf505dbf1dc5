// Block-to-live of private data, as Fabric's purge manager and private data store apply it: data
// committed in block c of a collection with BTL b is readable through block c + b and gone (private
// value, hash, and the private data store's copy) once block c + b + 1 is committed; a key
// rewritten since lives on; a peer that missed the new private value drops its stale one while the
// new hash stays; BTL 0 never expires; a crash before the state commit and a rebuild of the state
// from the blocks end in the same state.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { kvrwset } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider, MemoryStateStore } from '@fabric-peer/statedb-testkit';
import {
  expiringBlock,
  openPvtDataStoreProvider,
  type BlockToLiveSource,
  type KvLedger,
  type TxPvtData,
  type TxSimulator,
} from '../src/index.js';
import { ChainBuilder, configTx, text, utf8 } from '../test-support/blocks.js';
import {
  commitSimulated,
  delegatingDb,
  openPvtDataLedger,
  privateState,
  reopenableManager,
  type LedgerEnv,
} from '../test-support/ledger-env.js';
import { tempDir } from '../test-support/paths.js';

/** `short` lives 2 blocks, `forever` has BTL 0; other collections are unknown. */
const BTL: Record<string, number> = { 'cc/short': 2, 'cc/forever': 0 };
const lookups: string[] = [];
const btlSource: BlockToLiveSource = {
  blockToLive(_channel, ns, coll) {
    lookups.push(`${ns}/${coll}`);
    return Promise.resolve(BTL[`${ns}/${coll}`]);
  },
};

/** `seq:coll,coll` of a block's served (or stored) private data. */
function collections(data: readonly TxPvtData[]): string[] {
  return data.map(
    (d) =>
      `${d.seqInBlock}:` +
      d.writeSet.nsPvtRwset
        .flatMap((ns) => (ns.collectionPvtRwset ?? []).map((c) => c.collectionName))
        .join(','),
  );
}

describe('block-to-live of private data', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  let chain: ChainBuilder;
  /** The state database under the ledger, to see a private value reads would refuse. */
  let stateDb: VersionedDB;

  async function storedPrivateValue(coll: string, key: string): Promise<string | undefined> {
    return text((await stateDb.getState(`cc$$p${coll}`, key))?.value);
  }

  /** Commits one transaction made by `fn`, with its private data unless `withoutPvt`. */
  const commitTx = (fn: (sim: TxSimulator) => Promise<void>, withoutPvt = false) =>
    commitSimulated(ledger, chain, fn, withoutPvt);

  const publicTx = (sim: TxSimulator) => sim.setState('cc', 'tick', utf8(String(Math.random())));

  beforeEach(async () => {
    lookups.length = 0;
    ({ env, ledger, chain, stateDb } = await openPvtDataLedger({ blockToLive: btlSource }));
  });

  afterEach(async () => {
    await env.dispose();
  });

  it('removes value, hash and stored copy at block c + BTL + 1; a rewrite lives on; BTL 0 stays', async () => {
    const c = await commitTx(async (sim) => {
      await sim.setPrivateData('cc', 'short', 'k1', utf8('v1'));
      await sim.setPrivateData('cc', 'short', 'k2', utf8('v2'));
      await sim.setPrivateData('cc', 'forever', 'k3', utf8('v3'));
    });
    assert.equal(c, 1);
    // Block 2 rewrites k2: it now expires at 2 + 2 + 1 = 5.
    await commitTx((sim) => sim.setPrivateData('cc', 'short', 'k2', utf8('v2b')));
    await commitTx(publicTx); // block 3 = c + BTL: everything still there
    assert.deepEqual(await privateState(ledger, 'short', 'k1'), { value: 'v1', hash: true });
    assert.deepEqual(collections(await ledger.getPvtDataByNum(c)), ['0:forever,short']);

    await commitTx(publicTx); // block 4 = c + BTL + 1
    assert.deepEqual(await privateState(ledger, 'short', 'k1'), { value: undefined, hash: false });
    assert.deepEqual(await privateState(ledger, 'short', 'k2'), { value: 'v2b', hash: true });
    assert.deepEqual(await privateState(ledger, 'forever', 'k3'), { value: 'v3', hash: true });
    assert.deepEqual(collections(await ledger.getPvtDataByNum(c)), ['0:forever']);
    // Gone from the store itself, not only from what is served.
    const stored = await env.pvtProvider()!.handle(ledger.channelId).getPvtDataByBlockNum(c);
    assert.deepEqual(collections(stored), ['0:forever']);
    assert.deepEqual(collections(await ledger.getPvtDataByNum(2)), ['0:short']);

    await commitTx(publicTx); // block 5: block 2's k2 expires
    assert.deepEqual(await privateState(ledger, 'short', 'k2'), { value: undefined, hash: false });
    assert.deepEqual(await ledger.getPvtDataByNum(2), []);
    assert.deepEqual(await privateState(ledger, 'forever', 'k3'), { value: 'v3', hash: true });
    // Each collection's BTL was read once (cached for the ledger's life, as Fabric).
    assert.deepEqual([...new Set(lookups)].sort(), ['cc/forever', 'cc/short']);
    assert.equal(lookups.filter((l) => l === 'cc/short').length, 1);
  });

  it('a key written again in the block where it expires is kept', async () => {
    const c = await commitTx((sim) => sim.setPrivateData('cc', 'short', 'k', utf8('old')));
    await commitTx(publicTx);
    await commitTx(publicTx);
    const expiring = await commitTx((sim) => sim.setPrivateData('cc', 'short', 'k', utf8('new')));
    assert.equal(expiring, c + 3);
    assert.deepEqual(await privateState(ledger, 'short', 'k'), { value: 'new', hash: true });
  });

  it('a peer that missed the new value drops its stale one and keeps the new hash', async () => {
    await commitTx((sim) => sim.setPrivateData('cc', 'short', 'k', utf8('mine')));
    // Block 2 rewrites k, but this peer gets only the hash (it is not given the private data).
    await commitTx((sim) => sim.setPrivateData('cc', 'short', 'k', utf8('theirs')), true);
    await commitTx(publicTx);
    assert.deepEqual(await privateState(ledger, 'short', 'k'), { value: '(stale)', hash: true });
    assert.equal(await storedPrivateValue('short', 'k'), 'mine');
    await commitTx(publicTx); // block 4: block 1's entry is due, the hash is block 2's
    assert.equal(await storedPrivateValue('short', 'k'), undefined);
    assert.deepEqual(await privateState(ledger, 'short', 'k'), { value: '(stale)', hash: true });
    await commitTx(publicTx); // block 5: block 2's hash expires
    assert.deepEqual(await privateState(ledger, 'short', 'k'), { value: undefined, hash: false });
  });

  it('data of an unknown collection is kept, with one warning', async () => {
    await commitTx((sim) => sim.setPrivateData('cc', 'unknown', 'k', utf8('v')));
    for (let i = 0; i < 4; i++) await commitTx(publicTx);
    assert.deepEqual(await privateState(ledger, 'unknown', 'k'), { value: 'v', hash: true });
    assert.deepEqual(collections(await ledger.getPvtDataByNum(1)), ['0:unknown']);
  });

  it('a state commit that fails is replayed with its expiry', async () => {
    await commitTx((sim) => sim.setPrivateData('cc', 'short', 'k', utf8('v')));
    await commitTx(publicTx);
    await commitTx(publicTx);
    await ledger.close();
    let fail = true;
    ledger = await env.open({
      wrapState: (db: VersionedDB) =>
        delegatingDb(db, {
          applyUpdates: (u, sp) => {
            if (fail) {
              fail = false;
              return Promise.reject(new Error('disk full'));
            }
            return db.applyUpdates(u, sp);
          },
        }),
    });
    chain = ChainBuilder.after((await ledger.getBlockByNumber(3))!);
    // Block 4 is stored but its state commit fails; the next commit replays it, expiry included.
    await assert.rejects(commitTx(publicTx), /disk full/);
    assert.deepEqual(await privateState(ledger, 'short', 'k'), { value: 'v', hash: true });
    await commitTx(publicTx);
    assert.deepEqual(await privateState(ledger, 'short', 'k'), { value: undefined, hash: false });
  });
});

describe('block-to-live through the ledger manager', () => {
  it('rebuilt databases expire the same data; an open reads the schedule it kept', async () => {
    const tmp = tempDir('btl');
    const store = new MemoryStateStore();
    const provider = memoryStateDatabaseProvider({ store });
    const open = reopenableManager(tmp.dir, provider, { blockToLive: btlSource });
    try {
      let manager = await open();
      const chain = new ChainBuilder();
      let ledger = await manager.createFromGenesisBlock(chain.block([configTx()]));
      const commit = (fn: (sim: TxSimulator) => Promise<void>) =>
        commitSimulated(ledger, chain, fn);
      await commit((sim) => sim.setPrivateData('cc', 'short', 'a', utf8('1'))); // 1, expires at 4
      await commit((sim) => sim.setPrivateData('cc', 'short', 'b', utf8('2'))); // 2, expires at 5
      await commit((sim) => sim.setPrivateData('cc', 'forever', 'c', utf8('3')));
      // A restart between the write and its expiry: the schedule is on disk.
      await manager.close();
      manager = await open();
      ledger = await manager.open(ledger.channelId);
      await commit((sim) => sim.setState('cc', 'x', utf8('4'))); // block 4
      assert.deepEqual(await privateState(ledger, 'short', 'a'), { value: undefined, hash: false });
      assert.deepEqual(await privateState(ledger, 'short', 'b'), { value: '2', hash: true });
      const before = {
        a: await privateState(ledger, 'short', 'a'),
        b: await privateState(ledger, 'short', 'b'),
        c: await privateState(ledger, 'forever', 'c'),
      };
      await manager.close();

      manager = await open();
      await manager.rebuildDatabases();
      ledger = await manager.open(ledger.channelId); // replays blocks 0..4 with their expiry
      assert.deepEqual(
        {
          a: await privateState(ledger, 'short', 'a'),
          b: await privateState(ledger, 'short', 'b'),
          c: await privateState(ledger, 'forever', 'c'),
        },
        before,
      );
      await commit((sim) => sim.setState('cc', 'x', utf8('5'))); // block 5: b expires
      assert.deepEqual(await privateState(ledger, 'short', 'b'), { value: undefined, hash: false });
      assert.deepEqual(await privateState(ledger, 'forever', 'c'), { value: '3', hash: true });
      await manager.close();
    } finally {
      await provider.close();
      tmp.dispose();
    }
  });
});

describe("Fabric's expiring block", () => {
  it('is c + BTL + 1; BTL 0 and a block past 2^53 (Fabric: uint64 overflow) never come', () => {
    assert.equal(expiringBlock(5, 2), 8);
    assert.equal(expiringBlock(0, 1), 2);
    assert.equal(expiringBlock(5, 0), undefined);
    assert.equal(expiringBlock(5, 2 ** 60), undefined);
  });
});

describe('private data store expiry entries', () => {
  it('purges what is due, and a truncated block leaves no entry behind', async () => {
    const tmp = tempDir('pvt-expiry');
    const provider = await openPvtDataStoreProvider(`${tmp.dir}/pvtdataStore`, { sync: false });
    try {
      const store = provider.handle('ch');
      const rw = kvrwset.KVRWSet.encode({ writes: [{ key: 'k', value: utf8('v') }] }).finish();
      await store.commit(3, [
        { txNum: 0, namespace: 'cc', collection: 'short', rwset: rw, expiringBlock: 6 },
        { txNum: 1, namespace: 'cc', collection: 'forever', rwset: rw },
      ]);
      await store.commit(4, [
        { txNum: 0, namespace: 'cc', collection: 'short', rwset: rw, expiringBlock: 7 },
      ]);
      // Block 4 is written again (after a refused append) and its collection no longer expires.
      await store.truncate(4);
      await store.commit(4, [{ txNum: 0, namespace: 'cc', collection: 'short', rwset: rw }]);
      assert.equal(await store.purgeExpired(5), 0);
      assert.equal(await store.purgeExpired(7), 1);
      assert.deepEqual(collections(await store.getPvtDataByBlockNum(3)), ['1:forever']);
      assert.deepEqual(collections(await store.getPvtDataByBlockNum(4)), ['0:short']);
      assert.equal(await store.purgeExpired(100), 0, 'entries are removed with their data');
    } finally {
      await provider.close();
      tmp.dispose();
    }
  });
});
