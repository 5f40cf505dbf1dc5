import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Long } from '@fabric-peer/protos';
import { goDuration, rfc3339, toNanos } from '../src/go-time.js';

describe('goDuration', () => {
  it('prints durations as Go’s time.Duration.String', () => {
    // Cases from Go's own time package tests.
    const cases: [bigint, string][] = [
      [0n, '0s'],
      [1n, '1ns'],
      [1_100n, '1.1µs'],
      [2_200_000n, '2.2ms'],
      [3_300_000_000n, '3.3s'],
      [245_000_000_000n, '4m5s'],
      [245_001_000_000n, '4m5.001s'],
      [18_367_001_000_000n, '5h6m7.001s'],
      [480_000_000_001n, '8m0.000000001s'],
      [900_000_000_000n, '15m0s'],
      [3_600_000_000_000n, '1h0m0s'],
      [-1_000_000n, '-1ms'],
      [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
    ];
    for (const [ns, text] of cases) assert.equal(goDuration(ns), text, `${ns}ns`);
  });
});

describe('rfc3339', () => {
  it('formats as Go’s time.RFC3339 in UTC, dropping fractions of a second', () => {
    assert.equal(rfc3339(0n), '1970-01-01T00:00:00Z');
    assert.equal(rfc3339(toNanos(1_748_779_200, 999_999_999)), '2025-06-01T12:00:00Z');
    assert.equal(rfc3339(toNanos(951_825_600, 0)), '2000-02-29T12:00:00Z');
    assert.equal(rfc3339(-1n), '1969-12-31T23:59:59Z');
    assert.equal(rfc3339(toNanos(-62_135_596_800, 0)), '0001-01-01T00:00:00Z');
    assert.equal(rfc3339(toNanos(-62_198_755_200, 0)), '-0001-01-01T00:00:00Z');
  });

  it('agrees with Date for instants a Date holds', () => {
    for (const ms of [0, 1, 86_399_999, 1_700_000_000_123, -1_234_567_890_123, 4_102_444_800_000]) {
      const expected = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
      assert.equal(rfc3339(BigInt(ms) * 1_000_000n), expected, String(ms));
    }
  });
});

describe('toNanos', () => {
  it('reads int64 seconds exactly and carries nanos as time.Unix does', () => {
    assert.equal(
      toNanos(Long.fromString('9007199254740993'), 0),
      9_007_199_254_740_993_000_000_000n,
    );
    assert.equal(toNanos(10, -1), 9_999_999_999n);
    assert.equal(toNanos(10, 1_500_000_000), 11_500_000_000n);
  });
});
