import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { freePort, httpRequest, issue, makeCa, occupyPort, tryConnect } from '../src/index.js';

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
}

function close(server: { close(cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('ports', () => {
  it('freePort gives a port below the ephemeral range that can be bound', async () => {
    const port = await freePort();
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    assert.ok(port >= 10_000 && port < low, `${port} below ${low}`);
    const server = createServer();
    await listen(server, port);
    await close(server);
  });

  it('occupyPort holds a port: binding it fails with EADDRINUSE until closed', async () => {
    const held = await occupyPort();
    const server = createServer();
    await assert.rejects(listen(server, held.port), { code: 'EADDRINUSE' });
    assert.equal(await tryConnect(held.port), 'connected');
    await held.close();
    await listen(server, held.port);
    await close(server);
  });

  it('tryConnect answers the error code of a refused connection', async () => {
    assert.equal(await tryConnect(await freePort()), 'ECONNREFUSED');
  });
});

describe('httpRequest', () => {
  async function echo(
    server: ReturnType<typeof createHttpServer>,
  ): Promise<{ port: number; seen: { method?: string; headers: IncomingMessage['headers'] }[] }> {
    const seen: { method?: string; headers: IncomingMessage['headers'] }[] = [];
    server.on('request', (req: IncomingMessage, res) => {
      seen.push({ method: req.method, headers: req.headers });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'x-echo': 'yes' });
        res.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    return { port: addr.port, seen };
  }

  it('sends method, body and headers and answers status, headers and body', async () => {
    const server = createHttpServer();
    const { port, seen } = await echo(server);
    try {
      const res = await httpRequest(`http://127.0.0.1:${port}/x`, {
        method: 'PUT',
        body: 'hello',
        headers: { 'X-Test': '1' },
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers['x-echo'], 'yes');
      assert.equal(res.body, 'hello');
      assert.equal(seen[0]?.method, 'PUT');
      assert.equal(seen[0]?.headers['content-length'], '5');
      assert.equal(seen[0]?.headers['x-test'], '1');
      const chunked = await httpRequest(`http://127.0.0.1:${port}/x`, {
        method: 'PUT',
        body: 'z'.repeat(40 * 1024),
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      assert.equal(chunked.body.length, 40 * 1024);
      assert.equal(seen[1]?.headers['transfer-encoding'], 'chunked');
    } finally {
      await close(server);
    }
  });

  it('rejects when nobody listens', async () => {
    await assert.rejects(httpRequest(`http://127.0.0.1:${await freePort()}/`), {
      code: 'ECONNREFUSED',
    });
  });

  it('speaks HTTPS with a trusted CA and a client certificate', async () => {
    const ca = await makeCa('tls-ca');
    const serverCert = await issue(ca, 'localhost', { usage: 'server' });
    const client = await issue(ca, 'client', { usage: 'client' });
    const server = createHttpsServer(
      { cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem, requestCert: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(peer.subject?.CN ?? 'anonymous');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    try {
      const url = `https://127.0.0.1:${addr.port}/`;
      const res = await httpRequest(url, {
        tls: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'client');
      await assert.rejects(httpRequest(url));
    } finally {
      await close(server);
    }
  });
});
