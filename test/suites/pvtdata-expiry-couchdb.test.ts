/**
 * Block-to-live on CouchDB (a real pouchdb-server): the ledger over the CouchDB state database
 * expires private data as over LevelDB. CouchDB keys hashes in base64 and answers the expiry
 * check from the versions it loaded in bulk (the committer's preload of each block first), so
 * the same scenario as the ledger's unit suite runs here: a value and its hash go at block
 * c + BTL + 1, a peer that missed the rewrite of a key drops only its stale private value, BTL 0
 * stays, and rebuilt databases (recommitted from the blocks) hold the same state.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  openLedgerManager,
  type BlockToLiveSource,
  type KvLedger,
  type LedgerManager,
  type TxSimulator,
} from '@fabric-peer/ledger';
import { privateState as ledgerPrivateState } from '@fabric-peer/ledger/test-support';
import { CouchDbStateProvider } from '@fabric-peer/statedb-couchdb';
import { couchConfig } from '@fabric-peer/statedb-couchdb/test-support';
import {
  ChainBuilder,
  configTx,
  endorserTx,
  silentLoggers,
  startPouchDbServer,
  utf8,
  type TestCouchServer,
} from '@fabric-peer/testkit';

const BTL: Record<string, number> = { 'cc/short': 2, 'cc/forever': 0 };
const btlSource: BlockToLiveSource = {
  blockToLive: (_channel, ns, coll) => Promise.resolve(BTL[`${ns}/${coll}`]),
};

describe('private data block-to-live on CouchDB', { timeout: 120_000 }, () => {
  let couch: TestCouchServer;
  let dir: string;
  let provider: CouchDbStateProvider;
  let manager: LedgerManager | undefined;

  before(async () => {
    couch = await startPouchDbServer();
    dir = mkdtempSync(join(tmpdir(), 'btl-couch-'));
    provider = new CouchDbStateProvider(couchConfig(couch.address), silentLoggers);
  });

  after(async () => {
    await manager?.close();
    await provider?.close();
    await couch?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const openManager = () =>
    openLedgerManager({
      fileSystemPath: dir,
      stateDatabaseProvider: provider,
      blockToLive: btlSource,
      syncPvtDataStore: false,
    });

  // The hash is newer than the private value this peer holds (its version is in the message).
  const privateState = (ledger: KvLedger, coll: string, key: string) =>
    ledgerPrivateState(
      ledger,
      coll,
      key,
      (err) => `(not available: ${/Private data version = (.*)$/.exec(err.message)?.[1]})`,
    );

  it('expires values and hashes at c + BTL + 1, and a rebuild ends in the same state', async () => {
    manager = await openManager();
    const chain = new ChainBuilder();
    let ledger = await manager.createFromGenesisBlock(chain.block([configTx()]));
    /** Simulates `fn` and commits it as the committer does (bulk preload first). */
    const commit = async (fn: (sim: TxSimulator) => Promise<void>, withPvt = true) => {
      const sim = await ledger.newTxSimulator('t');
      let r;
      try {
        await fn(sim);
        r = await sim.getTxSimulationResults();
      } finally {
        sim.done();
      }
      const block = chain.block([endorserTx(r.publicRwset)]);
      await ledger.preloadBlockState(block);
      await ledger.commit(block, {
        ...(withPvt && r.privateRwset !== undefined
          ? { pvtData: new Map([[0, r.privateRwset]]) }
          : {}),
      });
    };
    const tick = (sim: TxSimulator) => sim.setState('cc', 'tick', utf8(String(Math.random())));

    // Block 1 (expiring at 4): a and b; c never expires. Block 2 rewrites b, hash only here.
    await commit(async (sim) => {
      await sim.setPrivateData('cc', 'short', 'a', utf8('1'));
      await sim.setPrivateData('cc', 'short', 'b', utf8('2'));
      await sim.setPrivateData('cc', 'forever', 'c', utf8('3'));
    });
    await commit((sim) => sim.setPrivateData('cc', 'short', 'b', utf8('2b')), false);
    await commit(tick);
    assert.deepEqual(await privateState(ledger, 'short', 'a'), { value: '1', hash: true });
    assert.deepEqual(await privateState(ledger, 'short', 'b'), {
      value: '(not available: {BlockNum: 1, TxNum: 0})',
      hash: true,
    });
    await commit(tick); // block 4
    assert.deepEqual(await privateState(ledger, 'short', 'a'), { value: undefined, hash: false });
    // Block 1's stale value of b is gone; block 2's hash stays.
    assert.deepEqual(await privateState(ledger, 'short', 'b'), {
      value: '(not available: <nil>)',
      hash: true,
    });
    assert.deepEqual(await privateState(ledger, 'forever', 'c'), { value: '3', hash: true });
    await commit(tick); // block 5: block 2's hash of b expires
    assert.deepEqual(await privateState(ledger, 'short', 'b'), { value: undefined, hash: false });
    const expected = {
      a: await privateState(ledger, 'short', 'a'),
      b: await privateState(ledger, 'short', 'b'),
      c: await privateState(ledger, 'forever', 'c'),
    };
    assert.deepEqual((await ledger.getPvtDataByNum(1)).length, 1, "block 1 keeps c's write set");

    await manager.close();
    manager = await openManager();
    await manager.rebuildDatabases();
    ledger = await manager.open(ledger.channelId);
    assert.deepEqual(
      {
        a: await privateState(ledger, 'short', 'a'),
        b: await privateState(ledger, 'short', 'b'),
        c: await privateState(ledger, 'forever', 'c'),
      },
      expected,
    );
  });
});
