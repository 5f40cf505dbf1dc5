import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConnection, parseGoDuration, RemoteRuntimeError } from '../src/index.js';

const ID = 'basic_1.0:abc';
const parse = (json: unknown, config: Record<string, unknown> = {}) =>
  parseConnection(ID, Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)), config);

function refused(problem: string | RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof RemoteRuntimeError, String(err));
    assert.equal(err.code, 'INVALID_CONNECTION');
    if (typeof problem === 'string')
      assert.equal(err.message, `connection.json of chaincode ${ID}: ${problem}`);
    else assert.match(err.message, problem);
    return true;
  };
}

describe('connection.json', () => {
  it('reads what Fabric reads', () => {
    const table: [unknown, unknown][] = [
      [{ address: 'cc.example.com:9999' }, { address: 'cc.example.com:9999', dialTimeoutMs: 3000 }],
      [
        { address: '127.0.0.1:7052', dial_timeout: '10s' },
        { address: '127.0.0.1:7052', dialTimeoutMs: 10_000 },
      ],
      [
        { address: '[::1]:7052', dial_timeout: '1m30s' },
        { address: '[::1]:7052', dialTimeoutMs: 90_000 },
      ],
      [
        { address: 'h:1', dial_timeout: '500ms' },
        { address: 'h:1', dialTimeoutMs: 500 },
      ],
      [
        { address: 'h:1', dial_timeout: '0' },
        { address: 'h:1', dialTimeoutMs: 3000 },
      ],
      [
        { address: 'h:1', dial_timeout: '' },
        { address: 'h:1', dialTimeoutMs: 3000 },
      ],
      // Go decodes a JSON number as nanoseconds.
      [
        { address: 'h:1', dial_timeout: 2_000_000_000 },
        { address: 'h:1', dialTimeoutMs: 2000 },
      ],
      // Without tls_required the TLS fields are ignored.
      [
        { address: 'h:1', tls_required: false, client_auth_required: true, root_cert: 'x' },
        { address: 'h:1', dialTimeoutMs: 3000 },
      ],
      [
        { address: 'h:1', tls_required: true, root_cert: 'ROOT' },
        {
          address: 'h:1',
          dialTimeoutMs: 3000,
          tls: { clientAuthRequired: false, rootCert: 'ROOT' },
        },
      ],
      [
        {
          address: 'h:1',
          tls_required: 'true',
          client_auth_required: 'true',
          client_key: 'KEY',
          client_cert: 'CERT',
          root_cert: 'ROOT',
        },
        {
          address: 'h:1',
          dialTimeoutMs: 3000,
          tls: { clientAuthRequired: true, clientKey: 'KEY', clientCert: 'CERT', rootCert: 'ROOT' },
        },
      ],
    ];
    for (const [json, expected] of table)
      assert.deepEqual(parse(json), expected, JSON.stringify(json));
  });

  it("fills {{.key}} templates as Fabric's ccaas_builder does", () => {
    assert.deepEqual(
      parse(
        { address: '{{.peername}}_basic:{{ .port }}', dial_timeout: '{{.timeout}}' },
        { peername: 'peer0org1', port: 9999, timeout: '7s' },
      ),
      { address: 'peer0org1_basic:9999', dialTimeoutMs: 7000 },
    );
    assert.throws(
      () => parse({ address: '{{.host}}:1' }),
      refused(
        'the address template refers to "host", which CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG does not set',
      ),
    );
    assert.throws(
      () => parse({ address: '{{if .x}}h{{end}}:1' }, { x: 1 }),
      refused(/is not a \{\{\.key\}\} reference/),
    );
  });

  it("refuses what Fabric refuses, in Fabric's words", () => {
    assert.throws(() => parse({}), refused('chaincode address not provided'));
    assert.throws(() => parse({ address: '' }), refused('chaincode address not provided'));
    assert.throws(
      () => parse({ address: 'h:1', tls_required: true }),
      refused('chaincode tls root cert not provided'),
    );
    assert.throws(
      () =>
        parse({
          address: 'h:1',
          tls_required: true,
          client_auth_required: true,
          root_cert: 'R',
          client_cert: 'C',
        }),
      refused('chaincode tls key not provided'),
    );
    assert.throws(
      () =>
        parse({
          address: 'h:1',
          tls_required: true,
          client_auth_required: true,
          root_cert: 'R',
          client_key: 'K',
        }),
      refused('chaincode tls cert not provided'),
    );
  });

  it('refuses malformed JSON, addresses, durations and flags', () => {
    assert.throws(
      () => parse('{"address": '),
      refused(/^connection\.json of chaincode .*: malformed chaincode info \(/),
    );
    assert.throws(() => parse('[]'), refused('malformed chaincode info (not a JSON object)'));
    for (const address of ['localhost', 'h:', ':9', 'h:99999', 'h:0', 'h:1:2', 'http://h:1']) {
      assert.throws(
        () => parse({ address }),
        refused(`address "${address}" is not <host>:<port>`),
        address,
      );
    }
    for (const d of ['10', 'ten seconds', '10x', '.s', '1h-5m']) {
      assert.throws(
        () => parse({ address: 'h:1', dial_timeout: d }),
        refused(
          `invalid duration "${d}" for dial_timeout (a Go duration such as "10s", "500ms", "1m")`,
        ),
        d,
      );
    }
    assert.throws(
      () => parse({ address: 'h:1', dial_timeout: '-1s' }),
      refused('dial_timeout must not be negative'),
    );
    assert.throws(
      () => parse({ address: 'h:1', dial_timeout: true }),
      refused('invalid duration for dial_timeout'),
    );
    assert.throws(
      () => parse({ address: 'h:1', tls_required: 'yes' }),
      refused('tls_required must be true or false'),
    );
    assert.throws(() => parse({ address: 7 }), refused('address must be a string'));
  });

  it('parses Go durations as time.ParseDuration does', () => {
    const table: [string, number | undefined][] = [
      ['0', 0],
      ['1ns', 1e-6],
      ['1.5s', 1500],
      ['.5s', 500],
      ['2h45m', 9_900_000],
      ['1µs', 0.001],
      ['-3s', -3000],
      ['+3s', 3000],
      ['', undefined],
      ['3', undefined],
      ['s', undefined],
      ['3 s', undefined],
    ];
    for (const [text, ms] of table) assert.equal(parseGoDuration(text), ms, text);
  });
});
