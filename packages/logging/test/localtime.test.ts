// Node re-reads the time zone when process.env.TZ is assigned; node --test runs each file in its
// own process, so this does not leak into other files.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compileGoLayout } from '../src/golayout.js';
import { LoggingSystem } from '../src/index.js';

const when = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 120));

void test('local mode prints the local time and a numeric zone where there is no abbreviation', () => {
  process.env['TZ'] = 'Asia/Kolkata';
  const render = compileGoLayout('2006-01-02 15:04:05.000 MST|-07:00|Z0700', 'local');
  assert.equal(render(when), '2024-03-05 19:37:09.120 +0530|+05:30|+0530');
});

void test('local mode prints the abbreviation in force at each instant', () => {
  process.env['TZ'] = 'America/New_York';
  const render = compileGoLayout('Jan 2 15:04 MST Z07:00', 'local');
  assert.equal(render(new Date(Date.UTC(2024, 0, 2, 12, 0))), 'Jan 2 07:00 EST -05:00');
  assert.equal(render(new Date(Date.UTC(2024, 6, 2, 12, 0))), 'Jul 2 08:00 EDT -04:00');
});

void test('local is the default for text formats; Etc zones show as numbers', () => {
  process.env['TZ'] = 'Etc/GMT+3';
  const lines: string[] = [];
  const system = new LoggingSystem({
    clock: () => when,
    writer: { write: (chunk: string) => void lines.push(chunk) },
  });
  system.logger('peer').info('hi');
  assert.deepEqual(lines, ['2024-03-05 11:07:09.120 -03 0001 INFO [peer] peer -> hi\n']);
});
