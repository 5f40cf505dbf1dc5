import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { StatsdProvider, type StatsdOptions } from '../src/metrics/statsd.js';
import { udpCollector, waitFor } from '../test-support/index.js';

/** Every statsd line in the packets received so far. */
function lines(packets: readonly string[]): string[] {
  return packets.flatMap((p) => p.split('\n')).filter((l) => l !== '');
}

async function withCollector(
  options: Partial<StatsdOptions>,
  body: (p: StatsdProvider, packets: string[]) => Promise<void>,
): Promise<void> {
  const collector = await udpCollector();
  const provider = new StatsdProvider({
    network: 'udp',
    host: '127.0.0.1',
    port: collector.port,
    writeIntervalMs: 60_000,
    prefix: '',
    ...options,
  });
  await provider.start();
  try {
    await body(provider, collector.packets);
  } finally {
    await provider.stop();
    await collector.close();
  }
}

describe('StatsdProvider names (Fabric StatsdFormat)', () => {
  it('uses the statsdFormat, with dots and other statsd syntax in label values replaced by _', () => {
    const p = new StatsdProvider({
      network: 'udp',
      host: '127.0.0.1',
      port: 1,
      writeIntervalMs: 60_000,
      prefix: 'peer0.',
    });
    const c = p.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'unary_requests_completed',
      help: 'h',
      labelNames: ['service', 'method', 'code'],
      statsdFormat: '%{#fqname}.%{service}.%{method}.%{code}',
    });
    c.add(1, { service: 'protos.Endorser', method: 'ProcessProposal', code: 'OK' });
    c.add(1, { service: 'a|b:c d', method: 'M', code: 'OK' });
    assert.deepEqual(p.drain().sort(), [
      'peer0.grpc.server.unary_requests_completed.a_b_c_d.M.OK:1|c',
      'peer0.grpc.server.unary_requests_completed.protos_Endorser.ProcessProposal.OK:1|c',
    ]);
  });

  it('defaults to the dotted fqname followed by each label value in order', () => {
    const p = new StatsdProvider({
      network: 'udp',
      host: '127.0.0.1',
      port: 1,
      writeIntervalMs: 60_000,
      prefix: '',
    });
    p.newGauge({
      namespace: 'ledger',
      name: 'blockchain_height',
      help: 'h',
      labelNames: ['channel'],
    }).set(7, {
      channel: 'my.channel',
    });
    p.newCounter({ subsystem: 'gossip', name: 'sent', help: 'h', labelNames: ['a', 'b'] }).add(2, {
      b: 'B',
      a: 'A',
    });
    p.newCounter({ name: 'plain', help: 'h' }).add(1);
    assert.deepEqual(p.drain().sort(), [
      'gossip.sent.A.B:2|c',
      'ledger.blockchain_height.my_channel:7|g',
      'plain:1|c',
    ]);
  });

  it('supports Fabric’s #namespace, #subsystem and #name verbs and literal text', () => {
    const p = new StatsdProvider({
      network: 'udp',
      host: '127.0.0.1',
      port: 1,
      writeIntervalMs: 60_000,
      prefix: '',
    });
    p.newCounter({
      namespace: 'chaincode',
      subsystem: 'shim',
      name: 'requests_received',
      help: 'h',
      labelNames: ['type', 'channel'],
      statsdFormat: '%{#namespace}-%{#subsystem}-%{#name}.%{channel}.x.%{type}',
    }).add(3, { type: 'GET_STATE', channel: 'ch1' });
    assert.deepEqual(p.drain(), ['chaincode-shim-requests_received.ch1.x.GET_STATE:3|c']);
  });
});

describe('StatsdProvider over UDP', { timeout: 30_000 }, () => {
  it('sums counters per interval, sends gauges and one timing per observation, with the prefix', async () => {
    await withCollector({ prefix: 'org1.peer0.' }, async (p, packets) => {
      const c = p.newCounter({
        namespace: 'endorser',
        name: 'proposals_received',
        help: 'h',
      });
      const g = p.newGauge({
        namespace: 'ledger',
        name: 'blockchain_height',
        help: 'h',
        labelNames: ['channel'],
      });
      const h = p.newHistogram({
        namespace: 'endorser',
        name: 'propsal_duration',
        help: 'h',
        labelNames: ['channel'],
      });
      c.add(1);
      c.add(2);
      c.add(4);
      g.set(10, { channel: 'ch' });
      g.add(5, { channel: 'ch' });
      h.observe(0.25, { channel: 'ch' });
      h.observe(1.5, { channel: 'ch' });
      p.flush();
      await waitFor(() => lines(packets).length === 4, 'four statsd lines');
      assert.deepEqual(lines(packets).sort(), [
        'org1.peer0.endorser.proposals_received:7|c',
        'org1.peer0.endorser.propsal_duration.ch:0.25|ms',
        'org1.peer0.endorser.propsal_duration.ch:1.5|ms',
        'org1.peer0.ledger.blockchain_height.ch:15|g',
      ]);
      assert.equal(packets.length, 1, 'a few lines travel in one datagram');

      // The next interval: counters and timings start again, gauges keep their value.
      c.add(1);
      p.flush();
      await waitFor(() => lines(packets).length === 6, 'the second interval');
      assert.deepEqual(lines(packets.slice(1)).sort(), [
        'org1.peer0.endorser.proposals_received:1|c',
        'org1.peer0.ledger.blockchain_height.ch:15|g',
      ]);
    });
  });

  it('flushes every writeInterval by itself', async () => {
    await withCollector({ writeIntervalMs: 30 }, async (p, packets) => {
      p.newCounter({ name: 'ticks', help: 'h' }).add(2);
      await waitFor(() => lines(packets).includes('ticks:2|c'), 'the periodic flush');
      p.newCounter({ name: 'ticks', help: 'h' }).add(3);
      await waitFor(() => lines(packets).includes('ticks:3|c'), 'the next periodic flush');
    });
  });

  it('sends nothing when nothing was recorded', async () => {
    await withCollector({}, async (p, packets) => {
      p.flush();
      // A marker sent afterwards arrives; nothing arrived before it.
      p.newCounter({ name: 'marker', help: 'h' }).add(1);
      p.flush();
      await waitFor(() => packets.length >= 1, 'the marker');
      assert.deepEqual(packets, ['marker:1|c']);
    });
  });

  it('splits many lines into datagrams under 1432 bytes without cutting a line', async () => {
    await withCollector({ prefix: 'fabric.peer.' }, async (p, packets) => {
      const c = p.newCounter({
        namespace: 'grpc',
        subsystem: 'server',
        name: 'unary_requests_received',
        help: 'h',
        labelNames: ['service', 'method'],
        statsdFormat: '%{#fqname}.%{service}.%{method}',
      });
      const expected: string[] = [];
      for (let i = 0; i < 300; i++) {
        c.add(i + 1, { service: 'protos.Endorser', method: `Method${i}` });
        expected.push(
          `fabric.peer.grpc.server.unary_requests_received.protos_Endorser.Method${i}:${i + 1}|c`,
        );
      }
      p.flush();
      await waitFor(() => lines(packets).length === 300, 'all 300 lines');
      assert.ok(packets.length > 1, `several datagrams (${packets.length})`);
      for (const packet of packets) {
        assert.ok(
          Buffer.byteLength(packet) <= 1432,
          `datagram of ${Buffer.byteLength(packet)} bytes`,
        );
        assert.ok(!packet.startsWith('\n') && !packet.endsWith('\n'));
      }
      assert.deepEqual(lines(packets).sort(), expected.sort());
    });
  });

  it('stop() flushes what is pending before closing the socket', async () => {
    const collector = await udpCollector();
    try {
      const p = new StatsdProvider({
        network: 'udp',
        host: '127.0.0.1',
        port: collector.port,
        writeIntervalMs: 60_000,
        prefix: '',
      });
      await p.start();
      // A first flush, so that the socket is bound and the last send is not queued behind a bind.
      p.newCounter({ name: 'first', help: 'h' }).add(1);
      p.flush();
      await waitFor(() => collector.packets.length === 1, 'the first datagram');
      p.newCounter({ name: 'last_words', help: 'h' }).add(9);
      p.newGauge({ name: 'level', help: 'h' }).set(3);
      await p.stop();
      await waitFor(
        () => lines(collector.packets).length === 3,
        'the lines flushed by stop()',
        2000,
      );
      assert.deepEqual(lines(collector.packets.slice(1)).sort(), ['last_words:9|c', 'level:3|g']);
    } finally {
      await collector.close();
    }
  });

  it('stop() before any send, and a collector that is not there, do not throw', async () => {
    const p = new StatsdProvider({
      network: 'udp',
      host: '127.0.0.1',
      port: 9,
      writeIntervalMs: 60_000,
      prefix: '',
    });
    await p.start();
    p.newCounter({ name: 'nobody_listens', help: 'h' }).add(1);
    await p.stop();
    const idle = new StatsdProvider({
      network: 'udp',
      host: '127.0.0.1',
      port: 9,
      writeIntervalMs: 60_000,
      prefix: '',
    });
    await idle.start();
    await idle.stop();
  });
});

describe('StatsdProvider over TCP', { timeout: 30_000 }, () => {
  it('writes newline-terminated lines to the connection, and flushes on stop()', async () => {
    const received: string[] = [];
    let closed = false;
    const server = createServer((socket) => {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => received.push(d));
      socket.on('end', () => {
        closed = true;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    try {
      const p = new StatsdProvider({
        network: 'tcp',
        host: '127.0.0.1',
        port: addr.port,
        writeIntervalMs: 60_000,
        prefix: 'p.',
      });
      await p.start();
      p.newCounter({ name: 'a', help: 'h' }).add(1);
      p.newHistogram({ name: 'b', help: 'h' }).observe(2);
      await p.stop();
      await waitFor(() => closed, 'the connection to end');
      const text = received.join('');
      assert.ok(text.endsWith('\n'), JSON.stringify(text));
      assert.deepEqual(
        text
          .split('\n')
          .filter((l) => l !== '')
          .sort(),
        ['p.a:1|c', 'p.b:2|ms'],
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  it('reconnects when the collector goes away and comes back, and when it was down at start', async () => {
    // A collector that keeps what it receives and can be stopped (its connections cut) and restarted.
    const received: string[] = [];
    const sockets = new Set<Socket>();
    let server = createServer();
    const listen = async (port: number) => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => received.push(d));
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      const addr = server.address();
      assert.ok(addr !== null && typeof addr === 'object');
      return addr.port;
    };
    const down = async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    const port = await listen(0);
    await down(); // down when the peer starts
    const p = new StatsdProvider({
      network: 'tcp',
      host: '127.0.0.1',
      port,
      writeIntervalMs: 20,
      prefix: '',
    });
    // A gauge is sent at every interval, so it shows when lines flow again.
    const level = p.newGauge({ name: 'level', help: 'h' });
    const seen = (n: number) => received.join('').split('\n').includes(`level:${n}|g`);
    try {
      await p.start();
      level.set(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(received.length, 0);
      await listen(port);
      level.set(2);
      await waitFor(() => seen(2), 'a line after the collector came up');

      await down();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await listen(port);
      level.set(3);
      await waitFor(() => seen(3), 'a line after the collector came back');
    } finally {
      await p.stop();
      await down();
    }
  });
});
