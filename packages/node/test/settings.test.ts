import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@fabric-peer/api';
import { fakeConfig } from '@fabric-peer/testkit';
import { createMetricsProvider } from '../src/module.js';
import { DisabledProvider } from '../src/metrics/disabled.js';
import { PrometheusProvider } from '../src/metrics/prometheus.js';
import { StatsdProvider } from '../src/metrics/statsd.js';
import {
  chaincodeListener,
  metricsSettings,
  operationsTls,
  peerListener,
  peerTls,
  readConfigFile,
} from '../src/settings.js';

let dir: string;
let cert: string;
let key: string;
let ca1: string;
let ca2: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'node-settings-'));
  cert = join(dir, 'server.crt');
  key = join(dir, 'server.key');
  ca1 = join(dir, 'ca1.crt');
  ca2 = join(dir, 'ca2.crt');
  writeFileSync(cert, 'CERT');
  writeFileSync(key, 'KEY');
  writeFileSync(ca1, 'CA1');
  writeFileSync(ca2, 'CA2');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const tlsOff = {
  'peer.tls.enabled': false,
  'peer.tls.clientAuthRequired': false,
  'peer.tls.cert.file': '',
  'peer.tls.key.file': '',
  'peer.tls.clientRootCAs.files': [],
};

/** Asserts a ConfigError with one issue for `key`, its message naming the key and `path`. */
function configErrorFor(key: string, path: string | undefined) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ConfigError, `a ConfigError: ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0]?.key, key);
    assert.ok(err.message.includes(key), err.message);
    if (path !== undefined) assert.ok(err.message.includes(path), err.message);
    return true;
  };
}

describe('readConfigFile', () => {
  it('returns the bytes of the file', () => {
    assert.equal(readConfigFile('peer.tls.cert.file', cert).toString(), 'CERT');
  });

  it('names the key and the path when the file cannot be read', () => {
    const missing = join(dir, 'missing.pem');
    assert.throws(
      () => readConfigFile('peer.tls.key.file', missing),
      (err: unknown) => {
        configErrorFor('peer.tls.key.file', missing)(err);
        assert.match((err as Error).message, /ENOENT/);
        return true;
      },
    );
    // A folder is not a readable file either.
    assert.throws(
      () => readConfigFile('peer.tls.key.file', dir),
      configErrorFor('peer.tls.key.file', dir),
    );
  });

  it('names the key when no path is set', () => {
    assert.throws(
      () => readConfigFile('peer.tls.cert.file', undefined),
      (err: unknown) => {
        configErrorFor('peer.tls.cert.file', undefined)(err);
        assert.match((err as Error).message, /required/);
        return true;
      },
    );
  });
});

describe('peerTls', () => {
  it('is undefined when peer.tls.enabled is false, whatever the files say', () => {
    assert.equal(
      peerTls(fakeConfig({ ...tlsOff, 'peer.tls.cert.file': '/does/not/exist' })),
      undefined,
    );
  });

  it('reads the certificate, key and client roots when TLS is on', () => {
    const tls = peerTls(
      fakeConfig({
        ...tlsOff,
        'peer.tls.enabled': true,
        'peer.tls.clientAuthRequired': true,
        'peer.tls.cert.file': cert,
        'peer.tls.key.file': key,
        'peer.tls.clientRootCAs.files': [ca1, '', ca2],
      }),
    );
    assert.ok(tls);
    assert.equal(tls.cert.toString(), 'CERT');
    assert.equal(tls.key.toString(), 'KEY');
    assert.deepEqual(
      tls.clientRootCAs.map((b) => b.toString()),
      ['CA1', 'CA2'],
    );
    assert.equal(tls.clientAuthRequired, true);
  });

  it('accepts one root given as a string, and no roots', () => {
    const one = peerTls(
      fakeConfig({
        ...tlsOff,
        'peer.tls.enabled': true,
        'peer.tls.cert.file': cert,
        'peer.tls.key.file': key,
        'peer.tls.clientRootCAs.files': ca1,
      }),
    );
    assert.deepEqual(
      one?.clientRootCAs.map((b) => b.toString()),
      ['CA1'],
    );
    assert.equal(one?.clientAuthRequired, false);
    const none = peerTls(
      fakeConfig({
        ...tlsOff,
        'peer.tls.enabled': true,
        'peer.tls.cert.file': cert,
        'peer.tls.key.file': key,
      }),
    );
    assert.deepEqual(none?.clientRootCAs, []);
  });

  it('names peer.tls.cert.file and the path when the certificate is missing', () => {
    const missing = join(dir, 'nope', 'server.crt');
    assert.throws(
      () =>
        peerTls(
          fakeConfig({
            ...tlsOff,
            'peer.tls.enabled': true,
            'peer.tls.cert.file': missing,
            'peer.tls.key.file': key,
          }),
        ),
      configErrorFor('peer.tls.cert.file', missing),
    );
  });

  it('names peer.tls.key.file when the key is not set', () => {
    assert.throws(
      () =>
        peerTls(fakeConfig({ ...tlsOff, 'peer.tls.enabled': true, 'peer.tls.cert.file': cert })),
      configErrorFor('peer.tls.key.file', undefined),
    );
  });

  it('names the index of a missing client root', () => {
    const missing = join(dir, 'missing-ca.crt');
    assert.throws(
      () =>
        peerTls(
          fakeConfig({
            ...tlsOff,
            'peer.tls.enabled': true,
            'peer.tls.cert.file': cert,
            'peer.tls.key.file': key,
            'peer.tls.clientRootCAs.files': [ca1, missing],
          }),
        ),
      configErrorFor('peer.tls.clientRootCAs.files[1]', missing),
    );
  });
});

describe('operationsTls', () => {
  const off = {
    'operations.tls.enabled': false,
    'operations.tls.cert.file': '',
    'operations.tls.key.file': '',
    'operations.tls.clientRootCAs.files': [],
    'operations.tls.clientAuthRequired': false,
  };

  it('is undefined when off, and reads the files when on', () => {
    assert.equal(operationsTls(fakeConfig(off)), undefined);
    const tls = operationsTls(
      fakeConfig({
        ...off,
        'operations.tls.enabled': true,
        'operations.tls.cert.file': cert,
        'operations.tls.key.file': key,
        'operations.tls.clientRootCAs.files': [ca2],
        'operations.tls.clientAuthRequired': true,
      }),
    );
    assert.equal(tls?.cert.toString(), 'CERT');
    assert.equal(tls?.key.toString(), 'KEY');
    assert.deepEqual(
      tls?.clientRootCAs.map((b) => b.toString()),
      ['CA2'],
    );
    assert.equal(tls?.clientAuthRequired, true);
  });

  it('names operations.tls.key.file and the path when the key is missing', () => {
    const missing = join(dir, 'ops.key');
    assert.throws(
      () =>
        operationsTls(
          fakeConfig({
            ...off,
            'operations.tls.enabled': true,
            'operations.tls.cert.file': cert,
            'operations.tls.key.file': missing,
          }),
        ),
      configErrorFor('operations.tls.key.file', missing),
    );
  });
});

describe('listener settings', () => {
  const values = {
    ...tlsOff,
    'peer.listenAddress': '0.0.0.0:7051',
    'peer.chaincodeListenAddress': '0.0.0.0:7052',
    'peer.keepalive.interval': 30_000,
    'peer.keepalive.timeout': 5_000,
    'peer.maxRecvMsgSize': 1000,
    'peer.maxSendMsgSize': 2000,
  };
  const tlsOn = {
    ...values,
    'peer.tls.enabled': true,
    'peer.tls.clientAuthRequired': true,
    'peer.tls.cert.file': cert,
    'peer.tls.key.file': key,
    'peer.tls.clientRootCAs.files': [ca1],
  };

  it('peerListener reads the address, keepalive and sizes', () => {
    assert.deepEqual(peerListener(fakeConfig(values)), {
      name: 'peer-listener',
      configKey: 'peer.listenAddress',
      address: '0.0.0.0:7051',
      keepalive: { intervalMs: 30_000, timeoutMs: 5_000 },
      maxRecvMsgSize: 1000,
      maxSendMsgSize: 2000,
    });
  });

  it('peerListener falls back to Fabric’s defaults for empty durations', () => {
    const s = peerListener(
      fakeConfig({ ...values, 'peer.keepalive.interval': null, 'peer.keepalive.timeout': null }),
    );
    assert.deepEqual(s.keepalive, { intervalMs: 7_200_000, timeoutMs: 20_000 });
  });

  it('chaincodeListener uses its own address and Fabric’s fixed keepalive', () => {
    assert.deepEqual(chaincodeListener(fakeConfig(values)), {
      name: 'chaincode-listener',
      configKey: 'peer.chaincodeListenAddress',
      address: '0.0.0.0:7052',
      keepalive: { intervalMs: 7_200_000, timeoutMs: 20_000 },
      maxRecvMsgSize: 1000,
      maxSendMsgSize: 2000,
    });
  });

  it('with peer.tls on, both listeners serve the peer certificate; only the peer listener asks clients for theirs', () => {
    const p = peerListener(fakeConfig(tlsOn));
    const c = chaincodeListener(fakeConfig(tlsOn));
    assert.equal(p.tls?.cert.toString(), 'CERT');
    assert.equal(c.tls?.cert.toString(), 'CERT');
    assert.equal(p.tls?.clientAuthRequired, true);
    assert.deepEqual(p.tls?.clientRootCAs.map(String), ['CA1']);
    assert.equal(c.tls?.clientAuthRequired, false);
    assert.deepEqual(c.tls?.clientRootCAs, []);
  });
});

describe('metricsSettings', () => {
  const statsd = {
    'metrics.provider': 'statsd',
    'metrics.statsd.network': 'udp',
    'metrics.statsd.address': '127.0.0.1:8125',
    'metrics.statsd.writeInterval': 10_000,
    'metrics.statsd.prefix': 'org1.peer0',
  };

  it('adds a trailing dot to the statsd prefix', () => {
    assert.deepEqual(metricsSettings(fakeConfig(statsd)), {
      provider: 'statsd',
      network: 'udp',
      address: '127.0.0.1:8125',
      writeIntervalMs: 10_000,
      prefix: 'org1.peer0.',
    });
  });

  it('keeps a prefix that already ends in a dot, and an empty prefix', () => {
    const withDot = metricsSettings(fakeConfig({ ...statsd, 'metrics.statsd.prefix': 'peer.' }));
    assert.equal(withDot.provider === 'statsd' && withDot.prefix, 'peer.');
    const empty = metricsSettings(fakeConfig({ ...statsd, 'metrics.statsd.prefix': '' }));
    assert.equal(empty.provider === 'statsd' && empty.prefix, '');
  });

  it('reads tcp, and defaults an empty writeInterval to 10 s', () => {
    const s = metricsSettings(
      fakeConfig({
        ...statsd,
        'metrics.statsd.network': 'tcp',
        'metrics.statsd.writeInterval': null,
      }),
    );
    assert.equal(s.provider === 'statsd' && s.network, 'tcp');
    assert.equal(s.provider === 'statsd' && s.writeIntervalMs, 10_000);
  });

  it('maps prometheus and disabled, and anything else to disabled', () => {
    assert.deepEqual(metricsSettings(fakeConfig({ 'metrics.provider': 'prometheus' })), {
      provider: 'prometheus',
    });
    assert.deepEqual(metricsSettings(fakeConfig({ 'metrics.provider': 'disabled' })), {
      provider: 'disabled',
    });
    assert.deepEqual(metricsSettings(fakeConfig({ 'metrics.provider': '' })), {
      provider: 'disabled',
    });
  });

  it('createMetricsProvider builds the provider metrics.provider names', () => {
    assert.ok(
      createMetricsProvider(fakeConfig({ 'metrics.provider': 'prometheus' })) instanceof
        PrometheusProvider,
    );
    assert.ok(
      createMetricsProvider(fakeConfig({ 'metrics.provider': 'disabled' })) instanceof
        DisabledProvider,
    );
    assert.ok(createMetricsProvider(fakeConfig(statsd)) instanceof StatsdProvider);
  });
});
