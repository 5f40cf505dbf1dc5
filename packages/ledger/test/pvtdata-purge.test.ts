// App-initiated purge of private data (Fabric v2.5 PurgePrivateData) in the ledger: the purged key
// leaves the private state and its hash; every write of it stored at the purge's height or before
// is no longer served and is removed from the stored write sets (other keys' writes stay); a peer
// that did not get the purging transaction's private write set still deletes its copy, found by
// the key's hash; a write after the purge is served again; and state rebuilt from the blocks, with
// the trimmed write sets, ends the same.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { memoryStateDatabaseProvider, MemoryStateStore } from '@fabric-peer/statedb-testkit';
import { kvrwset } from '@fabric-peer/protos';
import { type KvLedger, type TxPvtData, type TxSimulator } from '../src/index.js';
import { ChainBuilder, configTx, text, utf8 } from '../test-support/blocks.js';
import {
  commitSimulated,
  openPvtDataLedger,
  privateState,
  reopenableManager,
  type LedgerEnv,
} from '../test-support/ledger-env.js';
import { tempDir } from '../test-support/paths.js';
import { sha256String } from '../src/txmgmt/hashing.js';

/** `key=value` of the writes each transaction's `coll` write set makes (`key=` for a delete). */
function writes(data: readonly TxPvtData[]): string[][] {
  return data.map((d) =>
    d.writeSet.nsPvtRwset.flatMap((ns) =>
      (ns.collectionPvtRwset ?? []).flatMap((c) =>
        kvrwset.KVRWSet.decode(c.rwset!).writes.map(
          (w) => `${w.key}=${w.isDelete ? '' : text(w.value ?? undefined)}`,
        ),
      ),
    ),
  );
}

describe('app-initiated purge of private data', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  let chain: ChainBuilder;
  let stateDb: VersionedDB;

  const commitTx = (fn: (sim: TxSimulator) => Promise<void>, withoutPvt = false) =>
    commitSimulated(ledger, chain, fn, withoutPvt);

  /** The private value and whether the hash is in state, read from the database itself. */
  async function stored(key: string): Promise<{ value: string | undefined; hash: boolean }> {
    const hashKey = Buffer.from(sha256String(key)).toString('latin1');
    return {
      value: text((await stateDb.getState('cc$$pcoll', key))?.value),
      hash: (await stateDb.getState('cc$$hcoll', hashKey)) !== undefined,
    };
  }

  beforeEach(async () => {
    ({ env, ledger, chain, stateDb } = await openPvtDataLedger());
  });

  afterEach(async () => {
    await env.dispose();
  });

  it('removes the key from state and from every stored write set up to the purge', async () => {
    await commitTx(async (sim) => {
      await sim.setPrivateData('cc', 'coll', 'k', utf8('v1'));
      await sim.setPrivateData('cc', 'coll', 'other', utf8('x'));
    });
    await commitTx((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v2')));
    assert.deepEqual(writes(await ledger.getPvtDataByNum(1)), [['k=v1', 'other=x']]);
    const purge = await commitTx((sim) => sim.purgePrivateData('cc', 'coll', 'k'));
    assert.equal(purge, 3);

    assert.deepEqual(await stored('k'), { value: undefined, hash: false });
    assert.deepEqual(await stored('other'), { value: 'x', hash: true });
    assert.deepEqual(writes(await ledger.getPvtDataByNum(1)), [['other=x']]);
    assert.deepEqual(writes(await ledger.getPvtDataByNum(2)), [[]]);
    assert.deepEqual(writes(await ledger.getPvtDataByNum(3)), [[]], "the purge's own delete too");
    // Removed from the store itself, and the key can no longer be found from its hash.
    const store = env.pvtProvider()!.handle(ledger.channelId);
    assert.deepEqual(writes(await store.getPvtDataByBlockNum(1)), [['other=x']]);
    assert.equal(await store.rawKey('cc', 'coll', sha256String('k')), undefined);
    assert.equal(await store.rawKey('cc', 'coll', sha256String('other')), 'other');
    assert.deepEqual(await store.purgeMarked(), [], 'the marker was processed with the commit');

    // Written again after the purge: kept and served.
    await commitTx((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v4')));
    assert.deepEqual(await stored('k'), { value: 'v4', hash: true });
    assert.deepEqual(writes(await ledger.getPvtDataByNum(4)), [['k=v4']]);
    assert.deepEqual(writes(await ledger.getPvtDataByNum(1)), [['other=x']]);
  });

  it('a peer without the purging transaction’s private data still deletes its copy', async () => {
    await commitTx((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('mine')));
    await commitTx((sim) => sim.purgePrivateData('cc', 'coll', 'k'), true);
    assert.deepEqual(await stored('k'), { value: undefined, hash: false });
    assert.deepEqual(writes(await ledger.getPvtDataByNum(1)), [[]]);
  });

  it('with a purge interval, removes at the next multiple, logs each write, serves none meanwhile', async () => {
    await ledger.close();
    const logged: Record<string, unknown>[] = [];
    const logger = {
      debug: () => undefined,
      info: (msg: string, fields?: Record<string, unknown>) => {
        if (msg.startsWith('Purged private data')) logged.push(fields ?? {});
      },
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    ledger = await env.open({
      wrapState: (db) => (stateDb = db),
      pvtDataPurgeInterval: 3,
      logger,
    });
    chain = ChainBuilder.after((await ledger.getBlockByNumber(0))!);
    await commitTx((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v1'))); // 1
    await commitTx((sim) => sim.purgePrivateData('cc', 'coll', 'k')); // 2
    const store = env.pvtProvider()!.handle(ledger.channelId);
    assert.deepEqual(writes(await ledger.getPvtDataByNum(1)), [[]], 'not served');
    assert.equal(await store.rawKey('cc', 'coll', sha256String('k')), 'k', 'still stored');
    assert.equal(logged.length, 0);
    await commitTx((sim) => sim.setState('cc', 'tick', utf8('1'))); // 3: 3 % 3 = 0
    assert.equal(await store.rawKey('cc', 'coll', sha256String('k')), undefined);
    assert.deepEqual(
      logged.map((f) => [f.chaincode, f.collection, f.keyHash, f.block, f.tx]),
      [
        ['cc', 'coll', Buffer.from(sha256String('k')).toString('hex'), 1, 0],
        ['cc', 'coll', Buffer.from(sha256String('k')).toString('hex'), 2, 0],
      ],
    );
  });

  it('serves nothing purged even before the store has processed its markers', async () => {
    await commitTx((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v1')));
    // The marker alone, as the commit writes it before the store processes it.
    await env
      .pvtProvider()!
      .handle(ledger.channelId)
      .commit(
        2,
        [],
        [{ namespace: 'cc', collection: 'coll', keyHash: sha256String('k'), txNum: 0 }],
      );
    assert.deepEqual(writes(await ledger.getPvtDataByNum(1)), [[]]);
  });
});

describe('purged data and rebuilt databases', () => {
  it('a rebuild from the blocks with trimmed write sets keeps the other keys', async () => {
    const tmp = tempDir('purge');
    const provider = memoryStateDatabaseProvider({ store: new MemoryStateStore() });
    const open = reopenableManager(tmp.dir, provider);
    try {
      let manager = await open();
      const chain = new ChainBuilder();
      let ledger = await manager.createFromGenesisBlock(chain.block([configTx()]));
      const commit = (fn: (sim: TxSimulator) => Promise<void>) =>
        commitSimulated(ledger, chain, fn);
      const read = (key: string) => privateState(ledger, 'coll', key);
      await commit(async (sim) => {
        await sim.setPrivateData('cc', 'coll', 'k', utf8('secret'));
        await sim.setPrivateData('cc', 'coll', 'other', utf8('kept'));
      });
      await commit((sim) => sim.purgePrivateData('cc', 'coll', 'k'));
      const before = { k: await read('k'), other: await read('other') };
      assert.deepEqual(before, {
        k: { value: undefined, hash: false },
        other: { value: 'kept', hash: true },
      });
      await manager.close();
      manager = await open();
      await manager.rebuildDatabases();
      ledger = await manager.open(ledger.channelId);
      assert.deepEqual({ k: await read('k'), other: await read('other') }, before);
      await manager.close();
    } finally {
      await provider.close();
      tmp.dispose();
    }
  });
});
