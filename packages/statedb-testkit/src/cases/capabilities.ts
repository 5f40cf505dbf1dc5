/**
 * What depends on the database: validateKeyValue (LevelDB takes any key, CouchDB has rules), bulk
 * loading of committed versions, rich queries and indexes. A test of an optional method is skipped
 * when the database does not have it.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { StateIterator, VersionedDB, VersionedKV } from '@fabric-peer/api';
import {
  assertValueBytes,
  assertVersioned,
  b,
  del,
  drain,
  h,
  put,
  scanKeys,
  withSession,
  type Session,
  type SuiteSettings,
} from '../harness.js';

/** Keys Fabric's CouchDB state database refuses: empty, starting with `_`, not UTF-8. */
export const COUCHDB_BAD_KEYS: readonly string[] = [
  '',
  '_',
  '_id',
  '_design/x',
  '\uD800',
  'a\uDC00',
  'x\uD83D',
];

/** Keys CouchDB accepts, a few of them near the rules' edges. */
export const COUCHDB_GOOD_KEYS: readonly string[] = [
  'a',
  'a_',
  ' _x',
  '~version',
  '\u0000type\u0000a\u0000',
  'é',
  '😀',
  '\u{10FFFF}',
];

/** Values CouchDB refuses: JSON objects with a top-level field starting with `_`, or `~version`. */
export const COUCHDB_BAD_VALUES: readonly string[] = [
  '{"_id":"x"}',
  '{"_rev":"1-abc"}',
  '{"a":1,"_deleted":true}',
  '{"_":1}',
  '{"~version":"1:0"}',
  ' \n{"_attachments":{}} ',
];

/** Values CouchDB accepts: underscores below the top level, non-objects, non-JSON. */
export const COUCHDB_GOOD_VALUES: readonly (string | Uint8Array)[] = [
  '{"a":{"_id":1}}',
  '{"~versions":1,"version~":2}',
  '[{"_id":1}]',
  '"_id"',
  'null',
  '{}',
  '{"_id":1',
  '{"_id":1} trailing',
  Uint8Array.from([0xef, 0xbb, 0xbf, ...b('{"_id":1}')]),
  Uint8Array.from([0xff, 0x00, 0x7b]),
];

const MARBLES: readonly [string, string][] = [
  ['key1', '{"asset_name": "marble1","color": "blue","size": 1,"owner": "tom"}'],
  ['key2', '{"asset_name": "marble2","color": "blue","size": 2,"owner": "jerry"}'],
  ['key3', '{"asset_name": "marble3","color": "blue","size": 3,"owner": "fred"}'],
  ['key4', '{"asset_name": "marble4","color": "blue","size": 4,"owner": "martha"}'],
  ['key5', '{"asset_name": "marble5","color": "blue","size": 5,"owner": "fred"}'],
  ['key6', '{"asset_name": "marble6","color": "blue","size": 6,"owner": "elaine"}'],
  ['key7', '{"asset_name": "marble7","color": "blue","size": 7,"owner": "fred"}'],
  ['key8', '{"asset_name": "marble8","color": "blue","size": 8,"owner": "elaine"}'],
  ['key9', '{"asset_name": "marble9","color": "green","size": 9,"owner": "fred"}'],
  ['key10', '{"asset_name": "marble10","color": "green","size": 10,"owner": "mary"}'],
  ['key11', '{"asset_name": "marble11","color": "cyan","size": 1000007,"owner": "joe"}'],
];

/** Writes the marbles of Fabric's query tests in ns1 (versions 1:1..1:11) and ns2 (2:1..). */
async function writeMarbles(db: VersionedDB): Promise<void> {
  await db.applyUpdates(
    [
      ...MARBLES.map(([k, v], i) => put('ns1', k, v, h(1, i + 1))),
      ...MARBLES.slice(0, 10).map(([k, v], i) => put('ns2', k, v, h(2, i + 1))),
    ],
    h(2, 10),
  );
}

async function query(
  db: VersionedDB,
  namespace: string,
  q: string,
  options?: { pageSize?: number; bookmark?: string },
): Promise<{ kvs: VersionedKV[]; bookmark: string }> {
  assert.ok(db.executeQuery !== undefined, 'executeQuery is missing');
  const it: StateIterator = await db.executeQuery(namespace, q, options);
  const kvs: VersionedKV[] = [];
  try {
    for (let kv = await it.next(); kv !== undefined; kv = await it.next()) kvs.push(kv);
    return { kvs, bookmark: it.bookmark() };
  } finally {
    await it.close();
  }
}

const VALID_INDEX = JSON.stringify({
  index: { fields: ['docType', 'owner'] },
  ddoc: 'indexOwnerDoc',
  name: 'indexOwner',
  type: 'json',
});

export function capabilityTests(settings: SuiteSettings): void {
  const caps = settings.capabilities;
  /** A test on the main channel's database. */
  const test = (
    name: string,
    fn: (db: VersionedDB, t: TestContext, s: Session) => Promise<void>,
  ): void => {
    it(name, (t) => withSession(settings, async (s) => fn(await s.db(), t, s)));
  };

  test('has the capabilities it declares to the suite', (db) => {
    assert.equal(db.bytesKeySupported(), caps.bytesKeys, 'bytesKeySupported()');
    assert.equal(
      typeof db.loadCommittedVersions === 'function',
      caps.bulkVersions,
      'loadCommittedVersions',
    );
    assert.equal(typeof db.executeQuery === 'function', caps.richQueries, 'executeQuery');
    assert.equal(typeof db.processIndexes === 'function', caps.indexes, 'processIndexes');
    // The ledger picks the package's META-INF/statedb/<indexType>/ files by it.
    if (caps.indexes) assert.match(db.indexType ?? '', /^[a-z0-9]+$/, 'indexType');
    else assert.equal(db.indexType, undefined, 'indexType without processIndexes');
    return Promise.resolve();
  });

  describe('validateKeyValue', () => {
    test('states bytesKeySupported() as a boolean that does not change', (db) => {
      const v = db.bytesKeySupported();
      assert.equal(typeof v, 'boolean');
      assert.equal(db.bytesKeySupported(), v);
      return Promise.resolve();
    });

    test('accepts ordinary keys and values, JSON or not', (db) => {
      for (const key of ['key1', 'marble\u0000blue\u0000', 'ключ', '中文key1']) {
        assert.equal(db.validateKeyValue(key, b('value')), undefined, `key ${key}`);
      }
      for (const value of ['{"owner":"tom","size":1}', '[1,2]', 'plain', '']) {
        assert.equal(db.validateKeyValue('k', b(value)), undefined, `value ${value}`);
      }
      return Promise.resolve();
    });

    if (caps.bytesKeys) {
      test('accepts every key and value when keys may be bytes (LevelDB)', (db) => {
        for (const key of [...COUCHDB_BAD_KEYS, ...COUCHDB_GOOD_KEYS]) {
          for (const value of [...COUCHDB_BAD_VALUES, ...COUCHDB_GOOD_VALUES]) {
            assert.equal(
              db.validateKeyValue(key, b(value)),
              undefined,
              JSON.stringify([key, value]),
            );
          }
        }
        return Promise.resolve();
      });

      test('stores the keys CouchDB refuses ("" and "_x") when keys may be bytes', async (db) => {
        await db.applyUpdates(
          [
            put('ns', '', 'empty key', h(1, 0)),
            put('ns', '_x', 'underscore', h(1, 1)),
            put('ns', 'a', '{"_id":"x"}', h(1, 2)),
          ],
          h(1, 2),
        );
        assertVersioned(
          settings,
          await db.getState('ns', ''),
          { value: 'empty key', version: h(1, 0) },
          'key ""',
        );
        assertVersioned(
          settings,
          await db.getState('ns', '_x'),
          { value: 'underscore', version: h(1, 1) },
          'key _x',
        );
        assertValueBytes(
          settings,
          (await db.getState('ns', 'a'))?.value,
          b('{"_id":"x"}'),
          'value with _id',
        );
        assert.deepEqual(await scanKeys(db, 'ns'), ['', '_x', 'a']);
        assert.deepEqual(await scanKeys(db, 'ns', '', '_x'), ['']);
      });
    } else {
      test("applies Fabric's CouchDB rules when keys must be UTF-8 text", (db) => {
        for (const key of COUCHDB_BAD_KEYS) {
          const problem = db.validateKeyValue(key, b('value'));
          assert.equal(typeof problem, 'string', `key ${JSON.stringify(key)} should be refused`);
          assert.notEqual(problem, '');
        }
        for (const key of COUCHDB_GOOD_KEYS) {
          assert.equal(
            db.validateKeyValue(key, b('value')),
            undefined,
            `key ${JSON.stringify(key)}`,
          );
        }
        for (const value of COUCHDB_BAD_VALUES) {
          const problem = db.validateKeyValue('k', b(value));
          assert.equal(
            typeof problem,
            'string',
            `value ${JSON.stringify(value)} should be refused`,
          );
          assert.notEqual(problem, '');
        }
        for (const value of COUCHDB_GOOD_VALUES) {
          assert.equal(
            db.validateKeyValue('k', b(value)),
            undefined,
            `value ${JSON.stringify(typeof value === 'string' ? value : [...value])}`,
          );
        }
        return Promise.resolve();
      });
    }
  });

  if (caps.bulkVersions)
    describe('loadCommittedVersions (bulk reads for the MVCC check)', () => {
      test('keeps every read in agreement with the database after a bulk load', async (db) => {
        await db.applyUpdates(
          [
            put('ns1', 'key1', 'v1', h(1, 1), 'm1'),
            put('ns1', 'key2', 'v2', h(1, 2)),
            put('ns1', 'key3', 'v3', h(1, 3)),
            put('ns2', 'key1', 'other', h(1, 4)),
          ],
          h(1, 5),
        );
        await db.loadCommittedVersions!([]);
        await db.loadCommittedVersions!([
          { namespace: 'ns1', key: 'key1' },
          { namespace: 'ns1', key: 'key2' },
          { namespace: 'ns1', key: 'missing' },
          { namespace: 'ns2', key: 'key1' },
          { namespace: 'ns3', key: 'key1' },
        ]);
        assertVersioned(
          settings,
          await db.getState('ns1', 'key1'),
          { value: 'v1', metadata: 'm1', version: h(1, 1) },
          'ns1/key1',
        );
        assertVersioned(
          settings,
          await db.getState('ns1', 'key2'),
          { value: 'v2', version: h(1, 2) },
          'ns1/key2',
        );
        assertVersioned(
          settings,
          await db.getState('ns1', 'key3'),
          { value: 'v3', version: h(1, 3) },
          'ns1/key3 (not loaded)',
        );
        assert.equal(await db.getState('ns1', 'missing'), undefined);
        assert.equal(await db.getState('ns3', 'key1'), undefined);
        const many = await db.getStateMultipleKeys('ns2', ['key1', 'key2']);
        assertVersioned(settings, many[0], { value: 'other', version: h(1, 4) }, 'ns2/key1');
        assert.equal(many[1], undefined);
        // A value read from a bulk load is the reader's to change.
        (await db.getState('ns1', 'key1'))?.value.fill(0x21);
        assertVersioned(
          settings,
          await db.getState('ns1', 'key1'),
          { value: 'v1', metadata: 'm1', version: h(1, 1) },
          'ns1/key1 again',
        );
      });

      test('serves nothing stale once applyUpdates has committed the next block', async (db) => {
        await db.applyUpdates(
          [put('ns', 'a', 'a1', h(1, 0)), put('ns', 'b', 'b1', h(1, 1))],
          h(1, 1),
        );
        const keys = ['a', 'b', 'c'].map((key) => ({ namespace: 'ns', key }));
        await db.loadCommittedVersions!(keys);
        assert.equal(await db.getState('ns', 'c'), undefined);
        await db.applyUpdates(
          [
            put('ns', 'a', 'a2', h(2, 0), 'meta'),
            del('ns', 'b', h(2, 1)),
            put('ns', 'c', 'c2', h(2, 2)),
          ],
          h(2, 2),
        );
        assertVersioned(
          settings,
          await db.getState('ns', 'a'),
          { value: 'a2', metadata: 'meta', version: h(2, 0) },
          'ns/a',
        );
        assert.equal(await db.getState('ns', 'b'), undefined);
        assertVersioned(
          settings,
          await db.getState('ns', 'c'),
          { value: 'c2', version: h(2, 2) },
          'ns/c',
        );
        const [a, b2, c] = await db.getStateMultipleKeys('ns', ['a', 'b', 'c']);
        assertVersioned(settings, a, { value: 'a2', metadata: 'meta', version: h(2, 0) }, 'many a');
        assert.equal(b2, undefined);
        assertVersioned(settings, c, { value: 'c2', version: h(2, 2) }, 'many c');
        // A second load replaces the first.
        await db.loadCommittedVersions!(keys);
        assertVersioned(
          settings,
          await db.getState('ns', 'a'),
          { value: 'a2', metadata: 'meta', version: h(2, 0) },
          'ns/a after reload',
        );
      });
    });

  if (caps.richQueries)
    describe('rich queries', () => {
      test('answer a selector query with the matching documents of the namespace', async (db) => {
        await writeMarbles(db);
        const jerry = await query(db, 'ns1', '{"selector":{"owner":"jerry"}}');
        assert.deepEqual(
          jerry.kvs.map((kv) => [kv.namespace, kv.key]),
          [['ns1', 'key2']],
        );
        const [kv] = jerry.kvs;
        assertVersioned(
          { ...settings, jsonValues: 'json' },
          kv,
          { value: MARBLES[1]?.[1] ?? '', version: h(1, 2) },
          'jerry',
        );
        const inNs2 = await query(db, 'ns2', '{"selector":{"owner":"jerry"}}');
        assert.deepEqual(
          inNs2.kvs.map((r) => [r.namespace, r.key]),
          [['ns2', 'key2']],
        );
        assert.deepEqual(inNs2.kvs[0]?.version, h(2, 2));

        const fred = await query(db, 'ns1', '{"selector":{"owner":"fred"}}');
        assert.deepEqual(fred.kvs.map((r) => r.key).sort(), ['key3', 'key5', 'key7', 'key9']);
        const complex = await query(
          db,
          'ns1',
          '{"selector":{"$and":[{"size":{"$gt": 5}},{"size":{"$lt":8}},{"$not":{"size":6}}]}}',
        );
        assert.deepEqual(
          complex.kvs.map((r) => r.key),
          ['key7'],
        );
        const green = await query(
          db,
          'ns1',
          '{"selector":{"color":"green","$or":[{"owner":"fred"},{"owner":"mary"}]}}',
        );
        assert.deepEqual(green.kvs.map((r) => r.key).sort(), ['key10', 'key9']);
        const big = await query(db, 'ns1', '{"selector":{"size":{"$eq":1000007}}}');
        assert.equal(big.kvs.length, 1);
        assert.match(Buffer.from(big.kvs[0]?.value ?? []).toString(), /1000007/);
        assert.deepEqual((await query(db, 'ns1', '{"selector":{"owner":"nobody"}}')).kvs, []);
      });

      test('answer nothing for another namespace', async (db) => {
        await writeMarbles(db);
        assert.deepEqual((await query(db, 'ns3', '{"selector":{"owner":"jerry"}}')).kvs, []);
        assert.deepEqual((await query(db, 'ns2', '{"selector":{"owner":"joe"}}')).kvs, []);
        assert.deepEqual((await query(db, 'ns1$$hcoll', '{"selector":{"owner":"jerry"}}')).kvs, []);
      });

      test('page a query with pageSize and bookmark, every match exactly once', async (db) => {
        await writeMarbles(db);
        const q = '{"selector":{"color":"blue"}}';
        const seen: string[] = [];
        const sizes: number[] = [];
        let bookmark = '';
        for (let guard = 0; guard < 10; guard++) {
          const page = await query(
            db,
            'ns1',
            q,
            bookmark === '' ? { pageSize: 3 } : { pageSize: 3, bookmark },
          );
          sizes.push(page.kvs.length);
          seen.push(...page.kvs.map((kv) => kv.key));
          // CouchDB's bookmark is not empty after the last page; the page after it is empty.
          if (page.bookmark === '' || page.kvs.length < 3) break;
          bookmark = page.bookmark;
        }
        assert.deepEqual(
          [...seen].sort(),
          ['key1', 'key2', 'key3', 'key4', 'key5', 'key6', 'key7', 'key8'],
          `pages ${JSON.stringify(sizes)}`,
        );
        assert.deepEqual(sizes.slice(0, 2), [3, 3]);
        assert.ok(
          (sizes[2] ?? 0) <= 3 && sizes.slice(3).every((n) => n === 0),
          `pages ${JSON.stringify(sizes)}`,
        );
        const unpaged = await query(db, 'ns1', q);
        assert.deepEqual(unpaged.kvs.map((kv) => kv.key).sort(), [...seen].sort());
      });

      test('refuse a query that is not JSON', async (db) => {
        await writeMarbles(db);
        await assert.rejects(async () =>
          drain(await db.executeQuery!('ns1', 'this is an invalid query string')),
        );
      });
    });

  if (caps.indexes)
    describe('processIndexes', () => {
      test('accepts a valid index definition, for a namespace with no data yet', async (db) => {
        await db.processIndexes!('idx', new Map([['indexOwner.json', b(VALID_INDEX)]]));
        await db.applyUpdates(
          [put('idx', 'm1', '{"docType":"marble","owner":"tom"}', h(1, 0))],
          h(1, 0),
        );
        assertValueBytes(
          { ...settings, jsonValues: 'json' },
          (await db.getState('idx', 'm1'))?.value,
          b('{"docType":"marble","owner":"tom"}'),
          'idx/m1',
        );
      });

      test('refuses an invalid index definition with an error naming the file', async (db) => {
        await assert.rejects(
          db.processIndexes!('idx', new Map([['broken.json', b('{"index":')]])),
          (err: unknown) => {
            assert.ok(err instanceof Error);
            assert.match(err.message, /broken\.json/);
            return true;
          },
        );
        await assert.rejects(
          db.processIndexes!('idx', new Map([['noFields.json', b('{"name":"x","type":"json"}')]])),
          /noFields\.json/,
        );
        await assert.rejects(
          db.processIndexes!(
            'idx',
            new Map([
              ['a-good.json', b(VALID_INDEX)],
              ['b-bad.json', b('not json')],
            ]),
          ),
          (err: unknown) =>
            err instanceof Error &&
            /b-bad\.json/.test(err.message) &&
            !/a-good\.json/.test(err.message),
        );
      });
    });
}
