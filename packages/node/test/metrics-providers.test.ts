import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DisabledProvider } from '../src/metrics/disabled.js';
import { fqName, PrometheusProvider } from '../src/metrics/prometheus.js';

describe('fqName', () => {
  it('joins namespace, subsystem and name with underscores, leaving out empty parts', () => {
    assert.equal(
      fqName({ namespace: 'grpc', subsystem: 'server', name: 'x', help: '' }),
      'grpc_server_x',
    );
    assert.equal(
      fqName({ namespace: 'ledger', name: 'blockchain_height', help: '' }),
      'ledger_blockchain_height',
    );
    assert.equal(fqName({ subsystem: 'gossip', name: 'y', help: '' }), 'gossip_y');
    assert.equal(fqName({ namespace: '', subsystem: '', name: 'z', help: '' }), 'z');
  });
});

describe('PrometheusProvider', () => {
  it('refuses one name for two kinds of metric or two label sets', () => {
    const p = new PrometheusProvider();
    p.newCounter({ namespace: 'x', name: 'things', help: 'h', labelNames: ['a'] });
    assert.throws(
      () => p.newGauge({ namespace: 'x', name: 'things', help: 'h', labelNames: ['a'] }),
      /metric x_things already exists as a counter with labels \[a\]; cannot make it a gauge/,
    );
    assert.throws(
      () => p.newCounter({ namespace: 'x', name: 'things', help: 'h', labelNames: ['b'] }),
      /cannot make it a counter with labels \[b\]/,
    );
  });

  it('creates each metric once: the same name gives the same object', async () => {
    const p = new PrometheusProvider();
    const opts = { namespace: 'endorser', name: 'proposals_received', help: 'Proposals received.' };
    const a = p.newCounter(opts);
    const b = p.newCounter({ ...opts });
    assert.equal(a, b);
    assert.notEqual(a, p.newCounter({ ...opts, name: 'successful_proposals' }));
    const g = p.newGauge({
      namespace: 'ledger',
      name: 'blockchain_height',
      help: 'h',
      labelNames: ['channel'],
    });
    assert.equal(
      g,
      p.newGauge({
        namespace: 'ledger',
        name: 'blockchain_height',
        help: 'h',
        labelNames: ['channel'],
      }),
    );
    const h = p.newHistogram({ namespace: 'ledger', name: 'block_processing_time', help: 'h' });
    assert.equal(
      h,
      p.newHistogram({ namespace: 'ledger', name: 'block_processing_time', help: 'h' }),
    );
    // Asking again does not register a second copy in the registry.
    const json = await p.registry.getMetricsAsJSON();
    assert.equal(json.filter((m) => m.name === 'endorser_proposals_received').length, 1);
    assert.equal(json.filter((m) => m.name === 'ledger_blockchain_height').length, 1);
  });

  it('counts, sets and observes, with and without labels', async () => {
    const p = new PrometheusProvider();
    const plain = p.newCounter({
      namespace: 'endorser',
      name: 'proposals_received',
      help: 'Proposals received.',
    });
    plain.add(1);
    plain.add(2);
    const labelled = p.newCounter({
      namespace: 'endorser',
      name: 'endorsement_failures',
      help: 'Failed endorsements.',
      labelNames: ['channel', 'chaincode'],
    });
    labelled.add(1, { channel: 'mychannel', chaincode: 'basic' });
    labelled.add(1, { channel: 'mychannel', chaincode: 'basic' });
    labelled.add(5, { channel: 'other', chaincode: 'basic' });
    const gauge = p.newGauge({
      namespace: 'ledger',
      name: 'blockchain_height',
      help: 'Height.',
      labelNames: ['channel'],
    });
    gauge.set(10, { channel: 'mychannel' });
    gauge.add(2, { channel: 'mychannel' });
    gauge.add(-1, { channel: 'mychannel' });
    const unlabelledGauge = p.newGauge({ name: 'open_things', help: 'Things.' });
    unlabelledGauge.set(4);
    unlabelledGauge.add(1);
    const hist = p.newHistogram({
      namespace: 'ledger',
      name: 'block_processing_time',
      help: 'Time.',
      labelNames: ['channel'],
      buckets: [0.1, 1],
    });
    hist.observe(0.05, { channel: 'mychannel' });
    hist.observe(0.5, { channel: 'mychannel' });
    hist.observe(5, { channel: 'mychannel' });

    const { contentType, body } = await p.exposition();
    assert.match(contentType, /^text\/plain/);
    assert.match(body, /^# HELP endorser_proposals_received Proposals received\.$/m);
    assert.match(body, /^# TYPE endorser_proposals_received counter$/m);
    assert.match(body, /^endorser_proposals_received 3$/m);
    assert.match(
      body,
      /^endorser_endorsement_failures\{channel="mychannel",chaincode="basic"\} 2$/m,
    );
    assert.match(body, /^endorser_endorsement_failures\{channel="other",chaincode="basic"\} 5$/m);
    assert.match(body, /^# TYPE ledger_blockchain_height gauge$/m);
    assert.match(body, /^ledger_blockchain_height\{channel="mychannel"\} 11$/m);
    assert.match(body, /^open_things 5$/m);
    assert.match(body, /^# TYPE ledger_block_processing_time histogram$/m);
    assert.match(body, /^ledger_block_processing_time_bucket\{le="0\.1",channel="mychannel"\} 1$/m);
    assert.match(body, /^ledger_block_processing_time_bucket\{le="1",channel="mychannel"\} 2$/m);
    assert.match(
      body,
      /^ledger_block_processing_time_bucket\{le="\+Inf",channel="mychannel"\} 3$/m,
    );
    assert.match(body, /^ledger_block_processing_time_sum\{channel="mychannel"\} 5\.55$/m);
    assert.match(body, /^ledger_block_processing_time_count\{channel="mychannel"\} 3$/m);
  });

  it('refuses a label the metric does not declare', () => {
    const p = new PrometheusProvider();
    const c = p.newCounter({ name: 'c', help: 'c', labelNames: ['channel'] });
    assert.throws(() => c.add(1, { chaincode: 'x' }), /label/i);
  });

  it('exposes the process and Node.js metrics', async () => {
    const { body } = await new PrometheusProvider().exposition();
    assert.match(body, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.match(body, /^process_cpu_user_seconds_total \d/m);
    assert.match(body, /^process_resident_memory_bytes \d/m);
    assert.match(body, /^nodejs_heap_size_used_bytes \d/m);
    assert.match(body, /^nodejs_eventloop_lag_seconds /m);
  });

  it('keeps each provider’s metrics in its own registry', async () => {
    const a = new PrometheusProvider();
    const b = new PrometheusProvider();
    a.newCounter({ name: 'only_in_a', help: 'a' }).add(1);
    b.newCounter({ name: 'only_in_a', help: 'b' }).add(7);
    assert.match((await a.exposition()).body, /^only_in_a 1$/m);
    assert.match((await b.exposition()).body, /^only_in_a 7$/m);
    assert.notEqual(a.registry, b.registry);
  });
});

describe('DisabledProvider', () => {
  it('hands out metrics that accept everything and record nothing', () => {
    const p = new DisabledProvider();
    const c = p.newCounter();
    const g = p.newGauge();
    const h = p.newHistogram();
    assert.doesNotThrow(() => {
      c.add(1);
      c.add(2, { anything: 'goes' });
      g.set(3);
      g.add(-1, { channel: 'x' });
      h.observe(0.25);
      h.observe(1, { code: 'OK' });
    });
    assert.equal(typeof c.add, 'function');
    assert.equal(typeof g.set, 'function');
    assert.equal(typeof h.observe, 'function');
    // The same inert objects every time: nothing is allocated per metric.
    assert.equal(p.newCounter(), c);
    assert.equal(p.newGauge(), g);
    assert.equal(p.newHistogram(), h);
  });
});
