// Crash recovery: torn records, a lagging index, damaged files, files that do not match the index.
import assert from 'node:assert/strict';
import { appendFile, cp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blockHeaderHash } from '@fabric-peer/protos';
import { recordingLoggers } from '@fabric-peer/testkit';
import {
  BlockStoreError,
  openBlockIndexDb,
  openBlockStore,
  type BlockIndexDb,
  type BlockStore,
} from '../src/index.js';
import {
  blockFile,
  CORPUS_CHANNEL as CH,
  CORPUS_HEIGHT,
  corpusBlock,
  corpusBytes,
  corpusTxs,
  dropIndexOfLastBlocks,
  dumpIndex,
  makeBlock,
  makeEnvelope,
  recordSpan,
  syntheticChain,
  tempDir,
} from '../test-support/blockstore-fixtures.js';

async function refused(p: Promise<unknown>, code: string): Promise<BlockStoreError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BlockStoreError, `expected a BlockStoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** Refused naming the file and the offset, in the message and in details. */
async function refusedAt(
  p: Promise<unknown>,
  code: string,
  file: string,
  offset: number,
): Promise<BlockStoreError> {
  const err = await refused(p, code);
  assert.ok(err.message.includes(file), `message names ${file}: ${err.message}`);
  assert.ok(
    err.message.includes(`offset ${offset}`),
    `message names offset ${offset}: ${err.message}`,
  );
  assert.equal(err.details['file'], file);
  assert.equal(err.details['offset'], offset);
  return err;
}

const allCorpusBytes = (): Buffer[] =>
  Array.from({ length: CORPUS_HEIGHT }, (_, n) => corpusBytes(n));

async function buildCorpusStore(
  dir: string,
  db: BlockIndexDb | undefined,
  upTo = CORPUS_HEIGHT,
  maxFileSize?: number,
): Promise<void> {
  const store = await openBlockStore({
    dir,
    channelId: CH,
    ...(db ? { indexDb: db } : {}),
    ...(maxFileSize ? { maxFileSize } : {}),
  });
  for (let n = 0; n < upTo; n++) await store.addBlock(corpusBlock(n));
  await store.close();
}

async function assertCorpusIntact(store: BlockStore, height: number): Promise<void> {
  assert.equal(store.info().height, height);
  assert.deepEqual(
    Buffer.from(store.info().currentBlockHash),
    blockHeaderHash(corpusBlock(height - 1).header!),
  );
  for (let n = 0; n < height; n++) {
    assert.ok(Buffer.from((await store.getBlockBytes(n))!).equals(corpusBytes(n)), `block ${n}`);
  }
  for (const tx of corpusTxs().filter((t) => t.blockNum < height)) {
    assert.deepEqual(await store.getTxLocation(tx.txId), {
      blockNum: tx.blockNum,
      txNum: tx.txNum,
      validationCode: tx.validationCode,
    });
  }
}

describe('block store recovery: a torn last record', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: BlockIndexDb;
  let file: string;
  let goodSize: number;
  let tail: Buffer;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    // The record of block 86 as the store writes it, taken from a copy that went one block further.
    await buildCorpusStore(dir, undefined, CORPUS_HEIGHT - 1);
    const copy = join(dir, 'copy');
    await cp(join(dir, 'chains'), join(copy, 'chains'), { recursive: true });
    await cp(join(dir, 'index'), join(copy, 'index'), { recursive: true });
    const s = await openBlockStore({ dir: copy, channelId: CH });
    await s.addBlock(corpusBlock(CORPUS_HEIGHT - 1));
    await s.close();
    file = blockFile(dir, CH);
    goodSize = (await stat(file)).size;
    tail = (await readFile(blockFile(copy, CH))).subarray(goodSize);
    assert.equal(tail.length, 24 + corpusBytes(CORPUS_HEIGHT - 1).length);
    db = await openBlockIndexDb(dir);
  });

  after(async () => {
    await db.close();
    await cleanup();
  });

  async function openCut(tornBytes: Buffer, reason: RegExp): Promise<void> {
    await appendFile(file, tornBytes);
    const { logger, records } = recordingLoggers();
    const store = await openBlockStore({ dir, channelId: CH, indexDb: db, logger });
    try {
      assert.equal(store.info().height, CORPUS_HEIGHT - 1, `after ${tornBytes.length} torn bytes`);
      assert.deepEqual(
        Buffer.from(store.info().currentBlockHash),
        blockHeaderHash(corpusBlock(CORPUS_HEIGHT - 2).header!),
      );
      assert.equal(await store.getBlockBytes(CORPUS_HEIGHT - 1), undefined);
      assert.equal(
        (await stat(file)).size,
        goodSize,
        `cut back after ${tornBytes.length} torn bytes`,
      );
      const warn = records.find((r) => r.level === 'warn');
      assert.ok(warn, 'the cut is logged');
      assert.equal(warn.fields?.['file'], file);
      assert.equal(warn.fields?.['offset'], goodSize);
      assert.equal(warn.fields?.['bytes'], tornBytes.length);
      assert.match(String(warn.fields?.['reason']), reason);
    } finally {
      await store.close();
    }
  }

  it('cuts a record torn at any point of its header and at sampled points of its body', async () => {
    const cuts = new Set<number>();
    for (let k = 1; k <= 88; k++) cuts.add(k); // every byte of the header and the start of the body
    for (let k = 89; k < tail.length - 64; k += 41) cuts.add(k);
    for (let k = tail.length - 64; k < tail.length; k++) cuts.add(k); // every byte of the end
    assert.ok(cuts.size > 200);
    for (const k of [...cuts].sort((a, b) => a - b)) {
      await openCut(tail.subarray(0, k), /record header|past the end/);
    }
  });

  it('cuts a tail of zeros (a file extended but never written)', async () => {
    for (const k of [1, 24, 100, 5000]) await openCut(Buffer.alloc(k), /zero bytes|record header/);
  });

  it('cuts a complete last record whose payload fails its checksum', async () => {
    const bad = Buffer.from(tail);
    bad[bad.length - 100] = bad[bad.length - 100]! ^ 0x40;
    await openCut(bad, /payload checksum/);
  });

  it('refuses bytes that are not the start of a record, and cuts nothing', async () => {
    await appendFile(file, Buffer.alloc(100, 0xab));
    await refusedAt(
      openBlockStore({ dir, channelId: CH, indexDb: db }),
      'CORRUPT_BLOCK_FILE',
      file,
      goodSize,
    );
    assert.equal((await stat(file)).size, goodSize + 100);
    await truncate(file, goodSize);
  });

  it('takes the torn block again after the cut, and keeps it across a reopen', async () => {
    await appendFile(file, tail.subarray(0, 1000));
    let store = await openBlockStore({ dir, channelId: CH, indexDb: db });
    await store.addBlock(corpusBlock(CORPUS_HEIGHT - 1));
    await store.close();
    store = await openBlockStore({ dir, channelId: CH, indexDb: db });
    try {
      await assertCorpusIntact(store, CORPUS_HEIGHT);
      assert.ok((await readFile(file)).subarray(goodSize).equals(tail));
    } finally {
      await store.close();
    }
  });
});

describe('block store recovery: a lagging index', () => {
  for (const { title, maxFileSize, drop } of [
    { title: 'one block file, the last 10 blocks', maxFileSize: undefined, drop: 10 },
    {
      title: 'rolled files, the last 30 blocks across several files',
      maxFileSize: 40_000,
      drop: 30,
    },
    { title: 'no index at all', maxFileSize: 40_000, drop: CORPUS_HEIGHT },
  ]) {
    it(`indexes again what the index lacks: ${title}`, async () => {
      const { dir, cleanup } = await tempDir();
      const db = await openBlockIndexDb(dir);
      try {
        await buildCorpusStore(dir, db, CORPUS_HEIGHT, maxFileSize);
        const full = await dumpIndex(db, CH);
        await dropIndexOfLastBlocks(db, CH, allCorpusBytes(), drop);
        const lagging = await dumpIndex(db, CH);
        assert.ok(lagging.length < full.length - drop * 2);
        const { logger, records } = recordingLoggers();
        const store = await openBlockStore({
          dir,
          channelId: CH,
          indexDb: db,
          logger,
          ...(maxFileSize ? { maxFileSize } : {}),
        });
        try {
          assert.deepEqual(
            await dumpIndex(db, CH),
            full,
            'the rebuilt index is the index addBlock wrote',
          );
          await assertCorpusIntact(store, CORPUS_HEIGHT);
          const info = records.find((r) => r.msg.includes('indexed blocks'));
          assert.equal(info?.fields?.['blocks'], drop);
          // And it goes on from there.
          await store.addBlock(
            makeBlock(corpusBlock(CORPUS_HEIGHT - 1), [makeEnvelope({ txId: 'after' })]),
          );
          assert.equal(store.info().height, CORPUS_HEIGHT + 1);
        } finally {
          await store.close();
        }
      } finally {
        await db.close();
        await cleanup();
      }
    });
  }

  it('catches up from an old copy of the index directory (a crash before the index was flushed)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await buildCorpusStore(dir, undefined, 50);
      await cp(join(dir, 'index'), join(dir, 'index-at-50'), { recursive: true });
      let store = await openBlockStore({ dir, channelId: CH });
      for (let n = 50; n < CORPUS_HEIGHT; n++) await store.addBlock(corpusBlock(n));
      await store.close();
      let db = await openBlockIndexDb(dir);
      const full = await dumpIndex(db, CH);
      await db.close();
      await rm(join(dir, 'index'), { recursive: true });
      await cp(join(dir, 'index-at-50'), join(dir, 'index'), { recursive: true });
      db = await openBlockIndexDb(dir);
      store = await openBlockStore({ dir, channelId: CH, indexDb: db });
      assert.deepEqual(await dumpIndex(db, CH), full);
      await assertCorpusIntact(store, CORPUS_HEIGHT);
      await store.close();
      await db.close();
    } finally {
      await cleanup();
    }
  });

  it('refuses a damaged record in the part it has to index, when valid data follows', async () => {
    const { dir, cleanup } = await tempDir();
    const db = await openBlockIndexDb(dir);
    try {
      await buildCorpusStore(dir, db);
      const span = await recordSpan(db, CH, 80);
      await dropIndexOfLastBlocks(db, CH, allCorpusBytes(), 10);
      const file = blockFile(dir, CH);
      const bytes = await readFile(file);
      bytes[span.offset + 500] = bytes[span.offset + 500]! ^ 0x01;
      await writeFile(file, bytes);
      const err = await refusedAt(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'CORRUPT_BLOCK_FILE',
        file,
        span.offset,
      );
      assert.match(err.message, /checksum/);
      assert.equal((await stat(file)).size, bytes.length, 'nothing was cut');
    } finally {
      await db.close();
      await cleanup();
    }
  });
});

describe('block store recovery: damage and disagreement are refused', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: BlockIndexDb;
  let file: string;
  let pristine: Buffer;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    db = await openBlockIndexDb(dir);
    await buildCorpusStore(dir, db);
    file = blockFile(dir, CH);
    pristine = await readFile(file);
  });

  after(async () => {
    await db.close();
    await cleanup();
  });

  async function withFile(bytes: Buffer, check: () => Promise<void>): Promise<void> {
    await writeFile(file, bytes);
    try {
      await check();
      assert.ok((await readFile(file)).equals(bytes), 'the refused open changed nothing');
    } finally {
      await writeFile(file, pristine);
    }
  }

  it('refuses a flipped byte in the middle of the file, naming file and offset', async () => {
    const span = await recordSpan(db, CH, 40);
    const bytes = Buffer.from(pristine);
    bytes[span.offset + 24 + 1000] = bytes[span.offset + 24 + 1000]! ^ 0x80;
    await withFile(bytes, async () => {
      const err = await refusedAt(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'CORRUPT_BLOCK_FILE',
        file,
        span.offset,
      );
      assert.match(err.message, /payload checksum mismatch \(block 40\)/);
    });
  });

  it('refuses a flipped byte in a record header (its length) in the middle of the file', async () => {
    const span = await recordSpan(db, CH, 41);
    const bytes = Buffer.from(pristine);
    bytes[span.offset + 6] = bytes[span.offset + 6]! ^ 0x01;
    await withFile(bytes, async () => {
      const err = await refusedAt(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'CORRUPT_BLOCK_FILE',
        file,
        span.offset,
      );
      assert.match(err.message, /header checksum/);
    });
  });

  it('refuses a flipped byte in the last record, which the index lists as committed', async () => {
    const span = await recordSpan(db, CH, CORPUS_HEIGHT - 1);
    const bytes = Buffer.from(pristine);
    bytes[span.end - 3] = bytes[span.end - 3]! ^ 0x01;
    await withFile(bytes, async () => {
      const err = await refusedAt(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'CORRUPT_BLOCK_FILE',
        file,
        span.offset,
      );
      assert.match(err.message, /committed/);
    });
  });

  it('refuses a file that lost blocks the index lists', async () => {
    const last = await recordSpan(db, CH, CORPUS_HEIGHT - 1);
    for (const cut of [last.offset, last.offset + 30]) {
      await withFile(pristine.subarray(0, cut), async () => {
        const err = await refusedAt(
          openBlockStore({ dir, channelId: CH, indexDb: db }),
          'INDEX_MISMATCH',
          file,
          cut,
        );
        assert.match(err.message, /lost committed blocks/);
      });
    }
  });

  it('refuses the block file of another chain', async () => {
    const other = syntheticChain(90, 1, 'x');
    const { dir: d2, cleanup: c2 } = await tempDir();
    try {
      const s = await openBlockStore({ dir: d2, channelId: CH });
      for (const b of other) await s.addBlock(b);
      await s.close();
      const foreign = await readFile(blockFile(d2, CH));
      await withFile(foreign, async () => {
        await refused(openBlockStore({ dir, channelId: CH, indexDb: db }), 'INDEX_MISMATCH');
      });
    } finally {
      await c2();
    }
  });

  it('opens again once the file is whole', async () => {
    const store = await openBlockStore({ dir, channelId: CH, indexDb: db });
    try {
      await assertCorpusIntact(store, CORPUS_HEIGHT);
    } finally {
      await store.close();
    }
  });
});

describe('block store recovery: several block files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let db: BlockIndexDb;
  const maxFileSize = 40_000;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    db = await openBlockIndexDb(dir);
    await buildCorpusStore(dir, db, CORPUS_HEIGHT, maxFileSize);
  });

  after(async () => {
    await db.close();
    await cleanup();
  });

  it('finds damage in an older file when reading it, and at open with verifyOnOpen all-files', async () => {
    const span = await recordSpan(db, CH, 10);
    assert.ok(span.file > 0);
    const last = await recordSpan(db, CH, CORPUS_HEIGHT - 1);
    assert.ok(last.file > span.file);
    const file = blockFile(dir, CH, span.file);
    const pristine = await readFile(file);
    const bytes = Buffer.from(pristine);
    bytes[span.offset + 200] = bytes[span.offset + 200]! ^ 0x01;
    await writeFile(file, bytes);
    try {
      const store = await openBlockStore({ dir, channelId: CH, indexDb: db });
      try {
        assert.ok(await store.getBlockBytes(9));
        await refusedAt(store.getBlockBytes(10), 'CORRUPT_BLOCK_FILE', file, span.offset);
        await refusedAt(store.iterator(10).next(), 'CORRUPT_BLOCK_FILE', file, span.offset);
      } finally {
        await store.close();
      }
      await refusedAt(
        openBlockStore({ dir, channelId: CH, indexDb: db, verifyOnOpen: 'all-files' }),
        'CORRUPT_BLOCK_FILE',
        file,
        span.offset,
      );
    } finally {
      await writeFile(file, pristine);
    }
    const store = await openBlockStore({
      dir,
      channelId: CH,
      indexDb: db,
      verifyOnOpen: 'all-files',
    });
    await assertCorpusIntact(store, CORPUS_HEIGHT);
    await store.close();
  });

  it('refuses an older file whose length differs from the one recorded', async () => {
    const file = blockFile(dir, CH, 1);
    const pristine = await readFile(file);
    await appendFile(file, Buffer.alloc(10));
    try {
      const err = await refused(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'INDEX_MISMATCH',
      );
      assert.ok(err.message.includes(file), err.message);
    } finally {
      await writeFile(file, pristine);
    }
  });

  it('refuses a missing file, naming it', async () => {
    const file = blockFile(dir, CH, 2);
    const pristine = await readFile(file);
    await rm(file);
    try {
      const err = await refused(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'INDEX_MISMATCH',
      );
      assert.ok(err.message.includes(file), err.message);
    } finally {
      await writeFile(file, pristine);
    }
  });

  it('refuses a torn record at the end of a file that another file follows', async () => {
    const { file: lastFile } = await recordSpan(db, CH, CORPUS_HEIGHT - 1);
    const span = await recordSpan(db, CH, CORPUS_HEIGHT - 1);
    await dropIndexOfLastBlocks(db, CH, allCorpusBytes(), 1);
    const extra = blockFile(dir, CH, lastFile + 1);
    try {
      // Block 86 torn in its file, and yet a later file exists.
      const lastBytes = await readFile(blockFile(dir, CH, lastFile));
      await writeFile(blockFile(dir, CH, lastFile), lastBytes.subarray(0, span.offset + 50));
      await writeFile(extra, Buffer.alloc(0));
      await refusedAt(
        openBlockStore({ dir, channelId: CH, indexDb: db }),
        'CORRUPT_BLOCK_FILE',
        blockFile(dir, CH, lastFile),
        span.offset,
      );
      await writeFile(blockFile(dir, CH, lastFile), lastBytes);
    } finally {
      await rm(extra, { force: true });
    }
    // With the file whole again, the dropped block is indexed again.
    const store = await openBlockStore({ dir, channelId: CH, indexDb: db });
    await assertCorpusIntact(store, CORPUS_HEIGHT);
    await store.close();
  });

  it('uses an empty last file left by a crash right after a new file was started', async () => {
    const { file: lastFile } = await recordSpan(db, CH, CORPUS_HEIGHT - 1);
    const empty = blockFile(dir, CH, lastFile + 1);
    await writeFile(empty, Buffer.alloc(0));
    let store = await openBlockStore({ dir, channelId: CH, indexDb: db, maxFileSize });
    const next = makeBlock(corpusBlock(CORPUS_HEIGHT - 1), [makeEnvelope({ txId: 'after' })]);
    await store.addBlock(next);
    assert.ok((await stat(empty)).size > 0, 'the next block went into the empty file');
    await store.close();
    store = await openBlockStore({
      dir,
      channelId: CH,
      indexDb: db,
      maxFileSize,
      verifyOnOpen: 'all-files',
    });
    assert.equal(store.info().height, CORPUS_HEIGHT + 1);
    assert.equal(
      Number((await store.getBlockByNumber(CORPUS_HEIGHT))!.header!.number),
      CORPUS_HEIGHT,
    );
    await store.close();
  });
});

describe('block store rollback (peer node rollback)', () => {
  it('leaves the files and index a store of the first blocks has, and takes the rest again', async () => {
    const { dir, cleanup } = await tempDir();
    const ref = await tempDir();
    const maxFileSize = 40_000;
    const db = await openBlockIndexDb(dir);
    const refDb = await openBlockIndexDb(ref.dir);
    try {
      await buildCorpusStore(dir, db, CORPUS_HEIGHT, maxFileSize);
      const full = await dumpIndex(db, CH);
      await buildCorpusStore(ref.dir, refDb, 41, maxFileSize);
      const files = async (d: string) => {
        const chain = join(d, 'chains', CH);
        const names = (await readdir(chain)).sort();
        return Promise.all(names.map(async (n) => [n, await readFile(join(chain, n))] as const));
      };
      assert.ok((await files(dir)).length > (await files(ref.dir)).length, 'blocks span files');

      let store = await openBlockStore({ dir, channelId: CH, indexDb: db, maxFileSize });
      await assert.rejects(
        store.rollback!(CORPUS_HEIGHT - 1),
        /target block number \[86\] should be less than the biggest block number \[86\]/,
      );
      await store.rollback!(40);
      assert.deepEqual(await dumpIndex(db, CH), await dumpIndex(refDb, CH));
      assert.deepEqual(await files(dir), await files(ref.dir));

      store = await openBlockStore({ dir, channelId: CH, indexDb: db, maxFileSize });
      await assertCorpusIntact(store, 41);
      assert.equal(
        await store.getTxLocation(corpusTxs().find((t) => t.blockNum > 40)!.txId),
        undefined,
      );
      for (let n = 41; n < CORPUS_HEIGHT; n++) await store.addBlock(corpusBlock(n));
      await assertCorpusIntact(store, CORPUS_HEIGHT);
      await store.close();
      assert.deepEqual(await dumpIndex(db, CH), full);
    } finally {
      await refDb.close();
      await db.close();
      await ref.cleanup();
      await cleanup();
    }
  });

  it('interrupted after its index change, the store is whole again when it next opens', async () => {
    const { dir, cleanup } = await tempDir();
    const db = await openBlockIndexDb(dir);
    try {
      await buildCorpusStore(dir, db, CORPUS_HEIGHT, 40_000);
      const full = await dumpIndex(db, CH);
      await cp(join(dir, 'chains'), join(dir, 'saved'), { recursive: true });
      const store = await openBlockStore({ dir, channelId: CH, indexDb: db, maxFileSize: 40_000 });
      await store.rollback!(40);
      // A crash before the files were cut: the files as they were, the index rolled back.
      await rm(join(dir, 'chains', CH), { recursive: true });
      await cp(join(dir, 'saved', CH), join(dir, 'chains', CH), { recursive: true });
      const reopened = await openBlockStore({
        dir,
        channelId: CH,
        indexDb: db,
        maxFileSize: 40_000,
      });
      await assertCorpusIntact(reopened, CORPUS_HEIGHT);
      await reopened.close();
      assert.deepEqual(await dumpIndex(db, CH), full);
    } finally {
      await db.close();
      await cleanup();
    }
  });
});
