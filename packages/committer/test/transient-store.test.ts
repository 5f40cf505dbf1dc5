/** The transient store on a real LevelDB: persist, read by txid, purge by txid and by height. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeTxId } from '@fabric-peer/protos';

import { CommitterError, openTransientStore, type TransientStore } from '../src/index.js';

const txid = (n: number) => computeTxId(Uint8Array.of(n), Uint8Array.of(1, 2, 3));
const data = (...b: number[]) => Uint8Array.from(b);

describe('transient store', () => {
  let dir: string;
  let store: TransientStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transientstore-'));
    store = await openTransientStore(join(dir, 'transientstore'));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every write set of a txid, oldest first, per channel', async () => {
    const ch = store.channel('ch1');
    await ch.persist(txid(1), 5, data(1));
    await ch.persist(txid(1), 6, data(2));
    await ch.persist(txid(2), 5, data(3));
    await store.channel('ch2').persist(txid(1), 9, data(9));
    const got = await ch.getTxPvtRwSetByTxid(txid(1));
    assert.deepEqual(
      got.map((e) => [e.endorsedAt, [...e.privateRwset]]),
      [
        [5, [1]],
        [6, [2]],
      ],
    );
    assert.equal((await store.channel('ch2').getTxPvtRwSetByTxid(txid(1))).length, 1);
    assert.deepEqual(await ch.getTxPvtRwSetByTxid(txid(99)), []);
  });

  it("is the endorser's PrivateDataDistributor", async () => {
    await store.distributePrivateData({
      channelId: 'ch3',
      txId: txid(3),
      privateRwset: data(7, 7),
      endorsedAt: 12,
    });
    const [entry] = await store.channel('ch3').getTxPvtRwSetByTxid(txid(3));
    assert.deepEqual([...entry!.privateRwset], [7, 7]);
    assert.equal(entry!.endorsedAt, 12);
  });

  it('purges by txid, in its channel only', async () => {
    const ch = store.channel('ch1');
    await ch.purgeByTxids([txid(1), txid(42)]);
    assert.deepEqual(await ch.getTxPvtRwSetByTxid(txid(1)), []);
    assert.equal((await ch.getTxPvtRwSetByTxid(txid(2))).length, 1);
    assert.equal((await store.channel('ch2').getTxPvtRwSetByTxid(txid(1))).length, 1);
  });

  it('purges what was endorsed below a height', async () => {
    const ch = store.channel('ch4');
    for (let h = 1; h <= 5; h++) await ch.persist(txid(10 + h), h, data(h));
    await ch.purgeBelowHeight(4);
    const left = [];
    for (let h = 1; h <= 5; h++) left.push((await ch.getTxPvtRwSetByTxid(txid(10 + h))).length);
    assert.deepEqual(left, [0, 0, 0, 1, 1]);
    // The height index went with the data: purging again finds nothing more to remove.
    await ch.purgeBelowHeight(5);
    assert.equal((await ch.getTxPvtRwSetByTxid(txid(14))).length, 0);
    assert.equal((await ch.getTxPvtRwSetByTxid(txid(15))).length, 1);
  });

  it('refuses a txid that is not one, and never reads or purges with it', async () => {
    const ch = store.channel('ch1');
    await assert.rejects(ch.persist('not-a-txid', 1, data(1)), (err: unknown) => {
      assert.ok(err instanceof CommitterError);
      assert.equal(err.code, 'TRANSIENT_STORE_FAILED');
      return true;
    });
    assert.deepEqual(await ch.getTxPvtRwSetByTxid(''), []);
    await ch.purgeByTxids(['', '\u0000']);
    assert.equal((await ch.getTxPvtRwSetByTxid(txid(2))).length, 1);
  });

  it('keeps its data across a reopen, and says when it is in use or closed', async () => {
    const path = join(dir, 'other');
    const first = await openTransientStore(path);
    await first.channel('c').persist(txid(50), 1, data(5));
    await assert.rejects(openTransientStore(path), /in use by another process/);
    await first.close();
    await assert.rejects(first.channel('c').getTxPvtRwSetByTxid(txid(50)), /is closed/);
    const again = await openTransientStore(path);
    assert.equal((await again.channel('c').getTxPvtRwSetByTxid(txid(50))).length, 1);
    await again.close();
  });
});
