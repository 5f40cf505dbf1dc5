/** Go's time.ParseDuration, which decides whether a BatchTimeout is valid. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseGoDuration } from '../src/index.js';

void describe('Go durations', () => {
  void test('accepted, with their value in nanoseconds', () => {
    const cases: [string, bigint][] = [
      ['0', 0n],
      ['-0', 0n],
      ['+0', 0n],
      ['0s', 0n],
      ['250ms', 250_000_000n],
      ['2s', 2_000_000_000n],
      ['1.5h', 5_400_000_000_000n],
      ['2h45m', 9_900_000_000_000n],
      ['1h2m3s4ms5us6ns', 3_723_004_005_006n],
      ['1\u00b5s', 1_000n],
      ['1\u03bcs', 1_000n],
      ['.5s', 500_000_000n],
      ['5.s', 5_000_000_000n],
      ['-1.5s', -1_500_000_000n],
      ['0.000000001s', 1n],
      ['0.0000000019s', 1n], // float truncation, as Go
      ['9223372036854775807ns', 9_223_372_036_854_775_807n],
      ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
    ];
    for (const [text, nanos] of cases) assert.equal(parseGoDuration(text), nanos, text);
  });

  void test('refused, with Go’s messages', () => {
    const cases: [string, string][] = [
      ['', 'time: invalid duration ""'],
      ['1', 'time: missing unit in duration "1"'],
      ['1d', 'time: unknown unit "d" in duration "1d"'],
      ['.s', 'time: invalid duration ".s"'],
      ['-', 'time: invalid duration "-"'],
      ['s', 'time: invalid duration "s"'],
      ['1s ', 'time: unknown unit "s " in duration "1s "'],
      ['1S', 'time: unknown unit "S" in duration "1S"'],
      ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
      ['3000000h', 'time: invalid duration "3000000h"'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseGoDuration(text), { message }, text);
    }
  });
});
