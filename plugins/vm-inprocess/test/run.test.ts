import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import type { PeerConnection } from '@fabric-peer/api';
import { recordingLoggers } from '@fabric-peer/testkit';
import type { InprocessInstance, InprocessVmProvider } from '../src/index.js';
import {
  CONTRACT_CHAINCODE,
  CRASHING_CHAINCODE,
  SHIM_CHAINCODE,
  nodePackage,
} from '../test-support/chaincodes.js';
import { FakePeer } from '../test-support/fake-peer.js';
import { removeDir, runtime, tempPeerDir, tlsMaterial } from '../test-support/support.js';

const identity = { mspId: 'Org1MSP', certPem: '' };

interface Env {
  mspid: string;
  cwd: string;
  argv: string[];
  isMain: boolean;
  tls: string;
  pipeVariable: string | null;
}

async function envOf(peer: FakePeer, reg: Awaited<ReturnType<FakePeer['nextRegistration']>>) {
  const response = await peer.invoke(reg, ['env'], identity);
  assert.equal(response.status, 200);
  return JSON.parse(Buffer.from(response.payload ?? []).toString()) as Env;
}

const RUNS = [true, false].flatMap((prewarm) =>
  (['grpc', 'pipe'] as const).map((transport) => ({ prewarm, transport })),
);

for (const { prewarm, transport } of RUNS) {
  describe(`running chaincode (prewarm ${prewarm}, ${transport})`, () => {
    let dir: string;
    let peer: FakePeer;
    let vm: InprocessVmProvider;
    let connection: PeerConnection;
    const logs = recordingLoggers();
    before(async () => {
      dir = await tempPeerDir();
      peer = await FakePeer.start();
      // Over the pipe, the address is one nothing listens on.
      connection = peer.connection(transport);
      vm = runtime(dir, { prewarm }, logs.factory);
      identity.certPem = (await tlsMaterial()).identity.certPem;
    });
    after(async () => {
      await vm.close();
      await peer.close();
      await removeDir(dir);
    });

    it('starts a fabric-shim chaincode that registers with its id and runs as a main module', async () => {
      const pkg = await nodePackage('shim_1.0', SHIM_CHAINCODE);
      const instance = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
      assert.equal(await instance.chaincodeServerInfo(), undefined);
      const registered = peer.nextRegistration();
      await instance.start(connection);
      assert.equal(instance.prewarmed, prewarm);
      const reg = await registered;
      assert.equal(reg.chaincodeId, pkg.packageId);
      const env = await envOf(peer, reg);
      assert.deepEqual(env, {
        mspid: 'Org1MSP',
        cwd: instance.build.dir,
        argv: ['--peer.address', connection.address, '--chaincode-id-name', pkg.packageId],
        isMain: true,
        tls: 'false',
        // Not left in the chaincode's environment.
        pipeVariable: null,
      });
      const pong = await peer.invoke(reg, ['ping', 'a', 'b'], identity);
      assert.equal(Buffer.from(pong.payload ?? []).toString(), 'pong:a,b');
      await instance.stop();
      assert.equal(await instance.wait(), -1, 'ended by SIGTERM');
    });

    it('starts a fabric-contract-api chaincode with fabric-chaincode-node start', async () => {
      const pkg = await nodePackage('contract_1.0', CONTRACT_CHAINCODE);
      const instance = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
      const registered = peer.nextRegistration();
      await instance.start(connection);
      const reg = await registered;
      assert.equal(reg.chaincodeId, pkg.packageId);
      const pong = await peer.invoke(reg, ['ping', 'x'], identity);
      assert.equal(pong.status, 200, pong.message ?? '');
      assert.equal(Buffer.from(pong.payload ?? []).toString(), 'pong:x:Org1MSP:mychannel');
      const where = JSON.parse(
        Buffer.from((await peer.invoke(reg, ['where'], identity)).payload ?? []).toString(),
      ) as { cwd: string; argv: string[] };
      assert.equal(where.cwd, instance.build.dir);
      assert.deepEqual(where.argv, [
        'start',
        '--peer.address',
        connection.address,
        '--chaincode-id-name',
        pkg.packageId,
      ]);
      await instance.stop();
    });

    it('resolves wait() with the exit code when the chaincode exits', async () => {
      const pkg = await nodePackage('exit_1.0', SHIM_CHAINCODE);
      const instance = await vm.build(pkg.packageId, pkg);
      const registered = peer.nextRegistration();
      await instance.start(connection);
      const reg = await registered;
      await peer.invoke(reg, ['exit', '3'], identity);
      assert.equal(await instance.wait(), 3);
      await instance.stop(); // after the end: nothing to do
    });

    it('survives a chaincode that crashes while starting, and logs why', async () => {
      const pkg = await nodePackage('crash_1.0', CRASHING_CHAINCODE);
      const instance = await vm.build(pkg.packageId, pkg);
      await instance.start(connection);
      assert.equal(await instance.wait(), 1);
      const lines = logs.records.filter((r) => r.module === 'chaincode.crash_1.0');
      assert.ok(
        lines.some((r) => r.level === 'info' && r.msg.includes('Error: boom while starting')),
        JSON.stringify(lines),
      );
    });
  });
}

for (const prewarm of [true, false]) {
  describe(`chaincode.logging.level reaches the shim (prewarm ${prewarm})`, () => {
    let dir: string;
    let peer: FakePeer;
    before(async () => {
      dir = await tempPeerDir();
      peer = await FakePeer.start();
      identity.certPem = (await tlsMaterial()).identity.certPem;
    });
    after(async () => {
      await peer.close();
      await removeDir(dir);
    });

    /** The chaincode's output lines over a registration and one transaction. */
    async function outputAt(level: string, name: string): Promise<string[]> {
      const logs = recordingLoggers();
      const vm = runtime(join(dir, name), { prewarm, logLevel: level }, logs.factory);
      try {
        const pkg = await nodePackage(name, SHIM_CHAINCODE);
        const instance = await vm.build(pkg.packageId, pkg);
        const registered = peer.nextRegistration();
        await instance.start({ address: peer.address });
        const reg = await registered;
        assert.equal((await peer.invoke(reg, ['ping', 'a'], identity)).status, 200);
        await instance.stop();
        return logs.records.filter((r) => r.module === `chaincode.${name}`).map((r) => r.msg);
      } finally {
        await vm.close();
      }
    }

    it('logs the shim’s info lines at info, and none at warning or warn', async () => {
      const info = await outputAt('info', 'loginfo_1.0');
      assert.ok(
        info.some((line) => /Calling chaincode Invoke\(\) succeeded/.test(line)),
        JSON.stringify(info),
      );
      for (const [level, name] of [
        ['warning', 'logwarning_1.0'],
        ['WARN', 'logwarn_1.0'],
      ] as const) {
        const quiet = await outputAt(level, name);
        assert.deepEqual(
          // winston colours the level word.
          quiet.filter((line) => /\binfo\b/.test(stripVTControlCharacters(line))),
          [],
          `no info line at ${level}`,
        );
      }
    });
  });
}

describe('stopping', () => {
  let dir: string;
  let peer: FakePeer;
  before(async () => {
    dir = await tempPeerDir();
    peer = await FakePeer.start();
  });
  after(async () => {
    await peer.close();
    await removeDir(dir);
  });

  it('is idempotent, and kills a chaincode that ignores SIGTERM after the grace period', async () => {
    const logs = recordingLoggers();
    const vm = runtime(dir, { prewarm: false, stopGraceMs: 300 }, logs.factory);
    const pkg = await nodePackage('stubborn_1.0', {
      'src/package.json': JSON.stringify({ name: 's', scripts: { start: 'node index.js' } }),
      'src/index.js': `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log('up');
setInterval(() => undefined, 1000);`,
    });
    const instance = await vm.build(pkg.packageId, pkg);
    await instance.start({ address: peer.address });
    // Wait until it runs (and has installed its SIGTERM handler).
    for (let i = 0; i < 100 && !logs.records.some((r) => r.msg === 'up'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = instance.stop();
    const second = instance.stop();
    assert.equal(first, second);
    await first;
    assert.equal(await instance.wait(), -1);
    assert.ok(logs.records.some((r) => r.msg === 'ignoring SIGTERM' && r.level === 'debug'));
    assert.ok(
      logs.records.some((r) => r.level === 'warn' && /did not stop after SIGTERM/.test(r.msg)),
    );
    await vm.close();
  });

  it('stops an instance that never started; it cannot start afterwards', async () => {
    const vm = runtime(dir, { prewarm: false });
    const pkg = await nodePackage('never_1.0', SHIM_CHAINCODE);
    const instance = await vm.build(pkg.packageId, pkg);
    await instance.stop();
    assert.equal(await instance.wait(), -1);
    await assert.rejects(instance.start({ address: peer.address }), { code: 'START_FAILED' });
  });

  it('close() stops every running chaincode', async () => {
    const vm = runtime(dir, { prewarm: true });
    const pkg = await nodePackage('closed_1.0', SHIM_CHAINCODE);
    const instance = await vm.build(pkg.packageId, pkg);
    const registered = peer.nextRegistration();
    await instance.start({ address: peer.address });
    await registered;
    await vm.close();
    assert.equal(await instance.wait(), -1);
  });
});

describe('TLS', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  for (const prewarm of [true, false]) {
    it(`connects to a peer that requires a client certificate (prewarm ${prewarm})`, async () => {
      const tls = await tlsMaterial();
      const peer = await FakePeer.start(tls.peer);
      const vm = runtime(dir, { prewarm });
      try {
        const pkg = await nodePackage(`tls${prewarm ? 'z' : 'p'}_1.0`, SHIM_CHAINCODE);
        const instance = await vm.build(pkg.packageId, pkg);
        const registered = peer.nextRegistration();
        await instance.start({ address: peer.address, tls: tls.client });
        const reg = await registered;
        assert.equal(reg.chaincodeId, pkg.packageId);
        const env = await envOf(peer, reg);
        assert.equal(env.tls, 'true');
        const runRoot = join(dir, 'externalbuilds', 'inprocess', '.run');
        assert.equal((await readdir(runRoot)).length, 1, 'TLS files written for the launch');
        await instance.stop();
        // The key material does not outlive the process.
        for (let i = 0; i < 50 && (await readdir(runRoot)).length > 0; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.deepEqual(await readdir(runRoot), []);
      } finally {
        await vm.close();
        await peer.close();
      }
    });
  }

  it('does not connect without the client certificate', async () => {
    const tls = await tlsMaterial();
    const other = await tlsMaterial();
    const peer = await FakePeer.start(tls.peer);
    const vm = runtime(dir, { prewarm: false });
    try {
      const pkg = await nodePackage('tlsbad_1.0', SHIM_CHAINCODE);
      const instance = await vm.build(pkg.packageId, pkg);
      // A client certificate from another CA: the peer refuses the handshake.
      await instance.start({
        address: peer.address,
        tls: { ...other.client, rootCert: tls.client.rootCert },
      });
      await assert.rejects(peer.nextRegistration(1500), /no chaincode registered/);
      await instance.stop();
    } finally {
      await vm.close();
      await peer.close();
    }
  });
});
