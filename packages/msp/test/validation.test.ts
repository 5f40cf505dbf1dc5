// Deserialization and Validate as Fabric does them: chains, expiry, CRLs, OUs, NodeOUs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { IdentityError } from '@fabric-peer/api';
import { issue, makeCa, makeCrl, makeIntermediate, type TestCa } from '@fabric-peer/testkit';
import { createMsp, type Msp } from '../src/index.js';
import {
  certificateHasHighS,
  cryptogenNodeOUs,
  flipCertificateS,
  makeOrg,
  mspConfig,
  orgConfig,
  serialize,
  type TestOrg,
} from '../test-support/pki.js';

const DAY = 86_400_000;

function identityError(fn: () => unknown): IdentityError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof IdentityError, `expected an IdentityError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an IdentityError');
}

describe('validity periods', () => {
  let ca: TestCa;
  let msp: Msp;

  before(async () => {
    ca = await makeCa('ca.org1', { notBefore: new Date(Date.now() - 400 * DAY) });
    msp = createMsp(mspConfig({ name: 'Org1MSP', roots: [ca], nodeOUs: cryptogenNodeOUs(ca) }));
  });

  it('an expired certificate still validates (Fabric judges the chain at NotBefore + 1 s); checkValidityAt says EXPIRED', async () => {
    const old = await issue(ca, 'old', {
      subject: 'CN=old, OU=client',
      notBefore: new Date(Date.now() - 100 * DAY),
      notAfter: new Date(Date.now() - 10 * DAY),
    });
    const id = msp.deserializeIdentity(serialize('Org1MSP', old.certPem));
    id.validate();
    id.checkValidityAt(new Date(Date.now() - 50 * DAY));
    const err = identityError(() => id.checkValidityAt(new Date()));
    assert.equal(err.code, 'EXPIRED');
    assert.match(err.message, /CN=old.*expired at/);
  });

  it('a not-yet-valid certificate validates too; checkValidityAt says NOT_YET_VALID', async () => {
    const future = await issue(ca, 'future', {
      subject: 'CN=future, OU=client',
      notBefore: new Date(Date.now() + 10 * DAY),
      notAfter: new Date(Date.now() + 20 * DAY),
    });
    const id = msp.deserializeIdentity(serialize('Org1MSP', future.certPem));
    id.validate();
    const err = identityError(() => id.checkValidityAt(new Date()));
    assert.equal(err.code, 'NOT_YET_VALID');
    assert.match(err.message, /not valid before/);
    id.checkValidityAt(new Date(Date.now() + 15 * DAY));
  });

  it('a certificate that starts before its CA does fails, although both are valid now', async () => {
    const early = await issue(ca, 'early', {
      subject: 'CN=early, OU=client',
      notBefore: new Date(Date.now() - 500 * DAY),
      notAfter: new Date(Date.now() + 20 * DAY),
    });
    const err = identityError(() => msp.deserializeIdentity(serialize('Org1MSP', early.certPem)));
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /expired or is not yet valid: current time .* is before/);
  });

  it('an identity issued while its CA was valid stays valid after the CA expired', async () => {
    const oldCa = await makeCa('old-ca', {
      notBefore: new Date(Date.now() - 1000 * DAY),
      notAfter: new Date(Date.now() - 100 * DAY),
    });
    // The setup judges the CA at its own NotBefore + 1 s too.
    const oldMsp = createMsp(
      mspConfig({ name: 'OldMSP', roots: [oldCa], admins: [], nodeOUs: cryptogenNodeOUs(oldCa) }),
    );
    const leaf = await issue(oldCa, 'leaf', {
      subject: 'CN=leaf, OU=peer',
      notBefore: new Date(Date.now() - 900 * DAY),
      notAfter: new Date(Date.now() - 200 * DAY),
    });
    const id = oldMsp.deserializeIdentity(serialize('OldMSP', leaf.certPem));
    id.validate();
    assert.equal(identityError(() => id.checkValidityAt(new Date())).code, 'EXPIRED');
  });
});

describe('chains', () => {
  let org: TestOrg;
  let msp: Msp;

  before(async () => {
    org = await makeOrg('Org1MSP');
    msp = createMsp(orgConfig(org));
  });

  it('refuses at deserialization a certificate of another CA (Fabric sanitises against the chain)', async () => {
    const stranger = await makeOrg('Org1MSP');
    const err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', stranger.peer.certPem)),
    );
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /certificate signed by unknown authority/);
  });

  it('refuses a CA certificate used as an identity, at validation', async () => {
    const root = msp.deserializeIdentity(serialize('Org1MSP', org.ca.certPem));
    let err = identityError(() => root.validate());
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.equal(err.details.reason, 'ca-certificate');
    assert.match(err.message, /Certificate Authority equals true cannot be used as an identity/);
    assert.deepEqual(root.organizationalUnits, []);
    // Any self-signed CA deserializes (Fabric sanitises it against itself), and fails the same way.
    const foreignCa = await makeCa('foreign');
    err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', foreignCa.certPem)).validate(),
    );
    assert.equal(err.details.reason, 'ca-certificate');
  });

  it('refuses an identity whose extended key usage excludes serverAuth (Go verifies for serverAuth)', async () => {
    const tlsClient = await issue(org.ca, 'tls-client', {
      subject: 'CN=tls-client, OU=client',
      usage: 'client',
    });
    const err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', tlsClient.certPem)),
    );
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /incompatible key usage/);
    const tlsServer = await issue(org.ca, 'tls-server', {
      subject: 'CN=tls-server, OU=peer',
      usage: 'server',
    });
    msp.deserializeIdentity(serialize('Org1MSP', tlsServer.certPem)).validate();
  });

  it('sanitises a high-S certificate: same bytes, same identifier as its low-S twin', () => {
    const highS = flipCertificateS(org.peer, 'P-256');
    assert.ok(
      certificateHasHighS(highS.der, 'P-256') !== certificateHasHighS(org.peer.der, 'P-256'),
    );
    const a = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const b = msp.deserializeIdentity(serialize('Org1MSP', highS.certPem));
    assert.deepEqual(a.identifier, b.identifier);
    assert.deepEqual(a.certificate, b.certificate);
    assert.equal(certificateHasHighS(b.certificate, 'P-256'), false);
    b.validate();
    // serialize() gives back the bytes received.
    assert.deepEqual(b.serialize(), serialize('Org1MSP', highS.certPem));
  });

  it('sanitises a root CA certificate with a high-S self-signature', async () => {
    const root = await makeCa('root');
    const flipped = flipCertificateS(root, 'P-256');
    // Whichever of the two encodings has the high S.
    const [high, low] = certificateHasHighS(root.der, 'P-256')
      ? [{ ...root, certPem: root.certPem }, Buffer.from(flipped.der)]
      : [{ ...root, certPem: flipped.certPem }, Buffer.from(root.der)];
    const leaf = await issue(root, 'leaf', { subject: 'CN=leaf, OU=peer' });
    const m = createMsp(mspConfig({ name: 'M', roots: [high], nodeOUs: cryptogenNodeOUs(high) }));
    assert.deepEqual(Buffer.from(m.rootCerts[0]!), low);
    const id = m.deserializeIdentity(serialize('M', leaf.certPem));
    id.validate();
    assert.deepEqual(
      Buffer.from(id.organizationalUnits[0]!.certifiersIdentifier),
      createHash('sha256').update(m.rootCerts[0]!).digest(),
    );
  });

  it('refuses a certificate with a critical extension Go does not know', async () => {
    const { oddCertificate } = await import('../test-support/pki.js');
    const odd = await oddCertificate('leaf-with-critical-extension', org.ca);
    const err = identityError(() => msp.deserializeIdentity(serialize('Org1MSP', odd.certPem)));
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /unhandled critical extension/);
  });

  it('refuses two chains to the roots (a re-issued root with the same key)', async () => {
    const { x509 } = await import('../src/x509/provider.js');
    const twin = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '0badc0de',
      name: new x509.X509Certificate(org.ca.der).subjectName.toString(),
      notBefore: org.ca.notBefore,
      notAfter: org.ca.notAfter,
      keys: org.ca.keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        await x509.SubjectKeyIdentifierExtension.create(org.ca.keys.publicKey),
      ],
    });
    const twinCert = { ...org.ca, certPem: twin.toString('pem') };
    const m = createMsp(
      mspConfig({ name: 'Org1MSP', roots: [org.ca, twinCert], nodeOUs: cryptogenNodeOUs() }),
    );
    const err = identityError(() => m.deserializeIdentity(serialize('Org1MSP', org.peer.certPem)));
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /this MSP only supports a single validation chain, got 2/);
  });
});

describe('intermediate CAs', () => {
  let root: TestCa;
  let mid: TestCa;
  let sub: TestCa;

  before(async () => {
    root = await makeCa('root');
    mid = await makeIntermediate(root, 'mid');
    sub = await makeIntermediate(mid, 'sub');
  });

  it('validates through an intermediate; the certifiers identifier hashes the chain above the leaf', async () => {
    const leaf = await issue(mid, 'peer0', { subject: 'CN=peer0, OU=peer' });
    const msp = createMsp(
      mspConfig({ name: 'M', roots: [root], intermediates: [mid], nodeOUs: cryptogenNodeOUs() }),
    );
    const id = msp.deserializeIdentity(serialize('M', leaf.certPem));
    id.validate();
    // The chain's certificates as the MSP holds them: sanitised (low-S).
    const [midDer, rootDer] = [msp.intermediateCerts[0]!, msp.rootCerts[0]!];
    assert.equal(certificateHasHighS(midDer, 'P-256'), false);
    assert.equal(certificateHasHighS(rootDer, 'P-256'), false);
    const expected = createHash('sha256').update(midDer).update(rootDer).digest();
    assert.deepEqual(Buffer.from(id.organizationalUnits[0]!.certifiersIdentifier), expected);
  });

  it('two levels: the certifiers identifier is SHA-256(sub ‖ mid ‖ root); node OUs pinned to a CA', async () => {
    const leaf = await issue(sub, 'peer1', { subject: 'CN=peer1, OU=peer' });
    const other = await issue(mid, 'peer2', { subject: 'CN=peer2, OU=peer' });
    // Not quite: mid has a child intermediate, so it may not issue identities.
    const msp = createMsp(
      mspConfig({
        name: 'M',
        roots: [root],
        intermediates: [mid, sub],
        nodeOUs: cryptogenNodeOUs(sub),
      }),
    );
    const id = msp.deserializeIdentity(serialize('M', leaf.certPem));
    id.validate();
    const expected = createHash('sha256')
      .update(msp.intermediateCerts[1]!)
      .update(msp.intermediateCerts[0]!)
      .update(msp.rootCerts[0]!)
      .digest();
    assert.deepEqual(Buffer.from(id.organizationalUnits[0]!.certifiersIdentifier), expected);
    assert.deepEqual(Buffer.from(msp.nodeOUs.peer!.certifiersIdentifier!), expected);
    const err = identityError(() =>
      msp.deserializeIdentity(serialize('M', other.certPem)).validate(),
    );
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /Parent certificate should be a leaf of the certification tree/);
  });

  it('an intermediate given with the other S of its signature is the same intermediate', async () => {
    const leaf = await issue(mid, 'peer5', { subject: 'CN=peer5, OU=peer' });
    const flipped = { ...mid, certPem: flipCertificateS(mid, 'P-256').certPem };
    const a = createMsp(
      mspConfig({ name: 'M', roots: [root], intermediates: [mid], nodeOUs: cryptogenNodeOUs(mid) }),
    );
    const b = createMsp(
      mspConfig({
        name: 'M',
        roots: [root],
        intermediates: [flipped],
        nodeOUs: cryptogenNodeOUs(flipped),
      }),
    );
    assert.deepEqual(a.intermediateCerts, b.intermediateCerts);
    assert.deepEqual(a.nodeOUs.peer!.certifiersIdentifier, b.nodeOUs.peer!.certifiersIdentifier);
    const ia = a.deserializeIdentity(serialize('M', leaf.certPem));
    const ib = b.deserializeIdentity(serialize('M', leaf.certPem));
    ia.validate();
    ib.validate();
    assert.deepEqual(ia.organizationalUnits, ib.organizationalUnits);
  });

  it('refuses a leaf signed by the root when the root has intermediates', async () => {
    const direct = await issue(root, 'direct', { subject: 'CN=direct, OU=peer' });
    const msp = createMsp(
      mspConfig({ name: 'M', roots: [root], intermediates: [mid], nodeOUs: cryptogenNodeOUs() }),
    );
    const err = identityError(() =>
      msp.deserializeIdentity(serialize('M', direct.certPem)).validate(),
    );
    assert.equal(err.details.reason, 'parent-not-a-leaf');
  });

  it('refuses a node OU certified by another branch (certifiers identifier mismatch)', async () => {
    const other = await makeIntermediate(root, 'other');
    const leaf = await issue(other, 'peer3', { subject: 'CN=peer3, OU=peer' });
    const msp = createMsp(
      mspConfig({
        name: 'M',
        roots: [root],
        intermediates: [mid, other],
        nodeOUs: cryptogenNodeOUs(mid),
      }),
    );
    const err = identityError(() =>
      msp.deserializeIdentity(serialize('M', leaf.certPem)).validate(),
    );
    assert.equal(err.code, 'INVALID_OU');
    assert.match(
      err.message,
      /certifiersIdentifier does not match: \[peer\([0-9A-F]{16}\)\], MSP: \[M\]/,
    );
  });

  it('refuses a leaf under an intermediate the MSP does not list', async () => {
    const leaf = await issue(mid, 'peer4', { subject: 'CN=peer4, OU=peer' });
    const msp = createMsp(mspConfig({ name: 'M', roots: [root], nodeOUs: cryptogenNodeOUs() }));
    assert.equal(
      identityError(() => msp.deserializeIdentity(serialize('M', leaf.certPem))).code,
      'UNTRUSTED_CHAIN',
    );
  });

  it('enforces path lengths: nothing issued under a sub-intermediate of a pathLength 0 CA is valid', async () => {
    const strict = await makeIntermediate(root, 'strict', { pathLength: 0 });
    const below = await makeIntermediate(strict, 'below');
    const leaf = await issue(below, 'deep', { subject: 'CN=deep, OU=peer' });
    // Go verifies the sub-intermediate itself as a leaf, so the setup passes.
    const msp = createMsp(
      mspConfig({
        name: 'M',
        roots: [root],
        intermediates: [strict, below],
        nodeOUs: cryptogenNodeOUs(),
      }),
    );
    const err = identityError(() => msp.deserializeIdentity(serialize('M', leaf.certPem)));
    assert.equal(err.code, 'UNTRUSTED_CHAIN');
    assert.match(err.message, /too many intermediates for path length constraint/);
  });
});

describe('revocation', () => {
  let org: TestOrg;

  before(async () => {
    org = await makeOrg('Org1MSP');
  });

  it('a CRL of the issuer listing the serial revokes the identity; others stay valid', async () => {
    const crl = await makeCrl(org.ca, [org.client]);
    const msp = createMsp(orgConfig(org, { crls: [crl] }));
    const client = msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem));
    const err = identityError(() => client.validate());
    assert.equal(err.code, 'REVOKED');
    assert.match(err.message, /The certificate has been revoked/);
    msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem)).validate();
  });

  it('a CRL without nextUpdate, or given as DER, works too', async () => {
    const crl = await makeCrl(org.ca, [org.peer], { nextUpdate: null });
    const msp = createMsp(orgConfig(org, { crls: [{ pem: crl.pem, der: crl.der }] }));
    assert.equal(
      identityError(() =>
        msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem)).validate(),
      ).code,
      'REVOKED',
    );
    const derOnly = createMsp(orgConfig(org, { crls: [crl.der] }));
    assert.equal(
      identityError(() =>
        derOnly.deserializeIdentity(serialize('Org1MSP', org.peer.certPem)).validate(),
      ).code,
      'REVOKED',
    );
  });

  it('a CRL that names the issuer but is signed by another key is ignored', async () => {
    const intruder = await makeCa('intruder');
    const forged = await makeCrl(org.ca, [org.client], { signingKeys: intruder.keys });
    const msp = createMsp(orgConfig(org, { crls: [forged] }));
    msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem)).validate();
  });

  it('a CRL of another CA does not revoke', async () => {
    const other = await makeCa('other');
    const crl = await makeCrl(other, [org.client]);
    const msp = createMsp(orgConfig(org, { crls: [crl] }));
    msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem)).validate();
  });

  it('a CRL without AuthorityKeyIdentifier makes every validation fail, as in Fabric', async () => {
    const crl = await makeCrl(org.ca, [], { authorityKeyIdentifier: false });
    const msp = createMsp(orgConfig(org, { crls: [crl] }));
    const err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem)).validate(),
    );
    assert.equal(err.details.reason, 'crl-without-aki');
    assert.match(err.message, /could not obtain Authority Key Identifier for crl/);
  });

  it('a revoked intermediate CA fails the setup', async () => {
    const root = await makeCa('root');
    const mid = await makeIntermediate(root, 'mid');
    const crl = await makeCrl(root, [mid]);
    assert.throws(
      () =>
        createMsp(
          mspConfig({
            name: 'M',
            roots: [root],
            intermediates: [mid],
            crls: [crl],
            nodeOUs: cryptogenNodeOUs(),
          }),
        ),
      /MSP M: setup failed: CA Certificate is not valid, .*revoked/,
    );
  });

  it('an unparsable CRL fails the setup', () => {
    assert.throws(
      () => createMsp(orgConfig(org, { crls: [Buffer.from('garbage')] })),
      /MSP Org1MSP: setup failed: could not parse RevocationList/,
    );
  });
});

describe('OUs and NodeOUs', () => {
  let org: TestOrg;

  before(async () => {
    org = await makeOrg('Org1MSP');
  });

  it('refuses an identity without a node OU, and one with two', async () => {
    const msp = createMsp(orgConfig(org));
    const none = await issue(org.ca, 'none', { subject: 'CN=none, OU=sales' });
    let err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', none.certPem)).validate(),
    );
    assert.equal(err.code, 'INVALID_OU');
    assert.equal(err.details.reason, 'no-node-ou');
    assert.match(
      err.message,
      /does not have an OU that resolves to client, peer, orderer, or admin role\. OUs: \[sales\([0-9A-F]{16}\)\], MSP: \[Org1MSP\]/,
    );
    const noOu = await issue(org.ca, 'no-ou', { subject: 'CN=no-ou' });
    err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', noOu.certPem)).validate(),
    );
    assert.equal(err.details.reason, 'no-node-ou');
    const two = await issue(org.ca, 'two', { subject: 'CN=two, OU=peer+OU=client' });
    const id = msp.deserializeIdentity(serialize('Org1MSP', two.certPem));
    assert.deepEqual(
      id.organizationalUnits.map((o) => o.organizationalUnitIdentifier),
      ['peer', 'client'],
    );
    err = identityError(() => id.validate());
    assert.equal(err.code, 'INVALID_OU');
    assert.equal(err.details.reason, 'several-node-ous');
    assert.match(err.message, /not a combination of them/);
  });

  it('NodeOUs disabled (Enable false): no classification, every member valid', async () => {
    const msp = createMsp(
      mspConfig({
        name: 'Org1MSP',
        roots: [org.ca],
        admins: [org.client],
        nodeOUs: { ...cryptogenNodeOUs(org.ca), enable: false },
      }),
    );
    assert.equal(msp.nodeOUs.enabled, false);
    const none = await issue(org.ca, 'none', { subject: 'CN=none' });
    msp.deserializeIdentity(serialize('Org1MSP', none.certPem)).validate();
  });

  it('organizational_unit_identifiers: an identity needs one of them, certified by the named CA', async () => {
    const msp = createMsp(orgConfig(org, { ous: [{ ou: 'sales', cert: org.ca }] }));
    const sales = await issue(org.ca, 'sales', { subject: 'CN=sales, OU=sales, OU=client' });
    msp.deserializeIdentity(serialize('Org1MSP', sales.certPem)).validate();
    let err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem)).validate(),
    );
    assert.equal(err.code, 'INVALID_OU');
    assert.match(
      err.message,
      /none of the identity's organizational units \[client\([0-9A-F]{16}\)\] are in MSP Org1MSP/,
    );
    const bare = await issue(org.ca, 'bare', { subject: 'CN=bare' });
    err = identityError(() =>
      msp.deserializeIdentity(serialize('Org1MSP', bare.certPem)).validate(),
    );
    assert.match(err.message, /does not contain an Organizational Unit/);
  });

  it("an OU identifier naming a CA that is not the MSP's fails the setup", async () => {
    const other = await makeCa('other');
    assert.throws(
      () => createMsp(orgConfig(org, { ous: [{ ou: 'sales', cert: other }] })),
      /MSP Org1MSP: setup failed: failed getting certificate for \[sales\]/,
    );
  });
});

describe('setup errors name the MSP', () => {
  let org: TestOrg;

  before(async () => {
    org = await makeOrg('Org1MSP');
  });

  const refuses = (
    config: Parameters<typeof createMsp>[0],
    pattern: RegExp,
    options = {},
  ): void => {
    assert.throws(
      () => createMsp(config, options),
      (err: Error) => {
        assert.equal((err as { code?: string }).code, 'MSP_SETUP_FAILED');
        assert.match(err.message, pattern);
        return true;
      },
    );
  };

  it('no root certificate', () => {
    refuses(
      mspConfig({ name: 'Org1MSP', roots: [] }),
      /^MSP Org1MSP: setup failed: expected at least one CA certificate$/,
    );
  });

  it('a root that is not a CA, a CA without SKI', async () => {
    const { oddCertificate } = await import('../test-support/pki.js');
    const notCa = await oddCertificate('root-not-ca');
    // Not a CA, so not sanitised as a self-signed root: its chain is itself alone.
    refuses(
      mspConfig({ name: 'Org1MSP', roots: [notCa] }),
      /^MSP Org1MSP: setup failed: root certificate 0: failed to traverse certificate verification chain for leaf or intermediate certificate, with subject CN=root-not-ca$/,
    );
    const noSki = await oddCertificate('ca-without-ski');
    refuses(
      mspConfig({ name: 'Org1MSP', roots: [noSki], nodeOUs: cryptogenNodeOUs() }),
      /CA Certificate problem with Subject Key Identifier extension/,
    );
  });

  it('unreadable certificates and configs', () => {
    refuses(
      mspConfig({ name: 'Org1MSP', roots: [{ ...org.ca, certPem: 'not a certificate' }] }),
      /could not decode pem bytes of root certificate 0/,
    );
    assert.throws(
      () => createMsp({ type: 0, config: Uint8Array.of(0x0a, 0xff) }),
      /failed unmarshalling fabric msp config/,
    );
    assert.throws(
      () => createMsp({ type: 1, config: new Uint8Array() }),
      (err: Error & { code?: string }) =>
        err.code === 'MSP_UNSUPPORTED' && /idemix/.test(err.message),
    );
  });

  it('an unknown identity hash function, and v1.1 NodeOUs without a client OU', () => {
    refuses(
      orgConfig(org, {
        cryptoConfig: { signatureHashFamily: 'SHA2', identityIdentifierHashFunction: 'MD5' },
      }),
      /hash function not recognized \[MD5\]/,
    );
    refuses(
      mspConfig({ name: 'Org1MSP', roots: [org.ca], nodeOUs: { peer: { ou: 'peer' } } }),
      /ClientOU must be different from nil/,
      { version: 'v1_1' },
    );
  });

  it('TLS CAs must be CAs', () => {
    refuses(
      orgConfig(org, { tlsRoots: [org.peer] }),
      /CA Certificate did not have the CA attribute.*TLS CA/,
    );
    const msp = createMsp(orgConfig(org, { tlsRoots: [org.ca] }));
    assert.equal(msp.tlsRootCerts.length, 1);
    assert.match(Buffer.from(msp.tlsRootCerts[0]!).toString(), /BEGIN CERTIFICATE/);
  });
});

describe('malformed identities', () => {
  let org: TestOrg;
  let msp: Msp;

  before(async () => {
    org = await makeOrg('Org1MSP');
    msp = createMsp(orgConfig(org));
  });

  it('not a SerializedIdentity, not PEM, not a certificate: MALFORMED', () => {
    assert.equal(
      identityError(() => msp.deserializeIdentity(Uint8Array.of(0x0a, 0xff, 0x01))).code,
      'MALFORMED',
    );
    let err = identityError(() => msp.deserializeIdentity(serialize('Org1MSP', 'hello')));
    assert.equal(err.code, 'MALFORMED');
    assert.match(err.message, /could not decode the PEM structure/);
    err = identityError(() =>
      msp.deserializeIdentity(
        serialize('Org1MSP', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      ),
    );
    assert.equal(err.code, 'MALFORMED');
    assert.match(err.message, /parseCertificate failed/);
  });

  it('as Go, any PEM type and text around the block are accepted', () => {
    const odd = `garbage before\n${org.peer.certPem.replace(/CERTIFICATE/g, 'WHATEVER')}\ntrailing text`;
    const id = msp.deserializeIdentity(serialize('Org1MSP', odd));
    id.validate();
    assert.throws(
      () => msp.isWellFormed({ mspid: 'Org1MSP', idBytes: Buffer.from(odd) }),
      (err: IdentityError) => err.code === 'MALFORMED',
    );
  });

  it('isWellFormed: one CERTIFICATE block, nothing after, canonical signature', () => {
    msp.isWellFormed({ mspid: 'Org1MSP', idBytes: Buffer.from(org.peer.certPem) });
    assert.throws(
      () => msp.isWellFormed({ mspid: 'Org1MSP', idBytes: Buffer.from(`${org.peer.certPem}\nx`) }),
      /has trailing bytes/,
    );
    // As Go's pem.Decode: text right after the END line (same line) spoils the block.
    assert.throws(
      () => msp.deserializeIdentity(serialize('Org1MSP', `${org.peer.certPem}x`)),
      /could not decode the PEM structure/,
    );
    assert.throws(
      () =>
        msp.isWellFormed({
          mspid: 'Org1MSP',
          idBytes: Buffer.from(org.peer.certPem.replace(/CERTIFICATE/g, 'FOO')),
        }),
      /pem type is FOO/,
    );
    // High S is canonical DER: well formed (sanitisation happens at deserialization).
    msp.isWellFormed({
      mspid: 'Org1MSP',
      idBytes: Buffer.from(flipCertificateS(org.peer, 'P-256').certPem),
    });
  });
});
