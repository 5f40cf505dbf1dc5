import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as grpcJs from '@grpc/grpc-js';
import { httpRequest, recordingLoggers } from '@fabric-peer/testkit';
import { healthService, HealthStatusBoard } from '../src/grpc/health.js';
import { GrpcServer } from '../src/grpc/server.js';
import { OperationsServer, type OperationsOptions } from '../src/operations/server.js';
import {
  grpcCode,
  healthClient,
  makeTestPki,
  ServingStatus,
  type TestPki,
} from '../test-support/index.js';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

async function operations(clientAuthRequired: boolean): Promise<OperationsServer> {
  const options: OperationsOptions = {
    listenAddress: '127.0.0.1:0',
    tls: {
      cert: pki.serverCert,
      key: pki.serverKey,
      clientRootCAs: [pki.ca],
      clientAuthRequired,
    },
    checkers: () => [],
    healthTimeoutMs: 1000,
    logSpec: { spec: () => 'info', activate: () => undefined },
    metrics: () => Promise.resolve({ contentType: 'text/plain', body: 'm 1\n' }),
    build: { Version: 'v', CommitSHA: 'c' },
    logger: recordingLoggers().logger,
  };
  const server = new OperationsServer(options);
  await server.start();
  return server;
}

describe('OperationsServer over TLS', { timeout: 30_000 }, () => {
  it('serves /healthz and /version to anyone, /logspec and /metrics only with a trusted client certificate', async () => {
    const server = await operations(false);
    const anonymous = { ca: pki.ca };
    const client = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    const stranger = { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey };
    const base = `https://127.0.0.1:${server.port}`;
    try {
      assert.equal((await httpRequest(`${base}/healthz`, { tls: anonymous })).status, 200);
      assert.equal((await httpRequest(`${base}/version`, { tls: anonymous })).status, 200);
      for (const path of ['/logspec', '/metrics']) {
        const refused = await httpRequest(`${base}${path}`, { tls: anonymous });
        assert.equal(refused.status, 401, path);
        assert.deepEqual(JSON.parse(refused.body), { Error: 'client certificate required' });
        assert.equal(
          (await httpRequest(`${base}${path}`, { tls: stranger })).status,
          401,
          `${path} (untrusted CA)`,
        );
      }
      const spec = await httpRequest(`${base}/logspec`, { tls: client });
      assert.equal(spec.status, 200);
      assert.deepEqual(JSON.parse(spec.body), { spec: 'info' });
      const metrics = await httpRequest(`${base}/metrics`, { tls: client });
      assert.equal(metrics.status, 200);
      assert.equal(metrics.body, 'm 1\n');
    } finally {
      await server.stop();
    }
  });

  it('with clientAuthRequired refuses the handshake of a client without a certificate', async () => {
    const server = await operations(true);
    const base = `https://127.0.0.1:${server.port}`;
    try {
      await assert.rejects(httpRequest(`${base}/healthz`, { tls: { ca: pki.ca } }));
      const ok = await httpRequest(`${base}/healthz`, {
        tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
      });
      assert.equal(ok.status, 200);
    } finally {
      await server.stop();
    }
  });

  it('does not answer plain HTTP', async () => {
    const server = await operations(false);
    try {
      await assert.rejects(httpRequest(`http://127.0.0.1:${server.port}/healthz`));
    } finally {
      await server.stop();
    }
  });
});

describe('GrpcServer over TLS', { timeout: 30_000 }, () => {
  async function grpcServer(clientAuthRequired: boolean): Promise<GrpcServer> {
    const board = new HealthStatusBoard();
    board.setServing(true);
    const server = new GrpcServer({
      name: 'peer-listener',
      configKey: 'peer.listenAddress',
      address: '127.0.0.1:0',
      tls: {
        cert: pki.serverCert,
        key: pki.serverKey,
        clientRootCAs: [pki.ca],
        clientAuthRequired,
      },
      keepalive: { intervalMs: 7_200_000, timeoutMs: 20_000 },
      maxRecvMsgSize: 1024 * 1024,
      maxSendMsgSize: 1024 * 1024,
      interceptors: [],
      logger: recordingLoggers().logger,
    });
    server.addService(...healthService(board));
    await server.start();
    return server;
  }

  it('serves TLS clients that trust its CA', async () => {
    const server = await grpcServer(false);
    const client = healthClient(server.port, grpcJs.credentials.createSsl(pki.ca));
    try {
      assert.equal((await client.check('')).status, ServingStatus.SERVING);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('with clientAuthRequired serves only clients with a certificate from clientRootCAs', async () => {
    const server = await grpcServer(true);
    const anonymous = healthClient(server.port, grpcJs.credentials.createSsl(pki.ca));
    const stranger = healthClient(
      server.port,
      grpcJs.credentials.createSsl(pki.ca, pki.strangerKey, pki.strangerCert),
    );
    const trusted = healthClient(
      server.port,
      grpcJs.credentials.createSsl(pki.ca, pki.clientKey, pki.clientCert),
    );
    try {
      await assert.rejects(
        anonymous.check('', 2000),
        (err: unknown) => grpcCode(err) === grpcJs.status.UNAVAILABLE,
      );
      await assert.rejects(
        stranger.check('', 2000),
        (err: unknown) => grpcCode(err) === grpcJs.status.UNAVAILABLE,
      );
      assert.equal((await trusted.check('')).status, ServingStatus.SERVING);
    } finally {
      anonymous.close();
      stranger.close();
      trusted.close();
      await server.stop();
    }
  });

  it('refuses plaintext clients', async () => {
    const server = await grpcServer(false);
    const client = healthClient(server.port);
    try {
      await assert.rejects(client.check('', 2000), (err: unknown) => grpcCode(err) !== undefined);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
