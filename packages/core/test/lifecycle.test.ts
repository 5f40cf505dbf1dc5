import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '@fabric-peer/api';
import { recordingLoggers } from '@fabric-peer/testkit';
import { LifecycleError, LifecycleManager, orderServices } from '../src/lifecycle.js';

function svc(
  name: string,
  log: string[],
  opts: { deps?: string[]; failStart?: boolean; hangStop?: boolean } = {},
): Service {
  return {
    name,
    ...(opts.deps ? { dependsOn: opts.deps } : {}),
    start: () => {
      log.push(`start ${name}`);
      return opts.failStart ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve();
    },
    stop: () => {
      log.push(`stop ${name}`);
      return opts.hangStop ? new Promise<void>(() => undefined) : Promise.resolve();
    },
  };
}

describe('orderServices', () => {
  it('puts dependencies first and keeps input order otherwise', () => {
    const log: string[] = [];
    const order = orderServices([
      svc('c', log, { deps: ['a'] }),
      svc('a', log),
      svc('b', log),
      svc('d', log, { deps: ['c', 'b'] }),
    ]);
    assert.deepEqual(
      order.map((s) => s.name),
      ['a', 'c', 'b', 'd'],
    );
  });

  it('names a cycle', () => {
    const log: string[] = [];
    assert.throws(
      () =>
        orderServices([
          svc('a', log, { deps: ['b'] }),
          svc('b', log, { deps: ['c'] }),
          svc('c', log, { deps: ['a'] }),
        ]),
      (e: unknown) =>
        e instanceof LifecycleError &&
        e.code === 'SERVICE_CYCLE' &&
        /a → b → c → a/.test(e.message),
    );
  });

  it('names an unknown dependency and the services that exist', () => {
    const log: string[] = [];
    assert.throws(
      () => orderServices([svc('a', log, { deps: ['ghost'] })]),
      /service "a" depends on "ghost", which is not bound \(bound: a\)/,
    );
  });

  it('refuses two services with one name', () => {
    const log: string[] = [];
    assert.throws(
      () => orderServices([svc('a', log), svc('a', log)]),
      /two services are named "a"/,
    );
  });
});

describe('LifecycleManager', () => {
  it('stops what started, in reverse, when a later service fails to start', async () => {
    const log: string[] = [];
    const lc = new LifecycleManager(
      [svc('a', log), svc('b', log), svc('c', log, { failStart: true }), svc('d', log)],
      recordingLoggers().factory('t'),
      { stopTimeoutMs: 1000 },
    );
    await assert.rejects(
      lc.start(),
      (e: unknown) =>
        e instanceof LifecycleError && e.details['service'] === 'c' && e.message === 'c: c broke',
    );
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop b', 'stop a']);
  });

  it('bounds stop time when a service hangs, and still stops the rest', async () => {
    const log: string[] = [];
    const { factory, records } = recordingLoggers();
    const lc = new LifecycleManager(
      [svc('a', log), svc('b', log, { hangStop: true })],
      factory('t'),
      { stopTimeoutMs: 200 },
    );
    await lc.start();
    const t0 = Date.now();
    await lc.stop();
    const took = Date.now() - t0;
    assert.ok(took < 1000, `stop took ${took} ms`);
    assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a']);
    assert.ok(records.some((r) => r.level === 'warn' && r.fields?.['service'] === 'b'));
  });

  it('returns the same stop for repeated calls', async () => {
    const log: string[] = [];
    const lc = new LifecycleManager([svc('a', log)], recordingLoggers().factory('t'), {
      stopTimeoutMs: 100,
    });
    await lc.start();
    await Promise.all([lc.stop(), lc.stop()]);
    assert.deepEqual(log, ['start a', 'stop a']);
  });
});
