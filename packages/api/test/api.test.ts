import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  API_VERSION,
  chaincodeLogLevel,
  ConfigError,
  definePlugin,
  EndorsementPolicyFailure,
  extensionPoints,
  FabricPeerError,
  formatConfigIssue,
  isApiCompatible,
  parseApiVersion,
  PluginError,
  ValidationExecutionError,
  type ExtensionPointName,
} from '../src/index.js';

describe('api version', () => {
  it('parses major.minor.patch and ignores pre-release suffixes', () => {
    assert.deepEqual(parseApiVersion('1.2.3'), [1, 2, 3]);
    assert.deepEqual(parseApiVersion('1.2.3-rc.1'), [1, 2, 3]);
    assert.equal(parseApiVersion('1.2'), undefined);
    assert.equal(parseApiVersion('v1.2.3'), undefined);
  });

  it('accepts the same major with an older or equal minor', () => {
    assert.equal(isApiCompatible('1.0.0', '1.0.0'), true);
    assert.equal(isApiCompatible('1.0.5', '1.2.0'), true);
    assert.equal(isApiCompatible('1.3.0', '1.2.0'), false);
    assert.equal(isApiCompatible('2.0.0', '1.9.0'), false);
    assert.equal(isApiCompatible('0.9.0', '1.0.0'), false);
    assert.equal(isApiCompatible('garbage', '1.0.0'), false);
  });

  it('treats every minor as breaking below 1.0, as semver does', () => {
    assert.equal(isApiCompatible('0.3.1', '0.3.9'), true);
    assert.equal(isApiCompatible('0.2.0', '0.3.0'), false);
  });

  it('stamps plugins with the version of this package', () => {
    const p = definePlugin({ name: 'x', version: '1.0.0', contributes: {} });
    assert.equal(p.apiVersion, API_VERSION);
    assert.ok(Object.isFrozen(p));
  });
});

describe('extension points', () => {
  it('each has its own global symbol, a title, and a selection mode', () => {
    const points = Object.values(extensionPoints);
    assert.equal(new Set(points.map((p) => p.id)).size, points.length);
    for (const [name, p] of Object.entries(extensionPoints)) {
      assert.equal(p.name, name);
      // Symbol.for: two copies of this package still agree on identifiers.
      assert.equal(Symbol.keyFor(p.id)?.startsWith('@fabric-peer/api/'), true, name);
      assert.ok(p.title.length > 0);
    }
  });

  it('names the core.yaml key that selects the Fabric handler points', () => {
    const keys: Partial<Record<ExtensionPointName, string>> = {
      authFilter: 'peer.handlers.authFilters',
      decorator: 'peer.handlers.decorators',
      endorsement: 'peer.handlers.endorsers',
      validation: 'peer.handlers.validators',
      stateDatabase: 'ledger.state.stateDatabase',
      vmProvider: 'vm.providers',
    };
    for (const [point, key] of Object.entries(keys)) {
      assert.equal(extensionPoints[point as ExtensionPointName].configKey, key);
    }
    // Fabric creates endorsement and validation plugins per channel.
    assert.equal(extensionPoints.endorsement.instances, 'perUse');
    assert.equal(extensionPoints.validation.instances, 'perUse');
    // Filters hold `next`: every chain gets its own.
    assert.equal(extensionPoints.authFilter.instances, 'perUse');
    assert.equal(extensionPoints.decorator.instances, 'singleton');
  });
});

describe('errors', () => {
  it('formats a config issue on one line with value, allowed and source', () => {
    assert.equal(
      formatConfigIssue({
        key: 'peer.listenAddress',
        value: 12,
        problem: 'not host:port',
        allowed: 'host:port',
        source: '/etc/core.yaml:3',
      }),
      'peer.listenAddress: not host:port (got 12; allowed: host:port) [from /etc/core.yaml:3]',
    );
    assert.equal(formatConfigIssue({ key: 'k', problem: 'missing' }), 'k: missing');
  });

  it('puts one issue on the first line and several on their own lines', () => {
    const one = new ConfigError([{ key: 'a', problem: 'bad' }]);
    assert.equal(one.message, 'invalid configuration: a: bad');
    assert.equal(one.code, 'CONFIG_INVALID');
    const two = new ConfigError([
      { key: 'a', problem: 'bad' },
      { key: 'b', value: 'x', problem: 'worse' },
    ]);
    assert.equal(
      two.message,
      'invalid configuration (2 problems):\n  a: bad\n  b: worse (got "x")',
    );
    assert.equal(two.issues.length, 2);
  });

  it('names the config key and the package in plugin errors', () => {
    const e = new PluginError('plugins[0].library', './x', 'cannot be loaded');
    assert.equal(e.message, 'plugins[0].library: plugin ./x: cannot be loaded');
    assert.deepEqual(e.details, { configKey: 'plugins[0].library', package: './x' });
    assert.ok(e instanceof FabricPeerError);
  });

  it('keeps codes and causes', () => {
    const cause = new Error('disk');
    const e = new ValidationExecutionError('state unreadable', { cause });
    assert.equal(e.code, 'VALIDATION_EXECUTION_FAILED');
    assert.equal(e.cause, cause);
    assert.equal(new EndorsementPolicyFailure('2 of 3 needed').code, 'ENDORSEMENT_POLICY_FAILURE');
    assert.equal(e.name, 'ValidationExecutionError');
  });
});

describe('key and height order', () => {
  it('orders keys by their UTF-8 bytes, as Fabric (Go strings) does', async () => {
    const { compareKeys } = await import('../src/index.js');
    const keys = [
      '',
      'a',
      'ab',
      'b',
      '\u0000',
      'asset001',
      '\u{10FFFF}',
      '\uFFFF',
      '\uE000',
      'é',
      '\u{1F600}',
      'z\u0000y',
    ];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...keys].sort(compareKeys), byBytes);
    // JavaScript's own order differs exactly where a character is above U+FFFF.
    assert.notDeepEqual([...keys].sort(), byBytes);
  });

  it('orders heights by block then transaction', async () => {
    const { compareHeights } = await import('../src/index.js');
    assert.ok(compareHeights({ blockNum: 1, txNum: 9 }, { blockNum: 2, txNum: 0 }) < 0);
    assert.ok(compareHeights({ blockNum: 2, txNum: 1 }, { blockNum: 2, txNum: 0 }) > 0);
    assert.equal(compareHeights({ blockNum: 3, txNum: 3 }, { blockNum: 3, txNum: 3 }), 0);
  });
});

describe('chaincodeLogLevel', () => {
  it('spells warn as warning, which the shims know, and passes other levels as written', () => {
    assert.equal(chaincodeLogLevel('warn'), 'warning');
    assert.equal(chaincodeLogLevel('WARN'), 'warning');
    assert.equal(chaincodeLogLevel('warning'), 'warning');
    assert.equal(chaincodeLogLevel('DEBUG'), 'DEBUG');
    assert.equal(chaincodeLogLevel('error'), 'error');
  });
});
