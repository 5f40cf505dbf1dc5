import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  definePlugin,
  PluginError,
  type HealthChecker,
  type ProposalProcessor,
} from '@fabric-peer/api';
import { fakeConfig, recordingLoggers } from '@fabric-peer/testkit';
import { Kernel } from '../src/kernel.js';
import { authFilterChain, bindingsReport, decorators, selections } from '../src/selections.js';
import { fixtures } from './helpers.js';

const base = {
  plugins: [],
  'peer.handlers.authFilters': [],
  'peer.handlers.decorators': [],
  'peer.handlers.endorsers': {},
  'peer.handlers.validators': {},
  'vm.providers': [],
  'ledger.state.stateDatabase': 'goleveldb',
  'ledger.state.library': null,
  'chaincode.system': { cscc: 'enable', lscc: 'disable', qscc: true },
};

function kernel(values: Record<string, unknown>) {
  return Kernel.create({
    config: fakeConfig({ ...base, ...values }, { dir: fixtures }),
    loggerFactory: recordingLoggers().factory,
  });
}

function pluginErrorOf(p: Promise<unknown>, check: (e: PluginError) => void) {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PluginError, `expected PluginError, got ${String(e)}`);
    check(e);
    return true;
  });
}

const endpoint: ProposalProcessor = {
  processProposal: () => Promise.resolve({ response: { status: 200, message: 'done' } }),
};

describe('Kernel', () => {
  it('loads a plugin named by a handler library and chains the filters in config order', async () => {
    const k = await kernel({
      'peer.handlers.authFilters': [
        { name: 'Tagger', library: './good-plugin' },
        { name: 'Upper', library: './good-plugin' },
      ],
      plugins: [{ library: './good-plugin', options: { tag: 'blue' } }],
    });
    // One load serves every key naming the same package.
    assert.equal(k.registry.plugins().filter((p) => p.plugin.name === 'good-plugin').length, 1);
    const mod = (await import(`${fixtures}/good-plugin/lib/index.js`)) as { events: string[] };
    mod.events.length = 0;
    const chain = authFilterChain(k.registry, k.config, endpoint);
    const res = await chain.processProposal({}, {});
    assert.equal(res.response?.message, 'DONE');
    assert.deepEqual(mod.events, ['Tagger:blue', 'Upper']);
  });

  it('builds each chain from fresh filters, so two chains do not re-point each other', async () => {
    const k = await kernel({
      'peer.handlers.authFilters': [{ name: 'Upper', library: './good-plugin' }],
    });
    const a = authFilterChain(k.registry, k.config, endpoint);
    const b = authFilterChain(k.registry, k.config, {
      processProposal: () => Promise.resolve({ response: { status: 200, message: 'other' } }),
    });
    assert.notEqual(a, b);
    assert.equal((await a.processProposal({}, {})).response?.message, 'DONE');
    assert.equal((await b.processProposal({}, {})).response?.message, 'OTHER');
  });

  it('gives each plugin its options through PluginContext', async () => {
    const k = await kernel({ plugins: [{ library: './good-plugin', options: { tag: 'green' } }] });
    const tagger = k.registry.get('authFilter', 'Tagger') as unknown as { tag: string };
    assert.equal(tagger.tag, 'green');
  });

  it('names the config key and package when a library does not resolve', async () => {
    await pluginErrorOf(
      kernel({ 'peer.handlers.authFilters': [{ name: 'X', library: './missing-plugin' }] }),
      (e) => {
        assert.equal(e.configKey, 'peer.handlers.authFilters[0].library');
        assert.match(
          e.message,
          /^peer\.handlers\.authFilters\[0\]\.library: plugin \.\/missing-plugin: cannot be loaded: .*does not exist/,
        );
      },
    );
  });

  it('refuses a plugin built for an incompatible api version', async () => {
    await pluginErrorOf(kernel({ plugins: [{ library: './future-plugin' }] }), (e) => {
      assert.equal(e.configKey, 'plugins[0].library');
      assert.match(e.message, /future-plugin@9\.0\.0 .*built for @fabric-peer\/api 2\.0\.0/);
    });
  });

  it('refuses a library that does not provide the handler the key names', async () => {
    await pluginErrorOf(
      kernel({ 'peer.handlers.decorators': [{ name: 'Nope', library: './good-plugin' }] }),
      (e) => {
        assert.equal(e.configKey, 'peer.handlers.decorators[0].library');
        assert.match(e.message, /provides no decorator named "Nope" \(it provides no decorator\)/);
      },
    );
    await pluginErrorOf(
      kernel({ 'peer.handlers.authFilters': [{ name: 'Nope', library: './good-plugin' }] }),
      (e) => {
        assert.match(
          e.message,
          /provides no auth filter named "Nope" \(it provides: Upper, Tagger\)/,
        );
      },
    );
  });

  it('refuses two plugins providing the same name on one extension point', async () => {
    await pluginErrorOf(
      kernel({ plugins: [{ library: './good-plugin' }, { library: './dup-auth' }] }),
      (e) => {
        assert.equal(e.configKey, 'plugins[1].library');
        assert.match(e.message, /auth filter "Upper" is already provided by good-plugin/);
      },
    );
  });

  it('loads a single-file plugin by path', async () => {
    const k = await kernel({
      'peer.handlers.decorators': [{ name: 'Stamp', library: './esm-file/plugin.mjs' }],
    });
    const [d] = decorators(k.registry, k.config);
    assert.deepEqual(d!.decorate({}, { args: [] }).decorations, { stamp: Buffer.from('1') });
  });

  it('registers internal plugins and runs their services through the lifecycle', async () => {
    const log: string[] = [];
    class A {
      name = 'a';
      dependsOn = ['b'];
      start() {
        log.push('start a');
        return Promise.resolve();
      }
      stop() {
        log.push('stop a');
        return Promise.resolve();
      }
    }
    class B {
      name = 'b';
      start() {
        log.push('start b');
        return Promise.resolve();
      }
      stop() {
        log.push('stop b');
        return Promise.resolve();
      }
    }
    const internal = definePlugin({
      name: 'internal',
      version: '0',
      contributes: { service: { a: A, b: B } },
    });
    const k = await Kernel.create({
      config: fakeConfig(base, { dir: fixtures }),
      loggerFactory: recordingLoggers().factory,
      internalPlugins: [{ plugin: internal, location: '/peer', packageName: '@fabric-peer/node' }],
    });
    const lc = k.lifecycle(1000);
    assert.deepEqual(lc.order, ['b', 'a']);
    await lc.start();
    await lc.stop();
    assert.deepEqual(log, ['start b', 'start a', 'stop a', 'stop b']);
  });

  it('reports selections and what provides them', async () => {
    const k = await kernel({
      plugins: [{ library: './good-plugin' }],
      'peer.handlers.authFilters': [{ name: 'Upper' }, { name: 'Ghost' }],
    });
    const report = bindingsReport(k.registry, k.config);
    const auth = report.find((r) => r.point === 'authFilter')!;
    assert.equal(auth.configKey, 'peer.handlers.authFilters');
    assert.equal(auth.selected[0]!.provider?.packageName, 'good-plugin');
    assert.equal(auth.selected[1]!.provider, undefined);
    assert.deepEqual(
      auth.available.map((a) => a.name),
      ['Upper', 'Tagger'],
    );
    const health = report.find((r) => r.point === 'healthChecker')!;
    assert.deepEqual(
      health.available.map((a) => `${a.name}@${a.version}`),
      ['good@1.2.3'],
    );
    const checker: HealthChecker = k.registry.get('healthChecker', 'good');
    assert.equal(checker.component, 'good');
    assert.deepEqual(
      selections(k.config, 'systemChaincode').map((s) => s.name),
      ['cscc', 'qscc'],
    );
  });

  it('names the key when a selected handler is provided by no plugin', async () => {
    const k = await kernel({ 'peer.handlers.authFilters': [{ name: 'Ghost' }] });
    assert.throws(
      () => authFilterChain(k.registry, k.config, endpoint),
      (e: unknown) => {
        assert.ok(e instanceof PluginError);
        assert.equal(e.configKey, 'peer.handlers.authFilters[0].name');
        assert.match(
          e.message,
          /no loaded plugin provides the auth filter "Ghost" \(none is available\)/,
        );
        return true;
      },
    );
  });
});
