import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { API_VERSION, ConfigError, type PeerPlugin } from '@fabric-peer/api';
import { Kernel, validatePluginExport } from '@fabric-peer/core';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';
import plugin, {
  CouchDbHealthChecker,
  CouchDbStateProvider,
  readCouchDbSettings,
} from '../src/index.js';
import { couchConfig } from '../test-support/config.js';
import { h, put, show } from '../test-support/helpers.js';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';

/** The plugin's own folder (tests run from dist/test). */
const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('plugin export', () => {
  it('passes the core’s validation', () => {
    assert.deepEqual(validatePluginExport(plugin), []);
  });

  it('contributes the CouchDB state database and the couchdb health checker', () => {
    const p: PeerPlugin = plugin;
    assert.equal(p.apiVersion, API_VERSION);
    assert.equal(p.name, 'statedb-couchdb');
    assert.deepEqual(p.contributes, {
      stateDatabase: { CouchDB: CouchDbStateProvider },
      healthChecker: { couchdb: CouchDbHealthChecker },
    });
  });
});

describe('loaded through the kernel', () => {
  let server: TestCouchServer;
  before(async () => {
    server = await startPouchDbServer();
  });
  after(async () => {
    await server.stop();
  });

  it('builds the provider and the checker from core.yaml, and they work', async () => {
    const base = couchConfig(server.address);
    const config = fakeConfig(
      {
        plugins: [],
        'peer.handlers.authFilters': [],
        'peer.handlers.decorators': [],
        'peer.handlers.endorsers': {},
        'peer.handlers.validators': {},
        'vm.providers': [],
        'ledger.state.library': null,
        'chaincode.system': {},
        ...Object.fromEntries(
          [
            'ledger.state.stateDatabase',
            'ledger.state.totalQueryLimit',
            ...[
              'couchDBAddress',
              'username',
              'password',
              'maxRetries',
              'maxRetriesOnStartup',
              'internalQueryLimit',
              'maxBatchUpdateSize',
              'createGlobalChangesDB',
              'cacheSize',
            ].map((k) => `ledger.state.couchDBConfig.${k}`),
          ].map((k) => [k, base.get(k)]),
        ),
      },
      { durations: { 'ledger.state.couchDBConfig.requestTimeout': 5000 }, dir: tmpdir() },
    );
    const k = await Kernel.create({
      config,
      loggerFactory: silentLoggers,
      builtinPackages: ['@fabric-peer/statedb-couchdb'],
      searchDirs: [pluginDir],
    });
    assert.deepEqual(
      k.registry.list().map((c) => `${c.point}:${c.name}`),
      ['stateDatabase:CouchDB', 'healthChecker:couchdb'],
    );
    const provider = k.registry.get('stateDatabase', 'CouchDB');
    assert.ok(provider instanceof CouchDbStateProvider);
    assert.equal(provider.name, 'CouchDB');
    const db = await provider.open('kernelchannel');
    await db.applyUpdates([put('cc', 'k', 'v', h(1))], h(1));
    assert.deepEqual(show(await db.getState('cc', 'k')), { value: 'v', version: h(1) });
    await provider.close();
    const [checker] = k.registry.all('healthChecker');
    assert.equal(checker?.instance.component, 'couchdb');
    await checker?.instance.check();
  });
});

describe('settings', () => {
  it('reads Fabric’s keys, with Fabric’s defaults for empty ones', () => {
    const s = readCouchDbSettings(
      fakeConfig({
        'ledger.state.totalQueryLimit': null,
        'ledger.state.couchDBConfig.couchDBAddress': 'couchdb0:5984',
        'ledger.state.couchDBConfig.username': 'admin',
        'ledger.state.couchDBConfig.password': 'adminpw',
        'ledger.state.couchDBConfig.maxRetries': null,
        'ledger.state.couchDBConfig.maxRetriesOnStartup': 10,
        'ledger.state.couchDBConfig.requestTimeout': null,
        'ledger.state.couchDBConfig.internalQueryLimit': null,
        'ledger.state.couchDBConfig.maxBatchUpdateSize': null,
        'ledger.state.couchDBConfig.createGlobalChangesDB': true,
        'ledger.state.couchDBConfig.cacheSize': 0,
      }),
    );
    assert.deepEqual(s, {
      address: 'couchdb0:5984',
      username: 'admin',
      password: 'adminpw',
      maxRetries: 3,
      maxRetriesOnStartup: 10,
      requestTimeoutMs: 35000,
      internalQueryLimit: 1000,
      maxBatchUpdateSize: 500,
      createGlobalChangesDB: true,
      cacheSizeMb: 0,
      totalQueryLimit: 10000,
    });
  });

  it('lists every bad key, and never repeats a password', () => {
    const bad = fakeConfig(
      {
        'ledger.state.totalQueryLimit': 0,
        'ledger.state.couchDBConfig.couchDBAddress': 'not an address',
        'ledger.state.couchDBConfig.username': null,
        'ledger.state.couchDBConfig.password': 12345678,
        'ledger.state.couchDBConfig.maxRetries': -1,
        'ledger.state.couchDBConfig.maxRetriesOnStartup': 'x',
        'ledger.state.couchDBConfig.requestTimeout': 0,
        'ledger.state.couchDBConfig.internalQueryLimit': 0,
        'ledger.state.couchDBConfig.maxBatchUpdateSize': 1.5,
        'ledger.state.couchDBConfig.createGlobalChangesDB': 'yes',
        'ledger.state.couchDBConfig.cacheSize': 64,
      },
      { durations: { 'ledger.state.couchDBConfig.requestTimeout': 0 } },
    );
    assert.throws(
      () => readCouchDbSettings(bad),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(
          e.issues.map((i) => i.key),
          [
            'ledger.state.couchDBConfig.couchDBAddress',
            'ledger.state.couchDBConfig.requestTimeout',
            'ledger.state.couchDBConfig.createGlobalChangesDB',
            'ledger.state.couchDBConfig.password',
            'ledger.state.couchDBConfig.maxRetries',
            'ledger.state.couchDBConfig.maxRetriesOnStartup',
            'ledger.state.couchDBConfig.internalQueryLimit',
            'ledger.state.couchDBConfig.maxBatchUpdateSize',
            'ledger.state.totalQueryLimit',
          ],
        );
        assert.ok(!e.message.includes('12345678'));
        return true;
      },
    );
    const withSecret = fakeConfig({
      'ledger.state.totalQueryLimit': 10,
      'ledger.state.couchDBConfig.couchDBAddress': 'http://admin:pw-in-url@couchdb:5984',
      ...Object.fromEntries(
        [
          'username',
          'password',
          'maxRetries',
          'maxRetriesOnStartup',
          'requestTimeout',
          'internalQueryLimit',
          'maxBatchUpdateSize',
          'createGlobalChangesDB',
          'cacheSize',
        ].map((k) => [`ledger.state.couchDBConfig.${k}`, null]),
      ),
    });
    assert.throws(
      () => readCouchDbSettings(withSecret),
      (e: unknown) =>
        e instanceof ConfigError &&
        /couchDBAddress: must not hold credentials/.test(e.message) &&
        !e.message.includes('pw-in-url'),
    );
    // The provider reads them when it is built.
    assert.throws(() => new CouchDbStateProvider(bad, silentLoggers), ConfigError);
  });
});
