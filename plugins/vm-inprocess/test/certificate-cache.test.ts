import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import certificates from '../src/certificate-cache.cjs';
import { tlsMaterial } from '../test-support/support.js';

const { rememberCertificatesFor, CAPACITY } = certificates;

const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface Certificate {
  subject: { commonName: string };
}
// The @fidm/x509 copy fabric-shim loads, and the shim's ClientIdentity, as a chaincode resolves them.
const fromShim = createRequire(
  createRequire(join(pluginDir, 'index.js')).resolve('fabric-shim/package.json'),
);
const x509 = fromShim('@fidm/x509') as {
  Certificate: { fromPEM(data: string | Buffer): Certificate };
};
const { ClientIdentity } = fromShim('./lib/chaincode.js') as {
  ClientIdentity: new (stub: object) => { getID(): string; getMSPID(): string };
};

function stubOf(mspid: string, certPem: string) {
  return {
    getChannelID: () => 'mychannel',
    getTxID: () => 'tx1',
    getCreator: () => ({ mspid, idBytes: Buffer.from(certPem) }),
  };
}

describe('remembered certificate parses', () => {
  it('gives the same parse for the same PEM, and each certificate its own', async () => {
    const { identity, peer } = await tlsMaterial();
    const before = [
      x509.Certificate.fromPEM(identity.certPem),
      x509.Certificate.fromPEM(identity.certPem),
    ];
    assert.notEqual(before[0], before[1], '@fidm/x509 parses every time');
    const id = new ClientIdentity(stubOf('Org1MSP', identity.certPem)).getID();

    rememberCertificatesFor(pluginDir);
    rememberCertificatesFor(pluginDir); // once per copy

    const first = x509.Certificate.fromPEM(identity.certPem);
    assert.equal(x509.Certificate.fromPEM(identity.certPem), first);
    assert.equal(x509.Certificate.fromPEM(Buffer.from(identity.certPem)), first, 'a Buffer too');
    assert.deepEqual(first, before[0], 'the same certificate');
    const other = x509.Certificate.fromPEM(peer.certPem);
    assert.notEqual(other.subject.commonName, first.subject.commonName);
    // The shim's ClientIdentity reads the same identity from a remembered parse.
    for (let i = 0; i < 3; i++) {
      const cid = new ClientIdentity(stubOf('Org1MSP', identity.certPem));
      assert.equal(cid.getID(), id);
      assert.equal(cid.getMSPID(), 'Org1MSP');
    }
  });

  it('does not remember a failure', () => {
    rememberCertificatesFor(pluginDir);
    for (let i = 0; i < 2; i++) {
      assert.throws(() =>
        x509.Certificate.fromPEM('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      );
    }
  });

  it(`forgets the least recently used of more than ${CAPACITY} certificates`, async () => {
    rememberCertificatesFor(pluginDir);
    const { identity } = await tlsMaterial();
    // Distinct PEM texts of one certificate (trailing newlines) are distinct entries.
    const variant = (i: number) => identity.certPem + '\n'.repeat(i + 1);
    const oldest = x509.Certificate.fromPEM(variant(0));
    const kept = x509.Certificate.fromPEM(variant(1));
    for (let i = 2; i <= CAPACITY; i++) {
      x509.Certificate.fromPEM(variant(i));
      if (i % 16 === 0) assert.equal(x509.Certificate.fromPEM(variant(1)), kept, 'used: kept');
    }
    assert.equal(x509.Certificate.fromPEM(variant(1)), kept);
    assert.notEqual(
      x509.Certificate.fromPEM(variant(0)),
      oldest,
      'least recently used: parsed again',
    );
  });

  it('leaves a folder without fabric-shim alone', () => {
    assert.doesNotThrow(() => rememberCertificatesFor('/'));
  });
});
