/**
 * Rich queries (`_find`) and indexes against a real pouchdb-server, whose `_find` returns no
 * bookmark; and, through a proxy that adds CouchDB-style bookmarks, the path real CouchDB takes.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { CouchDbError, type CouchDbStateProvider } from '../src/index.js';
import {
  channelName,
  dec,
  del,
  drain,
  h,
  newProvider,
  openThroughProxy,
  put,
  raw,
} from '../test-support/helpers.js';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';
import type { TestProxy } from '../test-support/proxy.js';

const MARBLES = 25;
const id = (i: number) => `marble${String(i).padStart(2, '0')}`;

let server: TestCouchServer;
let provider: CouchDbStateProvider;
let db: VersionedDB;
let channel: string;

async function fill(target: VersionedDB): Promise<void> {
  const updates = [];
  for (let i = 0; i < MARBLES; i++) {
    updates.push(
      put(
        'marbles',
        id(i),
        JSON.stringify({
          docType: 'marble',
          color: ['red', 'blue', 'green'][i % 3],
          size: i,
          owner: i % 2 ? 'tom' : 'ann',
        }),
        h(1, i),
      ),
    );
  }
  updates.push(put('marbles', 'zbinary', 'not json', h(1, MARBLES)));
  updates.push(put('marbles', 'other', '{"docType":"other"}', h(1, MARBLES + 1)));
  await target.applyUpdates(updates, h(1, MARBLES + 1));
}

before(async () => {
  server = await startPouchDbServer();
  ({ provider } = newProvider(server.address, { internalQueryLimit: 4 }));
  channel = channelName('query');
  db = await provider.open(channel);
  await fill(db);
});
after(async () => {
  await provider.close();
  await server.stop();
});

const MARBLE_QUERY = '{"selector":{"docType":"marble"}}';

async function page(
  target: VersionedDB,
  query: string,
  pageSize: number,
  bookmark?: string,
): Promise<{ keys: string[]; bookmark: string }> {
  const it = await target.executeQuery!(
    'marbles',
    query,
    bookmark === undefined ? { pageSize } : { pageSize, bookmark },
  );
  const keys = (await drain(it)).map((kv) => kv.key);
  return { keys, bookmark: it.bookmark() };
}

async function allPages(target: VersionedDB, query: string, pageSize: number): Promise<string[][]> {
  const out: string[][] = [];
  let bookmark: string | undefined;
  for (;;) {
    const p = await page(target, query, pageSize, bookmark);
    out.push(p.keys);
    if (p.bookmark === '' || p.keys.length === 0) return out;
    bookmark = p.bookmark;
    assert.ok(out.length < 50);
  }
}

const allMarbles = Array.from({ length: MARBLES }, (_, i) => id(i));

describe('rich queries on pouchdb-server', () => {
  it('returns every match, fetched internalQueryLimit at a time', async () => {
    const kvs = await drain(await db.executeQuery!('marbles', MARBLE_QUERY));
    assert.deepEqual(
      kvs.map((kv) => kv.key),
      allMarbles,
    );
    const first = kvs[0];
    assert.equal(first?.namespace, 'marbles');
    assert.deepEqual(first?.version, h(1, 0));
    assert.equal(dec(first?.value), '{"color":"red","docType":"marble","owner":"ann","size":0}');
  });

  it('applies fields, keeping _id and ~version for Fabric', async () => {
    const kvs = await drain(
      await db.executeQuery!(
        'marbles',
        '{"selector":{"owner":"tom","size":{"$gt":20}},"fields":["size"]}',
      ),
    );
    assert.deepEqual(
      kvs.map((kv) => [kv.key, dec(kv.value)]),
      [
        [id(21), '{"size":21}'],
        [id(23), '{"size":23}'],
      ],
    );
    assert.deepEqual(kvs[0]?.version, h(1, 21));
  });

  it('returns values that are not JSON (attachments) as their bytes', async () => {
    const kvs = await drain(await db.executeQuery!('marbles', '{"selector":{"_id":{"$gt":"y"}}}'));
    assert.deepEqual(
      kvs.map((kv) => [kv.key, dec(kv.value)]),
      [['zbinary', 'not json']],
    );
  });

  it('stops at ledger.state.totalQueryLimit when not paginated', async () => {
    const limited = newProvider(server.address, { internalQueryLimit: 4, totalQueryLimit: 10 });
    const ldb = await limited.provider.open(channel);
    const it = await ldb.executeQuery!('marbles', MARBLE_QUERY);
    assert.deepEqual(
      (await drain(it)).map((kv) => kv.key),
      allMarbles.slice(0, 10),
    );
    assert.equal(it.bookmark(), '');
    await limited.provider.close();
  });

  it('pages with the peer’s own bookmarks: the pages put together are the whole result', async () => {
    for (const size of [1, 4, 7, 25, 30]) {
      const pages = await allPages(db, MARBLE_QUERY, size);
      assert.deepEqual(pages.flat(), allMarbles, `pages of ${size}`);
      assert.ok(pages.every((p) => p.length <= size));
    }
    const first = await page(db, MARBLE_QUERY, 7);
    assert.match(first.bookmark, /^fabric-peer-position:/);
    // A last page with nothing after it has no bookmark.
    const last = await page(db, MARBLE_QUERY, 30);
    assert.equal(last.keys.length, 25);
    assert.equal(last.bookmark, '');
    // Skip, as CouchDB applies it: after the start and after each bookmark (pages of one batch).
    const big = newProvider(server.address, { internalQueryLimit: 1000 });
    const bdb = await big.provider.open(channel);
    const skipped = await allPages(bdb, '{"selector":{"docType":"marble"},"skip":2}', 5);
    await big.provider.close();
    assert.deepEqual(skipped, [
      allMarbles.slice(2, 7),
      allMarbles.slice(9, 14),
      allMarbles.slice(16, 21),
      allMarbles.slice(23, 25),
    ]);
  });

  it('refuses a bookmark this server cannot honour, saying why', async () => {
    await assert.rejects(
      db.executeQuery!('marbles', MARBLE_QUERY, {
        pageSize: 5,
        bookmark: 'g1AAAAB4eJzLYWBgYMpgSmHgKy5JLCrJTq2MT8lPzkzJBYprJ',
      }),
      (e: unknown) =>
        e instanceof CouchDbError &&
        e.code === 'COUCHDB_BOOKMARKS_UNSUPPORTED' &&
        e.message.includes(server.address) &&
        e.message.includes('pouchdb-server 4.2.0') &&
        /returns no bookmarks from _find/.test(e.message),
    );
    const first = await page(db, MARBLE_QUERY, 5);
    await assert.rejects(page(db, '{"selector":{"docType":"other"}}', 5, first.bookmark), {
      code: 'COUCHDB_INVALID_BOOKMARK',
      message: /belongs to another rich query/,
    });
  });

  it('goes on after a change beyond the bookmark, and fails rather than return a shifted page', async () => {
    const ch = channelName('shift');
    const sdb = await provider.open(ch);
    await fill(sdb);
    const first = await page(sdb, MARBLE_QUERY, 5);
    assert.deepEqual(first.keys, allMarbles.slice(0, 5));
    // A change after the bookmark's position: the next page is what CouchDB would give.
    await sdb.applyUpdates([del('marbles', id(7), h(2))], h(2));
    const second = await page(sdb, MARBLE_QUERY, 5, first.bookmark);
    assert.deepEqual(second.keys, [id(5), id(6), id(8), id(9), id(10)]);
    // A document before the bookmark goes away: positions shift, so the bookmark is refused.
    await sdb.applyUpdates([del('marbles', id(1), h(3))], h(3));
    await assert.rejects(page(sdb, MARBLE_QUERY, 5, second.bookmark), (e: unknown) => {
      assert.ok(e instanceof CouchDbError);
      assert.equal(e.code, 'COUCHDB_INVALID_BOOKMARK');
      assert.match(e.message, /the state changed under this rich query's bookmark/);
      assert.match(e.message, /run the query again from its first page/);
      return true;
    });
    // The last document returned was rewritten: refused too.
    const again = await page(sdb, MARBLE_QUERY, 5);
    await sdb.applyUpdates(
      [put('marbles', again.keys[4] ?? '', '{"docType":"marble","v":2}', h(4))],
      h(4),
    );
    await assert.rejects(page(sdb, MARBLE_QUERY, 5, again.bookmark), {
      code: 'COUCHDB_INVALID_BOOKMARK',
    });
  });

  it('refuses queries Fabric refuses, and reports CouchDB’s refusals', async () => {
    await assert.rejects(db.executeQuery!('marbles', '{"selector":'), {
      code: 'COUCHDB_INVALID_QUERY',
    });
    await assert.rejects(db.executeQuery!('marbles', '[1]'), { code: 'COUCHDB_INVALID_QUERY' });
    await assert.rejects(db.executeQuery!('marbles', '{"selector":{},"fields":"size"}'), {
      code: 'COUCHDB_INVALID_QUERY',
      message: 'fields definition must be an array',
    });
    await assert.rejects(
      db.executeQuery!('marbles', '{"selector":{"docType":"marble"},"sort":[{"size":"desc"}]}'),
      (e: unknown) =>
        e instanceof CouchDbError &&
        e.code === 'COUCHDB_REQUEST_FAILED' &&
        e.status === 400 &&
        /Cannot sort on field/.test(e.message),
    );
  });
});

/**
 * Makes the proxy answer `_find` as Apache CouchDB does: with a bookmark (`bm:<position>`), and
 * honouring one in the request.
 */
function addBookmarks(proxy: TestProxy): void {
  proxy.rewrite = (req) => {
    if (!req.url.endsWith('/_find')) return undefined;
    const q = JSON.parse(req.body) as Record<string, unknown>;
    const skip = typeof q['skip'] === 'number' ? q['skip'] : 0;
    const from = typeof q['bookmark'] === 'string' ? Number(q['bookmark'].slice(3)) : 0;
    delete q['bookmark'];
    q['skip'] = from + skip;
    return {
      body: JSON.stringify(q),
      answer: (text) => {
        const res = JSON.parse(text) as { docs?: unknown[] } & Record<string, unknown>;
        const n = res.docs?.length ?? 0;
        res['bookmark'] = n === 0 ? 'nil' : `bm:${from + skip + n}`;
        return JSON.stringify(res);
      },
    };
  };
}

describe('rich queries on a server with _find bookmarks (as Apache CouchDB)', () => {
  it('passes CouchDB’s bookmarks through, as Fabric does', async (t) => {
    const { proxy, db: cdb } = await openThroughProxy(t, server.address, channel, {
      internalQueryLimit: 4,
    });
    addBookmarks(proxy);
    // Without pagination: internal batches follow the server's bookmarks.
    const all = await drain(await cdb.executeQuery!('marbles', MARBLE_QUERY));
    assert.deepEqual(
      all.map((kv) => kv.key),
      allMarbles,
    );
    const finds = proxy.requests.filter((r) => r.url.endsWith('/_find'));
    assert.deepEqual(
      finds.map((r) => (JSON.parse(r.body) as { bookmark?: string }).bookmark),
      [undefined, 'bm:4', 'bm:8', 'bm:12', 'bm:16', 'bm:20', 'bm:24'],
    );
    assert.ok(finds.every((r) => (JSON.parse(r.body) as { limit: number }).limit === 4));
    // Paginated: the page's bookmark is the server's last one.
    const first = await page(cdb, MARBLE_QUERY, 6);
    assert.deepEqual(first.keys, allMarbles.slice(0, 6));
    assert.equal(first.bookmark, 'bm:6');
    const second = await page(cdb, MARBLE_QUERY, 6, first.bookmark);
    assert.deepEqual(second.keys, allMarbles.slice(6, 12));
    assert.equal(second.bookmark, 'bm:12');
    const pages = [];
    let bm = '';
    for (;;) {
      const pg = await page(cdb, MARBLE_QUERY, 10, bm);
      pages.push(pg.keys);
      if (pg.keys.length === 0) break;
      bm = pg.bookmark;
    }
    assert.deepEqual(pages.flat(), allMarbles);
  });
});

describe('indexes from a chaincode package', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-package-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function metaInf(files: Record<string, string>): Promise<Map<string, Uint8Array>> {
    const folder = join(dir, 'META-INF', 'statedb', 'couchdb', 'indexes');
    await rm(join(dir, 'META-INF'), { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
    const out = new Map<string, Uint8Array>();
    for (const name of await readdir(folder)) {
      if (name.endsWith('.json')) {
        out.set(
          `META-INF/statedb/couchdb/indexes/${name}`,
          new Uint8Array(await readFile(join(folder, name))),
        );
      }
    }
    return out;
  }

  it('creates the indexes of META-INF/statedb/couchdb/indexes/*.json, usable by queries', async () => {
    const files = await metaInf({
      'indexOwner.json': JSON.stringify({
        index: { fields: ['docType', 'owner'] },
        ddoc: 'indexOwnerDoc',
        name: 'indexOwner',
        type: 'json',
      }),
      'indexSize.json': JSON.stringify({
        index: { fields: ['size'] },
        ddoc: 'indexSizeDoc',
        name: 'indexSize',
        type: 'json',
      }),
    });
    await db.processIndexes!('marbles', files);
    await db.processIndexes!('marbles', files); // again: they exist, nothing fails
    const listed = (await raw(`${server.url}/${channel}_marbles/_index`)).body['indexes'] as {
      ddoc: string;
      name: string;
    }[];
    assert.deepEqual(
      listed
        .filter((i) => i.ddoc !== null)
        .map((i) => [i.ddoc, i.name])
        .sort(),
      [
        ['_design/indexOwnerDoc', 'indexOwner'],
        ['_design/indexSizeDoc', 'indexSize'],
      ],
    );
    const sorted = await drain(
      await db.executeQuery!(
        'marbles',
        '{"selector":{"size":{"$gt":19}},"sort":[{"size":"desc"}],"use_index":["_design/indexSizeDoc","indexSize"]}',
      ),
    );
    assert.deepEqual(
      sorted.map((kv) => kv.key),
      [id(24), id(23), id(22), id(21), id(20)],
    );
    // The design documents are not state.
    const scan = await drain(await db.getStateRangeScanIterator('marbles', '', ''));
    assert.ok(scan.every((kv) => !kv.key.startsWith('_')));
  });

  it('applies the good files and names every bad one in its error', async () => {
    const files = await metaInf({
      'a-broken.json': '{"index":',
      'b-good.json': JSON.stringify({
        index: { fields: ['color'] },
        ddoc: 'indexColorDoc',
        name: 'indexColor',
      }),
      'c-nofields.json': JSON.stringify({ index: {}, name: 'x' }),
    });
    const err = await db.processIndexes!('marbles', files).then(
      () => assert.fail('bad index files were accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CouchDbError);
    assert.equal(err.code, 'COUCHDB_INVALID_INDEX');
    assert.match(err.message, /2 CouchDB index files of chaincode \[marbles\]/);
    assert.match(
      err.message,
      /META-INF\/statedb\/couchdb\/indexes\/a-broken\.json: not valid JSON/,
    );
    assert.match(
      err.message,
      /META-INF\/statedb\/couchdb\/indexes\/c-nofields\.json: "index\.fields" must be a non-empty array/,
    );
    assert.doesNotMatch(err.message, /b-good/);
    const listed = (await raw(`${server.url}/${channel}_marbles/_index`)).body['indexes'] as {
      ddoc: string;
    }[];
    assert.ok(listed.some((i) => i.ddoc === '_design/indexColorDoc'));
  });
});
