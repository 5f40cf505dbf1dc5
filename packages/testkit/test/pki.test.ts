import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { issue, makeCa, makeCrl, makeIntermediate, writePair, type TestCa } from '../src/index.js';

describe('makeCa and issue', () => {
  let ca: TestCa;
  before(async () => {
    ca = await makeCa('ca.org1.example.com');
  });

  it('makes a self-signed ECDSA P-256 CA', () => {
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.subject, 'CN=ca.org1.example.com');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
    assert.deepEqual(cert.publicKey.asymmetricKeyDetails, { namedCurve: 'prime256v1' });
    assert.equal(ca.isCa, true);
  });

  it('issues leaves whose chain verifies with node:crypto', async () => {
    const leaf = await issue(ca, 'peer0.org1.example.com', { usage: 'server' });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.ca, false);
    assert.equal(cert.issuer, 'CN=ca.org1.example.com');
    assert.ok(cert.verify(caCert.publicKey));
    assert.ok(cert.checkIssued(caCert));
    const other = await makeCa('somebody-else');
    assert.equal(cert.verify(other.certificate.publicKey), false);
    assert.equal(cert.checkIssued(other.certificate), false);
  });

  it('gives a server certificate serverAuth and the SAN localhost, 127.0.0.1', async () => {
    const leaf = await issue(ca, 'server', { usage: 'server' });
    assert.deepEqual(leaf.certificate.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(leaf.certificate.checkHost('localhost'), 'localhost');
    assert.equal(leaf.certificate.checkIP('127.0.0.1'), '127.0.0.1');
  });

  it('gives a client certificate clientAuth and no SAN', async () => {
    const leaf = await issue(ca, 'User1@org1.example.com', { usage: 'client' });
    assert.deepEqual(leaf.certificate.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(leaf.certificate.subjectAltName, undefined);
    assert.equal(leaf.certificate.subject, 'CN=User1@org1.example.com');
  });

  it('takes a whole subject', async () => {
    const leaf = await issue(ca, 'valid', { subject: 'CN=valid, O=Org1, C=US' });
    assert.equal(leaf.subject, 'CN=valid, O=Org1, C=US');
    assert.equal(leaf.certificate.subject, 'CN=valid\nO=Org1\nC=US');
  });

  it('makes an expired certificate with the dates asked', async () => {
    const notBefore = new Date('2024-01-01T00:00:00Z');
    const notAfter = new Date('2024-02-01T12:30:45Z');
    const leaf = await issue(ca, 'expired', { notBefore, notAfter });
    assert.deepEqual(leaf.notBefore, notBefore);
    assert.deepEqual(leaf.notAfter, notAfter);
    assert.equal(new Date(leaf.certificate.validFrom).getTime(), notBefore.getTime());
    assert.equal(new Date(leaf.certificate.validTo).getTime(), notAfter.getTime());
    assert.ok(leaf.notAfter.getTime() < Date.now());
  });

  it('makes a not-yet-valid certificate, dropping fractions of a second', async () => {
    const start = Date.now() + 24 * 3600_000;
    const leaf = await issue(ca, 'not-yet-valid', {
      notBefore: new Date(start + 250),
      notAfter: new Date(start + 30 * 24 * 3600_000),
    });
    assert.equal(leaf.notBefore.getTime(), Math.floor((start + 250) / 1000) * 1000);
    assert.ok(leaf.notBefore.getTime() > Date.now());
  });

  it('hands out PKCS#8 PEM, DER and a key pair that signs', async () => {
    const leaf = await issue(ca, 'signer');
    assert.match(leaf.keyPem, /^-----BEGIN PRIVATE KEY-----\r?\n/);
    assert.match(leaf.certPem, /^-----BEGIN CERTIFICATE-----\r?\n/);
    assert.deepEqual(Buffer.from(leaf.der), new X509Certificate(leaf.certPem).raw);
    const message = Buffer.from('proposal bytes');
    const signature = sign('sha256', message, createPrivateKey(leaf.keyPem));
    assert.ok(verify('sha256', message, createPublicKey(leaf.certPem), signature));
    assert.ok(verify('sha256', message, leaf.publicKey, sign('sha256', message, leaf.privateKey)));
  });
});

describe('makeIntermediate, key algorithms and makeCrl', () => {
  it('chains root → intermediate → leaf', async () => {
    const root = await makeCa('root');
    const mid = await makeIntermediate(root, 'mid', { pathLength: 0 });
    const leaf = await issue(mid, 'leaf');
    assert.equal(mid.isCa, true);
    assert.equal(mid.certificate.ca, true);
    assert.ok(mid.certificate.checkIssued(root.certificate));
    assert.ok(mid.certificate.verify(root.publicKey));
    assert.ok(leaf.certificate.verify(mid.publicKey));
    assert.equal(leaf.certificate.verify(root.publicKey), false);
  });

  it('makes P-384 and Ed25519 keys on request', async () => {
    const p384 = await makeCa('p384', { keyAlgorithm: 'P-384' });
    assert.deepEqual(p384.publicKey.asymmetricKeyDetails, { namedCurve: 'secp384r1' });
    const leaf = await issue(p384, 'leaf', { keyAlgorithm: 'P-384' });
    assert.equal(leaf.keyAlgorithm, 'P-384');
    assert.ok(leaf.certificate.verify(p384.publicKey));
    const ed = await makeCa('ed', { keyAlgorithm: 'Ed25519' });
    assert.equal(ed.publicKey.asymmetricKeyType, 'ed25519');
    const edLeaf = await issue(ed, 'ed-leaf', { keyAlgorithm: 'Ed25519' });
    assert.ok(edLeaf.certificate.verify(ed.publicKey));
  });

  it('makes a CRL listing the serials, signed by the CA, with PEM type X509 CRL', async () => {
    const ca = await makeCa('crl-ca');
    const leaf = await issue(ca, 'revoked');
    const crl = await makeCrl(ca, [leaf, '0a']);
    assert.match(crl.pem, /^-----BEGIN X509 CRL-----\r?\n/);
    // The serial of the leaf appears in the DER (as an INTEGER's content).
    const serial = Buffer.from(leaf.serialNumber, 'hex');
    assert.ok(Buffer.from(crl.der).includes(serial));
    const noAki = await makeCrl(ca, [leaf], { authorityKeyIdentifier: false, nextUpdate: null });
    assert.ok(noAki.der.length < crl.der.length);
  });
});

describe('writePair', () => {
  it('writes <name>.crt and <name>.key (mode 0600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'testkit-'));
    try {
      const ca = await makeCa('tls-ca');
      const files = writePair(join(dir, 'sub'), 'ca', ca);
      assert.equal(files.cert, join(dir, 'sub', 'ca.crt'));
      assert.equal(files.key, join(dir, 'sub', 'ca.key'));
      assert.equal(readFileSync(files.cert, 'utf8'), ca.certPem);
      assert.equal(readFileSync(files.key, 'utf8'), ca.keyPem);
      assert.equal(statSync(files.key).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
