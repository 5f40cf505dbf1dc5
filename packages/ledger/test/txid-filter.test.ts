// The txid filter that answers "no such txid" from memory, and the index's use of it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { ChannelIndex, type BytesLevel } from '../src/blockstore/block-index.js';
import { txIdKey, txIdPrefix } from '../src/blockstore/keys.js';
import { TxIdFilter } from '../src/blockstore/txid-filter.js';
import { tempDir } from '../test-support/blockstore-fixtures.js';

const txIdAt = (i: number): string => `tx-${i}-${(i * 2654435761) >>> 0}`;

describe('TxIdFilter', () => {
  it('never forgets a txid, through several layers, and rarely says yes to an unknown one', () => {
    const filter = new TxIdFilter();
    const n = 300_000; // beyond the first two layers (64 Ki + 128 Ki entries)
    for (let i = 0; i < n; i++) filter.add(txIdPrefix(txIdAt(i)));
    assert.equal(filter.entries, n);
    for (let i = 0; i < n; i++) {
      if (!filter.mightContain(txIdPrefix(txIdAt(i)))) assert.fail(`forgot ${txIdAt(i)}`);
    }
    let falseYes = 0;
    const probes = 100_000;
    for (let i = 0; i < probes; i++) {
      if (filter.mightContain(txIdPrefix(randomBytes(32).toString('hex')))) falseYes++;
    }
    // ≈ 1 % per layer, three layers here.
    assert.ok(falseYes / probes < 0.04, `false positive rate ${falseYes / probes}`);
  });
});

describe('ChannelIndex with its txid filter', () => {
  let cleanup: () => Promise<void>;
  let db: ClassicLevel<Buffer, Buffer>;
  let reads = 0;
  let counting: BytesLevel;

  before(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const sub = db.sublevel<Buffer, Buffer>('ch', {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    counting = {
      get: (k) => sub.get(k),
      getMany: (ks) => sub.getMany(ks),
      batch: (ops) => sub.batch(ops),
      keys: (o) => sub.keys(o),
      iterator: (o) => {
        reads++;
        return sub.iterator(o);
      },
    };
  });

  after(async () => {
    await db?.close();
    await cleanup?.();
  });

  const put = (txId: string, blockNum: number) => ({
    type: 'put' as const,
    key: txIdKey(txId, blockNum, 0),
    value: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  });

  it('answers unknown txids without reading the index once filled, and finds every known one', async () => {
    const before = new ChannelIndex(counting);
    await before.write(Array.from({ length: 5000 }, (_, i) => put(txIdAt(i), 1 + (i >> 8))));

    // A fresh handle (a restart): until its filter is filled, every lookup reads the index.
    const index = new ChannelIndex(counting);
    reads = 0;
    assert.equal(await index.firstTx('unknown-before-fill', 100), undefined);
    assert.equal(reads, 1);

    // A block indexed while the scan runs is found too.
    const loading = index.loadTxIdFilter(() => false);
    await index.write([put('written-during-fill', 30)]);
    assert.equal(await loading, 5001);

    reads = 0;
    for (let i = 0; i < 1000; i++)
      assert.equal(await index.firstTx(`unknown-${i}`, 100), undefined);
    assert.ok(reads < 40, `${reads} index reads for 1000 unknown txids`);

    for (let i = 0; i < 5000; i += 7) {
      const hit = await index.firstTx(txIdAt(i), 100);
      assert.equal(hit?.blockNum, 1 + (i >> 8));
    }
    assert.equal((await index.firstTx('written-during-fill', 100))?.blockNum, 30);
    await index.write([put('written-after-fill', 31)]);
    assert.equal((await index.firstTx('written-after-fill', 100))?.blockNum, 31);
    // Above the height the entry is not an occurrence yet.
    assert.equal(await index.firstTx('written-after-fill', 31), undefined);
  });

  it('stops filling when asked, and then reads the index for every lookup', async () => {
    const index = new ChannelIndex(counting);
    assert.equal(await index.loadTxIdFilter(() => true), undefined);
    reads = 0;
    assert.equal(await index.firstTx('unknown-after-stop', 100), undefined);
    assert.equal(reads, 1);
    assert.equal((await index.firstTx(txIdAt(3), 100))?.blockNum, 1);
  });
});
