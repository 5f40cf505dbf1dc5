import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DEFAULT_FORMAT,
  fromEnvironment,
  LogFormatError,
  LoggingSystem,
  LogSpecError,
} from '../src/index.js';

void test('without FABRIC_LOGGING_* the spec is info and the format is the default', () => {
  assert.deepEqual(fromEnvironment({}), { spec: 'info', format: DEFAULT_FORMAT });
  assert.deepEqual(fromEnvironment({ FABRIC_LOGGING_SPEC: '', FABRIC_LOGGING_FORMAT: '' }), {
    spec: 'info',
    format: DEFAULT_FORMAT,
  });
});

void test('FABRIC_LOGGING_SPEC and FABRIC_LOGGING_FORMAT are taken as written', () => {
  assert.deepEqual(
    fromEnvironment({ FABRIC_LOGGING_SPEC: 'WARNING:gossip=debug', FABRIC_LOGGING_FORMAT: 'json' }),
    { spec: 'WARNING:gossip=debug', format: 'json' },
  );
});

void test('CORE_LOGGING_LEVEL is ignored, as in Fabric', () => {
  assert.deepEqual(fromEnvironment({ CORE_LOGGING_LEVEL: 'debug' }).spec, 'info');
});

void test('an invalid FABRIC_LOGGING_SPEC is a start-up error that names the variable and the term', () => {
  assert.throws(
    () => fromEnvironment({ FABRIC_LOGGING_SPEC: 'info:gossip=verbose' }),
    (err: unknown) => {
      assert.ok(err instanceof LogSpecError);
      assert.equal(
        err.message,
        'FABRIC_LOGGING_SPEC: invalid logging spec "info:gossip=verbose": "verbose" is not a level ' +
          '(use debug, info, warn (or warning), error, dpanic, panic, fatal or payload) in term "gossip=verbose"',
      );
      assert.equal(err.details['source'], 'FABRIC_LOGGING_SPEC');
      return true;
    },
  );
});

void test('an invalid FABRIC_LOGGING_FORMAT is a start-up error that names the variable', () => {
  assert.throws(
    () => fromEnvironment({ FABRIC_LOGGING_FORMAT: '%{color:green} %{message}' }),
    (err: unknown) =>
      err instanceof LogFormatError &&
      err.message.startsWith(
        'FABRIC_LOGGING_FORMAT: invalid log format "%{color:green} %{message}"',
      ) &&
      err.message.includes('"%{color:green}"'),
  );
});

void test('the settings build a working system', () => {
  const lines: string[] = [];
  const system = new LoggingSystem({
    ...fromEnvironment({ FABRIC_LOGGING_SPEC: 'warn:msp=debug', FABRIC_LOGGING_FORMAT: 'logfmt' }),
    clock: () => new Date(Date.UTC(2024, 0, 2)),
    writer: { write: (chunk: string) => void lines.push(chunk) },
  });
  system.logger('msp').debug('shown');
  system.logger('gossip').info('dropped');
  assert.equal(system.spec(), 'warn:msp=debug');
  assert.deepEqual(lines, ['ts=2024-01-02T00:00:00.000Z level=debug name=msp msg=shown\n']);
});
