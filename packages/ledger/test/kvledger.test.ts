// The kvledger: refusal of blocks out of sequence before anything is written, the commit order and
// recovery after a crash at any point, the commit hash chain across restarts, listeners and the
// block retrieval passthrough.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Long, blockHeaderHash, common } from '@fabric-peer/protos';
import type { VersionedDB } from '@fabric-peer/api';
import type { BlockCommitEvent, KvLedger, LedgerError } from '../src/index.js';
import { ChainBuilder, configTx, endorserTx, text, utf8 } from '../test-support/blocks.js';
import {
  CORPUS_CHANNEL,
  CORPUS_HEIGHT,
  filterOf,
  ordererBlock,
  peerBlock,
  validationCodes,
  withFilter,
} from '../test-support/corpus.js';
import { delegatingDb, ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const code = (c: string) => (e: LedgerError) => e.code === c;
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array(0)).toString('hex');

/** The corpus block as the committer hands it over (MVCC codes back to VALID). */
function corpusInput(n: number): common.Block {
  const fabric = peerBlock(n);
  return withFilter(
    fabric,
    Uint8Array.from(filterOf(fabric), (c) => (c === 11 ? 0 : c)),
  );
}

describe('kvledger commit and recovery', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;

  beforeEach(() => {
    env = ledgerEnv({ channelId: CORPUS_CHANNEL });
  });

  afterEach(async () => {
    await env.dispose();
  });

  async function state(key: string, ns = 'basic'): Promise<string | undefined> {
    const qe = await ledger.newQueryExecutor();
    try {
      return text(await qe.getState(ns, key));
    } finally {
      qe.done();
    }
  }

  async function historyCount(key: string): Promise<number> {
    let n = 0;
    for await (const _ of await ledger.newHistoryQueryExecutor()!.getHistoryForKey('basic', key))
      n++;
    return n;
  }

  async function savepoint(): Promise<unknown> {
    return (await env.provider.open(CORPUS_CHANNEL)).getLatestSavePoint();
  }

  async function commitCorpus(from: number, to: number): Promise<void> {
    for (let n = from; n <= to; n++) await ledger.commit(corpusInput(n));
  }

  it('refuses a block out of sequence, with a wrong previous hash or data hash, writing nothing', async () => {
    ledger = await env.open();
    await commitCorpus(0, 4);
    const before = { height: Number(ledger.getBlockchainInfo().height), sp: await savepoint() };
    const check = async () => {
      assert.equal(Number(ledger.getBlockchainInfo().height), before.height);
      assert.deepEqual(await savepoint(), before.sp);
      assert.equal(await state('asset002'), undefined);
      assert.equal(await historyCount('asset002'), 0);
    };
    await assert.rejects(ledger.commit(corpusInput(6)), code('BLOCK_OUT_OF_SEQUENCE'));
    await check();
    await assert.rejects(
      ledger.commit(corpusInput(3)),
      /block number should have been 5 but was 3/,
    );
    await check();
    const wrongPrev = corpusInput(5);
    wrongPrev.header!.previousHash = new Uint8Array(32);
    await assert.rejects(ledger.commit(wrongPrev), code('BLOCK_PREVIOUS_HASH_MISMATCH'));
    await check();
    const wrongData = corpusInput(5);
    wrongData.data!.data![0] = Uint8Array.from([...wrongData.data!.data![0]!, 0]);
    await assert.rejects(ledger.commit(wrongData), code('BLOCK_DATA_HASH_MISMATCH'));
    await check();
    const shortFilter = withFilter(peerBlock(5), new Uint8Array(0));
    await assert.rejects(ledger.commit(shortFilter), code('BLOCK_INVALID'));
    await check();
    // The right block still commits.
    await ledger.commit(corpusInput(5));
    assert.match((await state('asset002'))!, /JinSoo/);
  });

  it('keeps the commit hash chain across a restart', async () => {
    ledger = await env.open();
    await commitCorpus(0, 40);
    await env.closeAll();
    ledger = await env.open();
    for (let n = 41; n < CORPUS_HEIGHT; n++) {
      const r = await ledger.commit(corpusInput(n));
      const fabric = peerBlock(n).metadata!.metadata![common.BlockMetadataIndex.COMMIT_HASH]!;
      assert.equal(
        hex(r.block.metadata!.metadata![common.BlockMetadataIndex.COMMIT_HASH]),
        hex(fabric),
        `block ${n}`,
      );
    }
  });

  it('replays blocks on open when the process died after the block store write', async () => {
    // "Crash": the state database loses the writes of blocks 10..12, and history is not written.
    let lose = false;
    const lossy = (db: VersionedDB) =>
      delegatingDb(db, {
        applyUpdates: (u, sp) => (lose ? Promise.resolve() : db.applyUpdates(u, sp)),
      });
    ledger = await env.open({ wrapState: lossy });
    await commitCorpus(0, 9);
    lose = true;
    await ledger.close();
    ledger = await env.open({ wrapState: lossy, historyDb: undefined });
    await commitCorpus(10, 12);
    assert.deepEqual(await savepoint(), { blockNum: 9, txNum: 0 });
    assert.equal(await state('asset007'), undefined);
    await env.closeAll();
    lose = false;
    ledger = await env.open();
    assert.deepEqual(await savepoint(), { blockNum: 12, txNum: 0 });
    assert.match((await state('asset007'))!, /"ID":"asset007"/);
    assert.match((await state('asset009'))!, /"ID":"asset009"/);
    assert.equal(await historyCount('asset009'), 1);
    await commitCorpus(13, CORPUS_HEIGHT - 1);
    assert.match((await state('asset030'))!, /3030/);
  });

  it('replays the missing blocks before the next commit when a state commit failed', async () => {
    let fail = false;
    ledger = await env.open({
      wrapState: (db) =>
        delegatingDb(db, {
          applyUpdates: (u, sp) =>
            fail ? Promise.reject(new Error('disk full')) : db.applyUpdates(u, sp),
        }),
    });
    await commitCorpus(0, 5);
    fail = true;
    await assert.rejects(
      ledger.commit(corpusInput(6)),
      (e: LedgerError) => e.code === 'COMMIT_INCOMPLETE' && /disk full/.test(e.message),
    );
    assert.equal(Number(ledger.getBlockchainInfo().height), 7, 'the block store has the block');
    assert.deepEqual(await savepoint(), { blockNum: 5, txNum: 0 }, 'state is behind, never ahead');
    fail = false;
    await ledger.commit(corpusInput(7));
    assert.match((await state('asset003'))!, /yellow/);
    assert.match((await state('asset004'))!, /black/);
    assert.deepEqual(await savepoint(), { blockNum: 7, txNum: 0 });
  });

  it('rebuilds a missing history from the block store on open', async () => {
    ledger = await env.open({ historyDb: undefined });
    await commitCorpus(0, 20);
    await env.closeAll();
    ledger = await env.open();
    assert.equal(await historyCount('asset001'), 1);
    assert.equal(await historyCount('asset017'), 1);
  });

  it('refuses to open when the state database is ahead of the block store', async () => {
    ledger = await env.open();
    await commitCorpus(0, 3);
    await env.closeAll();
    const db = await env.provider.open(CORPUS_CHANNEL);
    await db.applyUpdates([], { blockNum: 10, txNum: 0 });
    await assert.rejects(env.open(), code('DB_AHEAD_OF_BLOCKSTORE'));
  });

  it('refuses a genesis block without a TRANSACTIONS_FILTER (the manager, as cscc, fills it in)', async () => {
    ledger = await env.open();
    await assert.rejects(ledger.commit(ordererBlock(0)), code('BLOCK_INVALID'));
    assert.equal(Number(ledger.getBlockchainInfo().height), 0);
  });

  it('tells commit listeners about each block, after the commit', async () => {
    ledger = await env.open();
    const events: BlockCommitEvent[] = [];
    const off = ledger.onCommit((e) => {
      events.push(e);
    });
    ledger.onCommit(() => {
      throw new Error('a broken listener does not break commits');
    });
    await commitCorpus(0, 4);
    off();
    await commitCorpus(5, 5);
    assert.deepEqual(
      events.map((e) => e.blockNumber),
      [0, 1, 2, 3, 4],
    );
    const e4 = events[4]!;
    assert.equal(e4.channelId, CORPUS_CHANNEL);
    assert.deepEqual([...e4.validationCodes], [0]);
    assert.equal(e4.txs[0]!.txId, validationCodes()[4]!.transactions[0]!.txid);
    assert.deepEqual(
      e4.publicUpdates.map((u) => `${u.namespace}/${u.key}`),
      ['basic/asset001'],
    );
    assert.equal(
      hex(e4.commitHash),
      hex(common.Metadata.decode(peerBlock(4).metadata!.metadata![4]!).value),
    );
    assert.deepEqual(
      events[0]!.publicUpdates.map((u) => `${u.namespace}/${u.key}`),
      ['/CHANNEL_CONFIG_ENV_BYTES'],
    );
  });

  it('passes block and transaction lookups through to the block store', async () => {
    ledger = await env.open();
    await commitCorpus(0, CORPUS_HEIGHT - 1);
    const info = ledger.getBlockchainInfo();
    assert.equal(Number(info.height), CORPUS_HEIGHT);
    assert.equal(hex(info.currentBlockHash), hex(blockHeaderHash(peerBlock(86).header!)));
    const conflicting = validationCodes()[85]!.transactions[0]!.txid;
    assert.deepEqual(await ledger.getTxValidationCodeByTxId(conflicting), {
      validationCode: 11,
      blockNum: 85,
    });
    const processed = await ledger.getTransactionByID(conflicting);
    assert.equal(processed?.validationCode, 11);
    assert.ok(await ledger.txIdExists(conflicting));
    assert.equal(await ledger.txIdExists('nope'), false);
    assert.equal(Number((await ledger.getBlockByTxId(conflicting))!.header!.number), 85);
    const byHash = await ledger.getBlockByHash(blockHeaderHash(peerBlock(40).header!));
    assert.equal(Number(byHash!.header!.number), 40);
    const itr = ledger.getBlocksIterator(85);
    assert.equal(Number((await itr.next())!.header!.number), 85);
    assert.equal(Number((await itr.next())!.header!.number), 86);
    itr.close();
  });

  it('commits synthetic chains too (genesis CONFIG, then endorser transactions)', async () => {
    ledger = await env.open();
    const chain = new ChainBuilder();
    await ledger.commit(chain.block([configTx(undefined, CORPUS_CHANNEL)]));
    const sim = await ledger.newTxSimulator('t');
    await sim.setState('cc', 'k', utf8('v'));
    const r = await sim.getTxSimulationResults();
    sim.done();
    const res = await ledger.commit(
      chain.block([endorserTx(r.publicRwset, { channelId: CORPUS_CHANNEL })]),
    );
    assert.ok(res.commitHash, 'the commit hash chain starts at block 1');
    assert.equal(await state('k', 'cc'), 'v');
    assert.equal(Number(res.block.header!.number), 1);
    assert.ok(Long.isLong(ledger.getBlockchainInfo().height));
  });
});
