import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blockHeaderHash, common } from '@fabric-peer/protos';
import {
  BlockStoreError,
  openBlockIndexDb,
  openBlockStore,
  type BlockIndexDb,
  type BlockStore,
} from '../src/index.js';
import {
  blockFile,
  CORPUS_CHANNEL,
  CORPUS_HEIGHT,
  corpusBlock,
  corpusBytes,
  corpusTxs,
  dumpIndex,
  makeBlock,
  makeEnvelope,
  syntheticChain,
  tempDir,
} from '../test-support/blockstore-fixtures.js';

async function rejectsWith(
  p: Promise<unknown>,
  code: string,
  match?: RegExp,
): Promise<BlockStoreError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BlockStoreError, `expected a BlockStoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (match) assert.match(err.message, match);
    return err;
  }
  assert.fail(`expected a ${code} refusal`);
}

async function appendCorpus(store: BlockStore, upTo = CORPUS_HEIGHT): Promise<void> {
  for (let n = store.info().height; n < upTo; n++) await store.addBlock(corpusBlock(n));
}

describe('block store: the Fabric corpus', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: BlockIndexDb;
  let store: BlockStore;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    db = await openBlockIndexDb(dir);
    store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
    await appendCorpus(store);
  });

  after(async () => {
    await store.close();
    await db.close();
    await cleanup();
  });

  it('reaches height 87 with the hashes of the last block', () => {
    const info = store.info();
    const last = corpusBlock(CORPUS_HEIGHT - 1);
    assert.equal(info.height, CORPUS_HEIGHT);
    assert.deepEqual(Buffer.from(info.currentBlockHash), blockHeaderHash(last.header!));
    assert.deepEqual(Buffer.from(info.previousBlockHash), Buffer.from(last.header!.previousHash!));
  });

  it('returns every block byte for byte as Fabric sent it, by number and by hash', async () => {
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      const bytes = await store.getBlockBytes(n);
      assert.ok(bytes, `block ${n}`);
      assert.ok(Buffer.from(bytes).equals(corpusBytes(n)), `bytes of block ${n}`);
      const byHash = await store.getBlockByHash(blockHeaderHash(corpusBlock(n).header!));
      assert.ok(byHash, `block ${n} by hash`);
      assert.equal(Number(byHash.header!.number), n);
      assert.ok(Buffer.from(common.Block.encode(byHash).finish()).equals(corpusBytes(n)));
    }
    assert.equal(await store.getBlockBytes(CORPUS_HEIGHT), undefined);
    assert.equal(await store.getBlockByNumber(CORPUS_HEIGHT + 10), undefined);
    assert.equal(await store.getBlockByHash(Buffer.alloc(32, 1)), undefined);
    await rejectsWith(store.getBlockBytes(-1), 'INVALID_ARGUMENT');
    await rejectsWith(store.getBlockBytes(1.5), 'INVALID_ARGUMENT');
  });

  it('locates every transaction with the validation code Fabric recorded', async () => {
    const txs = corpusTxs();
    assert.equal(txs.length, 87);
    const codes = new Set<number>();
    for (const tx of txs) {
      const loc = await store.getTxLocation(tx.txId);
      assert.deepEqual(
        loc,
        { blockNum: tx.blockNum, txNum: tx.txNum, validationCode: tx.validationCode },
        tx.txId,
      );
      codes.add(tx.validationCode);
      assert.equal(await store.txIdExists(tx.txId), true);
      const env = await store.getTxEnvelope(tx.txId);
      assert.ok(env);
      assert.deepEqual(env.location, loc);
      const expected = corpusBlock(tx.blockNum).data!.data![tx.txNum]!;
      assert.ok(Buffer.from(env.envelope).equals(Buffer.from(expected)), `envelope of ${tx.txId}`);
      const block = await store.getBlockByTxId(tx.txId);
      assert.equal(Number(block?.header?.number), tx.blockNum);
    }
    // The corpus has MVCC_READ_CONFLICT (11) and ENDORSEMENT_POLICY_FAILURE (10) besides VALID.
    assert.deepEqual(
      [...codes].sort((a, b) => a - b),
      [0, 10, 11],
    );
    assert.equal(await store.txIdExists('not-a-txid'), false);
    assert.equal(await store.getTxLocation('not-a-txid'), undefined);
    assert.equal(await store.getTxEnvelope('not-a-txid'), undefined);
    assert.equal(await store.getBlockByTxId('not-a-txid'), undefined);
  });

  it('keeps everything across a reopen', async () => {
    const before = await dumpIndex(db, CORPUS_CHANNEL);
    await store.close();
    store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
    assert.equal(store.info().height, CORPUS_HEIGHT);
    assert.deepEqual(
      Buffer.from(store.info().currentBlockHash),
      blockHeaderHash(corpusBlock(CORPUS_HEIGHT - 1).header!),
    );
    assert.deepEqual(await dumpIndex(db, CORPUS_CHANNEL), before);
    for (const n of [0, 1, 42, 86]) {
      assert.ok(Buffer.from((await store.getBlockBytes(n))!).equals(corpusBytes(n)));
    }
    const tx = corpusTxs()[85]!;
    assert.deepEqual(await store.getTxLocation(tx.txId), {
      blockNum: tx.blockNum,
      txNum: tx.txNum,
      validationCode: tx.validationCode,
    });
    // The file holds the blocks framed one after the other, nothing else.
    const file = await readFile(blockFile(dir, CORPUS_CHANNEL));
    let total = 0;
    for (let n = 0; n < CORPUS_HEIGHT; n++) total += 24 + corpusBytes(n).length;
    assert.equal(file.length, total);
  });

  it('returns copies: changing what a read returned does not change the store', async () => {
    const info = store.info();
    info.currentBlockHash.fill(0);
    assert.deepEqual(
      Buffer.from(store.info().currentBlockHash),
      blockHeaderHash(corpusBlock(CORPUS_HEIGHT - 1).header!),
    );
    const bytes = await store.getBlockBytes(CORPUS_HEIGHT - 1);
    bytes!.fill(0);
    assert.ok(
      Buffer.from((await store.getBlockBytes(CORPUS_HEIGHT - 1))!).equals(
        corpusBytes(CORPUS_HEIGHT - 1),
      ),
    );
  });
});

describe('block store: refusals write nothing', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: BlockIndexDb;
  let store: BlockStore;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    db = await openBlockIndexDb(dir);
    store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
    await appendCorpus(store, 4);
  });

  after(async () => {
    await store.close();
    await db.close();
    await cleanup();
  });

  async function assertUnchanged(
    attempt: () => Promise<unknown>,
    code: string,
    match: RegExp,
  ): Promise<void> {
    const file = await readFile(blockFile(dir, CORPUS_CHANNEL));
    const index = await dumpIndex(db, CORPUS_CHANNEL);
    const info = store.info();
    await rejectsWith(attempt(), code, match);
    assert.ok(
      (await readFile(blockFile(dir, CORPUS_CHANNEL))).equals(file),
      'block file unchanged',
    );
    assert.deepEqual(await dumpIndex(db, CORPUS_CHANNEL), index, 'index unchanged');
    assert.deepEqual(store.info(), info);
  }

  it('refuses block 5 before block 4', async () => {
    await assertUnchanged(
      () => store.addBlock(corpusBlock(5)),
      'OUT_OF_SEQUENCE',
      /should have been 4 but was 5/,
    );
  });

  it('refuses a block it already has', async () => {
    await assertUnchanged(
      () => store.addBlock(corpusBlock(3)),
      'OUT_OF_SEQUENCE',
      /should have been 4 but was 3/,
    );
  });

  it('refuses a block whose previous_hash is not the last block header hash', async () => {
    const b = corpusBlock(4);
    b.header!.previousHash = blockHeaderHash(corpusBlock(2).header!);
    await assertUnchanged(() => store.addBlock(b), 'PREVIOUS_HASH_MISMATCH', /previous_hash/);
  });

  it('refuses a block whose data does not match its data hash', async () => {
    const b = corpusBlock(4);
    const env = Buffer.from(b.data!.data![0]!);
    env[env.length - 10] = env[env.length - 10]! ^ 0x01;
    b.data!.data![0] = env;
    await assertUnchanged(() => store.addBlock(b), 'DATA_HASH_MISMATCH', /data_hash/);
    const c = corpusBlock(4);
    c.header!.dataHash = Buffer.alloc(32);
    await assertUnchanged(() => store.addBlock(c), 'DATA_HASH_MISMATCH', /data_hash/);
  });

  it('refuses a block without a header', async () => {
    await assertUnchanged(() => store.addBlock({ data: { data: [] } }), 'MALFORMED', /no header/);
  });

  it('refuses a block whose data entries are not bytes', async () => {
    const b = corpusBlock(4);
    b.data!.data = [42 as unknown as Uint8Array];
    await assertUnchanged(() => store.addBlock(b), 'MALFORMED', /cannot be hashed/);
  });

  it('takes the right block after the refusals, and the refusals survive a reopen as nothing', async () => {
    await store.addBlock(corpusBlock(4));
    assert.equal(store.info().height, 5);
    await store.close();
    store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
    assert.equal(store.info().height, 5);
    assert.ok(Buffer.from((await store.getBlockBytes(4))!).equals(corpusBytes(4)));
  });
});

describe('block store: concurrency', () => {
  it('serialises concurrent addBlock calls in call order', async () => {
    const { dir, cleanup } = await tempDir();
    const store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: CORPUS_HEIGHT }, (_, n) => store.addBlock(corpusBlock(n))),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        results.map(() => 'fulfilled'),
      );
      assert.equal(store.info().height, CORPUS_HEIGHT);
      // Two callers racing with the same block: exactly one wins.
      const next = makeBlock(corpusBlock(CORPUS_HEIGHT - 1), [makeEnvelope({ txId: 'race' })]);
      const race = await Promise.allSettled([store.addBlock(next), store.addBlock(next)]);
      assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = race.find((r) => r.status === 'rejected');
      assert.equal(
        ((lost as PromiseRejectedResult).reason as BlockStoreError).code,
        'OUT_OF_SEQUENCE',
      );
      assert.equal(store.info().height, CORPUS_HEIGHT + 1);
      assert.deepEqual(await store.getTxLocation('race'), {
        blockNum: 87,
        txNum: 0,
        validationCode: 0,
      });
    } finally {
      await store.close();
      await cleanup();
    }
  });
});

describe('block store: a failed write', () => {
  it('undoes the append when indexing fails, so the block can be added again later', async () => {
    const { dir, cleanup } = await tempDir();
    let db = await openBlockIndexDb(dir);
    let store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
    try {
      await appendCorpus(store, 4);
      const file = await readFile(blockFile(dir, CORPUS_CHANNEL));
      await db.close(); // the index goes away under the store
      const err = await rejectsWith(
        store.addBlock(corpusBlock(4)),
        'WRITE_FAILED',
        /indexing block 4/,
      );
      assert.ok(err.cause, 'the cause is kept');
      assert.ok(
        (await readFile(blockFile(dir, CORPUS_CHANNEL))).equals(file),
        'the append was undone',
      );
      assert.equal(store.info().height, 4);
      await store.close();
      db = await openBlockIndexDb(dir);
      store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
      assert.equal(store.info().height, 4);
      await store.addBlock(corpusBlock(4));
      assert.ok(Buffer.from((await store.getBlockBytes(4))!).equals(corpusBytes(4)));
    } finally {
      await store.close();
      await db.close();
      await cleanup();
    }
  });
});

describe('block store: file rolling', () => {
  it('starts a new block file past maxFileSize and reads across files', async () => {
    const { dir, cleanup } = await tempDir();
    const maxFileSize = 40_000;
    let store = await openBlockStore({
      dir,
      channelId: CORPUS_CHANNEL,
      maxFileSize,
      cacheBytes: 0,
    });
    try {
      await appendCorpus(store);
      const chainDir = join(dir, 'chains', CORPUS_CHANNEL);
      const names = (await readdir(chainDir)).sort();
      assert.ok(names.length >= 10, `expected many files, got ${names.join(',')}`);
      assert.deepEqual(
        names,
        names.map((_, i) => 'blockfile_' + String(i).padStart(6, '0')),
      );
      let total = 0;
      for (const name of names) {
        const size = (await stat(join(chainDir, name))).size;
        assert.ok(size <= maxFileSize, `${name} is ${size} bytes`);
        assert.ok(size > 0, `${name} is empty`);
        total += size;
      }
      let expected = 0;
      for (let n = 0; n < CORPUS_HEIGHT; n++) expected += 24 + corpusBytes(n).length;
      assert.equal(total, expected);
      await store.close();
      store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, maxFileSize, cacheBytes: 0 });
      assert.equal(store.info().height, CORPUS_HEIGHT);
      for (let n = 0; n < CORPUS_HEIGHT; n++) {
        assert.ok(
          Buffer.from((await store.getBlockBytes(n))!).equals(corpusBytes(n)),
          `block ${n}`,
        );
      }
      for (const tx of corpusTxs()) {
        const env = await store.getTxEnvelope(tx.txId);
        assert.ok(
          Buffer.from(env!.envelope).equals(
            Buffer.from(corpusBlock(tx.blockNum).data!.data![tx.txNum]!),
          ),
        );
      }
      // A block larger than maxFileSize gets a file of its own, and the chain goes on after it.
      const big = makeBlock(corpusBlock(CORPUS_HEIGHT - 1), [
        makeEnvelope({ txId: 'big', filler: 60_000 }),
      ]);
      await store.addBlock(big);
      const small = makeBlock(big, [makeEnvelope({ txId: 'after-big' })]);
      await store.addBlock(small);
      const after = (await readdir(chainDir)).sort();
      assert.equal(after.length, names.length + 2);
      assert.ok((await stat(join(chainDir, after[after.length - 2]!))).size > maxFileSize);
      assert.deepEqual(await store.getTxLocation('after-big'), {
        blockNum: 88,
        txNum: 0,
        validationCode: 0,
      });
      await store.close();
      store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, maxFileSize });
      assert.equal(store.info().height, CORPUS_HEIGHT + 2);
      assert.equal((await store.getTxEnvelope('big'))!.envelope.length > 60_000, true);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});

describe('block store: iterators', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: BlockStore;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL });
    await appendCorpus(store, 3);
  });

  after(async () => {
    await store.close();
    await cleanup();
  });

  /** Resolves 'pending' if `p` has not settled after a few turns of the event loop. */
  async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
    return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 30))]);
  }

  it('reads from height 0 and then waits for blocks not yet added', async () => {
    const it0 = store.iterator(0);
    for (let n = 0; n < 3; n++) assert.equal(Number((await it0.next())!.header!.number), n);
    const pending = it0.next();
    assert.equal(await settled(pending), 'pending');
    await store.addBlock(corpusBlock(3));
    const b3 = await pending;
    assert.equal(Number(b3!.header!.number), 3);
    assert.ok(Buffer.from(common.Block.encode(b3!).finish()).equals(corpusBytes(3)));
    it0.close();
    assert.equal(await it0.next(), undefined);
  });

  it('starts at the tip and at a height not reached yet, and serves concurrent next calls in order', async () => {
    const tip = store.iterator(store.info().height); // 4
    const ahead = store.iterator(6);
    const [a, b] = [tip.next(), tip.next()];
    const c = ahead.next();
    assert.equal(await settled(a), 'pending');
    await store.addBlock(corpusBlock(4));
    assert.equal(Number((await a)!.header!.number), 4);
    assert.equal(await settled(b), 'pending');
    assert.equal(await settled(c), 'pending');
    await store.addBlock(corpusBlock(5));
    assert.equal(Number((await b)!.header!.number), 5);
    assert.equal(await settled(c), 'pending');
    await store.addBlock(corpusBlock(6));
    assert.equal(Number((await c)!.header!.number), 6);
    tip.close();
    ahead.close();
  });

  it('resolves a pending next with undefined when closed while waiting', async () => {
    const it1 = store.iterator(store.info().height);
    const pending = it1.next();
    const pending2 = it1.next();
    assert.equal(await settled(pending), 'pending');
    it1.close();
    assert.equal(await pending, undefined);
    assert.equal(await pending2, undefined);
    await store.addBlock(corpusBlock(store.info().height));
    assert.equal(await it1.next(), undefined);
  });

  it('works with for await, and break closes it', async () => {
    const seen: number[] = [];
    const it2 = store.iterator(2);
    for await (const block of it2) {
      seen.push(Number(block.header!.number));
      if (seen.length === 4) break;
    }
    assert.deepEqual(seen, [2, 3, 4, 5]);
    assert.equal(await it2.next(), undefined);
  });

  it('ends waiting iterators when the store closes', async () => {
    const { dir: d2, cleanup: c2 } = await tempDir();
    const s2 = await openBlockStore({ dir: d2, channelId: CORPUS_CHANNEL });
    await s2.addBlock(corpusBlock(0));
    const it3 = s2.iterator(1);
    const pending = it3.next();
    assert.equal(await settled(pending), 'pending');
    await s2.close();
    assert.equal(await pending, undefined);
    assert.throws(
      () => s2.iterator(0),
      (e: unknown) => e instanceof BlockStoreError && e.code === 'CLOSED',
    );
    await c2();
  });

  it('refuses a negative start', () => {
    assert.throws(
      () => store.iterator(-1),
      (e: unknown) => e instanceof BlockStoreError && e.code === 'INVALID_ARGUMENT',
    );
  });
});

describe('block store: two channels in one index', () => {
  it('keeps channels apart, and opening one does not lock out the other', async () => {
    const { dir, cleanup } = await tempDir();
    const db = await openBlockIndexDb(dir);
    const chain = syntheticChain(5, 3, 'other');
    let a = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
    const b = await openBlockStore({ dir, channelId: 'other.channel-2', indexDb: db });
    try {
      await appendCorpus(a, 10);
      for (const blk of chain) await b.addBlock(blk);
      assert.equal(a.info().height, 10);
      assert.equal(b.info().height, 5);
      const corpusTx = corpusTxs()[5]!;
      assert.equal(await b.txIdExists(corpusTx.txId), false);
      assert.equal(await a.txIdExists('other-2-1'), false);
      assert.deepEqual(await b.getTxLocation('other-2-1'), {
        blockNum: 2,
        txNum: 1,
        validationCode: 0,
      });
      assert.equal(await b.getBlockByHash(blockHeaderHash(corpusBlock(3).header!)), undefined);
      assert.ok(
        Buffer.from((await b.getBlockBytes(0))!).equals(
          Buffer.from(common.Block.encode(chain[0]!).finish()),
        ),
      );

      // The same channel cannot be opened twice over one index.
      await rejectsWith(
        openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db }),
        'INDEX_IN_USE',
      );
      // A store that would open the index on its own finds it in use, and says so.
      await rejectsWith(
        openBlockStore({ dir, channelId: 'third' }),
        'INDEX_IN_USE',
        /in use.*openBlockIndexDb/,
      );

      // Closing and reopening one channel leaves the other working.
      await a.close();
      await b.addBlock(makeBlock(chain[4], [makeEnvelope({ txId: 'while-a-closed' })]));
      a = await openBlockStore({ dir, channelId: CORPUS_CHANNEL, indexDb: db });
      assert.equal(a.info().height, 10);
      await appendCorpus(a, 12);
      assert.equal(b.info().height, 6);
      assert.equal(await a.txIdExists('while-a-closed'), false);
      assert.deepEqual(await b.getTxLocation('while-a-closed'), {
        blockNum: 5,
        txNum: 0,
        validationCode: 0,
      });
    } finally {
      await a.close();
      await b.close();
      await db.close();
      await cleanup();
    }
  });

  it('shares the index between stores that open it themselves, and closes it after the last', async () => {
    const { dir, cleanup } = await tempDir();
    const [a, b] = await Promise.all([
      openBlockStore({ dir, channelId: 'alpha' }),
      openBlockStore({ dir, channelId: 'beta' }),
    ]);
    let aClosed = false;
    try {
      const chainA = syntheticChain(3, 1, 'alpha');
      const chainB = syntheticChain(2, 1, 'beta');
      await Promise.all([
        (async () => {
          for (const blk of chainA) await a.addBlock(blk);
        })(),
        (async () => {
          for (const blk of chainB) await b.addBlock(blk);
        })(),
      ]);
      assert.equal(a.info().height, 3);
      assert.equal(b.info().height, 2);
      assert.equal(await a.txIdExists('beta-1-0'), false);
      assert.equal(await b.txIdExists('beta-1-0'), true);
      await rejectsWith(
        openBlockStore({ dir, channelId: 'alpha' }),
        'INDEX_IN_USE',
        /already open/,
      );
      await a.close();
      aClosed = true;
      // b still has the index open: the database stays open for it.
      await b.addBlock(makeBlock(chainB[1], [makeEnvelope({ txId: 'beta-late' })]));
      const again = await openBlockStore({ dir, channelId: 'alpha' });
      assert.equal(again.info().height, 3);
      await again.close();
    } finally {
      if (!aClosed) await a.close();
      await b.close();
    }
    // Every store is closed, so the folder's lock is free again.
    const db = await openBlockIndexDb(dir);
    const reopened = await openBlockStore({ dir, channelId: 'beta', indexDb: db });
    assert.equal(reopened.info().height, 3);
    assert.deepEqual(await reopened.getTxLocation('beta-late'), {
      blockNum: 2,
      txNum: 0,
      validationCode: 0,
    });
    await reopened.close();
    await db.close();
    await cleanup();
  });

  it('refuses channel names Fabric refuses', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const bad of ['', 'MyChannel', '1abc', 'a!b', 'a/b', 'x'.repeat(250)]) {
        await rejectsWith(
          openBlockStore({ dir, channelId: bad }),
          'INVALID_ARGUMENT',
          /channel id/,
        );
      }
    } finally {
      await cleanup();
    }
  });
});

describe('block store: closed', () => {
  it('refuses every call after close', async () => {
    const { dir, cleanup } = await tempDir();
    const store = await openBlockStore({ dir, channelId: CORPUS_CHANNEL });
    await store.addBlock(corpusBlock(0));
    await store.close();
    await store.close(); // twice is fine
    await rejectsWith(store.addBlock(corpusBlock(1)), 'CLOSED');
    await rejectsWith(store.getBlockBytes(0), 'CLOSED');
    await rejectsWith(store.getTxLocation('x'), 'CLOSED');
    // The index was released: the store opens again.
    const again = await openBlockStore({ dir, channelId: CORPUS_CHANNEL });
    assert.equal(again.info().height, 1);
    await again.close();
    await cleanup();
  });
});
