import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@fabric-peer/api';
import { fakeConfig } from '@fabric-peer/testkit';
import { expandImageName, readDockerSettings } from '../src/index.js';
import { dockerTestConfig, dockerTestValues } from '../test-support/index.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => i.key);
  }
  assert.fail('no ConfigError');
}

describe('settings', () => {
  it('reads Fabric’s defaults', () => {
    const s = readDockerSettings(dockerTestConfig());
    assert.deepEqual(s.endpoint, {
      url: 'unix:///var/run/docker.sock',
      socketPath: '/var/run/docker.sock',
    });
    assert.equal(s.nodeRuntimeImage, 'hyperledger/fabric-nodeenv:2.5');
    assert.equal(s.attachStdout, false);
    assert.deepEqual(s.hostConfig, {
      NetworkMode: 'host',
      LogConfig: { Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '5' } },
      Memory: 2147483648,
    });
    assert.deepEqual(s.loggingEnv, [
      'CORE_CHAINCODE_LOGGING_LEVEL=info',
      'CORE_CHAINCODE_LOGGING_SHIM=warning',
      'CORE_CHAINCODE_LOGGING_FORMAT=%{message}',
    ]);
    assert.equal(s.mspId, 'SampleOrg');
  });

  it('spells a `warn` log level as the chaincode shims read it', () => {
    const s = readDockerSettings(
      dockerTestConfig({ 'chaincode.logging.level': 'WARN', 'chaincode.logging.shim': 'error' }),
    );
    assert.deepEqual(s.loggingEnv.slice(0, 2), [
      'CORE_CHAINCODE_LOGGING_LEVEL=warning',
      'CORE_CHAINCODE_LOGGING_SHIM=error',
    ]);
  });

  it('expands Fabric’s image variables', () => {
    assert.equal(
      expandImageName('$(DOCKER_NS)/fabric-baseos:$(TWO_DIGIT_VERSION)'),
      'hyperledger/fabric-baseos:2.5',
    );
    assert.equal(
      expandImageName('x:$(PROJECT_VERSION)-$(ARCH)'),
      `x:2.5.16-${process.arch === 'x64' ? 'amd64' : process.arch}`,
    );
    assert.equal(expandImageName('fabric-peer/node-base:probe'), 'fabric-peer/node-base:probe');
  });

  it('maps host settings to the Docker API’s names, dropping empty ones', () => {
    const s = readDockerSettings(
      dockerTestConfig({
        'vm.docker.hostConfig': {
          NetworkMode: 'bridge',
          Dns: ['10.0.0.2'],
          CpusetCPUs: '0-1',
          CpusetMEMs: null,
          Memory: '1048576',
          OomKillDisable: true,
          CapDrop: ['ALL'],
          PidMode: '',
        },
      }),
    );
    assert.deepEqual(s.hostConfig, {
      NetworkMode: 'bridge',
      Dns: ['10.0.0.2'],
      CpusetCpus: '0-1',
      Memory: 1048576,
      OomKillDisable: true,
      CapDrop: ['ALL'],
    });
  });

  it('reads tcp endpoints and TLS files relative to the config folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vm-docker-settings-'));
    try {
      await writeFile(join(dir, 'ca.pem'), 'CA');
      await writeFile(join(dir, 'cert.pem'), 'CERT');
      await writeFile(join(dir, 'key.pem'), 'KEY');
      const s = readDockerSettings(
        fakeConfig(
          dockerTestValues({
            'vm.endpoint': 'tcp://127.0.0.1:2376',
            'vm.docker.tls.enabled': true,
            'vm.docker.tls.ca.file': 'ca.pem',
            'vm.docker.tls.cert.file': 'cert.pem',
            'vm.docker.tls.key.file': join(dir, 'key.pem'),
          }),
          { dir },
        ),
      );
      assert.equal(s.endpoint.host, '127.0.0.1');
      assert.equal(s.endpoint.port, 2376);
      assert.equal(s.endpoint.protocol, 'https');
      assert.equal(s.endpoint.tls?.ca.toString(), 'CA');
      assert.equal(s.endpoint.tls?.key.toString(), 'KEY');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists every bad key in one ConfigError', () => {
    const keys = issuesOf(() =>
      readDockerSettings(
        dockerTestConfig({
          'vm.endpoint': null,
          'peer.id': '',
          'vm.docker.attachStdout': 'yes',
          'vm.docker.hostConfig': { NetworkMode: 'host', Dns: ['not-an-ip'], Memory: 'lots' },
        }),
      ),
    );
    assert.deepEqual(keys.sort(), [
      'peer.id',
      'vm.docker.attachStdout',
      'vm.docker.hostConfig.Dns',
      'vm.docker.hostConfig.Memory',
      'vm.endpoint',
    ]);
  });

  it('names missing TLS files', () => {
    const keys = issuesOf(() =>
      readDockerSettings(
        dockerTestConfig({
          'vm.endpoint': 'tcp://127.0.0.1:2376',
          'vm.docker.tls.enabled': true,
          'vm.docker.tls.ca.file': '/nonexistent/ca.pem',
        }),
      ),
    );
    assert.ok(keys.includes('vm.docker.tls.ca.file'));
  });

  it('refuses an endpoint that is not a Docker URL', () => {
    assert.deepEqual(
      issuesOf(() =>
        readDockerSettings(dockerTestConfig({ 'vm.endpoint': '/var/run/docker.sock' })),
      ),
      ['vm.endpoint'],
    );
  });
});
