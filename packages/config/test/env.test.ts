/** CORE_* environment overrides, mapped as Fabric maps them, and case-insensitive file keys. */

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';

import { loadConfig, REDACTED } from '../src/index.js';
import { configError, issueFor, tempDir, writeCoreYaml } from './helpers.js';

const BASE = [
  'peer:',
  '  id: from-file',
  '  tls:',
  '    enabled: false',
  'chaincode:',
  '  system:',
  '    _lifecycle: enable',
  '    cscc: enable',
  '    qscc: enable',
  '',
].join('\n');

void describe('environment overrides', () => {
  void test('CORE_PEER_ID sets peer.id and source() names the variable', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({ path: file, env: { CORE_PEER_ID: 'x', HOME: '/root' } });
    assert.equal(config.get('peer.id'), 'x');
    assert.equal(config.source('peer.id'), 'CORE_PEER_ID');
    assert.equal(config.source('PEER.ID'), 'CORE_PEER_ID');
    assert.equal(config.source('peer.tls.enabled'), file);
    assert.equal(config.source('peer.networkId'), 'default');
    assert.deepEqual(config.warnings, []);
  });

  void test('the environment is only read from the parameter', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({ path: file, env: {} });
    assert.equal(config.get('peer.id'), 'from-file');
  });

  void test('booleans: CORE_PEER_TLS_ENABLED=true and Go-style spellings', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    for (const [text, expected] of [
      ['true', true],
      ['1', true],
      ['T', true],
      ['False', false],
      ['0', false],
      ['f', false],
    ] as const) {
      const config = loadConfig({ path: file, env: { CORE_PEER_TLS_ENABLED: text } });
      assert.equal(config.get('peer.tls.enabled'), expected, text);
    }
  });

  void test('numbers, durations and enums from the environment', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({
      path: file,
      env: {
        CORE_PEER_GOSSIP_PVTDATA_TRANSIENTSTOREMAXBLOCKRETENTION: '20000',
        CORE_CHAINCODE_EXECUTETIMEOUT: '45s',
        CORE_LEDGER_STATE_STATEDATABASE: 'couchdb',
        CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS: 'couch.local:5984',
        CORE_METRICS_PROVIDER: 'statsd',
        CORE_PEER_VALIDATORPOOLSIZE: '4',
      },
    });
    assert.equal(config.get('peer.gossip.pvtData.transientstoreMaxBlockRetention'), 20000);
    assert.equal(config.durationMs('chaincode.executetimeout'), 45_000);
    assert.equal(config.get('ledger.state.stateDatabase'), 'CouchDB');
    assert.equal(config.get('ledger.state.couchDBConfig.couchDBAddress'), 'couch.local:5984');
    assert.equal(config.get('metrics.provider'), 'statsd');
    assert.equal(config.get('peer.validatorPoolSize'), 4);
    assert.equal(config.source('ledger.state.stateDatabase'), 'CORE_LEDGER_STATE_STATEDATABASE');
  });

  void test('string lists: space- or comma-separated, or a JSON array', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const spaces = loadConfig({
      path: file,
      env: { CORE_PEER_GOSSIP_BOOTSTRAP: 'p1.org1:7051 p2.org1:7051' },
    });
    assert.deepEqual(spaces.get('peer.gossip.bootstrap'), ['p1.org1:7051', 'p2.org1:7051']);
    const commas = loadConfig({
      path: file,
      env: { CORE_PEER_GOSSIP_BOOTSTRAP: 'p1.org1:7051, p2.org1:7051' },
    });
    assert.deepEqual(commas.get('peer.gossip.bootstrap'), ['p1.org1:7051', 'p2.org1:7051']);
    const json = loadConfig({
      path: file,
      env: { CORE_VM_DOCKER_HOSTCONFIG_DNS: '["10.0.0.2","10.0.0.3"]' },
    });
    assert.deepEqual(json.get('vm.docker.hostConfig.Dns'), ['10.0.0.2', '10.0.0.3']);
    assert.equal(json.source('vm.docker.hostConfig.Dns'), 'CORE_VM_DOCKER_HOSTCONFIG_DNS');
  });

  void test('each list item from the environment is checked', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const err = configError(() =>
      loadConfig({ path: file, env: { CORE_PEER_GOSSIP_BOOTSTRAP: 'p1.org1:7051,p2.org1' } }),
    );
    const issue = issueFor(err, 'peer.gossip.bootstrap[1]');
    assert.equal(issue.value, 'p2.org1');
    assert.equal(issue.source, 'CORE_PEER_GOSSIP_BOOTSTRAP');
  });

  void test('CORE_CHAINCODE_SYSTEM__LIFECYCLE sets one entry of chaincode.system', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({
      path: file,
      env: { CORE_CHAINCODE_SYSTEM__LIFECYCLE: 'disable', CORE_CHAINCODE_SYSTEM_MYSCC: 'enable' },
    });
    assert.deepEqual(config.get('chaincode.system'), {
      _lifecycle: 'disable',
      cscc: 'enable',
      qscc: 'enable',
      myscc: 'enable',
    });
    assert.equal(config.get('chaincode.system._lifecycle'), 'disable');
    assert.equal(config.source('chaincode.system._lifecycle'), 'CORE_CHAINCODE_SYSTEM__LIFECYCLE');
    assert.equal(config.source('chaincode.system.cscc'), file);
  });

  void test('the whole of chaincode.system cannot come from one variable', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const err = configError(() =>
      loadConfig({ path: file, env: { CORE_CHAINCODE_SYSTEM: 'cscc=enable' } }),
    );
    assert.match(issueFor(err, 'chaincode.system').problem, /CORE_CHAINCODE_SYSTEM_<NAME>/);
  });

  void test('an environment value replaces a bad file value, whose problem is then moot', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  listenAddress: 12\n');
    const config = loadConfig({
      path: file,
      env: { CORE_PEER_LISTENADDRESS: '127.0.0.1:7051' },
    });
    assert.equal(config.get('peer.listenAddress'), '127.0.0.1:7051');
  });

  void test('external builders and address overrides can come from the environment as YAML, as in Fabric', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({
      path: file,
      env: {
        CORE_CHAINCODE_EXTERNALBUILDERS: '[{name: x, path: /opt/b1}, {name: y, path: rel/b2}]',
        CORE_PEER_DELIVERYCLIENT_ADDRESSOVERRIDES:
          '[{from: "orderer:7050", to: "127.0.0.1:7050", caCertsFile: ca.pem}]',
      },
    });
    const builders = config.get('chaincode.externalBuilders');
    assert.deepEqual(
      builders.map((b) => [b.name, b.path]),
      [
        ['x', '/opt/b1'],
        ['y', join(dirname(file), 'rel/b2')],
      ],
    );
    assert.equal(config.source('chaincode.externalBuilders'), 'CORE_CHAINCODE_EXTERNALBUILDERS');
    const overrides = config.get('peer.deliveryclient.addressOverrides');
    assert.equal(overrides?.[0]?.to, '127.0.0.1:7050');
    assert.equal(overrides?.[0]?.caCertsFile, join(dirname(file), 'ca.pem'));
    assert.throws(
      () => loadConfig({ path: file, env: { CORE_CHAINCODE_EXTERNALBUILDERS: '[{name: x}]' } }),
      /chaincode\.externalBuilders\[0\]\.path/,
    );
  });

  void test('unknown CORE_* variables are warnings, with a suggestion', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({
      path: file,
      env: {
        CORE_PEER_TLS_ENABLE: 'true',
        CORE_TLS_CLIENT_KEY_PATH: '/x',
        CORE_LOGGING_LEVEL: 'debug',
      },
    });
    assert.equal(config.get('peer.tls.enabled'), false);
    assert.equal(config.warnings.length, 3);
    assert.ok(
      config.warnings.includes(
        'CORE_PEER_TLS_ENABLE names no core.yaml key and is ignored (did you mean CORE_PEER_TLS_ENABLED?)',
      ),
      config.warnings.join('\n'),
    );
    assert.ok(
      config.warnings.some((w) => w.startsWith('CORE_TLS_CLIENT_KEY_PATH names no core.yaml key')),
    );
    assert.ok(
      config.warnings.some(
        (w) => w.startsWith('CORE_LOGGING_LEVEL is ignored') && w.includes('FABRIC_LOGGING_SPEC'),
      ),
    );
  });

  void test('an empty variable is ignored, as viper does', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({ path: file, env: { CORE_PEER_ID: '' } });
    assert.equal(config.get('peer.id'), 'from-file');
    assert.equal(config.source('peer.id'), file);
    assert.deepEqual(config.warnings, [
      'CORE_PEER_ID is empty and is ignored, as Fabric ignores empty variables',
    ]);
  });

  void test('BCCSP keys use the same CORE_PEER_BCCSP_* names', (t) => {
    const file = writeCoreYaml(tempDir(t), BASE);
    const config = loadConfig({
      path: file,
      env: {
        CORE_PEER_BCCSP_DEFAULT: 'PKCS11',
        CORE_PEER_BCCSP_PKCS11_LIBRARY: '/usr/lib/softhsm/libsofthsm2.so',
        CORE_PEER_BCCSP_PKCS11_PIN: '98765432',
        CORE_PEER_BCCSP_PKCS11_SECURITY: '384',
      },
    });
    assert.equal(config.get('peer.BCCSP.Default'), 'PKCS11');
    assert.equal(config.get('peer.BCCSP.PKCS11.Pin'), '98765432');
    assert.equal(config.get('peer.BCCSP.PKCS11.Security'), 384);
  });
});

void describe('case-insensitive keys', () => {
  void test('keys in any case match the schema and are stored in its spelling', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      [
        'PEER:',
        '  ID: upper',
        '  TLS:',
        '    Enabled: true',
        '  bccsp:',
        '    default: sw',
        '  Handlers:',
        '    AuthFilters:',
        '      - NAME: DefaultAuth',
        'Ledger:',
        '  State:',
        '    StateDatabase: CouchDB',
        'vm:',
        '  docker:',
        '    hostconfig:',
        '      logconfig:',
        '        config:',
        '          Max-Size: 10m',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ path: file, env: {} });
    assert.equal(config.get('peer.id'), 'upper');
    assert.equal(config.get('peer.tls.enabled'), true);
    assert.equal(config.get('peer.BCCSP.Default'), 'SW');
    assert.deepEqual(config.get('peer.handlers.authFilters'), [
      { name: 'DefaultAuth', library: null },
    ]);
    assert.equal(config.get('ledger.state.stateDatabase'), 'CouchDB');
    // Inside a free-form map, keys stay as written.
    assert.deepEqual(config.get('vm.docker.hostConfig.LogConfig.Config'), { 'Max-Size': '10m' });
    assert.equal(config.all().peer.tls.enabled, true);
  });
});

void describe('toPrintable', () => {
  void test('redacts sensitive values unless asked not to', (t) => {
    const dir = tempDir(t);
    const file = writeCoreYaml(
      dir,
      'ledger:\n  state:\n    couchDBConfig:\n      username: admin\n      password: s3cret-pw\n',
    );
    const config = loadConfig({ path: file, env: { CORE_PEER_BCCSP_PKCS11_PIN: '12345678' } });
    const printed = config.toPrintable();
    const ledger = printed['ledger'] as { state: { couchDBConfig: Record<string, unknown> } };
    assert.equal(ledger.state.couchDBConfig['password'], REDACTED);
    assert.equal(ledger.state.couchDBConfig['username'], 'admin');
    const text = JSON.stringify(printed);
    assert.ok(!text.includes('s3cret-pw'));
    assert.ok(!text.includes('12345678'));
    assert.ok(text.includes('"Pin":"<redacted>"'));
    // An unset secret stays null: there is nothing to hide.
    const unset = loadConfig({ path: file, env: {} }).toPrintable();
    assert.ok(JSON.stringify(unset).includes('"Pin":null'));
    // The real values are still there for the peer.
    assert.equal(config.get('ledger.state.couchDBConfig.password'), 's3cret-pw');
    const raw = config.toPrintable({ redact: false });
    assert.ok(JSON.stringify(raw).includes('s3cret-pw'));
    assert.equal(config.get('peer.fileSystemPath'), '/var/hyperledger/production');
    assert.equal(config.get('peer.mspConfigPath'), join(dir, 'msp'));
  });
});
