/**
 * Documents, revisions, savepoints and Fabric's layout, against a real pouchdb-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CouchDbError, metadataDbName, namespaceDbName } from '../src/index.js';
import {
  channelName,
  dec,
  del,
  enc,
  h,
  newProvider,
  openThroughProxy,
  put,
  raw,
  show,
} from '../test-support/helpers.js';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';

let server: TestCouchServer;
before(async () => {
  server = await startPouchDbServer();
});
after(async () => {
  await server.stop();
});

describe('documents round trip in Fabric’s layout', () => {
  it('stores JSON values as fields, other values as valueBytes, with ~version', async () => {
    const { provider } = newProvider(server.address);
    const ch = channelName('docs');
    const db = await provider.open(ch);
    await db.applyUpdates(
      [
        put('marbles', 'm1', '{"owner":"tom","size":3,"html":"<b>"}', h(1, 0)),
        put('marbles', 'bin', new Uint8Array([0, 1, 2, 255]), h(1, 1), 'meta'),
        put('marbles', 'text', 'not json', h(1, 2)),
        put('marbles', 'arr', '[1,2]', h(1, 3)),
        put('marbles', 'empty', '', h(1, 4)),
        put('myCC$$hColl', 'hk', '{"x":1}', h(1, 5), 'hm'),
      ],
      h(1, 5),
    );

    assert.deepEqual(show(await db.getState('marbles', 'm1')), {
      value: '{"html":"\\u003cb\\u003e","owner":"tom","size":3}',
      version: h(1, 0),
    });
    const bin = await db.getState('marbles', 'bin');
    assert.deepEqual([...(bin?.value ?? [])], [0, 1, 2, 255]);
    assert.equal(dec(bin?.metadata), 'meta');
    assert.deepEqual(show(await db.getState('marbles', 'text')), {
      value: 'not json',
      version: h(1, 2),
    });
    assert.deepEqual(show(await db.getState('marbles', 'arr')), {
      value: '[1,2]',
      version: h(1, 3),
    });
    assert.deepEqual(show(await db.getState('marbles', 'empty')), { value: '', version: h(1, 4) });
    assert.deepEqual(show(await db.getState('myCC$$hColl', 'hk')), {
      value: '{"x":1}',
      metadata: 'hm',
      version: h(1, 5),
    });
    assert.equal(await db.getState('marbles', 'nothere'), undefined);
    assert.equal(await db.getState('unused', 'nothere'), undefined);

    // Fabric's databases and documents, as another Fabric peer would read them.
    const dbs = (await (await fetch(`${server.url}/_all_dbs`)).json()) as string[];
    for (const name of [`${ch}_`, `${ch}_marbles`, `${ch}_my$c$c$$h$coll`, 'fabric__internal']) {
      assert.ok(dbs.includes(name), `${name} in ${dbs.join(', ')}`);
    }
    const m1 = (await raw(`${server.url}/${ch}_marbles/m1`)).body;
    assert.equal(m1['_id'], 'm1');
    assert.equal(m1['owner'], 'tom');
    assert.equal(m1['~version'], 'CgMBAQA='); // VersionAndMetadata{version: (1,0)}
    const b = (await raw(`${server.url}/${ch}_marbles/bin?attachments=true`)).body;
    const att = (b['_attachments'] as Record<string, Record<string, unknown>>)['valueBytes'];
    assert.equal(att?.['content_type'], 'application/octet-stream');
    assert.equal(att?.['data'], 'AAEC/w==');
    assert.deepEqual(Object.keys(b).sort(), ['_attachments', '_id', '_rev', '~version']);
    const meta = (await raw(`${server.url}/${ch}_/channel_metadata`)).body;
    assert.equal(meta['ChannelName'], ch);
    assert.deepEqual(meta['NamespaceDBsInfo'], {
      marbles: { Namespace: 'marbles', DBName: `${ch}_marbles` },
      myCC$$hColl: { Namespace: 'myCC$$hColl', DBName: `${ch}_my$c$c$$h$coll` },
      unused: { Namespace: 'unused', DBName: `${ch}_unused` },
    });
    const sp = (await raw(`${server.url}/${ch}_/statedb_savepoint`)).body;
    assert.equal(sp['BlockNum'], 1);
    assert.equal(sp['TxNum'], 5);
    const format = (await raw(`${server.url}/fabric__internal/dataformatVersion`)).body;
    assert.equal(format['Version'], '2.0');

    await provider.close();
  });

  it('reads many keys at once, in the order asked', async () => {
    const { provider } = newProvider(server.address, { cacheSize: 0 });
    const db = await provider.open(channelName('multi'));
    await db.applyUpdates(
      [
        put('cc', 'a', '{"v":1}', h(1)),
        put('cc', 'b', 'bytes', h(1, 1)),
        put('cc', 'c', '3', h(1, 2)),
      ],
      h(1, 2),
    );
    const got = await db.getStateMultipleKeys('cc', ['c', 'zz', 'a', 'b', 'a']);
    assert.deepEqual(
      got.map((v) => dec(v?.value)),
      ['3', undefined, '{"v":1}', 'bytes', '{"v":1}'],
    );
    await provider.close();
  });

  it('deletes keys, and deleting a key that is not there changes nothing', async () => {
    const { provider } = newProvider(server.address);
    const ch = channelName('del');
    const db = await provider.open(ch);
    await db.applyUpdates([put('cc', 'k', 'v', h(1)), put('cc', 'j', '{"a":1}', h(1, 1))], h(1, 1));
    await db.getState('cc', 'k'); // cached
    await db.applyUpdates(
      [del('cc', 'k', h(2)), del('cc', 'j', h(2, 1)), del('cc', 'never', h(2, 2))],
      h(2, 2),
    );
    assert.equal(await db.getState('cc', 'k'), undefined);
    assert.equal(await db.getState('cc', 'j'), undefined);
    assert.equal((await raw(`${server.url}/${ch}_cc/never`)).status, 404);
    // Written again after a delete.
    await db.applyUpdates([put('cc', 'k', 'again', h(3))], h(3));
    assert.deepEqual(show(await db.getState('cc', 'k')), { value: 'again', version: h(3) });
    await provider.close();
  });

  it('returns copies: changing a value read does not change the state', async () => {
    const { provider } = newProvider(server.address);
    const db = await provider.open(channelName('copy'));
    const written = enc('abc');
    await db.applyUpdates([{ namespace: 'cc', key: 'k', value: written, version: h(1) }], h(1));
    written[0] = 0x7a;
    const first = await db.getState('cc', 'k');
    assert.equal(dec(first?.value), 'abc');
    if (first) first.value[0] = 0x79;
    assert.equal(dec((await db.getState('cc', 'k'))?.value), 'abc');
    await provider.close();
  });
});

describe('channels and namespaces', () => {
  it('handles channel and namespace names Fabric truncates', async () => {
    const { provider } = newProvider(server.address);
    const channel = `${'long.channel-'.repeat(19)}end`; // 250 characters, with dots
    const namespace = `Chaincode${'X'.repeat(60)}$$pCollection${'Y'.repeat(60)}`;
    const db = await provider.open(channel);
    await db.applyUpdates([put(namespace, 'k', '{"a":1}', h(1))], h(1));
    assert.deepEqual(show(await db.getState(namespace, 'k')), { value: '{"a":1}', version: h(1) });
    const dbs = (await (await fetch(`${server.url}/_all_dbs`)).json()) as string[];
    const meta = metadataDbName(channel).replaceAll('.', '$');
    const nsDb = namespaceDbName(channel, namespace).replaceAll('.', '$');
    assert.ok(dbs.includes(meta), meta);
    assert.ok(dbs.includes(nsDb), nsDb);
    assert.ok(nsDb.length <= 238 && /^long\$channel-/.test(nsDb));
    await provider.drop(channel);
    const after = (await (await fetch(`${server.url}/_all_dbs`)).json()) as string[];
    assert.ok(!after.includes(meta) && !after.includes(nsDb));
    await provider.close();
  });

  it('keeps every namespace in the channel metadata when two providers add some at once', async () => {
    const ch = channelName('twoproviders');
    const a = newProvider(server.address);
    const b = newProvider(server.address);
    const dbA = await a.provider.open(ch);
    const dbB = await b.provider.open(ch);
    await dbA.applyUpdates([put('ns1', 'k', 'v', h(1))], h(1));
    await dbB.applyUpdates([put('ns2', 'k', 'v', h(2))], h(2));
    const meta = (await raw(`${server.url}/${ch}_/channel_metadata`)).body;
    assert.deepEqual(Object.keys(meta['NamespaceDBsInfo'] as object).sort(), ['ns1', 'ns2']);
    // The same provider shares one state per channel between its handles.
    const again = await a.provider.open(ch);
    assert.deepEqual(await again.getLatestSavePoint(), h(2));
    await a.provider.drop(ch);
    const dbs = (await (await fetch(`${server.url}/_all_dbs`)).json()) as string[];
    assert.deepEqual(
      dbs.filter((n) => n.startsWith(ch)),
      [],
    );
    await a.provider.close();
    await b.provider.close();
  });

  it('creates _global_changes when createGlobalChangesDB is set', async () => {
    const own = await startPouchDbServer();
    try {
      const { provider } = newProvider(own.address, { createGlobalChangesDB: true });
      await provider.open('globalchanges');
      const dbs = (await (await fetch(`${own.url}/_all_dbs`)).json()) as string[];
      assert.deepEqual(dbs.filter((n) => n.startsWith('_')).sort(), [
        '_global_changes',
        '_replicator',
        '_users',
      ]);
      await provider.close();
    } finally {
      await own.stop();
    }
  });
});

describe('state cache', () => {
  it('serves cached keys without asking CouchDB, and keeps them current at commit', async (t) => {
    const { proxy, db } = await openThroughProxy(t, server.address, channelName('cache'), {
      cacheSize: 1,
    });
    await db.applyUpdates(
      [put('cc', 'k', '{"v":1}', h(1)), put('cc', 'b', 'bin', h(1, 1))],
      h(1, 1),
    );
    const gets = () => proxy.requests.filter((r) => r.method === 'GET' && /\/(k|b)\?/.test(r.url));
    await db.getState('cc', 'k');
    await db.getState('cc', 'b');
    assert.equal(gets().length, 2);
    assert.deepEqual(show(await db.getState('cc', 'k')), { value: '{"v":1}', version: h(1) });
    assert.equal(gets().length, 2);
    proxy.requests.length = 0;
    // The commit needs no revision lookup for cached keys, and updates them.
    await db.applyUpdates(
      [put('cc', 'k', '{"v":2, "a":"<"}', h(2)), del('cc', 'b', h(2, 1))],
      h(2, 1),
    );
    assert.equal(proxy.requests.filter((r) => r.url.includes('_all_docs')).length, 0);
    assert.deepEqual(show(await db.getState('cc', 'k')), {
      value: '{"a":"\\u003c","v":2}',
      version: h(2),
    });
    assert.equal(gets().length, 0);
    assert.equal(await db.getState('cc', 'b'), undefined);
    assert.equal(gets().length, 1);
  });

  it('always caches _lifecycle and lscc; user namespaces only with cacheSize > 0', async (t) => {
    const { proxy, db } = await openThroughProxy(t, server.address, channelName('nocache'), {
      cacheSize: 0,
    });
    await db.applyUpdates(
      [put('_lifecycle', 'namespaces/fields/cc/Sequence', 'x', h(1)), put('cc', 'k', 'v', h(1, 1))],
      h(1, 1),
    );
    proxy.requests.length = 0;
    for (let i = 0; i < 3; i++) {
      await db.getState('_lifecycle', 'namespaces/fields/cc/Sequence');
      await db.getState('cc', 'k');
    }
    const reads = proxy.requests.filter((r) => r.method === 'GET');
    assert.equal(reads.filter((r) => r.url.includes('__lifecycle/')).length, 1);
    assert.equal(reads.filter((r) => r.url.includes('_cc/k')).length, 3);
  });
});

describe('revisions', () => {
  it('updates a document over its revision, twice and more', async () => {
    const { provider } = newProvider(server.address, { cacheSize: 0 });
    const ch = channelName('rev');
    const db = await provider.open(ch);
    for (let i = 1; i <= 3; i++) {
      await db.applyUpdates([put('cc', 'k', `{"n":${i}}`, h(i))], h(i));
      const doc = (await raw(`${server.url}/${ch}_cc/k`)).body;
      assert.match(String(doc['_rev']), new RegExp(`^${i}-`));
      assert.equal(doc['n'], i);
    }
    await provider.close();
  });

  it('uses the revisions loadCommittedVersions read, and loads missing ones with _all_docs', async (t) => {
    const { proxy, db } = await openThroughProxy(t, server.address, channelName('load'), {
      cacheSize: 0,
    });
    await db.applyUpdates([put('cc', 'a', '1', h(1)), put('cc', 'b', '{"b":1}', h(1, 1))], h(1, 1));
    proxy.requests.length = 0;
    await db.loadCommittedVersions?.([
      { namespace: 'cc', key: 'a' },
      { namespace: 'cc', key: 'b' },
      { namespace: 'cc', key: 'missing' },
    ]);
    const loads = proxy.requests.filter((r) => r.method === 'POST' && r.url.includes('/_all_docs'));
    assert.equal(loads.length, 1);
    assert.match(loads[0]?.url ?? '', /include_docs=true/);
    // The MVCC check reads from what was loaded: no more requests.
    proxy.requests.length = 0;
    assert.deepEqual(show(await db.getState('cc', 'b')), { value: '{"b":1}', version: h(1, 1) });
    assert.equal(await db.getState('cc', 'missing'), undefined);
    assert.equal(proxy.requests.length, 0, JSON.stringify(proxy.requests));
    // The commit needs no revision lookup for loaded keys, one _all_docs for the others.
    await db.applyUpdates(
      [put('cc', 'a', '2', h(2)), put('cc', 'b', '{"b":2}', h(2, 1)), put('cc', 'c', 'x', h(2, 2))],
      h(2, 2),
    );
    const revLookups = proxy.requests.filter((r) => r.url.includes('/_all_docs'));
    assert.equal(revLookups.length, 1);
    assert.deepEqual(JSON.parse(revLookups[0]?.body ?? '{}'), { keys: ['c'] });
    assert.equal(proxy.requests.filter((r) => r.url.endsWith('/_bulk_docs')).length, 1);
    assert.deepEqual(show(await db.getState('cc', 'a')), { value: '2', version: h(2) });
  });

  it('reads again only keys an earlier load since the last commit did not read', async (t) => {
    const { proxy, db } = await openThroughProxy(t, server.address, channelName('reload'), {
      cacheSize: 0,
    });
    assert.equal(db.remote, true, 'the committer loads a block in bulk before validating it');
    await db.applyUpdates([put('cc', 'a', '1', h(1))], h(1));
    const loadBodies = () =>
      proxy.requests
        .filter((r) => r.method === 'POST' && r.url.includes('/_all_docs'))
        .map((r) => (JSON.parse(r.body) as { keys: string[] }).keys);
    proxy.requests.length = 0;
    // The committer before validation, then the ledger for MVCC with one more key.
    await db.loadCommittedVersions?.([
      { namespace: 'cc', key: 'a' },
      { namespace: 'cc', key: 'absent' },
    ]);
    await db.loadCommittedVersions?.([
      { namespace: 'cc', key: 'a' },
      { namespace: 'cc', key: 'absent' },
      { namespace: 'cc', key: 'new' },
    ]);
    assert.deepEqual(loadBodies(), [['a', 'absent'], ['new']]);
    proxy.requests.length = 0;
    assert.deepEqual(show(await db.getState('cc', 'a')), { value: '1', version: h(1) });
    assert.equal(await db.getState('cc', 'absent'), undefined);
    assert.equal(proxy.requests.length, 0, JSON.stringify(proxy.requests));
    // A commit ends what was loaded: the next load reads the database again.
    await db.applyUpdates([put('cc', 'absent', '2', h(2))], h(2));
    proxy.requests.length = 0;
    await db.loadCommittedVersions?.([{ namespace: 'cc', key: 'absent' }]);
    assert.deepEqual(loadBodies(), [['absent']]);
    assert.deepEqual(show(await db.getState('cc', 'absent')), { value: '2', version: h(2) });
  });

  it('retries a document alone when its revision conflicts, as Fabric does', async () => {
    const { provider, records } = newProvider(server.address);
    const ch = channelName('conflict');
    const db = await provider.open(ch);
    await db.applyUpdates(
      [
        put('cc', 'k', '{"v":1}', h(1)),
        put('cc', 'd', 'x', h(1, 1)),
        put('cc', 'ok', '1', h(1, 2)),
      ],
      h(1, 2),
    );
    await db.loadCommittedVersions?.([
      { namespace: 'cc', key: 'k' },
      { namespace: 'cc', key: 'd' },
    ]);
    // Someone else changes both documents behind the peer's back: its revisions are now stale.
    for (const id of ['k', 'd']) {
      const doc = (await raw(`${server.url}/${ch}_cc/${id}`)).body;
      const put2 = await raw(`${server.url}/${ch}_cc/${id}`, {
        method: 'PUT',
        body: { ...doc, touched: true },
      });
      assert.equal(put2.status, 201);
    }
    await db.applyUpdates(
      [put('cc', 'k', '{"v":2}', h(2)), del('cc', 'd', h(2, 1)), put('cc', 'ok', '2', h(2, 2))],
      h(2, 2),
    );
    assert.deepEqual(show(await db.getState('cc', 'k')), { value: '{"v":2}', version: h(2) });
    assert.equal(await db.getState('cc', 'd'), undefined);
    assert.deepEqual(show(await db.getState('cc', 'ok')), { value: '2', version: h(2, 2) });
    assert.ok(
      records.some((r) => r.level === 'warn' && /Retrying update for document ID: k/.test(r.msg)),
    );
    assert.ok(
      records.some((r) => r.level === 'warn' && /Retrying delete for document ID: d/.test(r.msg)),
    );
    // The cache holds the new revision: the next update goes through without a conflict.
    records.length = 0;
    await db.getState('cc', 'k');
    await db.applyUpdates([put('cc', 'k', '{"v":3}', h(3))], h(3));
    assert.ok(!records.some((r) => /Retrying/.test(r.msg)));
    assert.equal((await raw(`${server.url}/${ch}_cc/k`)).body['v'], 3);
    await provider.close();
  });

  it('writes in _bulk_docs batches of maxBatchUpdateSize, savepoint last', async (t) => {
    const { proxy, db } = await openThroughProxy(t, server.address, channelName('batch'), {
      maxBatchUpdateSize: 3,
    });
    proxy.requests.length = 0;
    const updates = Array.from({ length: 10 }, (_, i) => put('cc', `k${i}`, `{"i":${i}}`, h(1, i)));
    await db.applyUpdates([...updates, put('other', 'x', 'y', h(1, 10))], h(1, 10));
    const bulks = proxy.requests.filter((r) => r.url.endsWith('/_bulk_docs'));
    assert.deepEqual(
      bulks.map((r) => (JSON.parse(r.body) as { docs: unknown[] }).docs.length).sort(),
      [1, 1, 3, 3, 3],
    );
    const lastWrite = proxy.requests
      .filter((r) => r.method === 'PUT' || r.method === 'POST')
      .at(-1);
    assert.match(lastWrite?.url ?? '', /_\/statedb_savepoint$/);
    const all = await db.getStateMultipleKeys(
      'cc',
      updates.map((u) => u.key),
    );
    assert.equal(all.filter((v) => v !== undefined).length, 10);
  });

  it('checks every key before it writes anything', async () => {
    const { provider } = newProvider(server.address);
    const ch = channelName('badkey');
    const db = await provider.open(ch);
    await assert.rejects(
      db.applyUpdates([put('cc', 'good', 'v', h(1)), put('cc', '_bad', 'v', h(1, 1))], h(1, 1)),
      (e: unknown) =>
        e instanceof CouchDbError &&
        e.code === 'COUCHDB_INVALID_KEY' &&
        e.message === 'invalid key [_bad], cannot begin with "_"',
    );
    await assert.rejects(db.applyUpdates([put('cc', 'good', '{"_id":"x"}', h(1))], h(1)), {
      code: 'COUCHDB_INVALID_DOCUMENT',
      message: /field \[_id\] is not valid/,
    });
    assert.equal(await db.getState('cc', 'good'), undefined);
    assert.equal(await db.getLatestSavePoint(), undefined);
    await assert.rejects(db.getState('cc', '_x'), { code: 'COUCHDB_INVALID_KEY' });
    await provider.close();
  });
});

describe('key and value rules', () => {
  it('answers validateKeyValue with Fabric’s rules and supports no byte keys', async () => {
    const { provider } = newProvider(server.address);
    const db = await provider.open(channelName('rules'));
    assert.equal(db.bytesKeySupported(), false);
    assert.equal(db.validateKeyValue('k', enc('{"a":{"_b":1}}')), undefined);
    assert.equal(db.validateKeyValue('k', enc('anything')), undefined);
    assert.equal(
      db.validateKeyValue('', enc('v')),
      'invalid key. Empty string is not supported as a key by couchdb',
    );
    assert.equal(db.validateKeyValue('_k', enc('v')), 'invalid key [_k], cannot begin with "_"');
    assert.equal(
      db.validateKeyValue('k\udc00', enc('v')),
      'invalid key [6befbfbd], must be a UTF-8 string',
    );
    assert.equal(
      db.validateKeyValue('k', enc('{"~version":1}')),
      'field [~version] is not valid for the CouchDB state database',
    );
    assert.equal(
      db.validateKeyValue('k', enc('{"_deleted":true}')),
      'field [_deleted] is not valid for the CouchDB state database',
    );
    await provider.close();
  });
});

describe('savepoint', () => {
  it('persists the savepoint and the state across provider close and open', async () => {
    const ch = channelName('persist');
    const first = newProvider(server.address);
    const db = await first.provider.open(ch);
    assert.equal(await db.getLatestSavePoint(), undefined);
    await db.applyUpdates([put('cc', 'k', '{"a":1}', h(7, 3))], h(7, 3));
    await db.applyUpdates([put('cc', 'k2', 'v', h(8, 1))], h(8, 1));
    assert.deepEqual(await db.getLatestSavePoint(), h(8, 1));
    await db.close();
    await assert.rejects(db.getState('cc', 'k'), { code: 'COUCHDB_CLOSED' });
    await first.provider.close();
    await assert.rejects(first.provider.open(ch), { code: 'COUCHDB_CLOSED' });

    const second = newProvider(server.address);
    const again = await second.provider.open(ch);
    assert.deepEqual(await again.getLatestSavePoint(), h(8, 1));
    assert.deepEqual(show(await again.getState('cc', 'k')), { value: '{"a":1}', version: h(7, 3) });
    // The savepoint document is overwritten in place, whatever revision this provider knew.
    await again.applyUpdates([], h(9));
    assert.deepEqual(await again.getLatestSavePoint(), h(9));

    // Another channel is separate; drop removes every database of a channel.
    const other = await second.provider.open(channelName('persistother'));
    assert.equal(await other.getLatestSavePoint(), undefined);
    await second.provider.drop(ch);
    const dbs = (await (await fetch(`${server.url}/_all_dbs`)).json()) as string[];
    assert.deepEqual(
      dbs.filter((n) => n.startsWith(`${ch}_`)),
      [],
    );
    await second.provider.drop(ch); // dropping twice is not an error
    const reopened = await second.provider.open(ch);
    assert.equal(await reopened.getLatestSavePoint(), undefined);
    assert.equal(await reopened.getState('cc', 'k'), undefined);
    await second.provider.close();
  });
});
