import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { API_VERSION, type PeerPlugin } from '@fabric-peer/api';
import { Kernel, selections, validatePluginExport } from '@fabric-peer/core';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';
import plugin, { LevelDbStateProvider } from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

/** The plugin's own folder (tests run from dist/test). */
const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

function peerConfig(fileSystemPath: string, library: string | null, dir = tmpdir()) {
  return fakeConfig(
    {
      plugins: [],
      'peer.fileSystemPath': fileSystemPath,
      'peer.handlers.authFilters': [],
      'peer.handlers.decorators': [],
      'peer.handlers.endorsers': {},
      'peer.handlers.validators': {},
      'vm.providers': [],
      'ledger.state.stateDatabase': 'goleveldb',
      'ledger.state.library': library,
    },
    { dir },
  );
}

describe('plugin export', () => {
  it('passes the core’s validation', () => {
    assert.deepEqual(validatePluginExport(plugin), []);
  });

  it('contributes the goleveldb state database', () => {
    const p: PeerPlugin = plugin;
    assert.equal(p.apiVersion, API_VERSION);
    assert.equal(p.name, 'statedb-leveldb');
    assert.deepEqual(p.contributes, { stateDatabase: { goleveldb: LevelDbStateProvider } });
  });
});

describe('loaded through the kernel', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('builds one provider per peer, reading peer.fileSystemPath', async () => {
    const k = await Kernel.create({
      config: peerConfig(dir, null),
      loggerFactory: silentLoggers,
      builtinPackages: ['@fabric-peer/statedb-leveldb'],
      searchDirs: [pluginDir],
    });
    const [loaded] = k.registry.plugins();
    assert.equal(loaded?.plugin.name, 'statedb-leveldb');
    assert.equal(loaded?.location, pluginDir);
    assert.deepEqual(
      k.registry.list().map((c) => `${c.point}:${c.name}`),
      ['stateDatabase:goleveldb'],
    );
    const [selected] = selections(k.config, 'stateDatabase');
    assert.equal(selected?.name, 'goleveldb');

    const provider = k.registry.get('stateDatabase', 'goleveldb');
    assert.ok(provider instanceof LevelDbStateProvider);
    assert.equal(k.registry.get('stateDatabase', 'goleveldb'), provider, 'a singleton');
    assert.equal(provider.name, 'goleveldb');
    assert.equal(provider.path, join(dir, 'ledgersData', 'stateLeveldb'));

    const db = await provider.open('mychannel');
    await db.applyUpdates(
      [
        {
          namespace: 'mycc',
          key: 'a',
          value: Buffer.from('1'),
          version: { blockNum: 1, txNum: 0 },
        },
      ],
      { blockNum: 1, txNum: 0 },
    );
    assert.equal(Buffer.from((await db.getState('mycc', 'a'))?.value ?? []).toString(), '1');
    await provider.close();
  });

  it('is found when core.yaml names the package in ledger.state.library, relative to its folder', async () => {
    const configDir = join(dir, 'config');
    const k = await Kernel.create({
      config: peerConfig('../data', relative(configDir, pluginDir), configDir),
      loggerFactory: silentLoggers,
    });
    const provider = k.registry.get('stateDatabase', 'goleveldb');
    assert.ok(provider instanceof LevelDbStateProvider);
    // A relative peer.fileSystemPath resolves against the config folder.
    assert.equal(provider.path, join(dir, 'data', 'ledgersData', 'stateLeveldb'));
    const db = await provider.open('ch');
    assert.equal(await db.getLatestSavePoint(), undefined);
    await provider.close();
  });

  it('reports a missing peer.fileSystemPath as a configuration error naming the key', async () => {
    const k = await Kernel.create({
      config: peerConfig('', null),
      loggerFactory: silentLoggers,
      builtinPackages: ['@fabric-peer/statedb-leveldb'],
      searchDirs: [pluginDir],
    });
    assert.throws(() => k.registry.get('stateDatabase', 'goleveldb'), /peer\.fileSystemPath/);
  });
});
