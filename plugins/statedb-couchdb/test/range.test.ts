/**
 * Range scans against a real pouchdb-server: Fabric's key order, pagination, limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { compareUtf8 } from '@fabric-peer/statedb-testkit';
import type { CouchDbStateProvider } from '../src/index.js';
import { channelName, dec, drain, enc, esc, h, newProvider, put } from '../test-support/helpers.js';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';

const KEYS = [
  'a',
  'a\u0000',
  'ab',
  'B',
  'Z',
  'é',
  'ÿ',
  'Ā',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\u{10000}',
  '\u{1F600}',
  '\u{10FFFF}',
  'x',
  'x\u{1F600}y',
  'x\uffffz',
  'x\u{10000}',
  'xa',
  '\u0000c\u0000blue\u0000k1',
  '\u0000c\u0000\u{1F600}\u0000k2',
  '\u0000c\u0000\uff21\u0000k3',
  '\u0000c\u0000red\u0000k4',
  '\u0000s\u0000big\u0000k5',
];
const SORTED = [...KEYS].sort(compareUtf8);

let server: TestCouchServer;
let provider: CouchDbStateProvider;
let db: VersionedDB;

before(async () => {
  server = await startPouchDbServer();
  ({ provider } = newProvider(server.address, { internalQueryLimit: 2, totalQueryLimit: 1000 }));
  db = await provider.open(channelName('range'));
  await db.applyUpdates(
    KEYS.map((k, i) => put('cc', k, i % 2 === 0 ? `{"i":${i}}` : `v${i}`, h(1, i))),
    h(1, KEYS.length),
  );
  // A design document in the namespace database, between 'Z' and 'a' in CouchDB's order.
  await db.processIndexes?.(
    'cc',
    new Map([['idx.json', enc('{"index":{"fields":["i"]},"ddoc":"idxDoc","name":"idx"}')]]),
  );
});
after(async () => {
  await provider.close();
  await server.stop();
});

async function scan(start: string, end: string): Promise<string[]> {
  return (await drain(await db.getStateRangeScanIterator('cc', start, end))).map((kv) => kv.key);
}

async function pages(start: string, end: string, pageSize: number): Promise<string[][]> {
  const out: string[][] = [];
  let from = start;
  for (;;) {
    const it = await db.getStateRangeScanIterator('cc', from, end, { pageSize });
    const keys = (await drain(it)).map((kv) => kv.key);
    const bookmark = it.bookmark();
    out.push(keys);
    if (bookmark === '') return out;
    assert.ok(keys.length === pageSize, 'only a full page has a next page');
    assert.ok(compareUtf8(bookmark, keys.at(-1) ?? '') > 0);
    from = bookmark;
    assert.ok(out.length < 100);
  }
}

describe('range scans on pouchdb-server', () => {
  it('returns keys in UTF-8 byte order, with values, versions and namespace', async () => {
    const kvs = await drain(await db.getStateRangeScanIterator('cc', '', ''));
    assert.equal(esc(kvs.map((kv) => kv.key)), esc(SORTED));
    for (const kv of kvs) {
      const i = KEYS.indexOf(kv.key);
      assert.equal(kv.namespace, 'cc');
      assert.deepEqual(kv.version, h(1, i));
      assert.equal(dec(kv.value), i % 2 === 0 ? `{"i":${i}}` : `v${i}`);
    }
  });

  it('selects startKey ≤ key < endKey by UTF-8 bytes', async () => {
    const bounds = [
      '',
      'a',
      'Z',
      '\ue000',
      '\u{10000}',
      '\u{10FFFF}',
      'x',
      'x\uffff',
      '\u0000c\u0000',
    ];
    for (const start of bounds) {
      for (const end of bounds) {
        const want = SORTED.filter(
          (k) =>
            (start === '' || compareUtf8(k, start) >= 0) && (end === '' || compareUtf8(k, end) < 0),
        );
        assert.equal(esc(await scan(start, end)), esc(want), `[${esc([start])}, ${esc([end])})`);
      }
    }
  });

  it('reads a partial composite key range (end U+10FFFF)', async () => {
    assert.equal(
      esc(await scan('\u0000c\u0000', '\u0000c\u0000\u{10FFFF}')),
      esc([
        '\u0000c\u0000blue\u0000k1',
        '\u0000c\u0000red\u0000k4',
        '\u0000c\u0000\uff21\u0000k3',
        '\u0000c\u0000\u{1F600}\u0000k2',
      ]),
    );
  });

  it('pages with next-key bookmarks; the pages put together are the whole range', async () => {
    for (const size of [1, 3, 5, KEYS.length, KEYS.length + 1]) {
      const got = await pages('', '', size);
      assert.equal(esc(got.flat()), esc(SORTED), `pages of ${size}`);
      assert.ok(got.every((p) => p.length <= size));
    }
    const composite = await pages('\u0000c\u0000', '\u0000c\u0000\u{10FFFF}', 3);
    assert.deepEqual(
      composite.map((p) => p.length),
      [3, 1],
    );
  });

  it('gives the next key, not a design document, as the bookmark', async () => {
    const it = await db.getStateRangeScanIterator('cc', 'Z', '', { pageSize: 1 });
    assert.deepEqual(
      (await drain(it)).map((kv) => kv.key),
      ['Z'],
    );
    assert.equal(it.bookmark(), 'a');
  });

  it('answers an empty range when startKey is not before endKey', async () => {
    assert.deepEqual(await scan('x', 'a'), []);
    assert.deepEqual(await scan('a', 'a'), []);
  });

  it('iterates with for await and stops after close', async () => {
    const keys: string[] = [];
    for await (const kv of await db.getStateRangeScanIterator('cc', 'x', '')) keys.push(kv.key);
    assert.equal(esc(keys), esc(SORTED.filter((k) => compareUtf8(k, 'x') >= 0)));
    const it = await db.getStateRangeScanIterator('cc', '', '');
    assert.ok((await it.next()) !== undefined);
    await it.close();
    assert.equal(await it.next(), undefined);
  });

  it('stops at ledger.state.totalQueryLimit when not paginated', async () => {
    const limited = newProvider(server.address, { internalQueryLimit: 2, totalQueryLimit: 5 });
    const ldb = await limited.provider.open(channelName('limited'));
    await ldb.applyUpdates(
      KEYS.map((k, i) => put('cc', k, 'v', h(1, i))),
      h(2),
    );
    const it = await ldb.getStateRangeScanIterator('cc', '', '');
    assert.equal(esc((await drain(it)).map((kv) => kv.key)), esc(SORTED.slice(0, 5)));
    assert.equal(it.bookmark(), '');
    assert.ok(limited.records.some((r) => /totalQueryLimit \(5\)/.test(r.msg)));
    // A page may be larger than totalQueryLimit: the page size rules.
    const page = await ldb.getStateRangeScanIterator('cc', '', '', { pageSize: 7 });
    assert.equal((await drain(page)).length, 7);
    assert.equal(page.bookmark(), SORTED[7]);
    await limited.provider.close();
  });
});
