import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxGrowingFailures, retryDelayMs } from '../src/backoff.js';

describe('reconnection backoff', () => {
  const fabric = { initialDelayMs: 100, maxDelayMs: 3_600_000 };

  it('grows by 1.2 from 100 ms in whole milliseconds, as Fabric', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelayMs(n, fabric)),
      [100, 120, 144, 172, 207],
    );
    assert.equal(retryDelayMs(0, fabric), 0);
  });

  it('pins the wait to the ceiling once it would pass it', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
    // 100 × 1.2^12 ≈ 891 ≤ 1000 < 100 × 1.2^13.
    assert.equal(maxGrowingFailures(options), 12);
    assert.equal(retryDelayMs(13, options), 891);
    assert.equal(retryDelayMs(14, options), 1_000);
    assert.equal(retryDelayMs(100, options), 1_000);
    // With the default ceiling of an hour, the wait stops growing after 57 failures.
    assert.equal(maxGrowingFailures(fabric), 57);
    assert.equal(retryDelayMs(59, fabric), 3_600_000);
  });

  it('never waits longer than the ceiling, even when it is below the first wait', () => {
    assert.equal(retryDelayMs(1, { initialDelayMs: 100, maxDelayMs: 50 }), 50);
    assert.equal(retryDelayMs(5, { initialDelayMs: 100, maxDelayMs: 50 }), 50);
  });
});
