/** The provider (channels, drop), applyUpdates with savepoints, and persistence across reopen. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { StateUpdate } from '@fabric-peer/api';
import {
  assertVersioned,
  del,
  h,
  put,
  scanKeys,
  sessionTest,
  type SuiteSettings,
} from '../harness.js';

export function commitTests(settings: SuiteSettings): void {
  const test = sessionTest(settings);

  describe('provider', () => {
    test('has a name', async (s) => {
      const p = await s.provider();
      assert.equal(typeof p.name, 'string');
      assert.notEqual(p.name, '');
    });

    test('opens a new channel empty: no savepoint, no keys', async (s) => {
      const db = await s.db();
      assert.equal(await db.getLatestSavePoint(), undefined);
      assert.equal(await db.getState('ns', 'key1'), undefined);
      assert.deepEqual(await scanKeys(db, 'ns'), []);
    });

    test('keeps the channels of one provider apart: keys, scans and savepoints', async (s) => {
      const db1 = await s.db(s.channel('one'));
      const db2 = await s.db(s.channel('two'));
      await db1.applyUpdates(
        [put('ns1', 'key1', 'value1_db1', h(1, 1)), put('ns1', 'key2', 'value2_db1', h(1, 2))],
        h(1, 2),
      );
      await db2.applyUpdates(
        [put('ns1', 'key1', 'value1_db2', h(1, 4)), put('ns1', 'key3', 'value3_db2', h(1, 5))],
        h(1, 5),
      );
      assertVersioned(
        settings,
        await db1.getState('ns1', 'key1'),
        { value: 'value1_db1', version: h(1, 1) },
        'channel one',
      );
      assertVersioned(
        settings,
        await db2.getState('ns1', 'key1'),
        { value: 'value1_db2', version: h(1, 4) },
        'channel two',
      );
      assert.equal(await db1.getState('ns1', 'key3'), undefined);
      assert.equal(await db2.getState('ns1', 'key2'), undefined);
      assert.deepEqual(await scanKeys(db1, 'ns1'), ['key1', 'key2']);
      assert.deepEqual(await scanKeys(db2, 'ns1'), ['key1', 'key3']);
      assert.deepEqual(await db1.getLatestSavePoint(), h(1, 2));
      assert.deepEqual(await db2.getLatestSavePoint(), h(1, 5));
      // A channel whose name extends another's shares nothing with it.
      const db3 = await s.db(`${s.channel('one')}x`);
      assert.equal(await db3.getLatestSavePoint(), undefined);
      assert.deepEqual(await scanKeys(db3, 'ns1'), []);
    });

    test('drops a channel: its state and savepoint go, other channels stay; dropping again is no error', async (s) => {
      const provider = await s.provider();
      const one = s.channel('one');
      const two = s.channel('two');
      for (const [channel, ns] of [
        [one, 'ns1'],
        [two, 'ns2'],
      ] as const) {
        const db = await s.db(channel);
        await db.applyUpdates(
          [put(ns, 'key1', 'value1', h(1, 1)), put(ns, 'key2', 'value2', h(1, 2))],
          h(2, 2),
        );
        await s.closeDb(db);
      }
      await provider.drop(one);
      const db1 = await s.db(one);
      assert.equal(await db1.getLatestSavePoint(), undefined);
      assert.equal(await db1.getState('ns1', 'key1'), undefined);
      assert.deepEqual(await scanKeys(db1, 'ns1'), []);
      const db2 = await s.db(two);
      assertVersioned(
        settings,
        await db2.getState('ns2', 'key1'),
        { value: 'value1', version: h(1, 1) },
        'the other channel',
      );
      assert.deepEqual(await scanKeys(db2, 'ns2'), ['key1', 'key2']);
      assert.deepEqual(await db2.getLatestSavePoint(), h(2, 2));
      await s.closeDb(db1);
      await provider.drop(one);
      await provider.drop(s.channel('never'));
    });

    test('lets a dropped channel be used again from scratch', async (s) => {
      const provider = await s.provider();
      let db = await s.db();
      await db.applyUpdates([put('ns', 'old', 'old', h(5, 0))], h(5, 0));
      await s.closeDb(db);
      await provider.drop(s.channel());
      db = await s.db();
      await db.applyUpdates([put('ns', 'new', 'new', h(0, 0))], h(0, 0));
      assert.deepEqual(await scanKeys(db, 'ns'), ['new']);
      assert.deepEqual(await db.getLatestSavePoint(), h(0, 0));
    });
  });

  describe('applyUpdates and savepoints', () => {
    test('records the savepoint with the updates, and moves it with each block', async (s) => {
      const db = await s.db();
      assert.equal(await db.getLatestSavePoint(), undefined);
      await db.applyUpdates([put('ns', 'k', 'v', h(0, 0))], h(0, 0));
      assert.deepEqual(await db.getLatestSavePoint(), h(0, 0));
      await db.applyUpdates([put('ns', 'k', 'v', h(1, 3))], h(1, 5));
      assert.deepEqual(await db.getLatestSavePoint(), h(1, 5));
      await db.applyUpdates([del('ns', 'k', h(2, 0))], h(2, 0));
      assert.deepEqual(await db.getLatestSavePoint(), h(2, 0));
    });

    test('records the savepoint of a block with no updates', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'k', 'v', h(1, 0))], h(1, 0));
      await db.applyUpdates([], h(2, 0));
      assert.deepEqual(await db.getLatestSavePoint(), h(2, 0));
      assertVersioned(
        settings,
        await db.getState('ns', 'k'),
        { value: 'v', version: h(1, 0) },
        'ns/k',
      );
    });

    test('applies 2,000 writes and deletes over 5 namespaces as one batch', async (s) => {
      const db = await s.db();
      const namespaces = ['cc1', 'cc2', 'cc2$$hcoll', 'cc3', 'lscc'];
      const key = (i: number) => `key-${String(i).padStart(4, '0')}`;
      const first: StateUpdate[] = namespaces.flatMap((ns, n) =>
        Array.from({ length: 400 }, (_, i) =>
          put(ns, key(i), `${ns}:${i}`, h(1, n * 400 + i), i % 7 === 0 ? `m${i}` : undefined),
        ),
      );
      await db.applyUpdates(first, h(1, 1999));
      for (const ns of namespaces) assert.equal((await scanKeys(db, ns)).length, 400, ns);

      // Block 2: every third key deleted, every other rewritten, 100 new keys per namespace.
      const second: StateUpdate[] = namespaces.flatMap((ns) => [
        ...Array.from({ length: 400 }, (_, i) =>
          i % 3 === 0 ? del(ns, key(i), h(2, i)) : put(ns, key(i), `${ns}:${i}:v2`, h(2, i)),
        ),
        ...Array.from({ length: 100 }, (_, i) => put(ns, key(400 + i), `${ns}:new`, h(2, 400 + i))),
      ]);
      await db.applyUpdates(second, h(2, 499));
      assert.deepEqual(await db.getLatestSavePoint(), h(2, 499));
      for (const ns of namespaces) {
        const keys = await scanKeys(db, ns);
        assert.equal(keys.length, 400 - 134 + 100, `${ns}: keys after block 2`);
        assert.equal(await db.getState(ns, key(0)), undefined);
        assertVersioned(
          settings,
          await db.getState(ns, key(1)),
          { value: `${ns}:1:v2`, version: h(2, 1) },
          `${ns}/${key(1)}`,
        );
        assertVersioned(
          settings,
          await db.getState(ns, key(499)),
          { value: `${ns}:new`, version: h(2, 499) },
          `${ns}/${key(499)}`,
        );
      }
      const sample = await db.getStateMultipleKeys('cc3', [key(3), key(7), key(14), key(450)]);
      assert.equal(sample[0], undefined);
      assertVersioned(
        settings,
        sample[1],
        { value: 'cc3:7:v2', version: h(2, 7) },
        'cc3 key 7, its metadata gone',
      );
      assertVersioned(settings, sample[2], { value: 'cc3:14:v2', version: h(2, 14) }, 'cc3 key 14');
      assertVersioned(settings, sample[3], { value: 'cc3:new', version: h(2, 450) }, 'cc3 key 450');
    });
  });

  describe('persistence', () => {
    test('keeps the state, metadata and savepoints of every channel when the provider is closed and reopened', async (s) => {
      const one = s.channel('one');
      const two = s.channel('two');
      const db1 = await s.db(one);
      const db2 = await s.db(two);
      await db1.applyUpdates(
        [
          put('ns', 'k1', 'v1', h(3, 1), 'meta1'),
          put('ns', 'k2', 'v2', h(3, 2)),
          put('ns$$hc', 'k3', 'v3', h(3, 3)),
        ],
        h(3, 3),
      );
      await db1.applyUpdates([del('ns', 'k2', h(4, 0))], h(4, 0));
      await db2.applyUpdates([put('ns', 'k1', 'other', h(9, 9))], h(9, 9));

      await s.reopen();
      const again1 = await s.db(one);
      const again2 = await s.db(two);
      assert.deepEqual(await again1.getLatestSavePoint(), h(4, 0));
      assert.deepEqual(await again2.getLatestSavePoint(), h(9, 9));
      assertVersioned(
        settings,
        await again1.getState('ns', 'k1'),
        { value: 'v1', metadata: 'meta1', version: h(3, 1) },
        'one ns/k1',
      );
      assert.equal(await again1.getState('ns', 'k2'), undefined);
      assertVersioned(
        settings,
        await again1.getState('ns$$hc', 'k3'),
        { value: 'v3', version: h(3, 3) },
        'one ns$$hc/k3',
      );
      assert.deepEqual(await scanKeys(again1, 'ns'), ['k1']);
      assertVersioned(
        settings,
        await again2.getState('ns', 'k1'),
        { value: 'other', version: h(9, 9) },
        'two ns/k1',
      );

      // And it goes on from there.
      await again1.applyUpdates([put('ns', 'k4', 'v4', h(5, 0))], h(5, 0));
      await s.reopen();
      const third = await s.db(one);
      assert.deepEqual(await scanKeys(third, 'ns'), ['k1', 'k4']);
      assert.deepEqual(await third.getLatestSavePoint(), h(5, 0));
    });

    test('keeps a drop when the provider is reopened', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'k', 'v', h(1, 0))], h(1, 0));
      await s.closeDb(db);
      await (await s.provider()).drop(s.channel());
      await s.reopen();
      const again = await s.db();
      assert.equal(await again.getLatestSavePoint(), undefined);
      assert.deepEqual(await scanKeys(again, 'ns'), []);
    });

    test('reopens a channel on the same provider after its database was closed', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'k', 'v', h(1, 0), 'm')], h(1, 0));
      await s.closeDb(db);
      const again = await s.db();
      assertVersioned(
        settings,
        await again.getState('ns', 'k'),
        { value: 'v', metadata: 'm', version: h(1, 0) },
        'ns/k',
      );
      assert.deepEqual(await again.getLatestSavePoint(), h(1, 0));
    });
  });
}
