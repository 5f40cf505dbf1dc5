import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpcJs from '@grpc/grpc-js';
import { freePort, occupyPort, recordingLoggers, tryConnect } from '@fabric-peer/testkit';
import { healthService, HealthStatusBoard } from '../src/grpc/health.js';
import { GrpcServer, type GrpcServerOptions } from '../src/grpc/server.js';
import { ListenError } from '../src/listen.js';
import { grpcCode, healthClient, ServingStatus, waitFor } from '../test-support/index.js';

function server(overrides: Partial<GrpcServerOptions> = {}): GrpcServer {
  return new GrpcServer({
    name: 'peer-listener',
    configKey: 'peer.listenAddress',
    address: '127.0.0.1:0',
    keepalive: { intervalMs: 7_200_000, timeoutMs: 20_000 },
    maxRecvMsgSize: 100 * 1024 * 1024,
    maxSendMsgSize: 100 * 1024 * 1024,
    interceptors: [],
    logger: recordingLoggers().logger,
    ...overrides,
  });
}

/** A started listener serving the health service of `board`. */
async function healthServer(
  board: HealthStatusBoard,
  overrides: Partial<GrpcServerOptions> = {},
): Promise<GrpcServer> {
  const s = server(overrides);
  s.addService(...healthService(board));
  await s.start();
  return s;
}

/** The listeners watching `board` now (the health service's Watch calls). */
function countWatchers(board: HealthStatusBoard): Set<unknown> {
  const active = new Set<unknown>();
  const watch = board.watch.bind(board);
  board.watch = (listener) => {
    active.add(listener);
    const unwatch = watch(listener);
    return () => {
      active.delete(listener);
      return unwatch();
    };
  };
  return active;
}

describe('GrpcServer', { timeout: 30_000 }, () => {
  it('binds port 0 and reports the port chosen, and the services registered', async () => {
    const { records, logger } = recordingLoggers();
    const s = server({ logger });
    s.addService(...healthService(new HealthStatusBoard()));
    assert.equal(s.port, 0);
    await s.start();
    try {
      assert.ok(s.port > 0, `bound port ${s.port}`);
      assert.equal(await tryConnect(s.port), 'connected');
      assert.deepEqual(s.services, ['grpc.health.v1.Health']);
      const listening = records.find((r) => r.msg === 'gRPC server listening');
      assert.equal(listening?.fields?.['listener'], 'peer-listener');
      assert.equal(listening?.fields?.['address'], `127.0.0.1:${s.port}`);
      assert.equal(listening?.fields?.['services'], 'grpc.health.v1.Health');
    } finally {
      await s.stop();
    }
  });

  it('binds the port it is given', async () => {
    const port = await freePort();
    const s = server({ address: `127.0.0.1:${port}` });
    await s.start();
    try {
      assert.equal(s.port, port);
      assert.equal(await tryConnect(port), 'connected');
    } finally {
      await s.stop();
    }
  });

  it('fails with a ListenError naming its config key when the address is in use', async () => {
    const held = await occupyPort();
    const s = server({
      name: 'chaincode-listener',
      configKey: 'peer.chaincodeListenAddress',
      address: `127.0.0.1:${held.port}`,
    });
    try {
      await assert.rejects(s.start(), (err: unknown) => {
        assert.ok(err instanceof ListenError, `a ListenError: ${String(err)}`);
        assert.equal(err.code, 'LISTEN_FAILED');
        assert.match(err.message, /address in use/);
        assert.match(err.message, /peer\.chaincodeListenAddress/);
        assert.match(err.message, /CORE_PEER_CHAINCODELISTENADDRESS/);
        assert.equal(err.details['key'], 'peer.chaincodeListenAddress');
        return true;
      });
      // Never started, so stopping does nothing and does not throw.
      await s.stop();
    } finally {
      await held.close();
    }
  });

  it('refuses a service added after start', async () => {
    const s = await healthServer(new HealthStatusBoard());
    try {
      assert.throws(
        () => s.addService(...healthService(new HealthStatusBoard())),
        /peer-listener: services must be added before the server starts/,
      );
      assert.deepEqual(s.services, ['grpc.health.v1.Health']);
    } finally {
      await s.stop();
    }
  });

  it('stop() releases the port so that it can be bound again, and is safe twice', async () => {
    const first = await healthServer(new HealthStatusBoard());
    const port = first.port;
    await first.stop();
    await first.stop();
    assert.equal(await tryConnect(port), 'ECONNREFUSED');
    const second = server({ address: `127.0.0.1:${port}` });
    await second.start();
    try {
      assert.equal(second.port, port);
    } finally {
      await second.stop();
    }
  });

  it('stop() ends streams still open after the grace period with UNAVAILABLE', async () => {
    const board = new HealthStatusBoard();
    const watchers = countWatchers(board);
    const s = await healthServer(board);
    const client = healthClient(s.port);
    try {
      const w = client.watch('');
      await waitFor(() => w.seen.length === 1, 'the first Watch answer');
      assert.equal(watchers.size, 1);
      const t0 = Date.now();
      await s.stop();
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 900 && elapsed < 3000, `stopped after the grace period: ${elapsed} ms`);
      const end = await w.ended;
      assert.equal(grpcCode(end), grpcJs.status.UNAVAILABLE);
      assert.match(String((end as Error).message), /peer-listener is shutting down/);
      await waitFor(() => watchers.size === 0, 'the handler to see the call end');
      assert.equal(await tryConnect(s.port), 'ECONNREFUSED');
    } finally {
      client.close();
    }
  });

  it('stop() returns at once when no call is open', async () => {
    const s = await healthServer(new HealthStatusBoard());
    const client = healthClient(s.port);
    try {
      await client.check('');
      const t0 = Date.now();
      await s.stop();
      assert.ok(Date.now() - t0 < 900, `stopped in ${Date.now() - t0} ms`);
    } finally {
      client.close();
    }
  });
});

describe('gRPC health service', { timeout: 30_000 }, () => {
  it('answers NOT_SERVING or SERVING as the board says', async () => {
    const board = new HealthStatusBoard();
    const s = await healthServer(board);
    const client = healthClient(s.port);
    try {
      assert.equal(board.serving, false);
      assert.equal((await client.check('')).status, ServingStatus.NOT_SERVING);
      board.setServing(true);
      assert.equal((await client.check('')).status, ServingStatus.SERVING);
      assert.equal((await client.check('protos.Endorser')).status, ServingStatus.SERVING);
      assert.equal((await client.check('grpc.health.v1.Health')).status, ServingStatus.SERVING);
      board.setServing(false);
      assert.equal((await client.check('gateway.Gateway')).status, ServingStatus.NOT_SERVING);
    } finally {
      client.close();
      await s.stop();
    }
  });

  it('answers NOT_FOUND for a service it does not know', async () => {
    const board = new HealthStatusBoard();
    board.setServing(true);
    const s = await healthServer(board);
    const client = healthClient(s.port);
    try {
      await assert.rejects(client.check('acme.Unknown'), (err: unknown) => {
        assert.equal(grpcCode(err), grpcJs.status.NOT_FOUND);
        assert.match(String((err as Error).message), /unknown service acme\.Unknown/);
        return true;
      });
    } finally {
      client.close();
      await s.stop();
    }
  });

  it('Watch sends the current status, then every change', async () => {
    const board = new HealthStatusBoard();
    const s = await healthServer(board);
    const client = healthClient(s.port);
    try {
      const watch = client.watch('');
      await waitFor(() => watch.seen.length === 1, 'the first Watch answer');
      board.setServing(true);
      await waitFor(() => watch.seen.length === 2, 'the SERVING change');
      board.setServing(true); // no change, nothing sent
      board.setServing(false);
      await waitFor(() => watch.seen.length === 3, 'the NOT_SERVING change');
      assert.deepEqual(watch.seen, [
        ServingStatus.NOT_SERVING,
        ServingStatus.SERVING,
        ServingStatus.NOT_SERVING,
      ]);
      watch.cancel();
      assert.equal(grpcCode(await watch.ended), grpcJs.status.CANCELLED);
    } finally {
      client.close();
      await s.stop();
    }
  });

  it('Watch of an unknown service sends SERVICE_UNKNOWN rather than failing', async () => {
    const board = new HealthStatusBoard();
    const s = await healthServer(board);
    const client = healthClient(s.port);
    try {
      const watch = client.watch('acme.Unknown');
      await waitFor(() => watch.seen.length === 1, 'the first Watch answer');
      assert.deepEqual(watch.seen, [ServingStatus.SERVICE_UNKNOWN]);
      watch.cancel();
      await watch.ended;
    } finally {
      client.close();
      await s.stop();
    }
  });

  it('a cancelled Watch stops listening to the board', async () => {
    const board = new HealthStatusBoard();
    const watchers = countWatchers(board);
    const s = await healthServer(board);
    const client = healthClient(s.port);
    try {
      const w = client.watch('');
      await waitFor(() => w.seen.length === 1, 'the first Watch answer');
      assert.equal(watchers.size, 1);
      w.cancel();
      await waitFor(() => watchers.size === 0, 'the server to drop the watcher');
    } finally {
      client.close();
      await s.stop();
    }
  });
});

describe('HealthStatusBoard', () => {
  it('notifies watchers of changes only, until they unwatch', () => {
    const board = new HealthStatusBoard();
    const seen: boolean[] = [];
    const unwatch = board.watch((s) => seen.push(s));
    board.setServing(false);
    board.setServing(true);
    board.setServing(true);
    unwatch();
    board.setServing(false);
    assert.deepEqual(seen, [true]);
    assert.equal(board.serving, false);
  });
});
