// The ledger manager: the ledgersData layout, creation from a genesis block, open/list/close,
// cleanup of ledgers a crash left half-created, the file lock, and the core.yaml keys.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { PeerConfig, StateDatabaseProvider } from '@fabric-peer/api';
import { MemoryStateStore, memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import { common } from '@fabric-peer/protos';
import {
  channelIdFromBlock,
  ledgerConfig,
  openLedgerManager,
  type KvLedger,
  type LedgerError,
  type LedgerManager,
} from '../src/index.js';
import {
  CORPUS_CHANNEL,
  filterOf,
  ordererBlock,
  peerBlock,
  withFilter,
} from '../test-support/corpus.js';
import { tempDir } from '../test-support/paths.js';

const code = (c: string) => (e: LedgerError) => e.code === c;

describe('ledger manager', () => {
  let tmp: { dir: string; dispose(): void };
  let store: MemoryStateStore;
  let provider: StateDatabaseProvider;
  let manager: LedgerManager | undefined;

  async function openManager(
    options: { enableHistoryDatabase?: boolean } = {},
  ): Promise<LedgerManager> {
    provider = memoryStateDatabaseProvider({ store });
    manager = await openLedgerManager({
      fileSystemPath: tmp.dir,
      stateDatabaseProvider: provider,
      ...options,
    });
    return manager;
  }

  async function closeManager(): Promise<void> {
    await manager?.close();
    manager = undefined;
  }

  beforeEach(() => {
    tmp = tempDir('mgr');
    store = new MemoryStateStore();
  });

  afterEach(async () => {
    await closeManager();
    tmp.dispose();
  });

  it("creates a ledger from the orderer's genesis block and lays out ledgersData as Fabric", async () => {
    const m = await openManager();
    const genesis = ordererBlock(0);
    assert.equal(filterOf(genesis).length, 0);
    const ledger = await m.createFromGenesisBlock(genesis);
    assert.equal(ledger.channelId, CORPUS_CHANNEL);
    assert.equal(Number(ledger.getBlockchainInfo().height), 1);
    const stored = await ledger.getBlockByNumber(0);
    assert.deepEqual([...filterOf(stored!)], [0]);
    assert.deepEqual(await m.list(), [CORPUS_CHANNEL]);
    assert.ok(await m.exists(CORPUS_CHANNEL));
    const root = join(tmp.dir, 'ledgersData');
    assert.equal(m.rootDir, root);
    assert.deepEqual(readdirSync(root).sort(), [
      'bookkeeper',
      'chains',
      'fileLock',
      'historyLeveldb',
      'ledgerProvider',
      'pvtdataStore',
    ]);
    assert.ok(existsSync(join(root, 'chains', 'chains', CORPUS_CHANNEL)));
    assert.ok(existsSync(join(root, 'chains', 'index')));
  });

  it('reopens ledgers after a restart, with their blocks, state and history', async () => {
    let m = await openManager();
    const ledger = await m.createFromGenesisBlock(peerBlock(0));
    for (let n = 1; n <= 10; n++)
      await ledger.commit(withFilter(peerBlock(n), filterOf(peerBlock(n))));
    await closeManager();
    m = await openManager();
    assert.deepEqual(await m.list(), [CORPUS_CHANNEL]);
    const again = await m.open(CORPUS_CHANNEL);
    assert.equal(Number(again.getBlockchainInfo().height), 11);
    const qe = await again.newQueryExecutor();
    try {
      assert.match(Buffer.from((await qe.getState('basic', 'asset007'))!).toString(), /asset007/);
      let mods = 0;
      for await (const _ of await qe.getHistoryForKey('basic', 'asset007')) mods++;
      assert.equal(mods, 1);
    } finally {
      qe.done();
    }
  });

  it('refuses duplicates, unknown ledgers and a second open of the same ledger', async () => {
    const m = await openManager();
    const ledger = await m.createFromGenesisBlock(peerBlock(0));
    await assert.rejects(
      m.createFromGenesisBlock(peerBlock(0)),
      (e: LedgerError) =>
        e.code === 'LEDGER_EXISTS' && /already exists with state \[ACTIVE\]/.test(e.message),
    );
    await assert.rejects(m.open('other'), code('LEDGER_NOT_FOUND'));
    await assert.rejects(m.open(CORPUS_CHANNEL), code('LEDGER_ALREADY_OPEN'));
    await ledger.close();
    const again = await m.open(CORPUS_CHANNEL);
    assert.equal(Number(again.getBlockchainInfo().height), 1);
  });

  it('leaves nothing behind when creation fails', async () => {
    const m = await openManager();
    const bad = withFilter(peerBlock(0), filterOf(peerBlock(0)));
    bad.header!.dataHash = new Uint8Array(32);
    await assert.rejects(m.createFromGenesisBlock(bad), code('BLOCK_DATA_HASH_MISMATCH'));
    assert.equal(await m.exists(CORPUS_CHANNEL), false);
    assert.deepEqual(await m.list(), []);
    assert.ok(!existsSync(join(tmp.dir, 'ledgersData', 'chains', 'chains', CORPUS_CHANNEL)));
    assert.deepEqual(store.channels(), []);
    // And the channel can then be created.
    await m.createFromGenesisBlock(peerBlock(0));
    assert.deepEqual(await m.list(), [CORPUS_CHANNEL]);
  });

  it('removes ledgers a crash left under construction when it opens', async () => {
    await openManager();
    await closeManager();
    const ids = new ClassicLevel<Uint8Array, Uint8Array>(
      join(tmp.dir, 'ledgersData', 'ledgerProvider'),
      {
        keyEncoding: 'view',
        valueEncoding: 'view',
      },
    );
    await ids.open();
    // s<id> → LedgerMetadata{status: UNDER_CONSTRUCTION}
    await ids.put(Uint8Array.from([0x73, ...Buffer.from('halfdone')]), Uint8Array.of(0x08, 0x02));
    assert.equal(Buffer.from((await ids.get(Uint8Array.of(0x66)))!).toString(), '2.0');
    await ids.close();
    const db = await memoryStateDatabaseProvider({ store }).open('halfdone');
    await db.applyUpdates(
      [{ namespace: 'cc', key: 'k', value: Uint8Array.of(1), version: { blockNum: 0, txNum: 0 } }],
      { blockNum: 0, txNum: 0 },
    );
    assert.deepEqual(store.channels(), ['halfdone']);
    const m = await openManager();
    assert.equal(await m.exists('halfdone'), false);
    assert.deepEqual(store.channels(), []);
  });

  /** asset007's value and number of history entries in the corpus ledger, through `m`. */
  async function asset007(m: LedgerManager): Promise<{ value: string; mods: number }> {
    const ledger = await m.open(CORPUS_CHANNEL);
    const qe = await ledger.newQueryExecutor();
    try {
      let mods = 0;
      for await (const _ of await qe.getHistoryForKey('basic', 'asset007')) mods++;
      return { value: Buffer.from((await qe.getState('basic', 'asset007'))!).toString(), mods };
    } finally {
      qe.done();
      await ledger.close();
    }
  }

  it('rebuilds the state and history databases from the blocks (peer node rebuild-dbs)', async () => {
    let m = await openManager();
    const ledger = await m.createFromGenesisBlock(peerBlock(0));
    for (let n = 1; n <= 10; n++)
      await ledger.commit(withFilter(peerBlock(n), filterOf(peerBlock(n))));
    await assert.rejects(m.rebuildDatabases(), (e: LedgerError) =>
      /cannot rebuild the databases of ledger \[.+\] while it is open/.test(e.message),
    );
    await ledger.close();
    const before = await asset007(m);
    assert.deepEqual(await m.rebuildDatabases(), [CORPUS_CHANNEL]);
    assert.deepEqual(store.channels(), [], 'the state is gone');
    await closeManager();
    m = await openManager();
    assert.deepEqual(await asset007(m), before, 'rebuilt from the blocks when the ledger opens');
    assert.equal(before.mods, 1);
    assert.deepEqual(store.channels(), [CORPUS_CHANNEL]);
  });

  it('removes a channel and everything of it (peer node unjoin)', async () => {
    let m = await openManager();
    const ledger = await m.createFromGenesisBlock(peerBlock(0));
    for (let n = 1; n <= 3; n++)
      await ledger.commit(withFilter(peerBlock(n), filterOf(peerBlock(n))));
    await assert.rejects(m.unjoin(CORPUS_CHANNEL), code('LEDGER_ALREADY_OPEN'));
    await ledger.close();
    await assert.rejects(
      m.unjoin('nosuch'),
      (e: LedgerError) =>
        e.code === 'LEDGER_NOT_FOUND' && /\[nosuch\] does not exist/.test(e.message),
    );
    await m.unjoin(CORPUS_CHANNEL);
    assert.equal(await m.exists(CORPUS_CHANNEL), false);
    assert.deepEqual(store.channels(), []);
    assert.ok(!existsSync(join(tmp.dir, 'ledgersData', 'chains', 'chains', CORPUS_CHANNEL)));
    await closeManager();
    // The channel can be joined again, from its genesis block.
    m = await openManager();
    assert.deepEqual(await m.list(), []);
    await m.createFromGenesisBlock(peerBlock(0));
    assert.deepEqual(await m.list(), [CORPUS_CHANNEL]);
  });

  /** The `basic` namespace's state, the height and the last block's hash, and a txid's presence. */
  async function snapshot(m: LedgerManager, txId: string) {
    const ledger = await m.open(CORPUS_CHANNEL);
    const qe = await ledger.newQueryExecutor();
    try {
      const state: Record<string, string> = {};
      const it = await qe.getStateRangeScanIterator('basic', '', '');
      for (let r = await it.next(); r !== undefined; r = await it.next()) {
        state[r.key] = Buffer.from(r.value).toString();
      }
      const info = ledger.getBlockchainInfo();
      return {
        state,
        height: Number(info.height),
        hash: Buffer.from(info.currentBlockHash).toString('hex'),
        hasTx: await ledger.txIdExists(txId),
      };
    } finally {
      qe.done();
      await ledger.close();
    }
  }

  /** Commits corpus blocks `from`..`to` with their stored validation codes. */
  async function commitCorpus(ledger: KvLedger, from: number, to: number): Promise<void> {
    for (let n = from; n <= to; n++) {
      await ledger.commit(withFilter(peerBlock(n), filterOf(peerBlock(n))));
    }
  }

  const txIdOf = (block: common.IBlock): string => {
    const payload = common.Payload.decode(common.Envelope.decode(block.data!.data![0]!).payload);
    return common.ChannelHeader.decode(payload.header!.channelHeader!).txId;
  };

  it('rolls a channel back to a block and commits the same blocks again (peer node rollback)', async () => {
    let m = await openManager();
    let ledger = await m.createFromGenesisBlock(peerBlock(0));
    const commit = (from: number, to: number) => commitCorpus(ledger, from, to);
    await commit(1, 10);
    await ledger.close();
    const later = txIdOf(peerBlock(15));
    const at10 = await snapshot(m, later);
    ledger = await m.open(CORPUS_CHANNEL);
    await commit(11, 20);
    await assert.rejects(m.rollback(CORPUS_CHANNEL, 10), code('LEDGER_ALREADY_OPEN'));
    await ledger.close();
    const at20 = await snapshot(m, later);
    assert.equal(at20.hasTx, true);
    assert.ok(Object.keys(at10.state).length > 0);
    assert.notDeepEqual(at10.state, at20.state, 'blocks 11 to 20 change the state');

    await assert.rejects(
      m.rollback('nosuch', 1),
      (e: LedgerError) =>
        e.code === 'LEDGER_NOT_FOUND' && /\[nosuch\] does not exist/.test(e.message),
    );
    await assert.rejects(m.rollback(CORPUS_CHANNEL, 20), (e: Error) =>
      /target block number \[20\] should be less than the biggest block number \[20\]/.test(
        e.message,
      ),
    );
    assert.deepEqual(await snapshot(m, later), at20, 'a refused rollback changes nothing');

    await m.rollback(CORPUS_CHANNEL, 10);
    assert.deepEqual(store.channels(), [], 'the state is dropped, to be rebuilt');
    await closeManager();
    m = await openManager();
    assert.deepEqual(await snapshot(m, later), at10);
    ledger = await m.open(CORPUS_CHANNEL);
    assert.equal(await ledger.getBlockByNumber(11), undefined);
    await commit(11, 20);
    await ledger.close();
    assert.deepEqual(await snapshot(m, later), at20, 'the same blocks give the same ledger');
  });

  it('resets every channel to its genesis block, remembering its height (peer node reset)', async () => {
    let m = await openManager();
    let ledger = await m.createFromGenesisBlock(peerBlock(0));
    const commit = (from: number, to: number) => commitCorpus(ledger, from, to);
    await commit(1, 10);
    await assert.rejects(m.reset(), code('LEDGER_ALREADY_OPEN'));
    await ledger.close();
    const later = txIdOf(peerBlock(5));
    const at10 = await snapshot(m, later);
    assert.deepEqual(await m.reset(), [CORPUS_CHANNEL]);
    assert.deepEqual(await m.preResetHeights(), new Map([[CORPUS_CHANNEL, 11]]));
    await closeManager();
    m = await openManager();
    const reset = await snapshot(m, later);
    assert.equal(reset.height, 1);
    assert.equal(reset.hasTx, false);
    assert.deepEqual(reset.state, {});
    // A second reset before the ledger is back keeps the greater height.
    ledger = await m.open(CORPUS_CHANNEL);
    await commit(1, 3);
    await ledger.close();
    await m.reset();
    assert.deepEqual(await m.preResetHeights(), new Map([[CORPUS_CHANNEL, 11]]));
    ledger = await m.open(CORPUS_CHANNEL);
    await commit(1, 10);
    await ledger.close();
    assert.deepEqual(await snapshot(m, later), at10, 'the same blocks give the same ledger');
    await m.clearPreResetHeights();
    assert.deepEqual(await m.preResetHeights(), new Map());
  });

  it('pauses and resumes a channel (peer node pause / resume)', async () => {
    let m = await openManager();
    const ledger = await m.createFromGenesisBlock(peerBlock(0));
    await assert.rejects(m.pause(CORPUS_CHANNEL), code('LEDGER_ALREADY_OPEN'));
    await ledger.close();
    await assert.rejects(
      m.pause('nosuch'),
      (e: LedgerError) =>
        e.code === 'LEDGER_NOT_FOUND' &&
        e.message === 'cannot update ledger status, ledger [nosuch] does not exist',
    );
    assert.equal(await m.pause(CORPUS_CHANNEL), true);
    assert.equal(await m.pause(CORPUS_CHANNEL), false, 'already paused');
    await closeManager();
    m = await openManager();
    assert.deepEqual(await m.list(), [], 'a paused channel is not listed');
    assert.equal(await m.exists(CORPUS_CHANNEL), true);
    await assert.rejects(m.open(CORPUS_CHANNEL), /ledger status is \[INACTIVE\]/);
    await assert.rejects(m.createFromGenesisBlock(peerBlock(0)), code('LEDGER_EXISTS'));
    assert.equal(await m.resume(CORPUS_CHANNEL), true);
    assert.equal(await m.resume(CORPUS_CHANNEL), false, 'already active');
    assert.deepEqual(await m.list(), [CORPUS_CHANNEL]);
    const reopened = await m.open(CORPUS_CHANNEL);
    assert.equal(Number(reopened.getBlockchainInfo().height), 1);
    await reopened.close();
  });

  it('holds a lock on ledgersData while open', async () => {
    await openManager();
    await assert.rejects(
      openLedgerManager({
        fileSystemPath: tmp.dir,
        stateDatabaseProvider: memoryStateDatabaseProvider({ store }),
      }),
      code('DB_IN_USE'),
    );
  });

  it('runs without a history database when it is disabled', async () => {
    const m = await openManager({ enableHistoryDatabase: false });
    const ledger = await m.createFromGenesisBlock(peerBlock(0));
    assert.equal(ledger.newHistoryQueryExecutor(), undefined);
    assert.ok(!existsSync(join(tmp.dir, 'ledgersData', 'historyLeveldb')));
  });

  it('reads the channel id from the first transaction of a block', () => {
    assert.equal(channelIdFromBlock(peerBlock(5)), CORPUS_CHANNEL);
    assert.throws(
      () => channelIdFromBlock(common.Block.create({ data: { data: [] } })),
      code('BLOCK_INVALID'),
    );
  });

  it('reads peer.fileSystemPath, the history, totalQueryLimit and the private data purge keys', () => {
    const values: Record<string, unknown> = {
      'peer.fileSystemPath': 'data',
      'ledger.history.enableHistoryDatabase': false,
      'ledger.state.totalQueryLimit': 500,
      'ledger.pvtdataStore.purgeInterval': 10,
      'ledger.pvtdataStore.purgedKeyAuditLogging': false,
    };
    const config: PeerConfig = {
      file: '/etc/peer/core.yaml',
      dir: '/etc/peer',
      get: (k) => values[k],
      durationMs: () => null,
    };
    assert.deepEqual(ledgerConfig(config), {
      fileSystemPath: '/etc/peer/data',
      enableHistoryDatabase: false,
      totalQueryLimit: 500,
      pvtDataPurgeInterval: 10,
      purgedKeyAuditLogging: false,
    });
    values['ledger.pvtdataStore.purgeInterval'] = 0;
    assert.equal(ledgerConfig(config).pvtDataPurgeInterval, 1, '0 purges at every block');
  });
});
