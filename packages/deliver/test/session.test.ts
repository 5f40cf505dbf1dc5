import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { msp } from '@fabric-peer/protos';
import { issue, makeCa } from '@fabric-peer/testkit';
import { SessionAccessControl, checkTlsBinding, identityExpiresAt } from '../src/server/session.js';

function serialized(idBytes: Uint8Array | string): Uint8Array {
  return msp.SerializedIdentity.encode({
    mspid: 'Org1MSP',
    idBytes: typeof idBytes === 'string' ? Buffer.from(idBytes) : idBytes,
  }).finish();
}

describe('deliver session access control', () => {
  it('checks once, then again only when the config sequence grows', async () => {
    let sequence = 0n;
    let checks = 0;
    let allow = true;
    const ac = new SessionAccessControl(
      () => sequence,
      () => {
        checks++;
        return allow ? Promise.resolve() : Promise.reject(new Error('denied'));
      },
      undefined,
    );
    await ac.evaluate();
    await ac.evaluate();
    assert.equal(checks, 1);
    sequence = 1n;
    allow = false;
    await assert.rejects(ac.evaluate(), /denied/);
    assert.equal(checks, 2);
    // Same sequence: the earlier decision is not re-made.
    await ac.evaluate();
    assert.equal(checks, 2);
  });

  it('ends the session once the certificate expired', async () => {
    const ca = await makeCa('ca');
    const cert = await issue(ca, 'user', {
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 60_000),
    });
    const end = identityExpiresAt(serialized(cert.certPem));
    assert.equal(end?.getTime(), new Date(new X509Certificate(cert.certPem).validTo).getTime());
    let now = Date.now();
    const ac = new SessionAccessControl(
      () => 0n,
      () => Promise.resolve(),
      end,
      () => now,
    );
    await ac.evaluate();
    assert.ok(end !== undefined);
    now = end.getTime() + 5_000;
    await assert.rejects(ac.evaluate(), /^Error: deliver client identity expired 5000ms before$/);
  });

  it('tells no expiry for what is not a PEM certificate', () => {
    assert.equal(identityExpiresAt(Uint8Array.of(0xff, 0x01)), undefined);
    assert.equal(identityExpiresAt(serialized('not pem')), undefined);
    assert.equal(
      identityExpiresAt(
        serialized('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      ),
      undefined,
    );
  });

  it('binds the envelope to the client TLS certificate', async () => {
    const ca = await makeCa('ca');
    const cert = await issue(ca, 'client', { usage: 'client' });
    const der = new X509Certificate(cert.certPem).raw;
    const hash = createHash('sha256').update(der).digest();
    checkTlsBinding(hash, der);
    assert.throws(() => checkTlsBinding(undefined, der), /client didn't include its TLS cert hash/);
    assert.throws(() => checkTlsBinding(hash, undefined), /client didn't send a TLS certificate/);
    assert.throws(
      () => checkTlsBinding(Buffer.alloc(32), der),
      /^Error: claimed TLS cert hash is 0{64} but actual TLS cert hash is [0-9a-f]{64}$/,
    );
  });
});
