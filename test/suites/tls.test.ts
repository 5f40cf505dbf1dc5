/**
 * peer.tls with clientAuthRequired: a client presenting a certificate from the configured client
 * root CA connects; one without a certificate, or with one from another CA, is refused. The
 * operations server with TLS requires a client certificate for /metrics and /logspec, as Fabric's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  httpRequest,
  issue,
  makeCa,
  writePair,
  type TestCa,
  type TestCert,
} from '@fabric-peer/testkit';
import { healthCheck } from '../helpers/grpc.js';
import { sampleConfig } from '../helpers/paths.js';
import { PeerProcess, portEnv } from '../helpers/peer-process.js';

describe('mutual TLS on the peer listener and TLS on the operations server', () => {
  let peer: PeerProcess;
  let serverCa: TestCa;
  let goodClient: TestCert;
  let strangerClient: TestCert;
  let peerAddress: string;
  let ops: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    serverCa = await makeCa('tls-ca.org1.example.com');
    const clientCa = await makeCa('client-ca.org1.example.com');
    const otherCa = await makeCa('somebody-else');
    const server = writePair(
      dir,
      'server',
      await issue(serverCa, 'peer0.org1.example.com', { usage: 'server' }),
    );
    const serverCaFile = writePair(dir, 'server-ca', serverCa).cert;
    const clientCaFile = writePair(dir, 'client-ca', clientCa).cert;
    goodClient = await issue(clientCa, 'User1@org1.example.com', { usage: 'client' });
    strangerClient = await issue(otherCa, 'mallory', { usage: 'client' });
    const { env, ports } = await portEnv();
    peerAddress = `127.0.0.1:${ports.peer}`;
    ops = `https://127.0.0.1:${ports.operations}`;
    peer = PeerProcess.run(['start', '--config', sampleConfig], {
      ...env,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_CLIENTAUTHREQUIRED: 'true',
      CORE_PEER_TLS_CERT_FILE: server.cert,
      CORE_PEER_TLS_KEY_FILE: server.key,
      CORE_PEER_TLS_ROOTCERT_FILE: serverCaFile,
      CORE_PEER_TLS_CLIENTROOTCAS_FILES: clientCaFile,
      CORE_OPERATIONS_TLS_ENABLED: 'true',
      CORE_OPERATIONS_TLS_CERT_FILE: server.cert,
      CORE_OPERATIONS_TLS_KEY_FILE: server.key,
      CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES: clientCaFile,
    });
    await peer.waitFor(/peer started/);
  });

  after(() => peer.kill());

  it('logs that TLS and client authentication are on', () => {
    assert.match(
      peer.text(),
      /gRPC server listening listener=peer-listener .* tls=true clientAuthRequired=true/,
    );
  });

  it('accepts a client with a certificate from the client root CA', async () => {
    const creds = grpc.credentials.createSsl(
      Buffer.from(serverCa.certPem),
      Buffer.from(goodClient.keyPem),
      Buffer.from(goodClient.certPem),
    );
    assert.equal(await healthCheck(peerAddress, creds), 1);
  });

  it('refuses a client without a certificate', async () => {
    const creds = grpc.credentials.createSsl(Buffer.from(serverCa.certPem));
    await assert.rejects(
      healthCheck(peerAddress, creds),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    );
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const creds = grpc.credentials.createSsl(
      Buffer.from(serverCa.certPem),
      Buffer.from(strangerClient.keyPem),
      Buffer.from(strangerClient.certPem),
    );
    await assert.rejects(
      healthCheck(peerAddress, creds),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    );
  });

  it('refuses a plaintext client', async () => {
    await assert.rejects(
      healthCheck(peerAddress),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    );
  });

  it('operations: /healthz needs no client certificate; /metrics and /logspec need one from the client CA', async () => {
    const ca = serverCa.certPem;
    assert.equal((await httpRequest(`${ops}/healthz`, { tls: { ca } })).status, 200);
    const anon = await httpRequest(`${ops}/metrics`, { tls: { ca } });
    assert.equal(anon.status, 401);
    assert.equal((await httpRequest(`${ops}/logspec`, { tls: { ca } })).status, 401);
    const stranger = await httpRequest(`${ops}/metrics`, {
      tls: { ca, cert: strangerClient.certPem, key: strangerClient.keyPem },
    });
    assert.equal(stranger.status, 401);
    const good = await httpRequest(`${ops}/metrics`, {
      tls: { ca, cert: goodClient.certPem, key: goodClient.keyPem },
    });
    assert.equal(good.status, 200);
    assert.match(good.body, /^process_cpu_user_seconds_total/m);
  });

  it('stops cleanly', async () => {
    assert.equal((await peer.terminate()).code, 0);
  });
});

describe('TLS misconfiguration', () => {
  it('a missing certificate file stops start-up naming the key', async () => {
    const { env } = await portEnv();
    const p = PeerProcess.run(['start', '--config', sampleConfig], {
      ...env,
      CORE_PEER_TLS_ENABLED: 'true',
      CORE_PEER_TLS_CERT_FILE: '/nonexistent/server.crt',
    });
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.match(
      p.text(),
      /peer\.tls\.cert\.file: cannot be read: ENOENT \(got "\/nonexistent\/server\.crt"/,
    );
  });
});
