import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DEFAULT_FORMAT,
  LogFormatError,
  LoggingSystem,
  type LoggingOptions,
  type LogLevel,
} from '../src/index.js';

/** 2024-01-02T03:04:05.678Z, a Tuesday. */
const clock = (): Date => new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));

function setup(options: LoggingOptions = {}) {
  const lines: string[] = [];
  const system = new LoggingSystem({
    clock,
    timeZone: 'utc',
    writer: { write: (chunk: string) => void lines.push(chunk) },
    ...options,
  });
  return { system, lines };
}

class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

void describe('default text format', () => {
  void test("is Fabric's default format string", () => {
    assert.equal(
      DEFAULT_FORMAT,
      '%{color}%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s}%{color:reset} [%{module}] %{color:bold}%{shortfunc}%{color:reset} -> %{message}',
    );
  });

  void test('renders exactly, without colour for a non-TTY writer', () => {
    const { system, lines } = setup();
    const log = system.logger('gossip.comm');
    log.info('hello world', { peer: 'p1:7051' });
    log.error('bad');
    assert.deepEqual(lines, [
      '2024-01-02 03:04:05.678 UTC 0001 INFO [gossip.comm] gossip.comm -> hello world peer=p1:7051\n',
      '2024-01-02 03:04:05.678 UTC 0002 ERRO [gossip.comm] gossip.comm -> bad\n',
    ]);
  });

  void test('renders exactly, with colour for a TTY writer', () => {
    const lines: string[] = [];
    const system = new LoggingSystem({
      clock,
      timeZone: 'utc',
      writer: { isTTY: true, write: (chunk: string) => void lines.push(chunk) },
    });
    system.logger('peer').warn('careful');
    assert.deepEqual(lines, [
      '\x1b[33m2024-01-02 03:04:05.678 UTC 0001 WARN\x1b[0m [peer] \x1b[33;1mpeer\x1b[0m -> careful\n',
    ]);
  });
});

void describe('text format verbs', () => {
  void test('%{level}, %{level:.4s}, %{color} and %{color:bold} for every level', () => {
    const { system, lines } = setup({
      spec: 'payload',
      color: true,
      format: '%{color}%{level}|%{level:.4s}|%{color:bold}b%{color:reset}',
    });
    const log = system.logger('a');
    const levels: LogLevel[] = [
      'payload',
      'debug',
      'info',
      'warn',
      'error',
      'dpanic',
      'panic',
      'fatal',
    ];
    for (const level of levels) log.log(level, '');
    assert.deepEqual(lines, [
      '\x1b[0mPAYLOAD|PAYL|\x1b[0mb\x1b[0m\n',
      '\x1b[36mDEBUG|DEBU|\x1b[36;1mb\x1b[0m\n',
      '\x1b[34mINFO|INFO|\x1b[34;1mb\x1b[0m\n',
      '\x1b[33mWARN|WARN|\x1b[33;1mb\x1b[0m\n',
      '\x1b[31mERROR|ERRO|\x1b[31;1mb\x1b[0m\n',
      '\x1b[35mDPANIC|DPAN|\x1b[35;1mb\x1b[0m\n',
      '\x1b[35mPANIC|PANI|\x1b[35;1mb\x1b[0m\n',
      '\x1b[35mFATAL|FATA|\x1b[35;1mb\x1b[0m\n',
    ]);
  });

  void test('%{id} with Go integer directives', () => {
    const { system, lines } = setup({
      format: '%{id}|%{id:03x}|%{id:X}|%{id:#x}|%{id:#o}|%{id:b}|%{id:5d}|%{id:-4d}|%{id:+d}',
    });
    const log = system.logger('a');
    for (let i = 0; i < 255; i++) log.info('');
    assert.equal(lines[0], '1|001|1|0x1|01|1|    1|1   |+1\n');
    assert.equal(lines[15], '16|010|10|0x10|020|10000|   16|16  |+16\n');
    assert.equal(lines[254], '255|0ff|FF|0xff|0377|11111111|  255|255 |+255\n');
  });

  void test('%{module}, %{shortfunc} and %{message} with Go string directives', () => {
    const { system, lines } = setup({
      format:
        '[%{module:-12s}][%{module:12s}][%{shortfunc}][%{level:5.1s}][%{message:q}][%{message:.3s}]',
    });
    system.logger('gossip').info('a "b"');
    assert.deepEqual(lines, ['[gossip      ][      gossip][gossip][    I]["a \\"b\\""][a "]\n']);
  });

  void test('%{time} without a layout is RFC 3339 with milliseconds', () => {
    const { system, lines } = setup({ format: '%{time} %{time:15:04:05.000}' });
    system.logger('a').info('');
    assert.deepEqual(lines, ['2024-01-02T03:04:05.678Z 03:04:05.678\n']);
  });

  void test('trailing newlines of the message are dropped; unknown %{verbs} stay as written', () => {
    const { system, lines } = setup({ format: '%{foo} %{message}!' });
    system.logger('a').info('text\n\n');
    assert.deepEqual(lines, ['%{foo} text!\n']);
  });

  void test('fields follow the text as key=value, after a space only if there is text', () => {
    const { system, lines } = setup({ format: '%{message}' });
    system.logger('a').info('', { k: 'v', n: 2 });
    system.logger('a').info('m', { k: 'v' });
    assert.deepEqual(lines, ['k=v n=2\n', 'm k=v\n']);
  });

  void test('field values are quoted and escaped as logfmt values', () => {
    const { system, lines } = setup({ format: '%{message}' });
    const circular: Record<string, unknown> = { name: 'c' };
    circular['self'] = circular;
    system.logger('a').info('m', {
      s: 'x y',
      eq: 'a=b',
      q: 'say "hi"',
      nl: 'a\nb',
      tab: 'a\tb',
      ctl: '\u0001',
      empty: '',
      n: 1.5,
      big: 10n,
      t: true,
      nul: null,
      undef: undefined,
      date: new Date(Date.UTC(2020, 0, 1)),
      bytes: Uint8Array.of(0xde, 0xad),
      map: new Map([['k', 1]]),
      set: new Set([1, 2]),
      arr: [1, 'two'],
      fn: function named() {},
      nan: NaN,
      'bad key=': 'v',
      circular,
    });
    assert.equal(
      lines[0],
      'm s="x y" eq="a=b" q="say \\"hi\\"" nl="a\\nb" tab="a\\tb" ctl="\\u0001" empty= n=1.5 big=10 ' +
        't=true nul=null undef=undefined date=2020-01-01T00:00:00.000Z bytes=dead map="{\\"k\\":1}" ' +
        'set=[1,2] arr="[1,\\"two\\"]" fn="[function named]" nan=NaN badkey=v ' +
        'circular="{\\"name\\":\\"c\\",\\"self\\":\\"[Circular]\\"}"\n',
    );
  });

  void test('bad directives are refused with LogFormatError naming the directive', () => {
    const bad: [format: string, mentions: string][] = [
      ['%{color:blue}', '%{color:blue}'],
      ['%{level:d}', '%{level:d}'],
      ['%{id:s}', '%{id:s}'],
      ['%{module:%5s}', '%{module:%5s}'],
      ['%{message:5}', '%{message:5}'],
    ];
    for (const [format, mentions] of bad) {
      assert.throws(
        () => new LoggingSystem({ format }),
        (err: unknown) =>
          err instanceof LogFormatError &&
          err.code === 'LOG_FORMAT_INVALID' &&
          err.format === format &&
          err.message.includes(JSON.stringify(mentions)),
        format,
      );
    }
  });
});

void describe('json format', () => {
  void test('one JSON object per line: ts, level, name, msg, then the fields', () => {
    const { system, lines } = setup({ format: 'json' });
    system
      .logger('gossip.comm')
      .with({ channel: 'ch1' })
      .info('hello', {
        n: 3,
        ok: true,
        list: [1, 'a'],
        nested: { x: null, big: 2n },
      });
    assert.deepEqual(lines, [
      '{"ts":"2024-01-02T03:04:05.678Z","level":"info","name":"gossip.comm","msg":"hello",' +
        '"channel":"ch1","n":3,"ok":true,"list":[1,"a"],"nested":{"x":null,"big":"2"}}\n',
    ]);
  });

  void test('fields named like the record keys are renamed, not lost', () => {
    const { system, lines } = setup({ format: 'json' });
    system.logger('a').warn('real', { msg: 'field', level: 'x', ts: 1, name: 'n' });
    assert.deepEqual(JSON.parse(lines[0]!), {
      ts: '2024-01-02T03:04:05.678Z',
      level: 'warn',
      name: 'a',
      msg: 'real',
      'fields.msg': 'field',
      'fields.level': 'x',
      'fields.ts': 1,
      'fields.name': 'n',
    });
  });

  void test('the time is UTC even when text formats print local time', () => {
    const { system, lines } = setup({ format: 'json', timeZone: 'local' });
    system.logger('a').info('x');
    assert.equal((JSON.parse(lines[0]!) as { ts: string }).ts, '2024-01-02T03:04:05.678Z');
  });
});

void describe('logfmt format', () => {
  void test('ts, level, name, msg, then the fields, quoted where needed', () => {
    const { system, lines } = setup({ format: 'logfmt' });
    system.logger('gossip.comm').error('hello world', {
      peer: 'p1:7051',
      n: 3,
      quote: 'say "hi"',
      nl: 'a\nb',
      empty: '',
      obj: { a: 1 },
      msg: 'clash',
    });
    assert.deepEqual(lines, [
      'ts=2024-01-02T03:04:05.678Z level=error name=gossip.comm msg="hello world" peer=p1:7051 n=3 ' +
        'quote="say \\"hi\\"" nl="a\\nb" empty= obj="{\\"a\\":1}" fields.msg=clash\n',
    ]);
  });
});

void describe('errors in fields', () => {
  const cause = new Error('ENOSPC');
  const err = new CodedError('disk full', 'E_DISK', { cause });

  void test('text: message, code and cause; no stack unless the module is at debug', () => {
    const { system, lines } = setup({ format: '%{message}' });
    system.logger('ledger').error('failed', { err });
    assert.deepEqual(lines, ['failed err="disk full" err.code=E_DISK err.cause=ENOSPC\n']);
  });

  void test('text: at debug the stacks follow the line, one per error', () => {
    const { system, lines } = setup({ format: '%{message}', spec: 'ledger=debug' });
    system.logger('ledger.blkstorage').error('failed', { err });
    assert.deepEqual(lines, [
      `failed err="disk full" err.code=E_DISK err.cause=ENOSPC\n${err.stack}\n${cause.stack}\n`,
    ]);
  });

  void test('logfmt: at debug the stack is an escaped field on the same line', () => {
    const { system, lines } = setup({ format: 'logfmt', spec: 'debug' });
    system.logger('a').warn('failed', { err });
    const line = lines[0]!;
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.ok(
      line.includes(' err="disk full" err.code=E_DISK err.stack="Error: disk full\\n    at '),
      line,
    );
    assert.ok(line.includes(' err.cause=ENOSPC err.cause.stack="Error: ENOSPC\\n    at '), line);
  });

  void test('json: an object with message, code and cause; the stack only at debug', () => {
    const info = setup({ format: 'json' });
    info.system.logger('a').error('failed', { err, ctx: { inner: err } });
    const record = JSON.parse(info.lines[0]!) as Record<string, unknown>;
    const expected = { message: 'disk full', code: 'E_DISK', cause: { message: 'ENOSPC' } };
    assert.deepEqual(record['err'], expected);
    assert.deepEqual(record['ctx'], { inner: expected });

    const debug = setup({ format: 'json', spec: 'debug' });
    debug.system.logger('a').error('failed', { err });
    const withStack = JSON.parse(debug.lines[0]!) as {
      err: { stack: string; cause: { stack: string } };
    };
    assert.equal(withStack.err.stack, err.stack);
    assert.equal(withStack.err.cause.stack, cause.stack);
  });

  void test('errors without a code render their message alone', () => {
    const { system, lines } = setup({ format: '%{message}' });
    system.logger('a').error('failed', { err: new TypeError('nope') });
    assert.deepEqual(lines, ['failed err=nope\n']);
  });
});
