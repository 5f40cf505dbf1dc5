import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { API_VERSION } from '@fabric-peer/api';
import { Kernel, validatePluginExport } from '@fabric-peer/core';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';
import plugin, { InprocessVmProvider } from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

function config(fileSystemPath: string, plugins: unknown[] = []) {
  return fakeConfig(
    {
      plugins,
      'peer.fileSystemPath': fileSystemPath,
      'peer.localMspId': 'Org1MSP',
      'peer.handlers.authFilters': [],
      'peer.handlers.decorators': [],
      'peer.handlers.endorsers': {},
      'peer.handlers.validators': {},
      'vm.providers': [{ name: 'inprocess', library: null }],
      'ledger.state.stateDatabase': 'goleveldb',
      'ledger.state.library': null,
      'chaincode.logging.level': 'info',
      'chaincode.logging.shim': 'warning',
      'chaincode.installTimeout': 300_000,
    },
    { dir: fileSystemPath },
  );
}

describe('plugin export', () => {
  it('passes the core’s validation and contributes the inprocess runtime', () => {
    assert.deepEqual(validatePluginExport(plugin), []);
    assert.equal(plugin.apiVersion, API_VERSION);
    assert.deepEqual(plugin.contributes, { vmProvider: { inprocess: InprocessVmProvider } });
  });
});

describe('loaded through the kernel', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('builds one provider reading peer.fileSystemPath', async () => {
    const k = await Kernel.create({
      config: config(dir, [{ library: pluginDir, options: { prewarm: false } }]),
      loggerFactory: silentLoggers,
    });
    const provider = k.registry.get('vmProvider', 'inprocess');
    assert.ok(provider instanceof InprocessVmProvider);
    assert.equal(k.registry.get('vmProvider', 'inprocess'), provider, 'a singleton');
    assert.equal(provider.name, 'inprocess');
    assert.equal(provider.buildRoot, join(dir, 'externalbuilds', 'inprocess'));
    await provider.close();
  });

  it('reports bad plugin options as configuration errors naming the option', async () => {
    const k = await Kernel.create({
      config: config(dir, [{ library: pluginDir, options: { prewarm: 'yes', stopGraceMs: -1 } }]),
      loggerFactory: silentLoggers,
    });
    assert.throws(
      () => k.registry.get('vmProvider', 'inprocess'),
      /options\.prewarm: must be true or false[\s\S]*options\.stopGraceMs/,
    );
  });
});
