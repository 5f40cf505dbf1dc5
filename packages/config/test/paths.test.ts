/** Relative paths resolve against the config file's folder, whatever the working folder. */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { loadConfig } from '../src/index.js';
import { tempDir, writeCoreYaml } from './helpers.js';

void describe('relative paths', () => {
  void test('paths from the file resolve against its folder; absolute paths are kept', (t) => {
    const root = tempDir(t);
    const dir = join(root, 'config');
    const file = writeCoreYaml(
      dir,
      [
        'peer:',
        '  fileSystemPath: ../data/production',
        '  mspConfigPath: msp',
        '  tls:',
        '    cert:',
        '      file: tls/peer.crt',
        '    key:',
        '      file: /etc/keys/peer.key',
        '    clientRootCAs:',
        '      files: [ca/one.pem, /etc/ca/two.pem]',
        '  BCCSP:',
        '    SW:',
        '      FileKeyStore:',
        '        KeyStore: keys',
        '  deliveryclient:',
        '    addressOverrides:',
        '      - from: orderer.example.com:7050',
        '        to: 127.0.0.1:7050',
        '        caCertsFile: tls/orderer-ca.pem',
        'ledger:',
        '  snapshots:',
        '    rootDir: ../data/snapshots',
        'operations:',
        '  tls:',
        '    cert:',
        '      file: ops/cert.pem',
        'chaincode:',
        '  externalBuilders:',
        '    - name: local',
        '      path: builders/local',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ path: file, cwd: '/', env: {} });
    assert.equal(config.dir, dir);
    assert.equal(config.get('peer.fileSystemPath'), join(root, 'data', 'production'));
    assert.equal(config.get('peer.mspConfigPath'), join(dir, 'msp'));
    assert.equal(config.get('peer.tls.cert.file'), join(dir, 'tls', 'peer.crt'));
    assert.equal(config.get('peer.tls.key.file'), '/etc/keys/peer.key');
    assert.deepEqual(config.get('peer.tls.clientRootCAs.files'), [
      join(dir, 'ca', 'one.pem'),
      '/etc/ca/two.pem',
    ]);
    assert.equal(config.get('peer.BCCSP.SW.FileKeyStore.KeyStore'), join(dir, 'keys'));
    assert.deepEqual(config.get('peer.deliveryclient.addressOverrides'), [
      {
        from: 'orderer.example.com:7050',
        to: '127.0.0.1:7050',
        caCertsFile: join(dir, 'tls', 'orderer-ca.pem'),
      },
    ]);
    assert.equal(config.get('ledger.snapshots.rootDir'), join(root, 'data', 'snapshots'));
    assert.equal(config.get('operations.tls.cert.file'), join(dir, 'ops', 'cert.pem'));
    assert.equal(config.get('chaincode.externalBuilders')[0]?.path, join(dir, 'builders', 'local'));
    // Defaults of path keys resolve too, as Fabric resolves whatever value the key has.
    assert.equal(config.get('vm.docker.tls.key.file'), join(dir, 'docker', 'tls.key'));
    // Empty path keys stay empty.
    assert.equal(config.get('operations.tls.key.file'), null);
  });

  void test('paths from the environment resolve against the config folder too', (t) => {
    const dir = join(tempDir(t), 'cfg');
    const file = writeCoreYaml(dir, 'peer:\n  id: p\n');
    const config = loadConfig({
      path: file,
      cwd: '/tmp',
      env: {
        CORE_PEER_TLS_ROOTCERT_FILE: 'ca/root.pem',
        CORE_PEER_MSPCONFIGPATH: '/abs/msp',
        CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES: 'ops/a.pem ops/b.pem',
      },
    });
    assert.equal(config.get('peer.tls.rootcert.file'), join(dir, 'ca', 'root.pem'));
    assert.equal(config.get('peer.mspConfigPath'), '/abs/msp');
    assert.deepEqual(config.get('operations.tls.clientRootCAs.files'), [
      join(dir, 'ops', 'a.pem'),
      join(dir, 'ops', 'b.pem'),
    ]);
  });

  void test('plugin libraries are left as written for the plugin loader', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'plugins:\n  - library: ./plugins/audit.js\n    options:\n      days: 30\n  - library: "@acme/scc"\n',
    );
    const config = loadConfig({ path: file, env: {} });
    assert.deepEqual(config.get('plugins'), [
      { library: './plugins/audit.js', options: { days: 30 } },
      { library: '@acme/scc', options: {} },
    ]);
  });
});
