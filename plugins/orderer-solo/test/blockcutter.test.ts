import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { BlockCutter, messageSizeBytes, type BatchSize } from '../src/index.js';

/** An envelope of `size` bytes as Fabric counts them (payload + signature). */
function env(size: number, tag = 0): common.Envelope {
  const payload = new Uint8Array(size - 2).fill(tag);
  return common.Envelope.create({ payload, signature: new Uint8Array(2) });
}

function cutter(batch: BatchSize, fills: number[] = []): BlockCutter {
  return new BlockCutter(
    () => batch,
    (s) => fills.push(s),
  );
}

describe('BlockCutter (Fabric blockcutter rules)', () => {
  it('counts payload and signature bytes', () => {
    assert.equal(messageSizeBytes(env(100)), 100);
  });

  it('cuts when MaxMessageCount is reached', () => {
    const c = cutter({ maxMessageCount: 3, absoluteMaxBytes: 1000, preferredMaxBytes: 500 });
    assert.deepEqual(c.ordered(env(10, 1)), { batches: [], pending: true });
    assert.deepEqual(c.ordered(env(10, 2)), { batches: [], pending: true });
    const third = c.ordered(env(10, 3));
    assert.equal(third.pending, false);
    assert.equal(third.batches.length, 1);
    assert.deepEqual(
      third.batches[0]!.map((e) => e.payload[0]),
      [1, 2, 3],
    );
    assert.equal(c.pendingCount, 0);
  });

  it('cuts the pending batch before a message that would overflow PreferredMaxBytes', () => {
    const c = cutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
    c.ordered(env(40, 1));
    c.ordered(env(40, 2));
    const r = c.ordered(env(40, 3)); // 120 > 100: [1, 2] goes, 3 waits
    assert.equal(r.pending, true);
    assert.deepEqual(
      r.batches.map((b) => b.map((e) => e.payload[0])),
      [[1, 2]],
    );
    assert.equal(c.pendingCount, 1);
  });

  it('exactly PreferredMaxBytes still fits', () => {
    const c = cutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
    c.ordered(env(50, 1));
    const r = c.ordered(env(50, 2));
    assert.deepEqual(r, { batches: [], pending: true });
    assert.equal(c.pendingCount, 2);
  });

  it('isolates a message larger than PreferredMaxBytes, cutting what is pending first', () => {
    const fills: number[] = [];
    const c = cutter(
      { maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 },
      fills,
    );
    c.ordered(env(30, 1));
    const r = c.ordered(env(101, 2));
    assert.equal(r.pending, false);
    assert.deepEqual(
      r.batches.map((b) => b.map((e) => e.payload[0])),
      [[1], [2]],
    );
    assert.equal(c.pendingCount, 0);
    assert.equal(fills.length, 2, 'one fill duration per batch');
    assert.equal(fills[1], 0, 'the isolated batch took no time to fill');
  });

  it('isolates a large message alone when nothing is pending', () => {
    const c = cutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
    const r = c.ordered(env(200, 7));
    assert.deepEqual(
      r.batches.map((b) => b.map((e) => e.payload[0])),
      [[7]],
    );
  });

  it('cut() hands over the pending batch and starts a new one', () => {
    const c = cutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 500 });
    assert.deepEqual(c.cut(), []);
    c.ordered(env(10, 1));
    c.ordered(env(10, 2));
    assert.deepEqual(
      c.cut().map((e) => e.payload[0]),
      [1, 2],
    );
    assert.deepEqual(c.cut(), []);
    // The byte count starts again too: 60 + 60 > 100 only if the old bytes were kept.
    const d = cutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
    d.ordered(env(60, 1));
    d.cut();
    assert.deepEqual(d.ordered(env(60, 2)), { batches: [], pending: true });
  });

  it('reads the batch size at every message (a config update applies to the next one)', () => {
    let batch: BatchSize = { maxMessageCount: 5, absoluteMaxBytes: 1000, preferredMaxBytes: 500 };
    const c = new BlockCutter(() => batch);
    c.ordered(env(10, 1));
    batch = { ...batch, maxMessageCount: 2 };
    const r = c.ordered(env(10, 2));
    assert.equal(r.batches.length, 1);
    assert.equal(r.batches[0]!.length, 2);
  });
});
