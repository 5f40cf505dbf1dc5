/**
 * Fabric's own sample core.yaml files load unchanged and yield Fabric's defaults; the project's
 * sample config/core.yaml loads and has every key.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { describe, test } from 'node:test';

import { parse } from 'yaml';

import { coreSchema, loadConfig, type LoadedConfig } from '../src/index.js';
import { fabricSamples, repoRoot } from './helpers.js';

interface LeafLike {
  readonly default: unknown;
  readonly path: boolean;
  readonly derived?: string;
  readonly spec: { mapPaths?(value: unknown, resolve: (p: string) => string): unknown };
}

function leaves(node: object, prefix = ''): [string, LeafLike][] {
  const out: [string, LeafLike][] = [];
  for (const [name, child] of Object.entries(node)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if ('spec' in child && 'default' in child) out.push([path, child as LeafLike]);
    else out.push(...leaves(child as object, path));
  }
  return out;
}

const allLeaves = leaves(coreSchema);

for (const [version, file] of Object.entries(fabricSamples)) {
  void describe(`Fabric ${version} sample core.yaml`, () => {
    const dir = dirname(file);
    const config: LoadedConfig = loadConfig({ path: file, env: {} });

    void test('loads with no issue and no warning', () => {
      assert.equal(config.file, file);
      assert.equal(config.dir, dir);
      assert.deepEqual(config.warnings, []);
    });

    void test("every key has Fabric's default (paths resolved against the sample's folder)", () => {
      assert.ok(allLeaves.length > 200, `schema has ${allLeaves.length} leaves`);
      for (const [path, leaf] of allLeaves) {
        if (leaf.derived !== undefined) continue;
        const expected =
          leaf.path && leaf.default !== null
            ? leaf.spec.mapPaths!(leaf.default, (p) => (isAbsolute(p) ? p : resolve(dir, p)))
            : leaf.default;
        assert.deepEqual(config.get(path as never), expected, path);
      }
    });

    void test('spot checks against the reference tables', () => {
      assert.equal(config.get('peer.id'), 'jdoe');
      assert.equal(config.get('peer.listenAddress'), '0.0.0.0:7051');
      assert.equal(config.get('peer.chaincodeListenAddress'), '0.0.0.0:7052');
      assert.equal(config.get('peer.chaincodeAddress'), '0.0.0.0:7052');
      assert.equal(config.get('peer.gateway.dialTimeout'), '2m');
      assert.equal(config.durationMs('peer.gateway.dialTimeout'), 120_000);
      assert.equal(config.durationMs('peer.keepalive.interval'), 7_200_000);
      assert.equal(config.durationMs('peer.gossip.requestWaitTime'), 1500);
      assert.equal(
        config.durationMs('ledger.pvtdataStore.deprioritizedDataReconcilerInterval'),
        3_600_000,
      );
      assert.deepEqual(config.get('peer.gossip.bootstrap'), ['127.0.0.1:7051']);
      assert.equal(config.get('peer.gossip.endpoint'), null);
      assert.equal(config.get('peer.gossip.stateInfoRetentionInterval'), null);
      assert.equal(config.durationMs('peer.gossip.stateInfoRetentionInterval'), null);
      assert.equal(config.get('peer.gossip.pvtData.transientstoreMaxBlockRetention'), 1000);
      assert.equal(config.get('peer.tls.enabled'), false);
      assert.deepEqual(config.get('peer.tls.clientRootCAs.files'), [join(dir, 'tls/ca.crt')]);
      assert.equal(config.get('peer.tls.clientKey.file'), null);
      assert.equal(config.get('peer.mspConfigPath'), join(dir, 'msp'));
      assert.equal(config.get('peer.fileSystemPath'), '/var/hyperledger/production');
      assert.equal(config.get('peer.BCCSP.Default'), 'SW');
      assert.equal(config.get('peer.BCCSP.SW.Security'), 256);
      assert.equal(config.get('peer.BCCSP.PKCS11.Pin'), null);
      assert.equal(config.get('peer.deliveryclient.blockGossipEnabled'), true);
      assert.equal(config.get('peer.deliveryclient.addressOverrides'), null);
      assert.equal(config.get('peer.deliveryclient.policy'), 'cluster');
      assert.deepEqual(config.get('peer.handlers.authFilters'), [
        { name: 'DefaultAuth', library: null },
        { name: 'ExpirationCheck', library: null },
      ]);
      assert.deepEqual(config.get('peer.handlers.endorsers'), {
        escc: { name: 'DefaultEndorsement', library: null },
      });
      assert.deepEqual(config.get('peer.handlers.validators'), {
        vscc: { name: 'DefaultValidation', library: null },
      });
      assert.equal(config.get('peer.validatorPoolSize'), null);
      assert.equal(config.get('peer.discovery.authCachePurgeRetentionRatio'), 0.75);
      assert.equal(config.get('peer.maxRecvMsgSize'), 104_857_600);
      assert.equal(config.get('vm.endpoint'), 'unix:///var/run/docker.sock');
      assert.equal(config.get('vm.docker.tls.ca.file'), join(dir, 'docker/ca.crt'));
      assert.deepEqual(config.get('vm.docker.hostConfig.LogConfig.Config'), {
        'max-size': '50m',
        'max-file': '5',
      });
      assert.equal(config.get('vm.docker.hostConfig.Memory'), 2_147_483_648);
      assert.equal(config.get('vm.docker.hostConfig.Dns'), null);
      assert.deepEqual(config.get('chaincode.externalBuilders'), [
        {
          name: 'ccaas_builder',
          path: '/opt/hyperledger/ccaas_builder',
          propagateEnvironment: ['CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'],
        },
      ]);
      assert.deepEqual(config.get('chaincode.system'), {
        _lifecycle: 'enable',
        cscc: 'enable',
        lscc: 'enable',
        qscc: 'enable',
      });
      assert.equal(config.get('chaincode.executetimeout'), '30s');
      assert.equal(config.get('chaincode.keepalive'), 0);
      assert.equal(config.get('chaincode.mode'), 'net');
      assert.equal(config.get('chaincode.id.name'), null);
      assert.equal(config.get('ledger.blockchain'), null);
      assert.equal(config.get('ledger.state.stateDatabase'), 'goleveldb');
      assert.equal(config.get('ledger.state.couchDBConfig.password'), null);
      assert.equal(config.get('ledger.pvtdataStore.purgeInterval'), 100);
      assert.equal(config.get('ledger.snapshots.rootDir'), '/var/hyperledger/production/snapshots');
      assert.deepEqual(config.get('operations.tls.clientRootCAs.files'), []);
      assert.equal(config.get('metrics.provider'), 'disabled');
      assert.equal(config.get('metrics.statsd.prefix'), null);
    });

    void test('keys absent from the file take the schema default and say so', () => {
      assert.equal(config.get('chaincode.runtimeParams.maxSizeWriteBatch'), 1000);
      assert.equal(config.get('peer.gossip.state.channelSize'), 100);
      assert.deepEqual(config.get('vm.providers'), [{ name: 'inprocess', library: null }]);
      assert.deepEqual(config.get('plugins'), []);
      assert.equal(config.source('peer.deliveryclient.policy'), 'default');
      assert.equal(config.source('peer.chaincodeListenAddress'), 'default');
      assert.equal(config.source('peer.id'), file);
    });

    void test('the whole tree is available and matches get()', () => {
      const tree = config.all();
      assert.equal(tree.peer.gossip.pvtData.implicitCollectionDisseminationPolicy.maxPeerCount, 1);
      assert.equal(tree.ledger.state.couchDBConfig.couchDBAddress, '127.0.0.1:5984');
      assert.deepEqual(tree, config.toPrintable({ redact: false }));
    });
  });
}

void describe("the project's config/core.yaml", () => {
  const file = join(repoRoot, 'config', 'core.yaml');
  const config = loadConfig({ path: file, env: {} });

  void test('loads with no warning', () => {
    assert.equal(config.file, file);
    assert.deepEqual(config.warnings, []);
  });

  void test('names every key of the schema', () => {
    const data = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const missing = allLeaves
      .map(([path]) => path)
      .filter((path) => {
        let node: unknown = data;
        for (const segment of path.split('.')) {
          if (typeof node !== 'object' || node === null || !(segment in node)) return true;
          node = (node as Record<string, unknown>)[segment];
        }
        return false;
      });
    assert.deepEqual(missing, []);
  });

  void test('runs without external services', () => {
    assert.equal(config.get('ledger.state.stateDatabase'), 'goleveldb');
    assert.equal(config.get('ledger.state.library'), null);
    assert.deepEqual(config.get('vm.providers'), [{ name: 'inprocess', library: null }]);
    assert.equal(config.get('vm.endpoint'), null);
    assert.equal(config.get('peer.listenAddress'), '127.0.0.1:7051');
    assert.equal(config.get('peer.chaincodeListenAddress'), '127.0.0.1:7052');
    assert.equal(config.get('operations.listenAddress'), '127.0.0.1:9443');
    assert.equal(config.get('metrics.provider'), 'prometheus');
    assert.equal(config.get('peer.tls.enabled'), false);
    assert.equal(config.get('peer.fileSystemPath'), join(repoRoot, '.data', 'production'));
    assert.equal(config.get('ledger.snapshots.rootDir'), join(repoRoot, '.data', 'snapshots'));
    assert.deepEqual(
      config.get('peer.handlers.authFilters').map((f) => f.name),
      ['DefaultAuth', 'ExpirationCheck'],
    );
    assert.deepEqual(config.get('plugins'), []);
  });
});
