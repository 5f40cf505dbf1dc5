import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HealthChecker } from '@fabric-peer/api';
import { httpRequest, occupyPort, recordingLoggers, tryConnect } from '@fabric-peer/testkit';
import { ListenError } from '../src/listen.js';
import { PrometheusProvider } from '../src/metrics/prometheus.js';
import {
  OperationsServer,
  type LogSpecControl,
  type OperationsOptions,
} from '../src/operations/server.js';

const build = { Version: 'v2.5.99-test', CommitSHA: 'deadbeef' };

/** A LogSpecControl that keeps what it was given and refuses specs containing "bogus". */
function specControl(initial = 'info'): LogSpecControl & { activated: string[] } {
  let current = initial;
  const activated: string[] = [];
  return {
    activated,
    spec: () => current,
    activate(spec: string) {
      if (spec.includes('bogus')) throw new Error(`invalid log level in spec "${spec}": bogus`);
      activated.push(spec);
      current = spec;
    },
  };
}

function checker(component: string, check: () => Promise<void>): HealthChecker {
  return { component, check };
}

async function started(
  overrides: Partial<OperationsOptions> = {},
): Promise<{ server: OperationsServer; port: number }> {
  const server = new OperationsServer({
    listenAddress: '127.0.0.1:0',
    checkers: () => [],
    healthTimeoutMs: 1000,
    logSpec: specControl(),
    build,
    logger: recordingLoggers().logger,
    ...overrides,
  });
  await server.start();
  return { server, port: server.port };
}

interface HealthBody {
  status: string;
  time: string;
  failed_checks?: { component: string; reason: string }[];
}

describe('OperationsServer /healthz', { timeout: 30_000 }, () => {
  it('answers 200 {"status":"OK","time":...} with no checkers', async () => {
    const { server, port } = await started();
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      const body = JSON.parse(res.body) as HealthBody;
      assert.equal(body.status, 'OK');
      assert.ok(!Number.isNaN(Date.parse(body.time)), `time is a date: ${body.time}`);
      assert.equal(body.failed_checks, undefined);
      assert.deepEqual(Object.keys(body).sort(), ['status', 'time']);
    } finally {
      await server.stop();
    }
  });

  it('answers 200 when every checker passes, and asks each of them', async () => {
    const asked: string[] = [];
    const pass = (name: string) =>
      checker(name, () => {
        asked.push(name);
        return Promise.resolve();
      });
    const { server, port } = await started({ checkers: () => [pass('docker'), pass('couchdb')] });
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as HealthBody).status, 'OK');
      assert.deepEqual(asked.sort(), ['couchdb', 'docker']);
    } finally {
      await server.stop();
    }
  });

  it('answers 503 naming each failing checker and its reason, and not the passing ones', async () => {
    const { server, port } = await started({
      checkers: () => [
        checker('docker', () => Promise.reject(new Error('cannot reach the docker daemon'))),
        checker('couchdb', () => Promise.resolve()),
        checker('ledger', () => Promise.reject(new Error('disk full'))),
      ],
    });
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 503);
      const body = JSON.parse(res.body) as HealthBody;
      assert.equal(body.status, 'Service Unavailable');
      assert.ok(!Number.isNaN(Date.parse(body.time)));
      assert.deepEqual(body.failed_checks, [
        { component: 'docker', reason: 'cannot reach the docker daemon' },
        { component: 'ledger', reason: 'disk full' },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('reports a checker that throws synchronously as failed', async () => {
    const { server, port } = await started({
      checkers: () => [
        {
          component: 'sync',
          check: () => {
            throw new Error('thrown before any promise');
          },
        },
      ],
    });
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 503);
      assert.deepEqual((JSON.parse(res.body) as HealthBody).failed_checks, [
        { component: 'sync', reason: 'thrown before any promise' },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('reports a checker that hangs as failed once the timeout passes', async () => {
    const { server, port } = await started({
      healthTimeoutMs: 100,
      checkers: () => [
        checker('stuck', () => new Promise<void>(() => undefined)),
        checker('fine', () => Promise.resolve()),
      ],
    });
    try {
      const t0 = Date.now();
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`);
      const elapsed = Date.now() - t0;
      assert.equal(res.status, 503);
      const body = JSON.parse(res.body) as HealthBody;
      assert.equal(body.failed_checks?.length, 1);
      assert.equal(body.failed_checks?.[0]?.component, 'stuck');
      assert.match(body.failed_checks?.[0]?.reason ?? '', /100 ms/);
      assert.ok(elapsed >= 90, `answered after the timeout (${elapsed} ms)`);
      assert.ok(elapsed < 3000, `did not wait far beyond the timeout (${elapsed} ms)`);
    } finally {
      await server.stop();
    }
  });

  it('asks the checkers function on every request (checkers added after start count)', async () => {
    const list: HealthChecker[] = [];
    const { server, port } = await started({ checkers: () => list });
    try {
      assert.equal((await httpRequest(`http://127.0.0.1:${port}/healthz`)).status, 200);
      list.push(checker('late', () => Promise.reject(new Error('late and broken'))));
      assert.equal((await httpRequest(`http://127.0.0.1:${port}/healthz`)).status, 503);
    } finally {
      await server.stop();
    }
  });

  it('refuses methods other than GET', async () => {
    const { server, port } = await started();
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/healthz`, {
        method: 'POST',
        body: '{}',
      });
      assert.equal(res.status, 405);
      assert.match((JSON.parse(res.body) as { Error: string }).Error, /POST/);
    } finally {
      await server.stop();
    }
  });
});

describe(
  'OperationsServer /version, /logspec, /metrics and unknown paths',
  { timeout: 30_000 },
  () => {
    const spec = specControl('gossip=warn:info');
    let server: OperationsServer;
    let port: number;
    before(async () => {
      ({ server, port } = await started({ logSpec: spec }));
    });
    after(() => server.stop());

    it('GET /version returns the build information', async () => {
      const res = await httpRequest(`http://127.0.0.1:${port}/version`);
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { Version: 'v2.5.99-test', CommitSHA: 'deadbeef' });
    });

    it('GET /logspec returns {"spec": ...}', async () => {
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`);
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { spec: 'gossip=warn:info' });
    });

    it('PUT /logspec with a valid spec answers 204 and activates it', async () => {
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, {
        method: 'PUT',
        body: JSON.stringify({ spec: 'debug' }),
      });
      assert.equal(res.status, 204);
      assert.equal(res.body, '');
      assert.deepEqual(spec.activated.at(-1), 'debug');
      const after = await httpRequest(`http://127.0.0.1:${port}/logspec`);
      assert.deepEqual(JSON.parse(after.body), { spec: 'debug' });
    });

    it('PUT /logspec with a body that is not JSON answers 400 {"Error": ...}', async () => {
      const before = spec.activated.length;
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, {
        method: 'PUT',
        body: '{spec: debug',
      });
      assert.equal(res.status, 400);
      assert.match((JSON.parse(res.body) as { Error: string }).Error, /not JSON/);
      assert.equal(spec.activated.length, before);
    });

    it('PUT /logspec without a string spec answers 400', async () => {
      for (const body of ['{}', '{"spec": 3}', '[]', 'null', '"debug"']) {
        const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, { method: 'PUT', body });
        assert.equal(res.status, 400, body);
        assert.match((JSON.parse(res.body) as { Error: string }).Error, /spec/, body);
      }
    });

    it('PUT /logspec with a spec the control rejects answers 400 with its message', async () => {
      const before = spec.spec();
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, {
        method: 'PUT',
        body: JSON.stringify({ spec: 'gossip=bogus' }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(JSON.parse(res.body), {
        Error: 'invalid log level in spec "gossip=bogus": bogus',
      });
      assert.equal(spec.spec(), before);
    });

    it('POST /logspec answers 400 naming the method', async () => {
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, {
        method: 'POST',
        body: JSON.stringify({ spec: 'debug' }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(JSON.parse(res.body), { Error: 'invalid request method: POST' });
    });

    it('refuses a /logspec body larger than 64 KiB and keeps the spec', async () => {
      const before = spec.spec();
      const activated = spec.activated.length;
      const huge = JSON.stringify({ spec: 'x'.repeat(70 * 1024) });
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, {
        method: 'PUT',
        body: huge,
      });
      assert.equal(res.status, 413);
      assert.match((JSON.parse(res.body) as { Error: string }).Error, /65536/);
      assert.equal(spec.spec(), before);
      assert.equal(spec.activated.length, activated);
      // The server still answers afterwards.
      assert.equal((await httpRequest(`http://127.0.0.1:${port}/healthz`)).status, 200);
    });

    it('refuses a chunked /logspec body that grows past 64 KiB', async () => {
      const before = spec.spec();
      const huge = JSON.stringify({ spec: 'y'.repeat(100 * 1024) });
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, {
        method: 'PUT',
        body: huge,
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      assert.equal(res.status, 413);
      assert.equal(spec.spec(), before);
    });

    it('accepts a body just under the limit (and lets the control judge it)', async () => {
      const body = JSON.stringify({ spec: `bogus${' '.repeat(60 * 1024)}` });
      const res = await httpRequest(`http://127.0.0.1:${port}/logspec`, { method: 'PUT', body });
      assert.equal(res.status, 400);
      assert.match((JSON.parse(res.body) as { Error: string }).Error, /bogus/);
    });

    it('/metrics is 404 when no metrics are served', async () => {
      const res = await httpRequest(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 404);
      assert.match((JSON.parse(res.body) as { Error: string }).Error, /metrics\.provider/);
    });

    it('an unknown path is 404', async () => {
      for (const path of ['/', '/nope', '/healthz/extra', '/debug/pprof']) {
        const res = await httpRequest(`http://127.0.0.1:${port}${path}`);
        assert.equal(res.status, 404, path);
        assert.match((JSON.parse(res.body) as { Error: string }).Error, /no such endpoint/, path);
      }
    });

    it('ignores the query string when matching the path', async () => {
      const res = await httpRequest(`http://127.0.0.1:${port}/version?verbose=1`);
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as { Version: string }).Version, 'v2.5.99-test');
    });
  },
);

describe('OperationsServer /metrics with Prometheus', { timeout: 30_000 }, () => {
  it('serves the Prometheus text exposition of the provider', async () => {
    const provider = new PrometheusProvider();
    provider
      .newCounter({
        namespace: 'ledger',
        name: 'transaction_count',
        help: 'Number of transactions processed.',
        labelNames: ['channel'],
      })
      .add(3, { channel: 'mychannel' });
    const { server, port } = await started({ metrics: () => provider.exposition() });
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(
        res.body,
        /^# HELP ledger_transaction_count Number of transactions processed\.$/m,
      );
      assert.match(res.body, /^# TYPE ledger_transaction_count counter$/m);
      assert.match(res.body, /^ledger_transaction_count\{channel="mychannel"\} 3$/m);
      assert.match(res.body, /^process_cpu_user_seconds_total /m);
      const wrong = await httpRequest(`http://127.0.0.1:${port}/metrics`, {
        method: 'POST',
        body: '',
      });
      assert.equal(wrong.status, 405);
    } finally {
      await server.stop();
    }
  });
});

describe('OperationsServer listening', { timeout: 30_000 }, () => {
  it('reports the port it bound for port 0', async () => {
    const { server, port } = await started();
    try {
      assert.ok(port > 0);
      assert.equal(await tryConnect(port), 'connected');
    } finally {
      await server.stop();
    }
  });

  it('fails with a ListenError naming the key and its env variable when the address is in use', async () => {
    const held = await occupyPort();
    const { records, logger } = recordingLoggers();
    const server = new OperationsServer({
      listenAddress: `127.0.0.1:${held.port}`,
      checkers: () => [],
      healthTimeoutMs: 1000,
      logSpec: specControl(),
      build,
      logger,
    });
    try {
      await assert.rejects(server.start(), (err: unknown) => {
        assert.ok(err instanceof ListenError, `a ListenError: ${String(err)}`);
        assert.equal(err.code, 'LISTEN_FAILED');
        assert.match(err.message, /address in use/);
        assert.match(err.message, /operations\.listenAddress/);
        assert.match(err.message, /CORE_OPERATIONS_LISTENADDRESS/);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${held.port}`));
        assert.deepEqual(err.details, {
          key: 'operations.listenAddress',
          address: `127.0.0.1:${held.port}`,
        });
        return true;
      });
      assert.equal(records.filter((r) => r.msg === 'operations server listening').length, 0);
      // Stopping a server that never started is harmless.
      await server.stop();
    } finally {
      await held.close();
    }
  });

  it('rejects an address that is not host:port', async () => {
    const server = new OperationsServer({
      listenAddress: 'localhost',
      checkers: () => [],
      healthTimeoutMs: 1000,
      logSpec: specControl(),
      build,
      logger: recordingLoggers().logger,
    });
    await assert.rejects(server.start(), /"localhost" is not host:port/);
  });

  it('stop() closes the port, even with a keep-alive connection open, and is safe twice', async () => {
    const { server, port } = await started();
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/version', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, 200);
      await server.stop();
      assert.equal(await tryConnect(port), 'ECONNREFUSED');
      await server.stop();
    } finally {
      agent.destroy();
    }
  });
});
