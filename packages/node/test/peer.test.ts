import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import * as grpcJs from '@grpc/grpc-js';
import { loadConfig } from '@fabric-peer/config';
import { ConfigError } from '@fabric-peer/api';
import { LifecycleError } from '@fabric-peer/core';
import { LoggingSystem } from '@fabric-peer/logging';
import { httpRequest, occupyPort, tryConnect } from '@fabric-peer/testkit';
import { common } from '@fabric-peer/protos';
import { ChannelsService } from '../src/channels.js';
import { ListenError } from '../src/listen.js';
import { PeerNode } from '../src/peer.js';
import { grpcCode, healthClient, ServingStatus, waitFor } from '../test-support/index.js';

/** The sample core.yaml of the repository (tests run from packages/node/dist/test). */
const CORE_YAML = fileURLToPath(new URL('../../../../config/core.yaml', import.meta.url));

const build = { Version: 'v0.0.0-test', CommitSHA: 'cafebabe' };

/** The node's services in start order (they stop in reverse). */
const SERVICES = [
  'local-msp',
  'metrics',
  'operations',
  'ledgers',
  'channels',
  'chaincode',
  'committer',
  'endorser',
  'ordering',
  'delivery',
  'deliver',
  'gateway',
  'peer-listener',
  'chaincode-listener',
  'serving',
];

/**
 * Every listener on 127.0.0.1 and a port the system chooses, and ledgers in a fresh folder, unless
 * `env` says otherwise.
 */
function config(env: Record<string, string> = {}) {
  return loadConfig({
    path: CORE_YAML,
    env: {
      CORE_PEER_FILESYSTEMPATH: mkdtempSync(join(tmpdir(), 'node-peer-')),
      CORE_PEER_LISTENADDRESS: '127.0.0.1:0',
      CORE_PEER_CHAINCODELISTENADDRESS: '127.0.0.1:0',
      CORE_OPERATIONS_LISTENADDRESS: '127.0.0.1:0',
      ...env,
    },
  });
}

/** A peer whose logs go to memory (the lifecycle at debug, so that start and stop are visible). */
async function peer(env: Record<string, string> = {}) {
  const output: string[] = [];
  const logging = new LoggingSystem({
    spec: 'core.lifecycle=debug:info',
    format: 'json',
    writer: { write: (chunk: string) => output.push(chunk) },
  });
  const node = await PeerNode.create({
    config: config(env),
    loggerFactory: (module) => logging.logger(module),
    logSpec: logging,
    build,
  });
  const records = () =>
    output
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** Services named by the lifecycle's "starting service" / "stopped service" records. */
  const lifecycle = (msg: string) =>
    records()
      .filter((r) => r['msg'] === msg)
      .map((r) => String(r['service']));
  return { node, logging, records, lifecycle };
}

describe('the sample core.yaml with port 0', () => {
  it('accepts 127.0.0.1:0 for the three listen addresses', () => {
    const c = config();
    assert.equal(c.get('peer.listenAddress'), '127.0.0.1:0');
    assert.equal(c.get('peer.chaincodeListenAddress'), '127.0.0.1:0');
    assert.equal(c.get('operations.listenAddress'), '127.0.0.1:0');
    assert.equal(c.source('peer.listenAddress'), 'CORE_PEER_LISTENADDRESS');
  });
});

describe('PeerNode', () => {
  it('orders its services: local-msp … ledgers, channels, chaincode, committer, endorser, ordering, delivery, deliver, gateway, listeners, serving', async () => {
    const { node } = await peer();
    assert.deepEqual(node.services, SERVICES);
  });

  it(
    'starts every listener, serves the operations endpoints and the health service, then stops',
    {
      timeout: 20_000,
    },
    async () => {
      const { node, logging, lifecycle } = await peer();
      await node.start();
      const { peer: peerPort, chaincode, operations } = node.ports;
      const ops = `http://127.0.0.1:${operations}`;
      try {
        assert.ok(peerPort > 0 && chaincode > 0 && operations > 0, JSON.stringify(node.ports));
        assert.equal(new Set([peerPort, chaincode, operations]).size, 3);
        assert.deepEqual(lifecycle('starting service'), SERVICES);

        const health = await httpRequest(`${ops}/healthz`);
        assert.equal(health.status, 200);
        assert.equal((JSON.parse(health.body) as { status: string }).status, 'OK');
        const version = await httpRequest(`${ops}/version`);
        assert.deepEqual(JSON.parse(version.body), build);

        // /logspec reads and changes the real logging system.
        assert.deepEqual(JSON.parse((await httpRequest(`${ops}/logspec`)).body), {
          spec: 'core.lifecycle=debug:info',
        });
        const put = await httpRequest(`${ops}/logspec`, {
          method: 'PUT',
          body: JSON.stringify({ spec: 'gossip=warn:debug' }),
        });
        assert.equal(put.status, 204);
        assert.equal(logging.spec(), 'gossip=warn:debug');
        assert.equal(logging.levelOf('gossip.comm'), 'warn');
        const bad = await httpRequest(`${ops}/logspec`, {
          method: 'PUT',
          body: JSON.stringify({ spec: 'gossip=loud' }),
        });
        assert.equal(bad.status, 400);
        assert.match((JSON.parse(bad.body) as { Error: string }).Error, /loud/);
        assert.equal(logging.spec(), 'gossip=warn:debug');
        logging.activate('core.lifecycle=debug:info');

        // The health service says SERVING on both gRPC listeners once everything has started.
        for (const port of [peerPort, chaincode]) {
          const client = healthClient(port);
          try {
            assert.equal((await client.check('')).status, ServingStatus.SERVING);
            assert.equal((await client.check('protos.Endorser')).status, ServingStatus.SERVING);
          } finally {
            client.close();
          }
        }

        // The sample core.yaml chooses prometheus: gRPC calls show on /metrics under Fabric's names.
        const metrics = await httpRequest(`${ops}/metrics`);
        assert.equal(metrics.status, 200);
        assert.match(
          metrics.body,
          /^grpc_server_unary_requests_completed\{service="grpc_health_v1_Health",method="Check",code="OK"\} 4$/m,
        );
        assert.match(metrics.body, /^process_cpu_user_seconds_total /m);
      } finally {
        await node.stop();
      }
      for (const port of [peerPort, chaincode, operations]) {
        assert.equal(await tryConnect(port), 'ECONNREFUSED', `port ${port} closed`);
      }
      assert.deepEqual(lifecycle('stopped service'), [...SERVICES].reverse());
      // Stopping again does nothing more.
      await node.stop();
      assert.equal(lifecycle('stopped service').length, SERVICES.length);
    },
  );

  it(
    'tells health watchers NOT_SERVING before its listeners close',
    { timeout: 20_000 },
    async () => {
      const { node } = await peer();
      await node.start();
      const client = healthClient(node.ports.peer);
      try {
        const watch = client.watch('');
        await waitFor(() => watch.seen.length === 1, 'the first Watch answer');
        assert.equal(watch.seen[0], ServingStatus.SERVING);
        const stopping = node.stop();
        await waitFor(() => watch.seen.length === 2, 'the NOT_SERVING answer');
        assert.equal(watch.seen[1], ServingStatus.NOT_SERVING);
        await stopping;
        assert.equal(grpcCode(await watch.ended), grpcJs.status.UNAVAILABLE);
      } finally {
        client.close();
        await node.stop();
      }
    },
  );

  it(
    'when a port is in use, stops what had started and names the key',
    { timeout: 20_000 },
    async () => {
      const held = await occupyPort();
      try {
        const { node, lifecycle } = await peer({
          CORE_PEER_CHAINCODELISTENADDRESS: `127.0.0.1:${held.port}`,
        });
        await assert.rejects(node.start(), (err: unknown) => {
          assert.ok(err instanceof LifecycleError, `a LifecycleError: ${String(err)}`);
          assert.equal(err.code, 'SERVICE_START_FAILED');
          assert.equal(err.details['service'], 'chaincode-listener');
          assert.match(err.message, /^chaincode-listener: /);
          assert.match(err.message, /address in use/);
          assert.match(err.message, /peer\.chaincodeListenAddress/);
          assert.match(err.message, /CORE_PEER_CHAINCODELISTENADDRESS/);
          assert.ok(err.cause instanceof ListenError);
          return true;
        });
        assert.deepEqual(
          lifecycle('starting service'),
          SERVICES.slice(0, SERVICES.indexOf('chaincode-listener') + 1),
        );
        assert.deepEqual(
          lifecycle('stopped service'),
          SERVICES.slice(0, SERVICES.indexOf('chaincode-listener')).reverse(),
        );
        const { peer: peerPort, operations } = node.ports;
        assert.ok(peerPort > 0 && operations > 0);
        assert.equal(await tryConnect(peerPort), 'ECONNREFUSED');
        assert.equal(await tryConnect(operations), 'ECONNREFUSED');
        // The port held by someone else is untouched.
        assert.equal(await tryConnect(held.port), 'connected');
        await node.stop();
      } finally {
        await held.close();
      }
    },
  );

  it("opens every joined channel's ledger at start, with the configured state database", async () => {
    const fs = mkdtempSync(join(tmpdir(), 'node-ledgers-'));
    const genesis = readFileSync(
      fileURLToPath(
        new URL(
          '../../../../../shared/fixtures/fabric-2.4.9/corpus-basic/block-0.pb',
          import.meta.url,
        ),
      ),
    );
    const first = await peer({ CORE_PEER_FILESYSTEMPATH: fs });
    await first.node.start();
    try {
      const channels = first.node.kernel.container.get(ChannelsService);
      const joined = await channels.registry.join(common.Block.decode(genesis));
      assert.equal(Number(joined.ledger.getBlockchainInfo().height), 1);
    } finally {
      await first.node.stop();
    }

    const second = await peer({ CORE_PEER_FILESYSTEMPATH: fs });
    await second.node.start();
    try {
      const again = second.node.kernel.container.get(ChannelsService);
      assert.deepEqual(again.registry.ids(), ['mychannel']);
      const channel = again.registry.get('mychannel');
      assert.equal(Number(channel?.ledger.getBlockchainInfo().height), 1);
      assert.deepEqual([...(channel?.bundle().capabilities.application?.names ?? [])], ['V2_0']);
      const restored = second.records().find((r) => r['msg'] === 'channel restored');
      assert.equal(restored?.['channel'], 'mychannel');
    } finally {
      await second.node.stop();
    }
  });

  it('stops start-up naming peer.mspConfigPath when the local MSP folder is missing', async () => {
    const { node, lifecycle } = await peer({ CORE_PEER_MSPCONFIGPATH: '/nonexistent/msp' });
    await assert.rejects(node.start(), (err: unknown) => {
      assert.ok(err instanceof LifecycleError);
      assert.equal(err.details['service'], 'local-msp');
      assert.match(err.message, /peer\.mspConfigPath/);
      assert.match(err.message, /\/nonexistent\/msp/);
      return true;
    });
    assert.deepEqual(lifecycle('starting service'), ['local-msp']);
    assert.equal(node.ports.operations, 0, 'nothing listened');
  });

  it(
    'names operations.listenAddress when the operations port is in use',
    { timeout: 20_000 },
    async () => {
      const held = await occupyPort();
      try {
        const { node, lifecycle } = await peer({
          CORE_OPERATIONS_LISTENADDRESS: `127.0.0.1:${held.port}`,
        });
        await assert.rejects(node.start(), (err: unknown) => {
          assert.ok(err instanceof LifecycleError);
          assert.equal(err.details['service'], 'operations');
          assert.match(err.message, /operations\.listenAddress/);
          assert.match(err.message, /CORE_OPERATIONS_LISTENADDRESS/);
          return true;
        });
        assert.deepEqual(lifecycle('stopped service'), ['metrics', 'local-msp']);
        assert.equal(node.ports.peer, 0, 'the peer listener never started');
      } finally {
        await held.close();
      }
    },
  );

  it('refuses to be created when a TLS file named by core.yaml is missing, naming the key', async () => {
    await assert.rejects(
      peer({
        CORE_PEER_TLS_ENABLED: 'true',
        CORE_PEER_TLS_CERT_FILE: '/nonexistent/tls/server.crt',
        CORE_PEER_TLS_KEY_FILE: '/nonexistent/tls/server.key',
      }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `a ConfigError: ${String(err)}`);
        assert.match(err.message, /peer\.tls\.cert\.file: cannot be read: ENOENT/);
        assert.match(err.message, /\/nonexistent\/tls\/server\.crt/);
        return true;
      },
    );
  });
});
