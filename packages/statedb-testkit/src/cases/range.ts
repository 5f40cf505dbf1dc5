/** Range scans: bounds, Fabric's key order, namespace isolation, the iterator protocol, pages. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { compareUtf8 } from '../bytes.js';
import {
  assertVersioned,
  drain,
  h,
  put,
  scanKeys,
  scanPage,
  show,
  sessionTest,
  type SuiteSettings,
} from '../harness.js';

/**
 * Keys whose UTF-8 byte order differs from JavaScript's string order, or which sit at the edges
 * of ranges: U+0000 (Fabric's composite-key separator), U+FFFF, U+10FFFF (the end of a partial
 * composite-key range), characters beyond U+FFFF (surrogate pairs in JavaScript), combining marks.
 */
export const ORDER_KEYS: readonly string[] = [
  '\u0000',
  '\u0000type\u0000a\u0000',
  '\u0000type\u0000a\u0000b\u0000',
  '\u0000type\u0000b\u0000',
  '\u0000type\u0000\u{10FFFF}',
  '\u0000typf\u0000a\u0000',
  '\u0000typ\u0000a\u0000',
  '\u0001',
  ' ',
  '0',
  'A',
  'Z',
  'a',
  'a\u0000',
  'a\u0000b',
  'ab',
  'e\u0301',
  'key1',
  'key1%=',
  'key1&%-',
  'key1-a',
  'key10',
  'key1español',
  'key1z',
  'key1中文',
  'key1한국어',
  'key2',
  '~',
  '\u007f',
  '\u0080',
  'é',
  '中文key1',
  '\uE000',
  '\uFFFD',
  '\uFFFF',
  '\u{10000}',
  '😀',
  '😀\u0000',
  '\u{10FFFF}',
  '\u{10FFFF}\u{10FFFF}',
];

/** The keys sorted by their UTF-8 bytes. */
export function utf8Sorted(keys: readonly string[]): string[] {
  return [...keys].sort(compareUtf8);
}

/** The keys k with start ≤ k < end by UTF-8 bytes ('' meaning no bound), in that order. */
export function inRange(keys: readonly string[], start: string, end: string): string[] {
  return utf8Sorted(keys).filter(
    (k) => (start === '' || compareUtf8(k, start) >= 0) && (end === '' || compareUtf8(k, end) < 0),
  );
}

async function writeKeys(
  db: VersionedDB,
  namespace: string,
  keys: readonly string[],
): Promise<void> {
  await db.applyUpdates(
    keys.map((k, i) => put(namespace, k, `value of ${i}`, h(1, i))),
    h(1, keys.length),
  );
}

export function rangeTests(settings: SuiteSettings): void {
  const test = sessionTest(settings);

  describe('range scans', () => {
    test('include the start key and exclude the end key', async (s) => {
      const db = await s.db();
      await db.applyUpdates(
        [
          put('ns1', 'key1', 'value1', h(1, 1)),
          put('ns1', 'key2', 'value2', h(1, 2)),
          put('ns1', 'key3', 'value3', h(1, 3), 'meta3'),
          put('ns1', 'key4', 'value4', h(1, 4)),
          put('ns2', 'key5', 'value5', h(1, 5)),
          put('ns2', 'key6', 'value6', h(1, 6)),
          put('ns3', 'key7', 'value7', h(1, 7)),
        ],
        h(2, 5),
      );
      assert.deepEqual(await scanKeys(db, 'ns1', 'key1', ''), ['key1', 'key2', 'key3', 'key4']);
      assert.deepEqual(await scanKeys(db, 'ns1', 'key2', 'key3'), ['key2']);
      assert.deepEqual(await scanKeys(db, 'ns1', 'key2', 'key4'), ['key2', 'key3']);
      assert.deepEqual(await scanKeys(db, 'ns1', 'key0', 'key9'), ['key1', 'key2', 'key3', 'key4']);
      assert.deepEqual(await scanKeys(db, 'ns1', 'key2a', 'key3a'), ['key3']);
      assert.deepEqual(await scanKeys(db, 'ns2', '', ''), ['key5', 'key6']);
      const [kv3] = await drain(await db.getStateRangeScanIterator('ns1', 'key3', 'key4'));
      assert.equal(kv3?.namespace, 'ns1');
      assert.equal(kv3?.key, 'key3');
      assertVersioned(
        settings,
        kv3,
        { value: 'value3', metadata: 'meta3', version: h(1, 3) },
        'scanned key3',
      );
    });

    test('scan from the first key when the start key is empty, to the last when the end key is empty', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ['b', 'c', 'd']);
      assert.deepEqual(await scanKeys(db, 'ns', '', ''), ['b', 'c', 'd']);
      assert.deepEqual(await scanKeys(db, 'ns', '', 'c'), ['b']);
      assert.deepEqual(await scanKeys(db, 'ns', 'c', ''), ['c', 'd']);
      assert.deepEqual(await scanKeys(db, 'ns', 'e', ''), []);
      assert.deepEqual(await scanKeys(db, 'ns', '', 'a'), []);
      assert.deepEqual(await scanKeys(db, 'empty', '', ''), []);
    });

    test('give nothing when the start key equals the end key', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ['a', 'b', 'c']);
      assert.deepEqual(await scanKeys(db, 'ns', 'b', 'b'), []);
    });

    test('order keys by their UTF-8 bytes, not by JavaScript string order', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ORDER_KEYS);
      const expected = utf8Sorted(ORDER_KEYS);
      // The set exercises the difference: JavaScript's own sort would put 😀 before U+FFFF.
      assert.notDeepEqual([...ORDER_KEYS].sort(), expected);
      const got = await scanKeys(db, 'ns');
      assert.deepEqual(got, expected, `got ${show(got)}`);
      for (const [start, end] of [
        ['é', '😀'],
        ['\uFFFF', '\u{10FFFF}'],
        ['key1', 'key2'],
        ['\u0000', '\u0001'],
        ['a\u0000', 'ab'],
        ['\u007f', '\uE000'],
        ['😀', ''],
        ['', '\u0000type\u0000'],
      ] as const) {
        const keys = await scanKeys(db, 'ns', start, end);
        assert.deepEqual(
          keys,
          inRange(ORDER_KEYS, start, end),
          `range ${show([start, end])}: got ${show(keys)}`,
        );
      }
      for (const [i, k] of ORDER_KEYS.entries()) {
        assertVersioned(
          settings,
          await db.getState('ns', k),
          { value: `value of ${i}`, version: h(1, i) },
          `key ${show([k])}`,
        );
      }
    });

    test('do not normalize keys: é (U+00E9) and e + U+0301 are two keys', async (s) => {
      const db = await s.db();
      await db.applyUpdates(
        [put('ns', 'é', 'precomposed', h(1, 0)), put('ns', 'e\u0301', 'combining', h(1, 1))],
        h(1, 1),
      );
      assertVersioned(
        settings,
        await db.getState('ns', 'é'),
        { value: 'precomposed', version: h(1, 0) },
        'U+00E9',
      );
      assertVersioned(
        settings,
        await db.getState('ns', 'e\u0301'),
        { value: 'combining', version: h(1, 1) },
        'e U+0301',
      );
      assert.deepEqual(await scanKeys(db, 'ns'), ['e\u0301', 'é']);
    });

    test('find the composite keys of a partial key, as GetStateByPartialCompositeKey asks', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ORDER_KEYS);
      // shim: startKey = \0type\0[attrs\0], endKey = startKey + U+10FFFF
      const start = '\u0000type\u0000';
      const got = await scanKeys(db, 'ns', start, `${start}\u{10FFFF}`);
      assert.deepEqual(
        got,
        ['\u0000type\u0000a\u0000', '\u0000type\u0000a\u0000b\u0000', '\u0000type\u0000b\u0000'],
        show(got),
      );
      const a = '\u0000type\u0000a\u0000';
      assert.deepEqual(await scanKeys(db, 'ns', a, `${a}\u{10FFFF}`), [
        a,
        '\u0000type\u0000a\u0000b\u0000',
      ]);
    });

    test('never show a namespace the keys of another (a, ab, a$$hcoll, a$$pcoll, A, a-b, a_b)', async (s) => {
      const db = await s.db();
      const namespaces = ['a', 'ab', 'a$$hcoll', 'a$$pcoll', 'A', 'a-b', 'a_b', 'b'];
      await db.applyUpdates(
        namespaces.flatMap((ns, i) => [
          put(ns, 'k', `${ns}/k`, h(1, 2 * i)),
          put(ns, `only-${ns}`, ns, h(1, 2 * i + 1)),
        ]),
        h(1, 2 * namespaces.length),
      );
      for (const [i, ns] of namespaces.entries()) {
        assert.deepEqual(await scanKeys(db, ns), ['k', `only-${ns}`], `scan of ${ns}`);
        assertVersioned(
          settings,
          await db.getState(ns, 'k'),
          { value: `${ns}/k`, version: h(1, 2 * i) },
          `${ns}/k`,
        );
        for (const other of namespaces) {
          if (other === ns) continue;
          assert.equal(
            await db.getState(ns, `only-${other}`),
            undefined,
            `${ns} shows a key of ${other}`,
          );
        }
      }
      // Bounds that would leak into the next namespace if a key were appended to the prefix.
      assert.deepEqual(await scanKeys(db, 'a', 'only-a', ''), ['only-a']);
      assert.deepEqual(await scanKeys(db, 'a', '', '\u{10FFFF}'), ['k', 'only-a']);
      assert.deepEqual(await scanKeys(db, 'a$', '', ''), []);
    });
  });

  describe('iterators', () => {
    test('can be read with for await', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ['k1', 'k2', 'k3']);
      const keys: string[] = [];
      for await (const kv of await db.getStateRangeScanIterator('ns', '', '')) keys.push(kv.key);
      assert.deepEqual(keys, ['k1', 'k2', 'k3']);
    });

    test('keep answering undefined once exhausted, with bookmark ""', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ['k1']);
      const it = await db.getStateRangeScanIterator('ns', '', '');
      assert.equal((await it.next())?.key, 'k1');
      assert.equal(await it.next(), undefined);
      assert.equal(await it.next(), undefined);
      assert.equal(it.bookmark(), '');
      await it.close();
    });

    test('can be closed mid-way, and twice; next() then answers undefined', async (s) => {
      const db = await s.db();
      const keys = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      await writeKeys(db, 'ns', keys);
      const it = await db.getStateRangeScanIterator('ns', '', '');
      assert.equal((await it.next())?.key, 'k00');
      assert.equal((await it.next())?.key, 'k01');
      await it.close();
      await it.close();
      assert.equal(await it.next(), undefined);
      // Other reads are not disturbed.
      assert.deepEqual(await scanKeys(db, 'ns'), keys);
    });

    test('are closed by leaving a for await loop early', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ['k1', 'k2', 'k3']);
      const it = await db.getStateRangeScanIterator('ns', '', '');
      for await (const kv of it) {
        assert.equal(kv.key, 'k1');
        break;
      }
      assert.equal(await it.next(), undefined);
    });

    test('can be many at once, in several namespaces, read in turns', async (s) => {
      const db = await s.db();
      await db.applyUpdates(
        ['x', 'y'].flatMap((ns, n) =>
          ['1', '2', '3'].map((k, i) => put(ns, `${ns}${k}`, k, h(1, n * 3 + i))),
        ),
        h(1, 6),
      );
      const x = await db.getStateRangeScanIterator('x', '', '');
      const y = await db.getStateRangeScanIterator('y', '', '');
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        seen.push((await x.next())?.key ?? '-', (await y.next())?.key ?? '-');
      }
      await x.close();
      await y.close();
      assert.deepEqual(seen, ['x1', 'y1', 'x2', 'y2', 'x3', 'y3', '-', '-']);
    });
  });

  describe('pagination of range scans', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `key${String(i).padStart(2, '0')}`);

    test('returns at most pageSize results, and the next key as bookmark', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ten);
      assert.deepEqual(await scanPage(db, 'ns', '', '', 3), {
        keys: ['key00', 'key01', 'key02'],
        bookmark: 'key03',
      });
      assert.deepEqual(await scanPage(db, 'ns', 'key04', 'key09', 2), {
        keys: ['key04', 'key05'],
        bookmark: 'key06',
      });
      assert.deepEqual(await scanPage(db, 'ns', 'key045', '', 1), {
        keys: ['key05'],
        bookmark: 'key06',
      });
    });

    test('continues from the bookmark with no gap and no overlap, until the bookmark is ""', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ten);
      const pages: string[][] = [];
      let start = '';
      for (let guard = 0; guard < 20; guard++) {
        const page = await scanPage(db, 'ns', start, '', 3);
        pages.push(page.keys);
        if (page.bookmark === '') break;
        start = page.bookmark;
      }
      assert.deepEqual(pages, [
        ['key00', 'key01', 'key02'],
        ['key03', 'key04', 'key05'],
        ['key06', 'key07', 'key08'],
        ['key09'],
      ]);
    });

    test('gives bookmark "" for a page that ends exactly at the last key', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ten);
      assert.deepEqual(await scanPage(db, 'ns', 'key05', '', 5), {
        keys: ['key05', 'key06', 'key07', 'key08', 'key09'],
        bookmark: '',
      });
      assert.deepEqual(await scanPage(db, 'ns', '', '', 10), { keys: ten, bookmark: '' });
    });

    test('gives bookmark "" for a page that ends exactly before the end key', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ten);
      assert.deepEqual(await scanPage(db, 'ns', 'key02', 'key05', 3), {
        keys: ['key02', 'key03', 'key04'],
        bookmark: '',
      });
      assert.deepEqual(await scanPage(db, 'ns', 'key02', 'key06', 3), {
        keys: ['key02', 'key03', 'key04'],
        bookmark: 'key05',
      });
    });

    test('returns the whole range with bookmark "" when the page is larger', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ten);
      assert.deepEqual(await scanPage(db, 'ns', 'key07', '', 100), {
        keys: ['key07', 'key08', 'key09'],
        bookmark: '',
      });
      assert.deepEqual(await scanPage(db, 'other', '', '', 5), { keys: [], bookmark: '' });
    });

    test('treats pageSize 0 as no limit, as Fabric does', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ten);
      assert.deepEqual(await scanPage(db, 'ns', '', '', 0), { keys: ten, bookmark: '' });
    });

    test('pages keys in UTF-8 order, with bookmarks that are keys of any kind', async (s) => {
      const db = await s.db();
      await writeKeys(db, 'ns', ORDER_KEYS);
      const expected = utf8Sorted(ORDER_KEYS);
      const got: string[] = [];
      let start = '';
      for (let guard = 0; guard < 100; guard++) {
        const page = await scanPage(db, 'ns', start, '', 4);
        assert.ok(page.keys.length <= 4);
        got.push(...page.keys);
        if (page.bookmark === '') break;
        assert.equal(page.bookmark, expected[got.length], `bookmark after ${got.length} keys`);
        start = page.bookmark;
      }
      assert.deepEqual(got, expected, show(got));
    });

    test("follows Fabric's paginated range query sample (key1, key10, key11, ...)", async (s) => {
      const db = await s.db();
      const keys = Array.from({ length: 40 }, (_, i) => `key${i + 1}`);
      await writeKeys(db, 'ns1', keys);
      assert.deepEqual(await scanPage(db, 'ns1', 'key1', 'key15', 10), {
        keys: ['key1', 'key10', 'key11', 'key12', 'key13', 'key14'],
        bookmark: '',
      });
      const first = await scanPage(db, 'ns1', 'key1', 'key22', 2);
      assert.deepEqual(first, { keys: ['key1', 'key10'], bookmark: 'key11' });
      assert.deepEqual(await scanPage(db, 'ns1', first.bookmark, 'key22', 2), {
        keys: ['key11', 'key12'],
        bookmark: 'key13',
      });
      assert.deepEqual((await scanPage(db, 'ns1', 'key1', 'key15', 4)).keys, [
        'key1',
        'key10',
        'key11',
        'key12',
      ]);
    });
  });
}
