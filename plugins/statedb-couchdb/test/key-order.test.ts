/**
 * The range sources against model servers: one ordering ids by UTF-8 bytes (Apache CouchDB), one
 * by UTF-16 code units with pouchdb-server's open-end quirk. Both must give Fabric's order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareUtf8 } from '@fabric-peer/statedb-testkit';
import {
  Utf16RangeSource,
  Utf8RangeSource,
  type AllDocsReader,
  type RangeSource,
} from '../src/key-order.js';
import { esc } from '../test-support/helpers.js';

const KEYS = [
  'a',
  'a\u0000',
  'ab',
  'B',
  '_design/idx',
  'é',
  'ÿ',
  'Ā',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\uffff\uffff',
  '\u{10000}',
  '\u{1F600}',
  '\u{10FFFF}',
  'x',
  'x\u{1F600}y',
  'x\u{1F600}\uffff',
  'x\u{1F600}\u{1F601}',
  'x\uffffz',
  'x\u{10000}',
  'xa',
  '\u0000c\u0000blue\u0000k1',
  '\u0000c\u0000\u{1F600}\u0000k2',
  '\u0000c\u0000\uff21\u0000k3',
  '\u0000c\u0000red\u0000k4',
  '\u0000s\u0000big\u0000k5',
];

const BOUNDS = [
  '',
  'a',
  'a\u0000',
  'é',
  'Ā',
  '\ue000',
  '\uffff',
  '\u{10000}',
  '\u{1F600}',
  '\u{10FFFF}',
  'x',
  'x\u{1F600}',
  'x\uffff',
  'x\u{10FFFF}',
  '\u0000c\u0000',
  '\u0000c\u0000\u{10FFFF}',
  'zzz',
];

/** A model server holding KEYS, with `_all_docs` semantics in the given order. */
function modelServer(order: 'utf8' | 'utf16'): { read: AllDocsReader; queries: number } {
  const cmp =
    order === 'utf8' ? compareUtf8 : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...KEYS].sort(cmp);
  const state = { queries: 0, read: undefined as unknown as AllDocsReader };
  state.read = (q) => {
    state.queries++;
    // pouchdb-server without endkey stops before ids beginning with U+00FF or above.
    const end = q.endkey ?? (order === 'utf16' ? '\u00ff' : undefined);
    const inclusive = q.endkey === undefined ? order !== 'utf16' : q.inclusiveEnd;
    const rows = sorted.filter((k) => {
      if (q.startkey !== undefined && cmp(k, q.startkey) < 0) return false;
      if (end === undefined) return true;
      const c = cmp(k, end);
      return inclusive ? c <= 0 : c < 0;
    });
    return Promise.resolve(rows.slice(0, q.limit).map((id) => ({ id, doc: { _id: id } })));
  };
  return state;
}

function expected(start: string, end: string): string[] {
  return KEYS.filter(
    (k) =>
      !k.startsWith('_') &&
      (start === '' || compareUtf8(k, start) >= 0) &&
      (end === '' || compareUtf8(k, end) < 0),
  ).sort(compareUtf8);
}

async function all(source: RangeSource, batch: number): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const peek = await source.peekKey();
    const rows = await source.take(batch);
    if (rows.length === 0) {
      assert.equal(peek, undefined);
      return out;
    }
    assert.equal(rows[0]?.id, peek);
    out.push(...rows.map((r) => r.id));
  }
}

for (const order of ['utf8', 'utf16'] as const) {
  describe(`range source on a server ordering ids by ${order === 'utf8' ? 'UTF-8 bytes (CouchDB)' : 'UTF-16 code units (pouchdb-server)'}`, () => {
    const make = (read: AllDocsReader, start: string, end: string, batch: number): RangeSource =>
      order === 'utf8'
        ? new Utf8RangeSource(read, start, end)
        : new Utf16RangeSource(read, start, end, batch);

    it('returns every range in UTF-8 byte order, design documents left out', async () => {
      for (const batch of [1, 2, 1000]) {
        for (const start of BOUNDS) {
          for (const end of BOUNDS) {
            const server = modelServer(order);
            const got = await all(make(server.read, start, end, batch), batch);
            assert.equal(
              esc(got),
              esc(expected(start, end)),
              `[${esc([start])}, ${esc([end])}) in batches of ${batch}`,
            );
          }
        }
      }
    });

    it('reads the partial composite key range Fabric builds (end U+10FFFF)', async () => {
      const server = modelServer(order);
      const got = await all(
        make(server.read, '\u0000c\u0000', '\u0000c\u0000\u{10FFFF}', 1000),
        1000,
      );
      assert.equal(
        esc(got),
        esc([
          '\u0000c\u0000blue\u0000k1',
          '\u0000c\u0000red\u0000k4',
          '\u0000c\u0000\uff21\u0000k3',
          '\u0000c\u0000\u{1F600}\u0000k2',
        ]),
      );
    });
  });
}

describe('Utf8RangeSource', () => {
  it('reads limit + 1 rows and starts the next batch at the extra one, as Fabric does', async () => {
    const server = modelServer('utf8');
    const source = new Utf8RangeSource(server.read, '', '');
    const first = await source.take(5);
    assert.equal(first.length, 5);
    assert.equal(server.queries, 1);
    assert.equal(await source.peekKey(), expected('', '')[5]);
  });
});

describe('Utf16RangeSource on keys built to clash', () => {
  it('matches UTF-8 order on random keys mixing ASCII, U+E000–U+FFFF and surrogate pairs', async () => {
    const alphabet = ['a', 'b', '\ue000', '\uffff', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const word = () =>
      Array.from({ length: 1 + rnd(4) }, () => alphabet[rnd(alphabet.length)] ?? 'a').join('');
    const keys = [...new Set(Array.from({ length: 300 }, word))];
    const sorted16 = [...keys].sort();
    const read: AllDocsReader = (q) => {
      const rows = sorted16.filter(
        (k) =>
          (q.startkey === undefined || k >= q.startkey) &&
          (q.endkey === undefined || (q.inclusiveEnd ? k <= q.endkey : k < q.endkey)),
      );
      return Promise.resolve(rows.slice(0, q.limit).map((id) => ({ id, doc: {} })));
    };
    for (let round = 0; round < 60; round++) {
      const start = rnd(4) === 0 ? '' : word();
      const end = rnd(4) === 0 ? '' : word();
      const batch = 1 + rnd(5);
      const want = keys
        .filter(
          (k) =>
            (start === '' || compareUtf8(k, start) >= 0) && (end === '' || compareUtf8(k, end) < 0),
        )
        .sort(compareUtf8);
      const got = await all(new Utf16RangeSource(read, start, end, batch), batch);
      assert.equal(esc(got), esc(want), `[${esc([start])}, ${esc([end])}) batch ${batch}`);
    }
  });
});
