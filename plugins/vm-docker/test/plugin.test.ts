import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { API_VERSION, type PeerPlugin } from '@fabric-peer/api';
import { Kernel, validatePluginExport } from '@fabric-peer/core';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';
import plugin, { DockerHealthChecker, DockerVmProvider } from '../src/index.js';
import { dockerTestValues } from '../test-support/index.js';

/** The plugin's own folder (tests run from dist/test). */
const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('plugin export', () => {
  it('passes the core’s validation', () => {
    assert.deepEqual(validatePluginExport(plugin), []);
  });

  it('contributes the docker runtime and the docker health checker', () => {
    const p: PeerPlugin = plugin;
    assert.equal(p.apiVersion, API_VERSION);
    assert.equal(p.name, 'vm-docker');
    assert.deepEqual(p.contributes, {
      vmProvider: { docker: DockerVmProvider },
      healthChecker: { docker: DockerHealthChecker },
    });
  });
});

describe('loaded through the kernel', () => {
  it('builds the provider and the checker from core.yaml', async () => {
    const config = fakeConfig({
      plugins: [],
      'peer.handlers.authFilters': [],
      'peer.handlers.decorators': [],
      'peer.handlers.endorsers': {},
      'peer.handlers.validators': {},
      'vm.providers': [{ name: 'docker', library: null }],
      'ledger.state.stateDatabase': 'goleveldb',
      'ledger.state.library': null,
      'chaincode.system': {},
      ...dockerTestValues({ 'peer.id': 'kernel-peer' }),
    });
    const k = await Kernel.create({
      config,
      loggerFactory: silentLoggers,
      builtinPackages: ['@fabric-peer/vm-docker'],
      searchDirs: [pluginDir],
    });
    assert.deepEqual(
      k.registry.list().map((c) => `${c.point}:${c.name}`),
      ['vmProvider:docker', 'healthChecker:docker'],
    );
    const provider = k.registry.get('vmProvider', 'docker');
    assert.ok(provider instanceof DockerVmProvider);
    assert.equal(provider.name, 'docker');
    assert.equal(provider.settings.peerId, 'kernel-peer');
    const [checker] = k.registry.all('healthChecker');
    assert.equal(checker?.instance.component, 'docker');
    // The engine of this machine answers.
    await checker?.instance.check();
  });
});
