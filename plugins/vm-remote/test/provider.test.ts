import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  createCcaasPackage,
  createChaincodePackage,
  packageId,
  parseChaincodePackage,
  toChaincodePackage,
  type CcaasConnection,
} from '@fabric-peer/chaincode-packages';
import { API_VERSION, type ChaincodePackage } from '@fabric-peer/api';
import { Kernel, validatePluginExport } from '@fabric-peer/core';
import { fakeConfig, issue, makeCa, silentLoggers } from '@fabric-peer/testkit';
import plugin, {
  RemoteChaincodeInstance,
  RemoteRuntimeError,
  RemoteVmProvider,
} from '../src/index.js';
import { dialAndReceiveRegister, startChaincodeServer } from '../test-support/chaincode-server.js';

const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function ccaas(
  label: string,
  connection: CcaasConnection,
  type = 'ccaas',
): Promise<ChaincodePackage> {
  const bytes =
    type === 'ccaas'
      ? await createCcaasPackage({ label, connection })
      : await createChaincodePackage({
          label,
          type,
          files: { 'connection.json': JSON.stringify(connection) },
        });
  return toChaincodePackage(packageId(label, bytes), parseChaincodePackage(bytes));
}

describe('plugin', () => {
  it('passes the core’s validation and contributes the remote runtime', () => {
    assert.deepEqual(validatePluginExport(plugin), []);
    assert.equal(plugin.apiVersion, API_VERSION);
    assert.deepEqual(plugin.contributes, { vmProvider: { remote: RemoteVmProvider } });
  });

  it('is built by the kernel, with templates from its builderConfig option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vm-remote-'));
    try {
      const k = await Kernel.create({
        config: fakeConfig(
          {
            plugins: [{ library: pluginDir, options: { builderConfig: { host: 'cc.local' } } }],
            'peer.fileSystemPath': dir,
            'peer.handlers.authFilters': [],
            'peer.handlers.decorators': [],
            'peer.handlers.endorsers': {},
            'peer.handlers.validators': {},
            'vm.providers': [{ name: 'remote', library: null }],
            'ledger.state.stateDatabase': 'goleveldb',
            'ledger.state.library': null,
          },
          { dir },
        ),
        loggerFactory: silentLoggers,
      });
      const provider = k.registry.get('vmProvider', 'remote');
      assert.ok(provider instanceof RemoteVmProvider);
      const pkg = await ccaas('t', { address: '{{.host}}:7052' });
      const info = await (await provider.build(pkg.packageId, pkg)).chaincodeServerInfo();
      assert.equal(info?.address, 'cc.local:7052');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('RemoteVmProvider', () => {
  const vm = RemoteVmProvider.create(silentLoggers, { builderConfig: {} });

  it('accepts ccaas and external packages (any case), and no others', async () => {
    for (const type of ['ccaas', 'CCAAS', 'external', 'External']) {
      assert.equal(await vm.accepts(await ccaas('a', { address: 'h:1' }, type)), true, type);
    }
    for (const type of ['node', 'golang', 'java', '']) {
      const pkg = await ccaas('a', { address: 'h:1' }, type);
      assert.equal(await vm.accepts(pkg), false, type);
      await assert.rejects(vm.build(pkg.packageId, pkg), { code: 'UNSUPPORTED_PACKAGE' });
    }
  });

  it('builds an instance that gives the server info, cannot start, and waits for stop()', async () => {
    const pkg = await ccaas('basic_1.0', { address: '127.0.0.1:9999', dial_timeout: '10s' });
    const instance = await vm.build(pkg.packageId, pkg);
    assert.ok(instance instanceof RemoteChaincodeInstance);
    assert.deepEqual(await instance.chaincodeServerInfo(), {
      address: '127.0.0.1:9999',
      dialTimeoutMs: 10_000,
    });
    await assert.rejects(instance.start({ address: '127.0.0.1:7052' }), (err: unknown) => {
      assert.ok(err instanceof RemoteRuntimeError);
      assert.equal(err.code, 'NOT_STARTABLE');
      assert.match(err.message, /runs as a service at 127\.0\.0\.1:9999: the peer dials it/);
      return true;
    });
    let ended = false;
    const waited = instance.wait().then((code) => {
      ended = true;
      return code;
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ended, false, 'wait() does not resolve before stop()');
    await instance.stop();
    await instance.stop();
    assert.equal(await waited, 0);
  });

  it('refuses a package without connection.json or with a bad one', async () => {
    const noFile = await createChaincodePackage({
      label: 'x',
      type: 'ccaas',
      files: { 'other.json': '{}' },
    });
    const pkg = toChaincodePackage(packageId('x', noFile), parseChaincodePackage(noFile));
    await assert.rejects(vm.build(pkg.packageId, pkg), {
      code: 'INVALID_CONNECTION',
      message: `connection.json of chaincode ${pkg.packageId}: connection information not provided (no connection.json at the top of code.tar.gz)`,
    });
    const bad = await ccaas('y', { address: 'h:1', tls_required: true });
    await assert.rejects(vm.build(bad.packageId, bad), {
      message: /chaincode tls root cert not provided$/,
    });
    const junk = { ...pkg, codeArchive: Buffer.from('junk') };
    await assert.rejects(vm.build(junk.packageId, junk), {
      code: 'INVALID_CONNECTION',
      message: /cannot read the code package/,
    });
  });
});

describe('a real chaincode server', () => {
  let ca: Awaited<ReturnType<typeof makeCa>>;
  before(async () => {
    ca = await makeCa('ccaas-ca');
  });
  const vm = RemoteVmProvider.create(silentLoggers, { builderConfig: {} });
  const servers: { stop(): Promise<void> }[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('is reachable at the address the info gives, and registers with its package id', async () => {
    const id = `served_1.0:${'a'.repeat(64)}`;
    const server = await startChaincodeServer(id);
    servers.push(server);
    const pkg = await ccaas('served_1.0', { address: server.address, dial_timeout: '5s' });
    const info = await (await vm.build(pkg.packageId, pkg)).chaincodeServerInfo();
    assert.ok(info);
    const first = await dialAndReceiveRegister(info);
    assert.equal(first.type, 1, 'REGISTER');
    assert.equal(first.chaincodeId, id);
  });

  it('is reachable over mutual TLS with the material connection.json gives', async () => {
    const id = `servedtls_1.0:${'b'.repeat(64)}`;
    const serverCert = await issue(ca, 'chaincode-server', { usage: 'server' });
    const peerClient = await issue(ca, 'peer-client', { usage: 'client' });
    const server = await startChaincodeServer(id, {
      certPem: serverCert.certPem,
      keyPem: serverCert.keyPem,
      clientCaPem: ca.certPem,
    });
    servers.push(server);
    const pkg = await ccaas('servedtls_1.0', {
      address: server.address,
      dial_timeout: '5s',
      tls_required: true,
      client_auth_required: true,
      client_cert: peerClient.certPem,
      client_key: peerClient.keyPem,
      root_cert: ca.certPem,
    });
    const info = await (await vm.build(pkg.packageId, pkg)).chaincodeServerInfo();
    assert.ok(info?.tls?.clientAuthRequired);
    const first = await dialAndReceiveRegister(info);
    assert.equal(first.chaincodeId, id);
    // Without the client certificate the server refuses the connection.
    await assert.rejects(
      dialAndReceiveRegister({
        ...info,
        dialTimeoutMs: 1500,
        tls: { clientAuthRequired: false, rootCert: ca.certPem },
      }),
    );
  });
});
