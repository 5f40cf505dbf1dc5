/**
 * The Docker runtime against the real engine of this machine (`/var/run/docker.sock`): the base
 * image, chaincode images, containers that register with a ChaincodeSupport double over the host
 * network (plain and mutual TLS), exit codes, stop, and the failures an operator can meet.
 * Everything made here is removed at the end, except the shared base image.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { Parser, type ReadEntry } from 'tar';
import type {
  ChaincodePackage,
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  MetricLabels,
  MetricsProvider,
} from '@fabric-peer/api';
import { freePort, issue, makeCa, recordingLoggers, silentLoggers } from '@fabric-peer/testkit';
import {
  DockerHealthChecker,
  DockerRuntimeError,
  DockerVmProvider,
  tarBuffer,
  type DockerChaincodeInstance,
} from '../src/index.js';
import {
  contractChaincode,
  crashingChaincode,
  dockerTestConfig,
  ensureNodeBaseImage,
  makeChaincodePackage,
  shimChaincode,
  startChaincodeSupportDouble,
  testProposal,
  type ChaincodeSupportDouble,
} from '../test-support/index.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
/** Names of everything this run makes start with it. */
const networkId = `vmdt${randomBytes(4).toString('hex')}`;
const peerId = 'peer0';
const SLOW = { timeout: 90_000 };

/** Histogram observations, by metric name (a fake is fine: the metrics are not under test). */
class RecordingMetrics implements MetricsProvider {
  readonly observed: { name: string; value: number; labels: MetricLabels | undefined }[] = [];
  newCounter(): Counter {
    return { add: () => undefined };
  }
  newGauge(): Gauge {
    return { set: () => undefined, add: () => undefined };
  }
  newHistogram(opts: HistogramOptions): Histogram {
    const name = [opts.namespace, opts.subsystem, opts.name].filter(Boolean).join('_');
    return { observe: (value, labels) => this.observed.push({ name, value, labels }) };
  }
}

let baseImage: string;

function provider(
  overrides: Record<string, unknown> = {},
  extra: {
    metrics?: MetricsProvider;
    loggers?: ReturnType<typeof recordingLoggers>['factory'];
  } = {},
): DockerVmProvider {
  return DockerVmProvider.create({
    config: dockerTestConfig({
      'chaincode.node.runtime': baseImage,
      'peer.networkId': networkId,
      'peer.id': peerId,
      'peer.localMspId': 'Org1MSP',
      ...overrides,
    }),
    loggers: extra.loggers ?? silentLoggers,
    ...(extra.metrics !== undefined ? { metrics: extra.metrics } : {}),
  });
}

async function removeEverythingOfThisRun(): Promise<void> {
  for (const c of await docker.listContainers({ all: true })) {
    if (c.Names.some((n) => n.startsWith(`/${networkId}-`))) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  for (const img of await docker.listImages()) {
    if (
      (img.RepoTags ?? []).some(
        (t) => t.startsWith(`${networkId}-`) || t.startsWith(`${networkId}/`),
      )
    ) {
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

async function containerExists(name: string): Promise<boolean> {
  try {
    await docker.getContainer(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** One file of a container, read with `docker cp` (getArchive). */
async function readContainerFile(name: string, path: string): Promise<string> {
  const stream = await docker.getContainer(name).getArchive({ path });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  let body = '';
  await new Promise<void>((resolve, reject) => {
    const p = new Parser({
      onReadEntry: (e: ReadEntry) => {
        e.on('data', (c: Buffer) => (body += c.toString('utf8')));
      },
    });
    p.on('error', reject);
    p.on('end', () => resolve());
    p.end(Buffer.concat(chunks));
  });
  return body;
}

before(async () => {
  baseImage = (await ensureNodeBaseImage(docker)).tag;
});

after(async () => {
  await removeEverythingOfThisRun();
});

describe('base image', () => {
  it('is imported from this machine’s node, once, and runs it', SLOW, async () => {
    const tag = `${networkId}/node-base:test`;
    const first = await ensureNodeBaseImage(docker, tag);
    assert.equal(first.built, true);
    const second = await ensureNodeBaseImage(docker, tag);
    assert.deepEqual(second, { tag, built: false, id: first.id });

    const c = await docker.createContainer({
      name: `${networkId}-node-version`,
      Image: tag,
      Cmd: ['node', '-p', 'process.version + " " + require("os").userInfo().username'],
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true })).toString('utf8');
    await c.remove({ force: true });
    assert.equal(StatusCode, 0, logs);
    assert.match(logs, new RegExp(`${process.version.replaceAll('.', '\\.')} root`));
    const info = await docker.getImage(tag).inspect();
    assert.equal(info.Config.WorkingDir, '/usr/local/src');
  });
});

describe('provider', () => {
  let server: ChaincodeSupportDouble;
  before(async () => {
    server = await startChaincodeSupportDouble(await freePort());
  });
  after(async () => {
    await server.stop();
  });

  it('accepts Node.js packages only', async () => {
    const p = provider();
    const pkg = (type: string): ChaincodePackage => ({
      packageId: 'x:1',
      label: 'x',
      type,
      path: '',
      metadata: { type },
      codeArchive: new Uint8Array(),
    });
    assert.equal(await p.accepts(pkg('node')), true);
    assert.equal(await p.accepts(pkg('NODE')), true);
    assert.equal(await p.accepts(pkg('golang')), false);
    assert.equal(await p.accepts(pkg('ccaas')), false);
    await assert.rejects(
      p.build('x:1', pkg('java')),
      (err) => err instanceof DockerRuntimeError && err.code === 'DOCKER_UNSUPPORTED_TYPE',
    );
  });

  it('builds an image once, named as Fabric names it, and reuses it', SLOW, async () => {
    const metrics = new RecordingMetrics();
    const p = provider({}, { metrics });
    const pkg = await makeChaincodePackage(shimChaincode('reuse'));
    const [a, b] = await Promise.all([p.build(pkg.packageId, pkg), p.build(pkg.packageId, pkg)]);
    assert.equal(a.image, p.imageName(pkg.packageId));
    assert.ok(a.image.startsWith(`${networkId}-${peerId}-reuse-`));
    assert.equal(b.image, a.image);
    const built = await docker.getImage(a.image).inspect();
    assert.deepEqual(built.Config.Entrypoint, [
      'node',
      '--require',
      '/usr/local/lib/fabric-peer/signals.cjs',
      'index.js',
    ]);
    assert.equal(built.Config.Labels?.['org.hyperledger.fabric-peer.chaincode-id'], pkg.packageId);

    // A second build, even by another provider (a restarted peer), finds the image.
    const again = await provider({}, { metrics }).build(pkg.packageId, pkg);
    assert.equal((await docker.getImage(again.image).inspect()).Id, built.Id);
    const builds = metrics.observed.filter(
      (o) => o.name === 'dockercontroller_chaincode_container_build_duration',
    );
    assert.deepEqual(
      builds.map((o) => o.labels),
      [{ chaincode: pkg.packageId, success: 'true' }],
    );
  });

  it('starts the chaincode, which registers over the host network with its ID', SLOW, async () => {
    const p = provider();
    const pkg = await makeChaincodePackage(shimChaincode('echo'));
    const inst = await p.build(pkg.packageId, pkg);
    // A container left with the same name (a crashed peer's) is replaced.
    const stale = await docker.createContainer({
      name: inst.containerName,
      Image: baseImage,
      Cmd: ['node', '-e', 'setTimeout(() => {}, 600000)'],
      HostConfig: { NetworkMode: 'none' },
    });
    await stale.start();

    await inst.start({ address: server.address });
    const reg = await server.registered(pkg.packageId);
    assert.equal(reg.chaincodeId, pkg.packageId);
    const info = await docker.getContainer(inst.containerName).inspect();
    assert.notEqual(info.Id, stale.id);
    assert.equal(info.Name, `/${p.containerName(pkg.packageId)}`);
    assert.equal(info.HostConfig.NetworkMode, 'host');
    assert.equal(info.HostConfig.Memory, 2147483648);
    for (const e of [
      `CORE_CHAINCODE_ID_NAME=${pkg.packageId}`,
      `CORE_PEER_ADDRESS=${server.address}`,
      'CORE_PEER_TLS_ENABLED=false',
      'CORE_PEER_LOCALMSPID=Org1MSP',
      'CORE_CHAINCODE_LOGGING_SHIM=warning',
    ]) {
      assert.ok(info.Config.Env.includes(e), e);
    }
    assert.deepEqual(info.Config.Cmd, ['--peer.address', server.address]);

    const r = await server.invoke(pkg.packageId, ['echo', 'a', 'b']);
    assert.equal(r.type, 'COMPLETED');
    assert.equal(r.response?.status, 200);
    assert.equal(Buffer.from(r.response?.payload ?? []).toString(), `echo:a,b:${pkg.packageId}`);

    const exited = inst.wait();
    await inst.stop();
    // SIGTERM ends it (the preload makes node, as PID 1, honour it): 128 + 15.
    assert.equal(await exited, 143);
    assert.equal(await containerExists(inst.containerName), false);
    await inst.stop(); // idempotent
  });

  it('runs a fabric-contract-api chaincode started by fabric-chaincode-node', SLOW, async () => {
    const p = provider();
    const pkg = await makeChaincodePackage(contractChaincode('greeter'));
    const inst = await p.build(pkg.packageId, pkg);
    try {
      await inst.start({ address: server.address });
      await server.registered(pkg.packageId);
      const ca = await makeCa('org1-ca');
      const user = await issue(ca, 'user1');
      const { proposal } = testProposal({
        mspId: 'Org1MSP',
        certPem: user.certPem,
        channelId: 'mychannel',
        chaincode: 'greeter',
        args: ['Greeter:hello', 'world'],
      });
      const r = await server.invoke(pkg.packageId, ['Greeter:hello', 'world'], { proposal });
      assert.equal(r.type, 'COMPLETED', r.message);
      assert.equal(r.response?.status, 200, r.response?.message);
      assert.equal(Buffer.from(r.response?.payload ?? []).toString(), 'hello world from Org1MSP');
    } finally {
      await inst.stop();
    }
  });

  it(
    'reports the exit code of a chaincode that crashes, and copies its output into the log',
    SLOW,
    async () => {
      const logs = recordingLoggers();
      const p = provider({ 'vm.docker.attachStdout': true }, { loggers: logs.factory });
      const pkg = await makeChaincodePackage(crashingChaincode('crasher', 3));
      const inst = await p.build(pkg.packageId, pkg);
      await inst.start({ address: server.address });
      assert.equal(await inst.wait(), 3);
      assert.equal(await inst.wait(), 3);
      const module = `chaincode.${inst.containerName}`;
      const lines = () =>
        logs.records.filter((r) => r.module === module).map((r) => [r.fields?.['stream'], r.msg]);
      // The output stream may end a moment after the exit.
      for (let i = 0; i < 50 && lines().length < 2; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(lines().sort(), [
        ['stderr', 'crash chaincode giving up'],
        ['stdout', `crash chaincode starting as ${pkg.packageId}`],
      ]);
      await inst.stop();
      assert.equal(await containerExists(inst.containerName), false);
    },
  );

  it('fails a build whose chaincode needs modules no registry can supply', async () => {
    const spec = shimChaincode('needs-more');
    const pkg = await makeChaincodePackage({
      ...spec,
      files: {
        ...spec.files,
        'package.json': JSON.stringify({
          name: 'needs-more',
          scripts: { start: 'node index.js' },
          dependencies: { 'fabric-shim': '^2.5.0', 'left-pad': '^1.3.0' },
        }),
      },
    });
    await assert.rejects(
      provider().build(pkg.packageId, pkg),
      (err) =>
        err instanceof DockerRuntimeError &&
        err.code === 'DOCKER_INVALID_PACKAGE' &&
        /dependencies left-pad cannot be installed/.test(err.message),
    );
  });
});

describe('TLS', () => {
  let server: ChaincodeSupportDouble;
  let tls: { clientCert: string; clientKey: string; rootCert: string };
  let clientDer: Uint8Array;
  before(async () => {
    const ca = await makeCa('chaincode-tls-ca');
    const serverCert = await issue(ca, 'peer0', { usage: 'server' });
    const client = await issue(ca, 'chaincode-client', { usage: 'client' });
    server = await startChaincodeSupportDouble(await freePort(), {
      serverCert: serverCert.certPem,
      serverKey: serverCert.keyPem,
      clientCa: ca.certPem,
    });
    tls = { clientCert: client.certPem, clientKey: client.keyPem, rootCert: ca.certPem };
    clientDer = client.der;
  });
  after(async () => {
    await server.stop();
  });

  it('uploads the client certificate before start; the chaincode presents it', SLOW, async () => {
    const p = provider();
    const pkg = await makeChaincodePackage(shimChaincode('tls-echo'));
    const inst: DockerChaincodeInstance = await p.build(pkg.packageId, pkg);
    try {
      await inst.start({ address: server.address, tls });
      const reg = await server.registered(pkg.packageId);
      assert.ok(reg.peerCertificate, 'a client certificate was presented');
      assert.deepEqual(new Uint8Array(reg.peerCertificate.raw), new Uint8Array(clientDer));

      // Fabric's encodings: base64 of the PEM at *_PATH, plain PEM at *_FILE and peer.crt.
      const read = (path: string) => readContainerFile(inst.containerName, path);
      assert.equal(
        Buffer.from(await read('/etc/hyperledger/fabric/client.crt'), 'base64').toString(),
        tls.clientCert,
      );
      assert.equal(
        Buffer.from(await read('/etc/hyperledger/fabric/client.key'), 'base64').toString(),
        tls.clientKey,
      );
      assert.equal(await read('/etc/hyperledger/fabric/client_pem.crt'), tls.clientCert);
      assert.equal(await read('/etc/hyperledger/fabric/peer.crt'), tls.rootCert);
      const env = (await docker.getContainer(inst.containerName).inspect()).Config.Env;
      for (const e of [
        'CORE_PEER_TLS_ENABLED=true',
        'CORE_TLS_CLIENT_KEY_PATH=/etc/hyperledger/fabric/client.key',
        'CORE_TLS_CLIENT_CERT_PATH=/etc/hyperledger/fabric/client.crt',
        'CORE_PEER_TLS_ROOTCERT_FILE=/etc/hyperledger/fabric/peer.crt',
      ]) {
        assert.ok(env.includes(e), e);
      }
      const r = await server.invoke(pkg.packageId, ['over', 'tls']);
      assert.equal(Buffer.from(r.response?.payload ?? []).toString(), `over:tls:${pkg.packageId}`);
    } finally {
      await inst.stop();
    }
  });
});

describe('failures an operator can meet', () => {
  it('an unreachable engine: a clear error, and the health checker fails', async () => {
    const config = dockerTestConfig({
      'vm.endpoint': 'unix:///nonexistent.sock',
      'chaincode.node.runtime': 'whatever:1',
    });
    const p = DockerVmProvider.create({ config, loggers: silentLoggers });
    const pkg = await makeChaincodePackage(shimChaincode('nowhere'));
    await assert.rejects(p.build(pkg.packageId, pkg), (err) => {
      assert.ok(err instanceof DockerRuntimeError);
      assert.equal(err.code, 'DOCKER_UNREACHABLE');
      assert.match(err.message, /cannot reach the Docker engine at unix:\/\/\/nonexistent\.sock/);
      assert.match(
        err.message,
        /is the Docker engine running\? vm\.endpoint=unix:\/\/\/nonexistent\.sock/,
      );
      return true;
    });
    const checker = DockerHealthChecker.create({ config, loggers: silentLoggers });
    assert.equal(checker.component, 'docker');
    await assert.rejects(checker.check(), (err: Error) => {
      assert.match(err.message, /^failed to ping to Docker daemon: cannot reach the Docker engine/);
      assert.match(err.message, /vm\.endpoint=unix:\/\/\/nonexistent\.sock/);
      return true;
    });
  });

  it('the health checker passes when the engine answers', async () => {
    await DockerHealthChecker.create({
      config: dockerTestConfig(),
      loggers: silentLoggers,
    }).check();
  });

  it('a missing runtime image: an error naming chaincode.node.runtime and the image', async () => {
    const p = provider({ 'chaincode.node.runtime': `${networkId}/no-such-runtime:1` });
    const pkg = await makeChaincodePackage(shimChaincode('no-runtime'));
    await assert.rejects(p.build(pkg.packageId, pkg), (err) => {
      assert.ok(err instanceof DockerRuntimeError);
      assert.equal(err.code, 'DOCKER_RUNTIME_IMAGE_MISSING');
      assert.match(
        err.message,
        new RegExp(
          `${networkId}/no-such-runtime:1 \\(chaincode\\.node\\.runtime\\) does not exist`,
        ),
      );
      return true;
    });
  });

  it('a failing docker build: an error ending with the build log', SLOW, async () => {
    // A runtime whose /usr/local/node_modules is a file: the COPY of the modules fails.
    const broken = `${networkId}/broken-runtime:1`;
    const rootfs = await tarBuffer([
      { type: 'dir', path: 'usr' },
      { type: 'dir', path: 'usr/local' },
      { type: 'file', path: 'usr/local/node_modules', data: Buffer.from('not a folder') },
    ]);
    const res = await docker.importImage(Readable.from([rootfs]), {
      repo: `${networkId}/broken-runtime`,
      tag: '1',
    } as Record<string, unknown>);
    for await (const _ of res) void _;
    const p = provider({ 'chaincode.node.runtime': broken });
    const pkg = await makeChaincodePackage(shimChaincode('broken-build'));
    await assert.rejects(p.build(pkg.packageId, pkg), (err) => {
      assert.ok(err instanceof DockerRuntimeError);
      assert.equal(err.code, 'DOCKER_BUILD_FAILED');
      assert.match(err.message, /^docker image build failed for broken-build:/);
      assert.match(
        err.message,
        /build log \(last lines\):\n(.*\n)*Step 2\/\d+ : COPY node_modules \/usr\/local\/node_modules/,
      );
      assert.match(err.message, /not a directory/);
      return true;
    });
    await assert.rejects(docker.getImage(p.imageName(pkg.packageId)).inspect());
  });
});
