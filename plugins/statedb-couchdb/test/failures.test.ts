/**
 * What happens when CouchDB is not there, does not answer, goes away, fails, or refuses the
 * credentials: clear errors naming the address, retries as configured, no crash, no secret logged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, silentLoggers } from '@fabric-peer/testkit';
import { CouchDbError, CouchDbHealthChecker } from '../src/index.js';
import { couchConfig } from '../test-support/config.js';
import {
  channelName,
  drain,
  h,
  newProvider,
  openThroughProxy,
  put,
  raw,
} from '../test-support/helpers.js';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';
import { startSilentServer } from '../test-support/proxy.js';

function isUnreachable(address: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof CouchDbError, `expected a CouchDbError, got ${String(e)}`);
    assert.equal(e.code, 'COUCHDB_UNREACHABLE');
    assert.ok(e.message.includes(`CouchDB at ${address}`), e.message);
    assert.equal(e.details['address'], address);
    return true;
  };
}

describe('an unreachable server', () => {
  it('fails open with an error naming the address, after maxRetriesOnStartup retries', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const { provider, records } = newProvider(address, { maxRetriesOnStartup: 2 });
    const started = Date.now();
    await assert.rejects(provider.open('mychannel'), (e: unknown) => {
      isUnreachable(address)(e);
      const err = e as CouchDbError;
      assert.match(err.message, /ECONNREFUSED/);
      assert.match(err.message, /after 3 attempts/);
      assert.match(err.message, /ledger\.state\.couchDBConfig\.couchDBAddress/);
      return true;
    });
    // Two waits: 125 ms, then 250 ms.
    assert.ok(Date.now() - started >= 375);
    assert.equal(records.filter((r) => r.level === 'warn' && /Retrying in/.test(r.msg)).length, 2);
    // A later open tries again (and fails again).
    await assert.rejects(provider.open('mychannel'), isUnreachable(address));
    await provider.close();
  });

  it('times out a server that does not answer (requestTimeout)', async () => {
    const held = await startSilentServer(); // accepts connections, never answers
    const address = held.address;
    const { provider } = newProvider(address, { maxRetriesOnStartup: 1, requestTimeoutMs: 200 });
    await assert.rejects(provider.open('mychannel'), (e: unknown) => {
      isUnreachable(address)(e);
      assert.match((e as Error).message, /no answer within 200ms/);
      return true;
    });
    await provider.close();
    await held.close();
  });

  it('fails the health check with a message naming the address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const checker = new CouchDbHealthChecker(couchConfig(address), silentLoggers);
    assert.equal(checker.component, 'couchdb');
    await assert.rejects(checker.check(), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, new RegExp(`^failed to connect to couch db at ${address}: `));
      return true;
    });
  });
});

describe('a live server', () => {
  let server: TestCouchServer;
  before(async () => {
    server = await startPouchDbServer();
  });
  after(async () => {
    await server.stop();
  });

  it('passes the health check', async () => {
    await new CouchDbHealthChecker(couchConfig(server.address), silentLoggers).check();
  });

  it('retries 5xx answers maxRetries times, then reports the last', async (t) => {
    const { proxy, db } = await openThroughProxy(t, server.address, channelName('fail'), {
      maxRetries: 2,
    });
    // Fails once, then works: the caller sees nothing.
    let failures = 1;
    proxy.failWith = (r) => (r.url.includes('/_bulk_docs') && failures-- > 0 ? 503 : undefined);
    await db.applyUpdates([put('cc', 'k', 'v', h(1))], h(1));
    // Always fails: three attempts, then an error with CouchDB's status.
    proxy.requests.length = 0;
    proxy.failWith = (r) => (r.url.includes('/_bulk_docs') ? 500 : undefined);
    await assert.rejects(db.applyUpdates([put('cc', 'k', 'w', h(2))], h(2)), (e: unknown) => {
      assert.ok(e instanceof CouchDbError);
      assert.equal(e.code, 'COUCHDB_REQUEST_FAILED');
      assert.equal(e.status, 500);
      assert.match(e.message, /after 3 attempts/);
      return true;
    });
    assert.equal(proxy.requests.filter((r) => r.url.includes('/_bulk_docs')).length, 3);
    // The savepoint did not move past the failed block; the state is the last committed one.
    proxy.failWith = undefined;
    assert.deepEqual(await db.getLatestSavePoint(), h(1));
    // A 4xx answer is not retried.
    proxy.requests.length = 0;
    proxy.failWith = (r) => (r.url.includes('/_find') ? 400 : undefined);
    await assert.rejects(db.executeQuery!('cc', '{"selector":{}}'), {
      code: 'COUCHDB_REQUEST_FAILED',
    });
    assert.equal(proxy.requests.filter((r) => r.url.includes('/_find')).length, 1);
  });
});

describe('the server going away mid-way', () => {
  it('turns every later call into a clear error, without crashing the peer', async () => {
    const server = await startPouchDbServer();
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    const { provider } = newProvider(server.address, { internalQueryLimit: 2, maxRetries: 1 });
    try {
      const db = await provider.open(channelName('away'));
      await db.applyUpdates(
        Array.from({ length: 6 }, (_, i) => put('cc', `k${i}`, `{"i":${i}}`, h(1, i))),
        h(1, 5),
      );
      const it = await db.getStateRangeScanIterator('cc', '', '');
      const query = await db.executeQuery!('cc', '{"selector":{"i":{"$gte":0}}}');
      assert.equal((await it.next())?.key, 'k0');
      await server.stop();

      // What was already fetched is still served; the next batch fails clearly.
      assert.equal((await it.next())?.key, 'k1');
      await assert.rejects(it.next(), isUnreachable(server.address));
      await it.close();
      await assert.rejects(drain(query), isUnreachable(server.address));
      await assert.rejects(db.getState('cc', 'notcached'), isUnreachable(server.address));
      await assert.rejects(db.getLatestSavePoint(), isUnreachable(server.address));
      await assert.rejects(
        db.applyUpdates([put('cc', 'k9', 'v', h(2))], h(2)),
        isUnreachable(server.address),
      );
      await assert.rejects(
        db.getStateRangeScanIterator('cc', '', ''),
        isUnreachable(server.address),
      );
      await assert.rejects(provider.open(channelName('later')), isUnreachable(server.address));
      await assert.rejects(
        new CouchDbHealthChecker(couchConfig(server.address), silentLoggers).check(),
        new RegExp(`failed to connect to couch db at ${server.address}`),
      );
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await provider.close();
      await server.stop();
    }
  });
});

describe('credentials', () => {
  const USER = 'peeradmin';
  const PASSWORD = 'Sup3r-Secret-Pw';
  let server: TestCouchServer;
  before(async () => {
    server = await startPouchDbServer();
    const made = await raw(`${server.url}/_config/admins/${USER}`, {
      method: 'PUT',
      body: PASSWORD,
    });
    assert.equal(made.status, 200);
  });
  after(async () => {
    await server.stop();
  });

  it('uses them, gives the user rights on each database, and never logs them', async () => {
    const { provider, records } = newProvider(server.address, {
      username: USER,
      password: PASSWORD,
    });
    const ch = channelName('creds');
    const db = await provider.open(ch);
    await db.applyUpdates([put('cc', 'k', '{"a":1}', h(1))], h(1));
    const res = await fetch(`${server.url}/${ch}_cc/_security`, {
      headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
    });
    const security = (await res.json()) as {
      admins: { names: string[] };
      members: { names: string[] };
    };
    assert.deepEqual(security.admins.names, [USER]);
    assert.deepEqual(security.members.names, [USER]);
    await provider.close();
    assert.ok(records.length > 0);
    assert.ok(!JSON.stringify(records).includes(PASSWORD));
  });

  it('fails open clearly on a wrong password, without showing it', async () => {
    const wrong = 'Wr0ng-Secret-Pw';
    const { provider, records } = newProvider(server.address, { username: USER, password: wrong });
    const err = await provider.open(channelName('wrong')).then(
      () => assert.fail('open succeeded with a wrong password'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CouchDbError);
    assert.equal(err.code, 'COUCHDB_REQUEST_FAILED');
    assert.equal(err.status, 401);
    assert.match(err.message, /check ledger\.state\.couchDBConfig\.username and password/);
    for (const text of [err.message, JSON.stringify(err.details), JSON.stringify(records)]) {
      assert.ok(!text.includes(wrong) && !text.includes(PASSWORD), text);
      assert.ok(!text.includes(Buffer.from(`${USER}:${wrong}`).toString('base64')), text);
    }
    await provider.close();
  });
});
