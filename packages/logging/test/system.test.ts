import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  LoggerNameError,
  LogFormatError,
  LoggingSystem,
  LogSpecError,
  type LoggingOptions,
} from '../src/index.js';

/** A system that writes `<module> <LEVEL> <message> <fields>` lines into an array. */
function setup(options: LoggingOptions = {}) {
  const lines: string[] = [];
  const system = new LoggingSystem({
    format: '%{module} %{level} %{message}',
    clock: () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
    timeZone: 'utc',
    writer: { write: (chunk: string) => void lines.push(chunk) },
    ...options,
  });
  return { system, lines };
}

void describe('level filtering', () => {
  void test('by default (info) debug is dropped and info, warn and error are written', () => {
    const { system, lines } = setup();
    const log = system.logger('peer');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    assert.deepEqual(lines, ['peer INFO i\n', 'peer WARN w\n', 'peer ERROR e\n']);
    assert.equal(system.spec(), 'info');
  });

  void test('each module follows its own term, sub-modules included', () => {
    const { system, lines } = setup({ spec: 'warn:gossip=debug:gossip.comm=error' });
    system.logger('gossip').debug('g');
    system.logger('gossip.state').debug('gs');
    system.logger('gossip.comm').warn('dropped');
    system.logger('gossip.comm').error('gc');
    system.logger('msp').info('dropped');
    system.logger('msp').warn('m');
    assert.deepEqual(lines, [
      'gossip DEBUG g\n',
      'gossip.state DEBUG gs\n',
      'gossip.comm ERROR gc\n',
      'msp WARN m\n',
    ]);
  });

  void test('isEnabled reports what the active spec lets through', () => {
    const { system } = setup({ spec: 'error:core=debug' });
    const core = system.logger('core.plugins');
    const other = system.logger('ledger');
    assert.equal(core.isEnabled('debug'), true);
    assert.equal(core.isEnabled('payload'), false);
    assert.equal(other.isEnabled('warn'), false);
    assert.equal(other.isEnabled('error'), true);
    assert.equal(other.isEnabled('fatal'), true);
  });

  void test('payload enables debug; fatal silences error', () => {
    const { system, lines } = setup({ spec: 'payload:quiet=fatal' });
    system.logger('loud').debug('shown');
    system.logger('quiet').error('hidden');
    system.logger('quiet').log('fatal', 'last words');
    assert.deepEqual(lines, ['loud DEBUG shown\n', 'quiet FATAL last words\n']);
  });

  void test('log() writes dpanic, panic and fatal without throwing or exiting', () => {
    const { system, lines } = setup();
    const log = system.logger('x');
    for (const level of ['dpanic', 'panic', 'fatal'] as const) log.log(level, level);
    log.log('debug', 'dropped');
    assert.deepEqual(lines, ['x DPANIC dpanic\n', 'x PANIC panic\n', 'x FATAL fatal\n']);
  });

  void test('levelOf gives the effective level of any module', () => {
    const { system } = setup({ spec: 'gossip=debug' });
    assert.equal(system.levelOf('gossip.comm'), 'debug');
    assert.equal(system.levelOf('msp'), 'info');
  });
});

void describe('activate and spec', () => {
  void test('activate changes the level of loggers created before it', () => {
    const { system, lines } = setup();
    const log = system.logger('gossip.comm');
    log.debug('before');
    system.activate('gossip=debug');
    log.debug('after');
    system.activate('gossip.comm=error');
    log.warn('dropped again');
    assert.deepEqual(lines, ['gossip.comm DEBUG after\n']);
    assert.equal(log.isEnabled('error'), true);
    assert.equal(log.isEnabled('warn'), false);
  });

  void test('spec() returns the active spec exactly as activated', () => {
    const { system } = setup({ spec: 'Gossip,msp=DEBUG:warning' });
    assert.equal(system.spec(), 'Gossip,msp=DEBUG:warning');
    system.activate('');
    assert.equal(system.spec(), '');
    assert.equal(system.levelOf('anything'), 'info');
    system.activate('msp=warn:gossip=debug:error');
    assert.equal(system.spec(), 'msp=warn:gossip=debug:error');
    assert.equal(system.normalizedSpec(), 'gossip=debug:msp=warn:error');
  });

  void test('an invalid activate throws, naming the bad term, and keeps the old spec and levels', () => {
    const { system, lines } = setup({ spec: 'warn:gossip=debug' });
    const log = system.logger('gossip');
    assert.throws(
      () => system.activate('debug:gossip=shout'),
      (err: unknown) => err instanceof LogSpecError && err.term === 'gossip=shout',
    );
    assert.equal(system.spec(), 'warn:gossip=debug');
    assert.equal(system.levelOf('msp'), 'warn');
    log.debug('still debug');
    system.logger('msp').info('still dropped');
    assert.deepEqual(lines, ['gossip DEBUG still debug\n']);
  });

  void test('an invalid initial spec stops construction', () => {
    assert.throws(() => new LoggingSystem({ spec: 'x=' }), LogSpecError);
  });
});

void describe('child and with', () => {
  void test('child(sub) logs as parent.sub and follows the sub-module level', () => {
    const { system, lines } = setup({ spec: 'info:node.grpc=debug' });
    const node = system.logger('node');
    const grpc = node.child('grpc');
    assert.equal(grpc.module, 'node.grpc');
    node.debug('dropped');
    grpc.debug('shown');
    assert.equal(grpc.child('server.tls').module, 'node.grpc.server.tls');
    assert.deepEqual(lines, ['node.grpc DEBUG shown\n']);
  });

  void test('with(fields) binds fields to every record; call fields win; the original is unchanged', () => {
    const { system, lines } = setup();
    const base = system.logger('endorser');
    const bound = base.with({ channel: 'mychannel', txid: 'abc' });
    bound.info('one');
    bound.info('two', { txid: 'def', extra: 1 });
    bound.with({ cc: 'basic' }).info('three');
    base.info('four');
    assert.deepEqual(lines, [
      'endorser INFO one channel=mychannel txid=abc\n',
      'endorser INFO two channel=mychannel txid=def extra=1\n',
      'endorser INFO three channel=mychannel txid=abc cc=basic\n',
      'endorser INFO four\n',
    ]);
  });

  void test('a child keeps the bound fields of its parent', () => {
    const { system, lines } = setup();
    system.logger('a').with({ channel: 'ch1' }).child('b').warn('w');
    assert.deepEqual(lines, ['a.b WARN w channel=ch1\n']);
  });

  void test('with() on a filtered logger stays filtered and shares later activations', () => {
    const { system, lines } = setup();
    const bound = system.logger('a').with({ k: 1 });
    bound.debug('dropped');
    system.activate('a=debug');
    bound.debug('shown');
    assert.deepEqual(lines, ['a DEBUG shown k=1\n']);
  });

  void test('invalid logger names are refused', () => {
    const { system } = setup();
    for (const name of ['', 'a..b', '.a', 'a.', 'has space']) {
      assert.throws(
        () => system.logger(name),
        (err: unknown) =>
          err instanceof LoggerNameError &&
          err.code === 'LOGGER_NAME_INVALID' &&
          err.loggerName === name,
      );
    }
    assert.throws(() => system.logger('ok').child(''), LoggerNameError);
  });
});

void describe('sequence, format and writer', () => {
  void test('%{id} counts written records only, per system', () => {
    const { system, lines } = setup({ format: '%{id} %{message}' });
    const log = system.logger('a');
    log.info('one');
    log.debug('not written, not counted');
    log.info('two');
    const other = setup({ format: '%{id} %{message}' });
    other.system.logger('b').info('own sequence');
    assert.deepEqual(lines, ['1 one\n', '2 two\n']);
    assert.deepEqual(other.lines, ['1 own sequence\n']);
  });

  void test('setFormat switches format; an invalid one throws and keeps the current one', () => {
    const { system, lines } = setup();
    const log = system.logger('a');
    system.setFormat('%{level:.1s} %{message}');
    log.info('x');
    assert.throws(() => system.setFormat('%{color:purple}'), LogFormatError);
    assert.equal(system.format(), '%{level:.1s} %{message}');
    log.info('y');
    system.setFormat('');
    assert.equal(system.format().startsWith('%{color}%{time:2006-01-02 15:04:05.000 MST}'), true);
    assert.deepEqual(lines, ['I x\n', 'I y\n']);
  });

  void test('setWriter sends later records to the new writer', () => {
    const { system, lines } = setup();
    const moved: string[] = [];
    system.logger('a').info('first');
    system.setWriter({ write: (chunk: string) => void moved.push(chunk) });
    system.logger('a').info('second');
    assert.deepEqual(lines, ['a INFO first\n']);
    assert.deepEqual(moved, ['a INFO second\n']);
  });

  void test('colour only when the writer is a TTY, unless forced', () => {
    const format = '%{color}%{level}%{color:reset} %{message}';
    const tty: string[] = [];
    const plain: string[] = [];
    const forcedOff: string[] = [];
    new LoggingSystem({ format, writer: { isTTY: true, write: (c: string) => void tty.push(c) } })
      .logger('a')
      .error('e');
    new LoggingSystem({
      format,
      writer: { isTTY: false, write: (c: string) => void plain.push(c) },
    })
      .logger('a')
      .error('e');
    new LoggingSystem({
      format,
      color: false,
      writer: { isTTY: true, write: (c: string) => void forcedOff.push(c) },
    })
      .logger('a')
      .error('e');
    assert.deepEqual(tty, ['\x1b[31mERROR\x1b[0m e\n']);
    assert.deepEqual(plain, ['ERROR e\n']);
    assert.deepEqual(forcedOff, ['ERROR e\n']);
  });

  void test('a field that cannot be rendered does not lose the record or throw', () => {
    const { system, lines } = setup({ format: 'json' });
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    system.logger('a').info('still here', { hostile });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(record['msg'], 'still here');
    assert.equal(record['hostile'], '[unserializable: no]');
  });
});
