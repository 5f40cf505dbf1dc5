import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  formatLogSpec,
  isValidLoggerName,
  levelFor,
  LogSpecError,
  parseLogSpec,
  parseLevel,
} from '../src/index.js';

const modules = (spec: string): Record<string, string> =>
  Object.fromEntries(parseLogSpec(spec).modules);

void describe('parseLogSpec: valid specs', () => {
  void test('an empty spec means info for everything', () => {
    const spec = parseLogSpec('');
    assert.equal(spec.defaultLevel, 'info');
    assert.equal(spec.modules.size, 0);
  });

  void test('a term without "=" sets the default level', () => {
    assert.equal(parseLogSpec('debug').defaultLevel, 'debug');
    assert.equal(parseLogSpec('error').defaultLevel, 'error');
    assert.equal(parseLogSpec('dpanic').defaultLevel, 'dpanic');
    assert.equal(parseLogSpec('panic').defaultLevel, 'panic');
    assert.equal(parseLogSpec('fatal').defaultLevel, 'fatal');
  });

  void test('level names are case-insensitive and warning means warn', () => {
    for (const name of ['DEBUG', 'Debug', 'dEbUg'])
      assert.equal(parseLogSpec(name).defaultLevel, 'debug');
    for (const name of ['warn', 'WARN', 'warning', 'Warning']) {
      assert.equal(parseLogSpec(name).defaultLevel, 'warn');
    }
    assert.deepEqual(modules('gossip=ERROR'), { gossip: 'error' });
  });

  void test("Fabric's other level names are accepted: payload, notice (info), critical (error)", () => {
    assert.equal(parseLevel('payload'), 'payload');
    assert.equal(parseLevel('NOTICE'), 'info');
    assert.equal(parseLevel('critical'), 'error');
    assert.equal(parseLevel('verbose'), undefined);
  });

  void test('"mod1,mod2=level" sets each listed module', () => {
    const spec = parseLogSpec('warn:gossip,msp=debug:core.plugins=error');
    assert.equal(spec.defaultLevel, 'warn');
    assert.deepEqual(Object.fromEntries(spec.modules), {
      gossip: 'debug',
      msp: 'debug',
      'core.plugins': 'error',
    });
  });

  void test('the later of two terms for the same module wins', () => {
    assert.deepEqual(modules('gossip=debug:gossip=error'), { gossip: 'error' });
    assert.deepEqual(modules('gossip,msp=debug:msp=warn'), { gossip: 'debug', msp: 'warn' });
  });

  void test('the later of two default terms wins, wherever the module terms are', () => {
    assert.equal(parseLogSpec('debug:warn').defaultLevel, 'warn');
    assert.equal(parseLogSpec('gossip=debug:error').defaultLevel, 'error');
    assert.equal(parseLogSpec('error:gossip=debug').defaultLevel, 'error');
  });

  void test('an empty term sets the default back to info, as in Fabric', () => {
    assert.equal(parseLogSpec('debug:').defaultLevel, 'info');
    assert.equal(parseLogSpec(':debug').defaultLevel, 'debug');
  });

  void test('module names keep their case and may use _ # - and digits', () => {
    assert.deepEqual(modules('Gossip_2#a-b.x=debug'), { 'Gossip_2#a-b.x': 'debug' });
  });
});

void describe('parseLogSpec: invalid specs', () => {
  const cases: [spec: string, term: string, says: RegExp][] = [
    ['loud', 'loud', /"loud" is not a level/],
    ['info:gossip=loud', 'gossip=loud', /"loud" is not a level/],
    ['=debug', '=debug', /no module named/],
    ['gossip=', 'gossip=', /"" is not a level/],
    ['a=b=c', 'a=b=c', /more than one "="/],
    ['gossip..comm=debug', 'gossip..comm=debug', /"gossip..comm" is not a module name/],
    ['.gossip=debug', '.gossip=debug', /".gossip" is not a module name/],
    ['a,,b=debug', 'a,,b=debug', /"" is not a module name/],
    [' gossip=debug', ' gossip=debug', /" gossip" is not a module name/],
    ['gossip=debug:bogus', 'bogus', /"bogus" is not a level/],
    ['gossip comm=info', 'gossip comm=info', /not a module name/],
  ];
  for (const [spec, term, says] of cases) {
    void test(`${JSON.stringify(spec)} is rejected, naming ${JSON.stringify(term)}`, () => {
      assert.throws(
        () => parseLogSpec(spec),
        (err: unknown) => {
          assert.ok(err instanceof LogSpecError);
          assert.equal(err.code, 'LOG_SPEC_INVALID');
          assert.equal(err.spec, spec);
          assert.equal(err.term, term);
          assert.match(err.message, says);
          assert.ok(err.message.includes(`in term ${JSON.stringify(term)}`), err.message);
          assert.ok(err.message.includes(JSON.stringify(spec)), err.message);
          return true;
        },
      );
    });
  }

  void test('the source, when given, leads the message', () => {
    assert.throws(
      () => parseLogSpec('nope', 'FABRIC_LOGGING_SPEC'),
      /^LogSpecError: FABRIC_LOGGING_SPEC: invalid/,
    );
    assert.throws(
      () => parseLogSpec('nope', 'FABRIC_LOGGING_SPEC'),
      (err: unknown) =>
        err instanceof LogSpecError && err.details['source'] === 'FABRIC_LOGGING_SPEC',
    );
  });
});

void describe('levelFor: which term applies to a logger', () => {
  const spec = parseLogSpec('warn:gossip=debug:gossip.comm=error:core.plugins=info');

  void test('a module level covers the module and its dotted sub-modules', () => {
    assert.equal(levelFor(spec, 'gossip'), 'debug');
    assert.equal(levelFor(spec, 'gossip.state'), 'debug');
    assert.equal(levelFor(spec, 'gossip.state.transfer'), 'debug');
    assert.equal(levelFor(spec, 'core.plugins.loader'), 'info');
  });

  void test('the most specific module wins', () => {
    assert.equal(levelFor(spec, 'gossip.comm'), 'error');
    assert.equal(levelFor(spec, 'gossip.comm.conn'), 'error');
  });

  void test('a name that only starts with the module text is not a sub-module', () => {
    assert.equal(levelFor(spec, 'gossipx'), 'warn');
    assert.equal(levelFor(spec, 'gossip_comm'), 'warn');
  });

  void test('a parent is not covered by its sub-module, and others get the default', () => {
    assert.equal(levelFor(spec, 'core'), 'warn');
    assert.equal(levelFor(spec, 'msp'), 'warn');
  });

  void test('a module written with a trailing "." covers that module only', () => {
    const exact = parseLogSpec('gossip.=debug');
    assert.equal(levelFor(exact, 'gossip'), 'debug');
    assert.equal(levelFor(exact, 'gossip.comm'), 'info');
    const both = parseLogSpec('gossip=warn:gossip.=debug');
    assert.equal(levelFor(both, 'gossip'), 'debug');
    assert.equal(levelFor(both, 'gossip.comm'), 'warn');
  });
});

void describe('formatLogSpec: Fabric normalized form', () => {
  void test('sorts module terms and puts the default last', () => {
    assert.equal(
      formatLogSpec(parseLogSpec('msp=WARNING:gossip,a.b=debug:error')),
      'a.b=debug:gossip=debug:msp=warn:error',
    );
    assert.equal(formatLogSpec(parseLogSpec('')), 'info');
  });

  void test('parsing the normalized form gives the same levels', () => {
    const original = parseLogSpec('fatal:x.y=debug:gossip=warn:gossip=error');
    const again = parseLogSpec(formatLogSpec(original));
    assert.equal(again.defaultLevel, 'fatal');
    assert.deepEqual(Object.fromEntries(again.modules), Object.fromEntries(original.modules));
  });
});

void test('isValidLoggerName follows Fabric: dotted segments of letters, digits, _ # : -', () => {
  for (const name of ['gossip', 'gossip.comm', 'node.grpc', 'a-b_c#d:e', 'X1']) {
    assert.equal(isValidLoggerName(name), true, name);
  }
  for (const name of ['', '.', 'a.', '.a', 'a..b', 'a b', 'a=b', 'a,b', 'é']) {
    assert.equal(isValidLoggerName(name), false, name);
  }
});
