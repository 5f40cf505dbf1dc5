/**
 * Launching real fabric-shim chaincode: single-flight launch, startup and execute timeouts, a
 * chaincode exiting mid-transaction, refused registrations, dev mode, TLS binding of client
 * certificates, and a chaincode server dialled through Chaincode/Connect.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type {
  ChaincodeInstance,
  ChaincodeMessagePipe,
  ChaincodePackage,
  PeerConnection,
  VmProvider,
} from '@fabric-peer/api';
import { protos } from '@fabric-peer/protos';
import { freePort } from '@fabric-peer/testkit';
import { ChaincodeError } from '../src/errors.js';
import { TestPeer, payloadText } from '../test-support/harness.js';
import { CHAINCODES_DIR, startChaincodeServer, testPackage } from '../test-support/process-vm.js';
import { openRawSession, registerMessage } from '../test-support/raw-client.js';

const T = protos.ChaincodeMessage.Type;

function code(expected: string, pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ChaincodeError, String(err));
    assert.equal(err.code, expected, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('launch and lifecycle of chaincode processes', () => {
  let peer: TestPeer;

  before(async () => {
    peer = await TestPeer.start({ settings: { startupTimeoutMs: 1500, executeTimeoutMs: 1000 } });
    peer.installed.add(testPackage('kv:1', 'test-shim', { script: 'kv/index.js' }));
    peer.installed.add(testPackage('sf:1', 'test-shim', { script: 'kv/index.js' }));
    peer.installed.add(testPackage('silent:1', 'test-silent'));
    peer.definitions.define('kv', 'kv:1').define('silent', 'silent:1');
  });

  after(async () => {
    await peer.close();
  });

  it('launches once however many callers ask at once', async () => {
    const before = { ...peer.vm.counters };
    await Promise.all(Array.from({ length: 10 }, () => peer.support.launch('sf:1')));
    assert.equal(peer.vm.counters.builds - before.builds, 1);
    assert.equal(peer.vm.counters.starts - before.starts, 1);
    await peer.support.launch('sf:1');
    assert.equal(
      peer.vm.counters.builds - before.builds,
      1,
      'a running chaincode is not relaunched',
    );
  });

  it('fails a launch whose chaincode never registers, stops it, and tries again next time', async () => {
    const before = { ...peer.vm.counters };
    await assert.rejects(
      peer.invoke('silent', ['get', 'x']),
      code(
        'STARTUP_TIMEOUT',
        /could not launch chaincode silent:1: timeout expired while starting chaincode silent:1 for transaction/,
      ),
    );
    assert.equal(peer.vm.counters.stops - before.stops, 1, 'the instance was stopped');
    await assert.rejects(
      peer.support.launch('silent:1'),
      code('STARTUP_TIMEOUT', /timeout expired/),
    );
    assert.equal(peer.vm.counters.builds - before.builds, 2, 'the second call launched again');
  });

  it('times out a transaction the chaincode never answers; the chaincode stays usable', async () => {
    await assert.rejects(
      peer.invoke('kv', ['hang']),
      code(
        'EXECUTE_TIMEOUT',
        /failed to execute transaction \w+: error sending: timeout expired while executing transaction/,
      ),
    );
    assert.equal(payloadText(await peer.invoke('kv', ['whoami'])).split(' ')[1], 'mychannel');
  });

  it('fails the transaction of a chaincode that exits, then relaunches it', async () => {
    await peer.invoke('kv', ['get', 'warm']);
    const starts = peer.vm.counters.starts;
    await assert.rejects(
      peer.invoke('kv', ['exit', '3']),
      code('STREAM_TERMINATED', /error sending: chaincode stream terminated/),
    );
    const again = await peer.invoke('kv', ['put', 'after', 'exit']);
    assert.equal(again.result.response.status, 200);
    assert.equal(peer.vm.counters.starts, starts + 1, 'relaunched once');
  });

  it('refuses REGISTER from a chaincode the peer did not launch', async () => {
    const session = openRawSession(`127.0.0.1:${peer.port}`);
    session.send(registerMessage('stranger:1'));
    const err = await session.ended;
    session.close();
    assert.ok(err);
    assert.match(
      err.details,
      /peer will not accept external chaincode connection stranger:1 \(except in dev mode\)/,
    );
    assert.equal(session.received.length, 0);
  });

  it('ends a stream whose first message is not REGISTER', async () => {
    const session = openRawSession(`127.0.0.1:${peer.port}`);
    session.send({ type: T.GET_STATE, txid: 't1', channelId: 'mychannel' });
    const err = await session.ended;
    session.close();
    assert.match(err?.details ?? '', /cannot handle message \(GET_STATE\) while in created state/);
  });
});

describe('dev mode', () => {
  let peer: TestPeer;

  before(async () => {
    peer = await TestPeer.start({ settings: { devMode: true, startupTimeoutMs: 800 } });
    peer.definitions.define('devcc', 'dev:1');
  });

  after(async () => {
    await peer.close();
  });

  it('accepts a chaincode that registers on its own and launches nothing', async () => {
    const child = spawn(
      process.execPath,
      [
        join(CHAINCODES_DIR, 'kv/index.js'),
        '--peer.address',
        `127.0.0.1:${peer.port}`,
        '--chaincode-id-name',
        'dev:1',
      ],
      { stdio: 'ignore', env: { ...process.env, CORE_CHAINCODE_LOGGING_SHIM: 'error' } },
    );
    const exited = new Promise((r) => child.on('exit', r));
    try {
      await peer.support.launch('dev:1');
      const out = await peer.invoke('devcc', ['whoami']);
      assert.equal(out.result.response.status, 200);
      assert.equal(peer.vm.counters.builds, 0);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('waits for an unregistered chaincode up to the startup timeout', async () => {
    await assert.rejects(
      peer.support.launch('nobody:1'),
      code('STARTUP_TIMEOUT', /timeout expired/),
    );
    assert.equal(peer.vm.counters.builds, 0);
  });
});

/** A runtime that keeps the PeerConnection it is given and never starts anything. */
class CapturingRuntime implements VmProvider {
  readonly name = 'capture';
  readonly connections = new Map<string, PeerConnection>();
  accepts(pkg: ChaincodePackage): Promise<boolean> {
    return Promise.resolve(pkg.type === 'capture');
  }
  build(chaincodeId: string): Promise<ChaincodeInstance> {
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    return Promise.resolve({
      start: (peer: PeerConnection) => {
        this.connections.set(chaincodeId, peer);
        return Promise.resolve();
      },
      chaincodeServerInfo: () => Promise.resolve(undefined),
      stop: () => {
        exit(0);
        return Promise.resolve();
      },
      wait: () => exited,
    });
  }
}

describe('TLS on the chaincode listener', () => {
  let peer: TestPeer;
  const capture = new CapturingRuntime();

  before(async () => {
    peer = await TestPeer.start({ tls: true, settings: { startupTimeoutMs: 5000 } });
    peer.extraRuntimes.push(capture);
    peer.installed.add(testPackage('kv:1', 'test-shim', { script: 'kv/index.js' }));
    peer.installed.add(testPackage('victim:1', 'capture'));
    peer.definitions.define('kv', 'kv:1');
  });

  after(async () => {
    await peer.close();
  });

  it('runs a shim chaincode over TLS with a client certificate from the chaincode CA', async () => {
    const out = await peer.invoke('kv', ['getput', 'k', 'v']);
    assert.equal(out.result.response.status, 200);
    assert.match(peer.support.tlsRootCertPem() ?? '', /BEGIN CERTIFICATE/);
  });

  it('accepts REGISTER only for the chaincode id the certificate was issued for', async () => {
    const launch = peer.support.launch('victim:1');
    launch.catch(() => undefined);
    while (!capture.connections.has('victim:1')) await new Promise((r) => setTimeout(r, 10));
    const tls = capture.connections.get('victim:1')!.tls!;
    const creds = () =>
      grpc.credentials.createSsl(
        Buffer.from(tls.rootCert),
        Buffer.from(tls.clientKey),
        Buffer.from(tls.clientCert),
      );

    const thief = openRawSession(`127.0.0.1:${peer.port}`, creds());
    thief.send(registerMessage('kv:1'));
    const refused = await thief.ended;
    thief.close();
    assert.match(
      refused?.details ?? '',
      /Chaincode kv:1 with given certificate hash \w+ belongs to a different chaincode/,
    );

    const owner = openRawSession(`127.0.0.1:${peer.port}`, creds());
    owner.send(registerMessage('victim:1'));
    await owner.waitFor(2);
    assert.deepEqual(
      owner.received.map((m) => m.type),
      [T.REGISTERED, T.READY],
    );
    await launch;
    owner.close();
  });
});

/** The chaincode's side of a message pipe a runtime gave the peer, in memory. */
function memoryPipe() {
  const received: protos.ChaincodeMessage[] = [];
  let sink: Parameters<ChaincodeMessagePipe['start']>[0] | undefined;
  let closed: { err?: Error | undefined } | undefined;
  const pipe: ChaincodeMessagePipe = {
    send: (bytes) => void received.push(protos.ChaincodeMessage.decode(bytes)),
    start: (s) => void (sink = s),
    close: (err) => void (closed = { err }),
  };
  return {
    pipe,
    received,
    closed: () => closed,
    sendRaw: (bytes: Uint8Array) => sink!.message(bytes),
    send: (msg: protos.ChaincodeMessage.$Properties) =>
      sink!.message(protos.ChaincodeMessage.encode(msg).finish()),
  };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a runtime's message pipe (PeerConnection.serveMessagePipe)", () => {
  let peer: TestPeer;
  const capture = new CapturingRuntime();

  before(async () => {
    peer = await TestPeer.start({ settings: { startupTimeoutMs: 5000 } });
    peer.extraRuntimes.push(capture);
    peer.installed.add(testPackage('piped:1', 'capture'));
    peer.installed.add(testPackage('other:1', 'capture'));
  });

  after(async () => {
    await peer.close();
  });

  it('registers the launched chaincode over the pipe, and no other', async () => {
    const launch = peer.support.launch('piped:1');
    launch.catch(() => undefined);
    await until(() => capture.connections.has('piped:1'));
    const serve = capture.connections.get('piped:1')!.serveMessagePipe;
    assert.ok(serve, 'the launcher offers a pipe');

    const thief = memoryPipe();
    serve(thief.pipe);
    thief.send(registerMessage('other:1'));
    await until(() => thief.closed() !== undefined);
    assert.match(
      thief.closed()?.err?.message ?? '',
      /chaincode other:1 registered on the pipe of piped:1, which the peer launched/,
    );
    assert.equal(thief.received.length, 0);

    const owner = memoryPipe();
    serve(owner.pipe);
    owner.send(registerMessage('piped:1'));
    await launch;
    assert.deepEqual(
      owner.received.map((m) => m.type),
      [T.REGISTERED, T.READY],
    );
  });

  it('ends a pipe that carries something other than a ChaincodeMessage', async () => {
    const launch = peer.support.launch('other:1');
    launch.catch(() => undefined);
    await until(() => capture.connections.has('other:1'));
    const garbage = memoryPipe();
    capture.connections.get('other:1')!.serveMessagePipe!(garbage.pipe);
    garbage.sendRaw(Uint8Array.from([0xff, 0xff, 0xff]));
    await until(() => garbage.closed() !== undefined);
    assert.match(garbage.closed()?.err?.message ?? '', /^malformed chaincode message/);
  });
});

describe('chaincode server (Chaincode/Connect)', () => {
  let peer: TestPeer;
  let server: { stop(): Promise<void> } | undefined;

  before(async () => {
    peer = await TestPeer.start({ settings: { startupTimeoutMs: 10_000 } });
  });

  after(async () => {
    await server?.stop();
    await peer.close();
  });

  it('dials the chaincode server, runs the contract, and relaunches after the server goes', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    server = startChaincodeServer('contract', 'srv:1', address);
    peer.installed.add(testPackage('srv:1', 'test-server', { address }));
    peer.definitions.define('srv', 'srv:1');
    const out = await peer.invoke('srv', ['asset:create', 'a9', 'green']);
    assert.equal(out.result.response.status, 200, out.result.response.message);
    assert.equal(out.result.event?.eventName, 'created');

    await server.stop();
    server = undefined;
    peer.installed.add(testPackage('srv:1', 'test-server', { address, dialTimeoutMs: 300 }));
    // The stream ends with the server; the next call dials again and finds nobody.
    await assert.rejects(
      async () => {
        for (;;) {
          await peer.invoke('srv', ['asset:read', 'a9']);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      code('LAUNCH_FAILED', /could not launch chaincode srv:1: connection to srv:1 failed/),
    );
  });
});
