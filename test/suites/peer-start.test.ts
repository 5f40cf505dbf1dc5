/**
 * The README's start command on the project's sample configuration: the peer starts on embedded
 * defaults, answers /healthz, serves metrics, and exits 0 on SIGTERM within 5 s. A second instance
 * on the same ports fails naming the key to change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpRequest } from '@fabric-peer/testkit';
import { healthCheck } from '../helpers/grpc.js';
import { sampleConfig } from '../helpers/paths.js';
import { PeerProcess, portEnv } from '../helpers/peer-process.js';

describe('fabric-peer start --config config/core.yaml (the README command)', () => {
  let peer: PeerProcess;
  // The sample's own addresses: 127.0.0.1:7051, :7052, :9443.
  const ops = 'http://127.0.0.1:9443';

  before(async () => {
    peer = PeerProcess.run(['start', '--config', sampleConfig]);
    await peer.waitFor(/peer started/);
  });

  after(() => peer.kill());

  it('answers /healthz with 200 and JSON', async () => {
    const r = await httpRequest(`${ops}/healthz`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const body = JSON.parse(r.body) as { status: string; time: string };
    assert.equal(body.status, 'OK');
    assert.ok(!Number.isNaN(Date.parse(body.time)));
  });

  it('serves the gRPC health service on the peer and chaincode listeners', async () => {
    assert.equal(await healthCheck('127.0.0.1:7051'), 1); // SERVING
    assert.equal(await healthCheck('127.0.0.1:7052'), 1);
  });

  it('exposes process and gRPC metrics in Prometheus format', async () => {
    await healthCheck('127.0.0.1:7051');
    const r = await httpRequest(`${ops}/metrics`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/plain/);
    assert.match(r.body, /^process_cpu_user_seconds_total \d/m);
    assert.match(r.body, /^process_resident_memory_bytes \d/m);
    assert.match(
      r.body,
      /^grpc_server_unary_requests_received\{service="grpc_health_v1_Health",method="Check"\} [1-9]/m,
    );
    assert.match(
      r.body,
      /^grpc_server_unary_requests_completed\{service="grpc_health_v1_Health",method="Check",code="OK"\} [1-9]/m,
    );
    assert.match(r.body, /^grpc_server_unary_request_duration_bucket\{.*method="Check".*\} \d/m);
  });

  it('reports its version and commit', async () => {
    const r = await httpRequest(`${ops}/version`);
    assert.equal(r.status, 200);
    const v = JSON.parse(r.body) as { Version: string; CommitSHA: string };
    assert.match(v.Version, /^\d+\.\d+\.\d+/);
    assert.ok(v.CommitSHA.length > 0);
  });

  it('reads and changes the log spec', async () => {
    assert.deepEqual(JSON.parse((await httpRequest(`${ops}/logspec`)).body), { spec: 'info' });
    const put = await httpRequest(`${ops}/logspec`, {
      method: 'PUT',
      body: JSON.stringify({ spec: 'node=debug:info' }),
    });
    assert.equal(put.status, 204);
    assert.deepEqual(JSON.parse((await httpRequest(`${ops}/logspec`)).body), {
      spec: 'node=debug:info',
    });
    const bad = await httpRequest(`${ops}/logspec`, {
      method: 'PUT',
      body: JSON.stringify({ spec: 'node=loud' }),
    });
    assert.equal(bad.status, 400);
    assert.match((JSON.parse(bad.body) as { Error: string }).Error, /loud/);
  });

  it('a second instance on the same ports fails with "address in use" naming the key', async () => {
    const second = PeerProcess.run(['start', '--config', sampleConfig]);
    const { code } = await second.exited;
    assert.equal(code, 1);
    // The operations server starts first, so its key is the one named.
    assert.match(
      second.text(),
      /Error: .*cannot listen on 127\.0\.0\.1:9443 \(operations\.listenAddress\): address in use; change operations\.listenAddress in core\.yaml or set CORE_OPERATIONS_LISTENADDRESS/,
    );
    // The first peer is unaffected.
    assert.equal((await httpRequest(`${ops}/healthz`)).status, 200);
  });

  it('exits 0 within 5 s of SIGTERM', async () => {
    const { code, ms } = await peer.terminate();
    assert.equal(code, 0);
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.match(peer.text(), /stopping signal=SIGTERM/);
  });
});

describe('address in use on the gRPC listeners', () => {
  it('names peer.listenAddress when only the peer port is taken', async () => {
    const { env, ports } = await portEnv();
    const first = PeerProcess.run(['start', '--config', sampleConfig], env);
    try {
      await first.waitFor(/peer started/);
      const other = await portEnv();
      const second = PeerProcess.run(['start', '--config', sampleConfig], {
        ...other.env,
        CORE_PEER_LISTENADDRESS: `127.0.0.1:${ports.peer}`,
      });
      const { code } = await second.exited;
      assert.equal(code, 1);
      assert.match(
        second.text(),
        new RegExp(
          `cannot listen on 127\\.0\\.0\\.1:${ports.peer} \\(peer\\.listenAddress\\): address in use; change peer\\.listenAddress in core\\.yaml or set CORE_PEER_LISTENADDRESS`,
        ),
      );
      // What had started (operations) was stopped again: its port is free.
      assert.match(second.text(), /operations server listening/);
      await assert.rejects(
        httpRequest(`http://127.0.0.1:${other.ports.operations}/healthz`),
        /ECONNREFUSED/,
      );
    } finally {
      assert.equal((await first.terminate()).code, 0);
    }
  });
});

describe('local MSP', () => {
  it('is loaded at start, and a missing folder stops start-up naming peer.mspConfigPath', async () => {
    const { env } = await portEnv();
    const ok = PeerProcess.run(['start', '--config', sampleConfig], env);
    await ok.waitFor(/peer started/);
    assert.match(
      ok.text(),
      /local MSP loaded mspId=SampleOrg identity=".*CN=peer0\.sampleorg\.example\.com"/,
    );
    assert.equal((await ok.terminate()).code, 0);

    const broken = PeerProcess.run(['start', '--config', sampleConfig], {
      ...env,
      CORE_PEER_MSPCONFIGPATH: '/nonexistent/msp',
    });
    const { code } = await broken.exited;
    assert.equal(code, 1);
    assert.match(broken.text(), /Error: local-msp: .*peer\.mspConfigPath.*\/nonexistent\/msp/);
    assert.doesNotMatch(broken.text(), /listening/);
  });
});

describe('SIGINT', () => {
  it('stops the peer cleanly too', async () => {
    const { env } = await portEnv();
    const p = PeerProcess.run(['start', '--config', sampleConfig], env);
    await p.waitFor(/peer started/);
    const t0 = Date.now();
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 5000);
  });
});
