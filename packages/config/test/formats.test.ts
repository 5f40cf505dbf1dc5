/** Value formats on their own: durations, addresses, derived addresses, deprecated spellings. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  builtins,
  envNameOf,
  isEnabledValue,
  loadConfig,
  parseDuration,
  splitHostPort,
} from '../src/index.js';
import { configError, issueFor, tempDir, writeCoreYaml } from './helpers.js';

void describe('parseDuration', () => {
  void test('reads Go durations into milliseconds', () => {
    assert.equal(parseDuration('300s'), 300_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1500ms'), 1500);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('100us'), 0.1);
    assert.equal(parseDuration('250µs'), 0.25);
    assert.equal(parseDuration('0'), 0);
  });

  void test('refuses bare numbers, negatives and unknown units, saying what is allowed', () => {
    for (const bad of ['30', '', '-1s', '5 s', '1d', 's', '1h30']) {
      assert.throws(() => parseDuration(bad), /is not a duration \(allowed: a Go duration/, bad);
    }
  });
});

void describe('splitHostPort', () => {
  void test('accepts host:port and bracketed IPv6', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:7051'), { host: '127.0.0.1', port: 7051 });
    assert.deepEqual(splitHostPort('peer0.org1.example.com:0'), {
      host: 'peer0.org1.example.com',
      port: 0,
    });
    assert.deepEqual(splitHostPort('[::1]:65535'), { host: '::1', port: 65535 });
  });

  void test('refuses what is not one, with a reason', () => {
    assert.deepEqual(splitHostPort('12'), { reason: 'no port' });
    assert.deepEqual(splitHostPort(':7051'), { reason: 'empty host' });
    assert.ok('reason' in splitHostPort('host:65536'));
    assert.ok('reason' in splitHostPort('host:http'));
    assert.ok('reason' in splitHostPort('::1:7051'));
  });
});

void describe('loading details', () => {
  void test('chaincode addresses derive from the host of peer.address, IPv6 included', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'peer:\n  address: "[::]:8051"\n  listenAddress: 127.0.0.1:7051\n',
    );
    const config = loadConfig({ path: file, env: {} });
    assert.equal(config.get('peer.chaincodeListenAddress'), '[::]:7052');
    assert.equal(config.get('peer.chaincodeAddress'), '[::]:7052');
  });

  void test('chaincodeAddress follows an explicit chaincodeListenAddress', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  chaincodeListenAddress: 10.0.0.5:9999\n');
    const config = loadConfig({ path: file, env: { CORE_PEER_CHAINCODEADDRESS: '' } });
    assert.equal(config.get('peer.chaincodeListenAddress'), '10.0.0.5:9999');
    assert.equal(config.get('peer.chaincodeAddress'), '10.0.0.5:9999');
  });

  void test('gossip bootstrap given as one string of several addresses becomes a list', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'peer:\n  gossip:\n    bootstrap: a.org1:7051 b.org1:7051\n',
    );
    assert.deepEqual(loadConfig({ path: file, env: {} }).get('peer.gossip.bootstrap'), [
      'a.org1:7051',
      'b.org1:7051',
    ]);
  });

  void test('environmentWhitelist is read as propagateEnvironment, with a warning', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'chaincode:\n  externalBuilders:\n    - name: b\n      path: /b\n      environmentWhitelist: [GOPATH]\n',
    );
    const config = loadConfig({ path: file, env: {} });
    assert.deepEqual(config.get('chaincode.externalBuilders'), [
      { name: 'b', path: '/b', propagateEnvironment: ['GOPATH'] },
    ]);
    assert.equal(config.warnings.length, 1);
    assert.match(
      config.warnings[0]!,
      /^chaincode\.externalBuilders\[0\]\.environmentWhitelist: .*deprecated/,
    );
  });

  void test('YAML 1.1 boolean words and numeric strings are accepted as Fabric accepts them', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'peer:\n  tls:\n    enabled: yes\n  discovery:\n    enabled: "off"\n  maxSendMsgSize: "1024"\n  BCCSP:\n    PKCS11:\n      Pin: 1234\n',
    );
    const config = loadConfig({ path: file, env: {} });
    assert.equal(config.get('peer.tls.enabled'), true);
    assert.equal(config.get('peer.discovery.enabled'), false);
    assert.equal(config.get('peer.maxSendMsgSize'), 1024);
    assert.equal(config.get('peer.BCCSP.PKCS11.Pin'), '1234');
  });

  void test('an empty file gives every default; a list at the top is refused', (t) => {
    const dir = tempDir(t);
    const empty = loadConfig({ path: writeCoreYaml(dir, ''), env: {} });
    assert.equal(empty.get('peer.id'), 'jdoe');
    assert.equal(empty.source('peer.id'), 'default');
    const list = writeCoreYaml(dir, '- peer\n');
    const issue = issueFor(
      configError(() => loadConfig({ path: list, env: {} })),
      '(top level)',
    );
    assert.equal(issue.problem, 'a list where a section is expected');
  });

  void test('an empty value for a key that needs one is refused', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  localMspId:\n');
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'peer.localMspId',
    );
    assert.equal(issue.problem, 'empty value');
    assert.equal(issue.allowed, 'a non-empty string');
  });

  void test('durationMs refuses keys that are not durations', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: p\n');
    const config = loadConfig({ path: file, env: {} });
    assert.throws(() => config.durationMs('peer.id' as never), /peer\.id is not a duration key/);
    assert.throws(() => config.source('peer.tls'), /peer\.tls is not a core\.yaml key/);
  });

  void test('helpers: Fabric truthiness of chaincode.system, env names, built-in names', () => {
    assert.equal(isEnabledValue('Enabled'), true);
    assert.equal(isEnabledValue('yes'), true);
    assert.equal(isEnabledValue('disable'), false);
    assert.equal(envNameOf('ledger.state.stateDatabase'), 'CORE_LEDGER_STATE_STATEDATABASE');
    assert.deepEqual(builtins.authFilters, ['DefaultAuth', 'ExpirationCheck', 'TimeWindowCheck']);
    assert.deepEqual(builtins.vmProviders, ['inprocess', 'docker', 'remote']);
  });
});
