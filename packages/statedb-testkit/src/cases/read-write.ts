/** Reads and writes of single keys, deletes, getStateMultipleKeys, and values of every kind. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  assertValueBytes,
  assertVersioned,
  b,
  del,
  drain,
  h,
  put,
  scanKeys,
  sessionTest,
  type SuiteSettings,
} from '../harness.js';

export function readWriteTests(settings: SuiteSettings): void {
  const test = sessionTest(settings);

  describe('get, put and delete', () => {
    test('reads a missing key, and a key of a missing namespace, as undefined', async (s) => {
      const db = await s.db();
      assert.equal(await db.getState('ns', 'key1'), undefined);
      await db.applyUpdates([put('ns', 'key1', 'value1', h(1, 0))], h(1, 0));
      assert.equal(await db.getState('ns', 'key2'), undefined);
      assert.equal(await db.getState('other', 'key1'), undefined);
    });

    test('reads back the value and version of a write, with no metadata when none was written', async (s) => {
      const db = await s.db();
      await db.applyUpdates(
        [
          put('ns1', 'key1', 'value1', h(1, 1)),
          put('ns1', 'key2', 'value2', h(1, 2)),
          put('ns2', 'key3', 'value3', h(1, 3)),
          put('ns2', 'key4', 'null', h(1, 4)),
        ],
        h(2, 5),
      );
      assertVersioned(
        settings,
        await db.getState('ns1', 'key1'),
        { value: 'value1', version: h(1, 1) },
        'ns1/key1',
      );
      assertVersioned(
        settings,
        await db.getState('ns1', 'key2'),
        { value: 'value2', version: h(1, 2) },
        'ns1/key2',
      );
      assertVersioned(
        settings,
        await db.getState('ns2', 'key3'),
        { value: 'value3', version: h(1, 3) },
        'ns2/key3',
      );
      assertVersioned(
        settings,
        await db.getState('ns2', 'key4'),
        { value: 'null', version: h(1, 4) },
        'ns2/key4',
      );
    });

    test('reads back the metadata written with a value', async (s) => {
      const db = await s.db();
      const binaryMeta = Uint8Array.from([0x0a, 0x00, 0xff, 0x12, 0x80]);
      await db.applyUpdates(
        [
          put('ns1', 'key1', 'value1', h(1, 1), 'metadata1'),
          put('ns1', 'key2', 'value2', h(1, 2), binaryMeta),
          put('ns2', 'key3', 'value3', h(1, 3)),
          put('ns2', 'key4', new Uint8Array(0), h(1, 4), 'metadata4'),
        ],
        h(2, 5),
      );
      assertVersioned(
        settings,
        await db.getState('ns1', 'key1'),
        { value: 'value1', metadata: 'metadata1', version: h(1, 1) },
        'ns1/key1',
      );
      assertVersioned(
        settings,
        await db.getState('ns1', 'key2'),
        { value: 'value2', metadata: binaryMeta, version: h(1, 2) },
        'ns1/key2',
      );
      assertVersioned(
        settings,
        await db.getState('ns2', 'key3'),
        { value: 'value3', version: h(1, 3) },
        'ns2/key3',
      );
      assertVersioned(
        settings,
        await db.getState('ns2', 'key4'),
        { value: new Uint8Array(0), metadata: 'metadata4', version: h(1, 4) },
        'ns2/key4',
      );
    });

    test('stores an empty value as a value, not as a deletion', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'empty', new Uint8Array(0), h(1, 4))], h(1, 4));
      assertVersioned(
        settings,
        await db.getState('ns', 'empty'),
        { value: new Uint8Array(0), version: h(1, 4) },
        'ns/empty',
      );
      assert.deepEqual(await scanKeys(db, 'ns'), ['empty']);
    });

    test('replaces value, version and metadata on a later write; metadata goes when the write has none', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'k', 'v1', h(1, 0), 'm1')], h(1, 0));
      await db.applyUpdates([put('ns', 'k', 'v2', h(2, 3), 'm2')], h(2, 3));
      assertVersioned(
        settings,
        await db.getState('ns', 'k'),
        { value: 'v2', metadata: 'm2', version: h(2, 3) },
        'after the second write',
      );
      await db.applyUpdates([put('ns', 'k', 'v3', h(3, 0))], h(3, 0));
      assertVersioned(
        settings,
        await db.getState('ns', 'k'),
        { value: 'v3', version: h(3, 0) },
        'after a write without metadata',
      );
    });

    test('a delete is a deletion: getState, getStateMultipleKeys and range scans no longer see the key', async (s) => {
      const db = await s.db();
      await db.applyUpdates(
        [
          put('ns', 'key1', 'value1', h(1, 1)),
          put('ns', 'key2', 'value2', h(1, 2)),
          put('ns', 'key3', 'value2', h(1, 3), 'meta3'),
          put('ns', 'key4', 'value2', h(1, 4)),
        ],
        h(1, 4),
      );
      await db.applyUpdates([del('ns', 'key3', h(2, 0))], h(2, 0));
      assert.equal(await db.getState('ns', 'key3'), undefined);
      assertVersioned(
        settings,
        await db.getState('ns', 'key2'),
        { value: 'value2', version: h(1, 2) },
        'ns/key2',
      );
      await db.applyUpdates([del('ns', 'key2', h(3, 0))], h(3, 0));
      assert.equal(await db.getState('ns', 'key2'), undefined);
      const many = await db.getStateMultipleKeys('ns', ['key1', 'key2', 'key3', 'key4']);
      assert.equal(many.length, 4);
      assert.equal(many[1], undefined);
      assert.equal(many[2], undefined);
      assert.deepEqual(await scanKeys(db, 'ns'), ['key1', 'key4']);
      assert.deepEqual(await scanKeys(db, 'ns', 'key2', 'key4'), []);
    });

    test('deleting a key that does not exist is not an error', async (s) => {
      const db = await s.db();
      await db.applyUpdates([del('ns', 'never', h(1, 0)), del('nons', 'never', h(1, 1))], h(1, 1));
      assert.equal(await db.getState('ns', 'never'), undefined);
      assert.deepEqual(await db.getLatestSavePoint(), h(1, 1));
    });

    test('a key written again after a delete is back, with the new value and version', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'k', 'v1', h(1, 0), 'm1')], h(1, 0));
      await db.applyUpdates([del('ns', 'k', h(2, 0))], h(2, 0));
      await db.applyUpdates([put('ns', 'k', 'v3', h(3, 7))], h(3, 7));
      assertVersioned(
        settings,
        await db.getState('ns', 'k'),
        { value: 'v3', version: h(3, 7) },
        'ns/k',
      );
      assert.deepEqual(await scanKeys(db, 'ns'), ['k']);
    });

    test('keeps heights exactly, up to Number.MAX_SAFE_INTEGER', async (s) => {
      const db = await s.db();
      const heights = [
        h(0, 0),
        h(0, 1),
        h(255, 256),
        h(2 ** 32 + 5, 70000),
        h(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      ];
      await db.applyUpdates(
        heights.map((v, i) => put('ns', `k${i}`, `v${i}`, v)),
        h(Number.MAX_SAFE_INTEGER, 3),
      );
      for (const [i, v] of heights.entries()) {
        assertVersioned(
          settings,
          await db.getState('ns', `k${i}`),
          { value: `v${i}`, version: v },
          `k${i}`,
        );
      }
      assert.deepEqual(await db.getLatestSavePoint(), h(Number.MAX_SAFE_INTEGER, 3));
    });

    test('keeps its own copies: changing the bytes written or read changes nothing stored', async (s) => {
      const db = await s.db();
      const value = b('original');
      const metadata = b('meta');
      await db.applyUpdates(
        [{ namespace: 'ns', key: 'k', value, metadata, version: h(1, 0) }],
        h(1, 0),
      );
      value.fill(0x21);
      metadata.fill(0x21);
      const read = await db.getState('ns', 'k');
      assertVersioned(
        settings,
        read,
        { value: 'original', metadata: 'meta', version: h(1, 0) },
        'after changing the written bytes',
      );
      read?.value.fill(0x22);
      read?.metadata?.fill(0x22);
      const [many] = await db.getStateMultipleKeys('ns', ['k']);
      assertVersioned(
        settings,
        many,
        { value: 'original', metadata: 'meta', version: h(1, 0) },
        'after changing the read bytes',
      );
      many?.value.fill(0x23);
      const [scanned] = await drain(await db.getStateRangeScanIterator('ns', '', ''));
      assertVersioned(
        settings,
        scanned,
        { value: 'original', metadata: 'meta', version: h(1, 0) },
        'scanned',
      );
      scanned?.value.fill(0x24);
      assertVersioned(
        settings,
        await db.getState('ns', 'k'),
        { value: 'original', metadata: 'meta', version: h(1, 0) },
        'at last',
      );
    });
  });

  describe('getStateMultipleKeys', () => {
    test('answers in the order of the keys asked, undefined where a key does not exist', async (s) => {
      const db = await s.db();
      await db.applyUpdates(
        [
          put('ns1', 'key1', 'value1', h(1, 1)),
          put('ns1', 'key2', 'value2', h(1, 2), 'meta2'),
          put('ns2', 'key3', 'value3', h(1, 3)),
          put('ns2', 'key4', new Uint8Array(0), h(1, 4)),
        ],
        h(2, 5),
      );
      const got = await db.getStateMultipleKeys('ns1', ['key2', 'missing', 'key1', 'key3']);
      assert.equal(got.length, 4);
      assertVersioned(
        settings,
        got[0],
        { value: 'value2', metadata: 'meta2', version: h(1, 2) },
        '[0] key2',
      );
      assert.equal(got[1], undefined, '[1] missing');
      assertVersioned(settings, got[2], { value: 'value1', version: h(1, 1) }, '[2] key1');
      assert.equal(got[3], undefined, '[3] key3 is in another namespace');
      const ns2 = await db.getStateMultipleKeys('ns2', ['key4', 'key3']);
      assertVersioned(settings, ns2[0], { value: new Uint8Array(0), version: h(1, 4) }, 'ns2 key4');
      assertVersioned(settings, ns2[1], { value: 'value3', version: h(1, 3) }, 'ns2 key3');
    });

    test('answers a key asked twice twice, an empty list with an empty list, a missing namespace with holes', async (s) => {
      const db = await s.db();
      await db.applyUpdates([put('ns', 'a', 'A', h(1, 0))], h(1, 0));
      const twice = await db.getStateMultipleKeys('ns', ['a', 'a']);
      assert.equal(twice.length, 2);
      assertVersioned(settings, twice[0], { value: 'A', version: h(1, 0) }, '[0]');
      assertVersioned(settings, twice[1], { value: 'A', version: h(1, 0) }, '[1]');
      assert.deepEqual(await db.getStateMultipleKeys('ns', []), []);
      assert.deepEqual(await db.getStateMultipleKeys('none', ['a', 'b']), [undefined, undefined]);
    });
  });

  describe('values', () => {
    test('reads back values that are not JSON byte for byte (every byte value, invalid UTF-8, NUL)', async (s) => {
      const db = await s.db();
      const values: Record<string, Uint8Array> = {
        all: Uint8Array.from({ length: 256 }, (_, i) => i),
        reversed: Uint8Array.from({ length: 256 }, (_, i) => 255 - i),
        invalidUtf8: Uint8Array.from([
          0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc,
        ]),
        nul: Uint8Array.from([0]),
        text: b('hello, world'),
        almostJson: b('{"a": 1'),
        jsonThenJunk: b('{"a":1} x'),
        bomJson: Uint8Array.from([0xef, 0xbb, 0xbf, ...b('{"a":1}')]),
        protobufLike: Uint8Array.from([0x0a, 0x03, 0x01, 0x02, 0x03, 0x12, 0x00]),
      };
      const entries = Object.entries(values);
      await db.applyUpdates(
        entries.map(([k, v], i) => put('ns', k, v, h(1, i))),
        h(1, entries.length),
      );
      for (const [k, v] of entries) {
        assertValueBytes(settings, (await db.getState('ns', k))?.value, v, k);
      }
      for (const kv of await drain(await db.getStateRangeScanIterator('ns', '', ''))) {
        assertValueBytes(
          settings,
          kv.value,
          values[kv.key] ?? new Uint8Array(0),
          `scanned ${kv.key}`,
        );
      }
    });

    test('reads back JSON values: objects, arrays, numbers, strings, true and null', async (s) => {
      const db = await s.db();
      const values: Record<string, string> = {
        object: '{"asset_name":"marble1","color":"blue","size":1,"owner":"tom"}',
        spaced: '{ "b" : [1, 2, {"c": null}],\n  "a": "x" }',
        nested: '{"outer":{"_inner":1,"~version":"nested fields are data"},"n":1000007}',
        unicode: '{"name":"caf\\u00e9 ☕","emoji":"😀"}',
        empty: '{}',
        array: '[1,"two",{"three":3}]',
        number: '42',
        float: '1.5e300',
        string: '"just a string"',
        true: 'true',
        null: 'null',
      };
      const entries = Object.entries(values);
      await db.applyUpdates(
        entries.map(([k, v], i) => put('ns', k, v, h(3, i))),
        h(3, entries.length),
      );
      for (const [k, v] of entries) {
        assertValueBytes(settings, (await db.getState('ns', k))?.value, b(v), k);
      }
      const scanned = await drain(await db.getStateRangeScanIterator('ns', '', ''));
      assert.equal(scanned.length, entries.length);
      for (const kv of scanned)
        assertValueBytes(settings, kv.value, b(values[kv.key] ?? ''), `scanned ${kv.key}`);
    });

    test('reads back large values (1 MiB), binary and JSON, through getState, getStateMultipleKeys and scans', async (s) => {
      const db = await s.db();
      const size = settings.largeValueBytes;
      const binary = Uint8Array.from({ length: size }, (_, i) => (i * 7919 + (i >>> 8)) & 0xff);
      const json = b(JSON.stringify({ docType: 'blob', data: 'x'.repeat(size - 32) }));
      await db.applyUpdates(
        [
          put('ns', 'binary', binary, h(1, 0), binary.subarray(0, 1024)),
          put('ns', 'json', json, h(1, 1)),
          put('ns', 'small', 'small', h(1, 2)),
        ],
        h(1, 2),
      );
      assertVersioned(
        settings,
        await db.getState('ns', 'binary'),
        { value: binary, metadata: binary.subarray(0, 1024), version: h(1, 0) },
        'binary',
      );
      assertVersioned(
        settings,
        await db.getState('ns', 'json'),
        { value: json, version: h(1, 1) },
        'json',
      );
      const [bin, js] = await db.getStateMultipleKeys('ns', ['binary', 'json']);
      assertValueBytes(settings, bin?.value, binary, 'getStateMultipleKeys binary');
      assertValueBytes(settings, js?.value, json, 'getStateMultipleKeys json');
      const scanned = await drain(await db.getStateRangeScanIterator('ns', '', ''));
      assert.deepEqual(
        scanned.map((kv) => kv.key),
        ['binary', 'json', 'small'],
      );
      assertValueBytes(settings, scanned[0]?.value, binary, 'scanned binary');
      assertValueBytes(settings, scanned[1]?.value, json, 'scanned json');
    });
  });
}
