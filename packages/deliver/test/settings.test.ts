import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  fakeConfig,
  makeCa,
  issue,
  recordingLoggers,
  type TestCa,
  type TestCert,
} from '@fabric-peer/testkit';
import { DeliverError } from '../src/errors.js';
import {
  DEFAULT_DELIVERY_SETTINGS,
  certificateDer,
  deliverySettingsFromConfig,
  pemCertificates,
  tlsCertHash,
} from '../src/settings.js';

const base = {
  'peer.tls.enabled': false,
  'peer.tls.clientAuthRequired': false,
  'peer.tls.clientCert.file': null,
  'peer.tls.clientKey.file': null,
  'peer.tls.cert.file': 'tls/server.crt',
  'peer.tls.key.file': 'tls/server.key',
  'peer.deliveryclient.connTimeout': 3_000,
  'peer.deliveryclient.reConnectBackoffThreshold': 3_600_000,
  'peer.deliveryclient.reconnectTotalTimeThreshold': 3_600_000,
  'peer.deliveryclient.addressOverrides': null,
  'peer.keepalive.deliveryClient.interval': 60_000,
  'peer.keepalive.deliveryClient.timeout': 20_000,
  'peer.gossip.orgLeader': true,
};

describe('delivery client settings', () => {
  let dir: string;
  let ca: TestCa;
  let server: TestCert;
  let client: TestCert;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deliver-settings-'));
    ca = await makeCa('tls-ca');
    server = await issue(ca, 'server', { usage: 'server' });
    client = await issue(ca, 'client', { usage: 'client' });
    await writeFile(join(dir, 'server.crt'), server.certPem);
    await writeFile(join(dir, 'server.key'), server.keyPem);
    await writeFile(join(dir, 'client.crt'), client.certPem);
    await writeFile(join(dir, 'client.key'), client.keyPem);
    await writeFile(join(dir, 'cas.pem'), `junk\n${ca.certPem}${server.certPem}`);
    await writeFile(join(dir, 'nocert.pem'), client.keyPem);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("uses Fabric's defaults for empty durations and no TLS", async () => {
    const config = fakeConfig(
      { ...base },
      {
        dir,
        durations: {
          'peer.deliveryclient.connTimeout': null,
          'peer.deliveryclient.reConnectBackoffThreshold': 0,
        },
      },
    );
    const s = await deliverySettingsFromConfig(config);
    assert.equal(s.connTimeoutMs, DEFAULT_DELIVERY_SETTINGS.connTimeoutMs);
    assert.equal(s.reConnectBackoffThresholdMs, 3_600_000);
    assert.equal(s.tls.enabled, false);
    assert.equal(s.tlsCertHash, undefined);
    assert.equal(s.staticLeader, true);
    assert.equal(s.addressOverrides.size, 0);
  });

  it('reads durations, keepalive and the leader setting', async () => {
    const config = fakeConfig(
      {
        ...base,
        'peer.deliveryclient.connTimeout': 500,
        'peer.deliveryclient.reConnectBackoffThreshold': 2_000,
        'peer.deliveryclient.reconnectTotalTimeThreshold': 9_000,
        'peer.keepalive.deliveryClient.interval': 5_000,
        'peer.keepalive.deliveryClient.timeout': 1_000,
        'peer.gossip.orgLeader': false,
      },
      { dir },
    );
    const s = await deliverySettingsFromConfig(config);
    assert.equal(s.connTimeoutMs, 500);
    assert.equal(s.reConnectBackoffThresholdMs, 2_000);
    assert.equal(s.reconnectTotalTimeThresholdMs, 9_000);
    assert.deepEqual(s.keepalive, { intervalMs: 5_000, timeoutMs: 1_000 });
    assert.equal(s.staticLeader, false);
  });

  it('loads the client pair under mutual TLS and binds its hash, falling back to the server pair', async () => {
    const mutual = { ...base, 'peer.tls.enabled': true, 'peer.tls.clientAuthRequired': true };
    const own = await deliverySettingsFromConfig(
      fakeConfig(
        {
          ...mutual,
          'peer.tls.clientCert.file': 'client.crt',
          'peer.tls.clientKey.file': join(dir, 'client.key'),
        },
        { dir },
      ),
    );
    const der = new X509Certificate(client.certPem).raw;
    assert.deepEqual(Buffer.from(own.tlsCertHash!), createHash('sha256').update(der).digest());
    assert.equal(Buffer.from(own.tls.clientCert!).toString(), client.certPem);
    assert.equal(Buffer.from(own.tls.clientKey!).toString(), client.keyPem);

    const fallback = await deliverySettingsFromConfig(
      fakeConfig(
        { ...mutual, 'peer.tls.cert.file': 'server.crt', 'peer.tls.key.file': 'server.key' },
        { dir },
      ),
    );
    assert.equal(Buffer.from(fallback.tls.clientCert!).toString(), server.certPem);

    await assert.rejects(
      deliverySettingsFromConfig(
        fakeConfig({ ...mutual, 'peer.tls.key.file': 'missing.key' }, { dir }),
      ),
      (err: unknown) =>
        err instanceof DeliverError &&
        err.code === 'CONFIG_FILE' &&
        err.message.startsWith('peer.tls.key.file: unable to load key at'),
    );
    // TLS without client authentication: no client pair, no binding.
    const oneWay = await deliverySettingsFromConfig(
      fakeConfig({ ...base, 'peer.tls.enabled': true }, { dir }),
    );
    assert.equal(oneWay.tls.enabled, true);
    assert.equal(oneWay.tls.clientCert, undefined);
    assert.equal(oneWay.tlsCertHash, undefined);
  });

  it('loads address overrides, skipping those whose CA file is unusable', async () => {
    const { logger, records } = recordingLoggers();
    const config = fakeConfig(
      {
        ...base,
        'peer.deliveryclient.addressOverrides': [
          { from: 'o1:7050', to: '127.0.0.1:1111', caCertsFile: join(dir, 'cas.pem') },
          { from: 'o2:7050', to: '127.0.0.1:2222', caCertsFile: null },
          { from: 'o3:7050', to: '127.0.0.1:3333', caCertsFile: join(dir, 'absent.pem') },
          { from: 'o4:7050', to: '127.0.0.1:4444', caCertsFile: 'nocert.pem' },
        ],
      },
      { dir },
    );
    const s = await deliverySettingsFromConfig(config, logger);
    assert.deepEqual([...s.addressOverrides.keys()], ['o1:7050', 'o2:7050']);
    const o1 = s.addressOverrides.get('o1:7050')!;
    assert.equal(o1.address, '127.0.0.1:1111');
    assert.equal(o1.rootCerts.length, 2);
    assert.equal(
      new X509Certificate(Buffer.from(o1.rootCerts[0]!)).fingerprint256,
      new X509Certificate(ca.certPem).fingerprint256,
    );
    assert.deepEqual(s.addressOverrides.get('o2:7050')!.rootCerts, []);
    const warnings = records.filter((r) => r.level === 'warn').map((r) => r.msg);
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0]!,
      /could not read file .*absent\.pem' specified for caCertsFile of orderer endpoint override from 'o3:7050'/,
    );
    assert.match(warnings[1]!, /did not find any valid certs in '.*nocert\.pem'/);
  });

  it('splits PEM bundles and hashes DER', () => {
    const certs = pemCertificates(
      `${ca.certPem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${client.certPem}`,
    );
    assert.equal(certs.length, 2);
    assert.deepEqual(
      Buffer.from(certificateDer(certs[1]!)),
      new X509Certificate(client.certPem).raw,
    );
    const der = new X509Certificate(client.certPem).raw;
    assert.deepEqual(tlsCertHash(der), tlsCertHash(Buffer.from(client.certPem)));
  });
});
