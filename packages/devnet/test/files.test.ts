// What dev up writes for the peer (core.yaml) and for clients (connection.json), the chaincode
// package, and the port checks.
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseChaincodePackage, readTarGz } from '@fabric-peer/chaincode-packages';
import { loadConfig } from '@fabric-peer/config';
import { freePort, occupyPort } from '@fabric-peer/testkit';
import {
  checkPortsFree,
  DEFAULT_PORTS,
  DevnetError,
  layoutPaths,
  packageNodeChaincode,
  readConnectionFile,
  renderCoreYaml,
  SAMPLE_CHAINCODE_DIR,
  SAMPLE_CORE_YAML,
  validPort,
  writeConnectionFile,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function isDevnetError(code: string, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DevnetError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

describe('files and checks of dev up', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'devnet-files-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('writes a core.yaml the peer loads, from the sample, with the network’s folders and ports', async () => {
    const dir = join(root, 'net');
    await mkdir(dir);
    const template = await readFile(SAMPLE_CORE_YAML, 'utf8');
    const ports = { orderer: 17050, peer: 17051, chaincode: 17052, operations: 19443 };
    const text = renderCoreYaml(template, { dir, ports, ordererEndpoint: '127.0.0.1:17050' });
    // The sample's comments stay, so the file documents itself.
    assert.match(text, /^# Written by `fabric-peer dev up`/);
    assert.ok(text.includes(template.split('\n').find((l) => l.startsWith('#'))!));
    const file = join(dir, 'core.yaml');
    await writeFile(file, text);
    const config = loadConfig({ path: file, env: {} });
    const p = layoutPaths(dir);
    assert.equal(config.get('peer.listenAddress'), '127.0.0.1:17051');
    assert.equal(config.get('peer.address'), '127.0.0.1:17051');
    assert.equal(config.get('peer.chaincodeListenAddress'), '127.0.0.1:17052');
    assert.equal(config.get('operations.listenAddress'), '127.0.0.1:19443');
    assert.equal(config.get('peer.fileSystemPath'), p.peerData);
    assert.equal(config.get('peer.mspConfigPath'), p.peerMsp);
    assert.equal(config.get('peer.localMspId'), 'Org1MSP');
    assert.equal(config.get('peer.id'), 'peer0.org1.example.com');
    assert.equal(config.get('ledger.state.stateDatabase'), 'goleveldb');
    assert.deepEqual(config.get('vm.providers'), [{ name: 'inprocess', library: null }]);
    assert.deepEqual(config.get('peer.deliveryclient.addressOverrides'), []);
  });

  it('maps the orderer address of the channel config to the orderer’s new port', async () => {
    const dir = join(root, 'moved');
    await mkdir(dir);
    const text = renderCoreYaml(await readFile(SAMPLE_CORE_YAML, 'utf8'), {
      dir,
      ports: { ...DEFAULT_PORTS, orderer: 17150 },
      ordererEndpoint: '127.0.0.1:7050',
    });
    await writeFile(join(dir, 'core.yaml'), text);
    const config = loadConfig({ path: join(dir, 'core.yaml'), env: {} });
    assert.deepEqual(config.get('peer.deliveryclient.addressOverrides'), [
      { from: '127.0.0.1:7050', to: '127.0.0.1:17150', caCertsFile: null },
    ]);
  });

  it('writes connection.json with relative paths and reads it back with the credentials', async () => {
    const dir = join(root, 'conn');
    const msp = join(dir, 'crypto', 'users', 'User1@org1.example.com', 'msp');
    await mkdir(join(msp, 'signcerts'), { recursive: true });
    await mkdir(join(msp, 'keystore'), { recursive: true });
    await writeFile(join(msp, 'signcerts', 'User1@org1.example.com-cert.pem'), 'CERT');
    await writeFile(join(msp, 'keystore', 'priv_sk'), 'KEY');
    const file = await writeConnectionFile(dir, {
      peerAddress: '127.0.0.1:7051',
      mspId: 'Org1MSP',
      identity: 'User1@org1.example.com',
      mspDir: msp,
      channel: 'mychannel',
      chaincode: 'basic',
    });
    assert.equal(file, join(dir, 'connection.json'));
    const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    assert.equal(
      raw['certPath'],
      'crypto/users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem',
    );
    assert.equal(raw['keyPath'], 'crypto/users/User1@org1.example.com/msp/keystore/priv_sk');
    // The folder may move: paths resolve against wherever the file is now.
    const moved = join(root, 'conn-moved');
    await cp(dir, moved, { recursive: true });
    for (const where of [moved, join(moved, 'connection.json')]) {
      const c = await readConnectionFile(where);
      assert.equal(c.peerAddress, '127.0.0.1:7051');
      assert.equal(c.mspId, 'Org1MSP');
      assert.equal(c.tls, false);
      assert.equal(c.channel, 'mychannel');
      assert.equal(c.certificate.toString(), 'CERT');
      assert.equal(c.privateKey.toString(), 'KEY');
      assert.ok(c.keyPath.startsWith(moved));
    }
  });

  it('says how to get a connection.json when there is none, or what is wrong with it', async () => {
    await assert.rejects(
      readConnectionFile(join(root, 'nowhere')),
      isDevnetError(
        'DEVNET_CONNECTION_INVALID',
        /connection\.json: not found: no development network there; start one with `fabric-peer dev up`/,
      ),
    );
    const dir = join(root, 'broken');
    await mkdir(dir);
    await writeFile(join(dir, 'connection.json'), '[');
    await assert.rejects(
      readConnectionFile(dir),
      isDevnetError('DEVNET_CONNECTION_INVALID', /is not JSON/),
    );
    await writeFile(join(dir, 'connection.json'), JSON.stringify({ peerAddress: 'x:1' }));
    await assert.rejects(
      readConnectionFile(dir),
      isDevnetError('DEVNET_CONNECTION_INVALID', /mspId: expected a non-empty string/),
    );
    await writeFile(
      join(dir, 'connection.json'),
      JSON.stringify({
        peerAddress: 'x:1',
        mspId: 'Org1MSP',
        identity: 'u',
        certPath: 'gone.pem',
        keyPath: 'gone.key',
        channel: 'c',
        chaincode: 'cc',
      }),
    );
    await assert.rejects(
      readConnectionFile(dir),
      isDevnetError('DEVNET_CONNECTION_INVALID', /cannot read the certificate .*gone\.pem/),
    );
  });

  it('packages the sample chaincode as Fabric’s Node platform does: src/, no node_modules, same bytes each time', async () => {
    const copy = join(root, 'cc');
    await cp(SAMPLE_CHAINCODE_DIR, copy, { recursive: true });
    await mkdir(join(copy, 'node_modules', 'fabric-shim'), { recursive: true });
    await writeFile(join(copy, 'node_modules', 'fabric-shim', 'index.js'), '');
    const pkg = await packageNodeChaincode(copy, 'basic_1.0');
    const parsed = parseChaincodePackage(pkg);
    assert.equal(parsed.metadata.type, 'node');
    assert.equal(parsed.metadata.label, 'basic_1.0');
    const names = readTarGz(parsed.codeArchive)
      .map((e) => e.path)
      .sort();
    assert.deepEqual(names, [
      'src/README.md',
      'src/index.js',
      'src/lib/assetTransfer.js',
      'src/package.json',
    ]);
    assert.deepEqual(await packageNodeChaincode(SAMPLE_CHAINCODE_DIR, 'basic_1.0'), pkg);
    await assert.rejects(
      packageNodeChaincode(here, 'x_1'),
      isDevnetError('DEVNET_OPTIONS_INVALID', /holds no package\.json: not a Node\.js chaincode/),
    );
  });

  it('reports a taken port with the flag that moves it, before anything starts', async () => {
    await assert.rejects(
      checkPortsFree({ orderer: 20001, peer: 20001, chaincode: 20002, operations: 20003 }),
      isDevnetError(
        'DEVNET_OPTIONS_INVALID',
        /both use port 20001: give them different ports \(--orderer-port, --peer-port\)/,
      ),
    );
    const others = {
      peer: await freePort(),
      chaincode: await freePort(),
      operations: await freePort(),
    };
    const held = await occupyPort();
    try {
      await assert.rejects(
        checkPortsFree({ ...others, orderer: held.port }),
        isDevnetError(
          'DEVNET_IN_USE',
          new RegExp(
            `cannot listen on 127\\.0\\.0\\.1:${held.port} for the orderer: address in use .*; stop what uses it, or choose another port with --orderer-port`,
          ),
        ),
      );
      await assert.rejects(
        checkPortsFree({ orderer: await freePort(), ...others, operations: held.port }),
        isDevnetError('DEVNET_IN_USE', /operations server: address in use.*--operations-port/),
      );
    } finally {
      await held.close();
    }
    // Free ports pass, and are free again afterwards.
    const ports = { orderer: await freePort(), ...others };
    await checkPortsFree(ports);
    await checkPortsFree(ports);
  });

  it('accepts ports from 1 to 65535 only', () => {
    assert.equal(validPort('7051', '--peer-port'), 7051);
    assert.equal(validPort(65535, 'ports.peer'), 65535);
    for (const bad of ['0', '65536', 'abc', '70.5', -1, 1.5]) {
      assert.throws(
        () => validPort(bad, '--peer-port'),
        isDevnetError('DEVNET_OPTIONS_INVALID', /--peer-port: expected a port from 1 to 65535/),
      );
    }
  });
});
