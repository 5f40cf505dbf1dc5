// Signing and verification as Fabric's bccsp does them: SHA-256 digest, DER ECDSA, low S.
import assert from 'node:assert/strict';
import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';
import { before, describe, it } from 'node:test';
import { IdentityError } from '@fabric-peer/api';
import { issue } from '@fabric-peer/testkit';
import { msp as mspProto } from '@fabric-peer/protos';
import type { MspError } from '../src/index.js';
import { createMsp, type Msp, type X509SigningIdentity } from '../src/index.js';
import {
  CURVE_ORDER,
  flipS,
  makeOrg,
  orgConfig,
  serialize,
  sigDer,
  sigParts,
  type TestOrg,
} from '../test-support/pki.js';

async function rejection(p: Promise<unknown>): Promise<IdentityError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof IdentityError, `expected an IdentityError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

for (const curve of ['P-256', 'P-384'] as const) {
  describe(`sign and verify with ${curve} keys`, () => {
    let org: TestOrg;
    let signer: X509SigningIdentity;
    let verifier: Msp;

    before(async () => {
      org = await makeOrg('Org1MSP', { keyAlgorithm: curve });
      signer = createMsp(orgConfig(org, { signer: { cert: org.peer } })).defaultSigningIdentity();
      verifier = createMsp(orgConfig(org));
    });

    it('round-trips through a verifying MSP of the same organisation', async () => {
      const message = Buffer.from('proposal response payload');
      const signature = await signer.sign(message);
      const remote = verifier.deserializeIdentity(signer.serialize());
      remote.validate();
      await remote.verify(message, signature);
      await signer.verify(message, signature);
      assert.deepEqual(remote.identifier, signer.identifier);
    });

    it("hashes with SHA-256 whatever the curve (Fabric's SHA2 family), signs in DER", async () => {
      const message = Buffer.from('what is hashed');
      const signature = await signer.sign(message);
      const pub = createPublicKey(org.peer.certPem);
      assert.equal(cryptoVerify('sha256', message, pub, signature), true);
      assert.equal(cryptoVerify('sha384', message, pub, signature), false);
      assert.equal(signature[0], 0x30);
    });

    it('signatures are low-S; the high-S twin of a valid signature is refused', async () => {
      const message = Buffer.from('malleable?');
      const half = CURVE_ORDER[curve] / 2n;
      for (let i = 0; i < 16; i++) {
        const signature = await signer.sign(message);
        assert.ok(sigParts(signature).s <= half);
      }
      const signature = await signer.sign(message);
      const highS = flipS(signature, curve);
      // Still a valid ECDSA signature for OpenSSL...
      assert.equal(cryptoVerify('sha256', message, createPublicKey(org.peer.certPem), highS), true);
      // ...but not for Fabric.
      const err = await rejection(signer.verify(message, highS));
      assert.equal(err.code, 'BAD_SIGNATURE');
      assert.equal(err.details.reason, 'high-s');
      assert.match(err.message, /Invalid S\. Must be smaller than half the order/);
    });

    it('a high-S signature made elsewhere is refused, its low-S form accepted', async () => {
      const message = Buffer.from('from another SDK');
      const key = createPrivateKey(org.peer.keyPem);
      for (let i = 0; i < 8; i++) {
        const raw = cryptoSign('sha256', message, key);
        const { r, s } = sigParts(raw);
        const low = s > CURVE_ORDER[curve] / 2n ? CURVE_ORDER[curve] - s : s;
        await signer.verify(message, sigDer(r, low));
        const err = await rejection(signer.verify(message, sigDer(r, CURVE_ORDER[curve] - low)));
        assert.equal(err.details.reason, 'high-s');
      }
    });
  });
}

describe('signature edge cases (as Fabric parses signatures)', () => {
  let org: TestOrg;
  let signer: X509SigningIdentity;

  before(async () => {
    org = await makeOrg('Org1MSP');
    signer = createMsp(orgConfig(org, { signer: { cert: org.client } })).defaultSigningIdentity();
  });

  it('an empty signature, a malformed one, zero r: BAD_SIGNATURE with a reason', async () => {
    const message = Buffer.from('m');
    let err = await rejection(signer.verify(message, new Uint8Array()));
    assert.equal(err.details.reason, 'empty');
    err = await rejection(signer.verify(message, Buffer.from('not DER')));
    assert.equal(err.details.reason, 'malformed');
    err = await rejection(signer.verify(message, sigDer(0n, 5n)));
    assert.equal(err.details.reason, 'malformed');
    assert.match(err.message, /R must be larger than zero/);
    err = await rejection(signer.verify(message, Buffer.from('30060201010201', 'hex')));
    assert.equal(err.details.reason, 'malformed');
  });

  it("bytes after the DER signature are ignored, as Go's encoding/asn1 does in Fabric", async () => {
    const message = Buffer.from('lenient');
    const signature = Buffer.from(await signer.sign(message));
    await signer.verify(message, Buffer.concat([signature, Buffer.from([0, 1, 2])]));
  });

  it('the signing identity serializes as Fabric does: the MSP id and the certificate PEM', () => {
    const sid = mspProto.SerializedIdentity.decode(signer.serialize());
    assert.equal(sid.mspid, 'Org1MSP');
    assert.match(Buffer.from(sid.idBytes).toString(), /^-----BEGIN CERTIFICATE-----\n/);
    signer.validate();
    assert.equal(signer.organizationalUnits[0]?.organizationalUnitIdentifier, 'client');
  });

  it('accepts a SEC1 ("EC PRIVATE KEY") key, as older cryptogen wrote them', async () => {
    const sec1 = createPrivateKey(org.client.keyPem)
      .export({ type: 'sec1', format: 'pem' })
      .toString();
    assert.match(sec1, /BEGIN EC PRIVATE KEY/);
    const s = createMsp(
      orgConfig(org, { signer: { cert: org.client, keyPem: sec1 } }),
    ).defaultSigningIdentity();
    const message = Buffer.from('sec1');
    await s.verify(message, await s.sign(message));
  });

  it("refuses at setup a key that is not the certificate's, an expired signing certificate", async () => {
    assert.throws(
      () => createMsp(orgConfig(org, { signer: { cert: org.client, keyPem: org.peer.keyPem } })),
      (err: MspError) =>
        err.code === 'MSP_SETUP_FAILED' &&
        /does not belong to the signing certificate/.test(err.message),
    );
    const expired = await issue(org.ca, 'expired', {
      subject: 'CN=expired, OU=client',
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    assert.throws(
      () => createMsp(orgConfig(org, { signer: { cert: expired } })),
      /MSP Org1MSP: setup failed: signing identity expired 2\dh\d+m[\d.]+s ago/,
    );
    assert.throws(
      () => createMsp(orgConfig(org)).defaultSigningIdentity(),
      (err: MspError) => err.code === 'MSP_NO_SIGNER',
    );
  });

  it("signs with SHA3-256 when the MSP's crypto config says SHA3", async () => {
    const msp = createMsp(
      orgConfig(org, {
        signer: { cert: org.client },
        cryptoConfig: { signatureHashFamily: 'SHA3', identityIdentifierHashFunction: 'SHA256' },
      }),
    );
    const s = msp.defaultSigningIdentity();
    const message = Buffer.from('sha3');
    const signature = await s.sign(message);
    assert.equal(
      cryptoVerify('sha3-256', message, createPublicKey(org.client.certPem), signature),
      true,
    );
    await s.verify(message, signature);
    const sha2 = createMsp(orgConfig(org)).deserializeIdentity(
      serialize('Org1MSP', org.client.certPem),
    );
    await rejection(sha2.verify(message, signature));
  });
});

describe('Ed25519 identities (MSP v3_0 only, as Fabric v3)', () => {
  let org: TestOrg;

  before(async () => {
    org = await makeOrg('EdMSP', { keyAlgorithm: 'Ed25519' });
  });

  it('v3_0 deserializes, validates and verifies Ed25519 identities (the message is signed as is)', async () => {
    const msp = createMsp(orgConfig(org), { version: 'v3_0' });
    const peer = msp.deserializeIdentity(serialize('EdMSP', org.peer.certPem));
    peer.validate();
    const message = Buffer.from('ed25519');
    const signature = cryptoSign(null, message, createPrivateKey(org.peer.keyPem));
    await peer.verify(message, signature);
    const err = await rejection(peer.verify(Buffer.from('other'), signature));
    assert.equal(err.code, 'BAD_SIGNATURE');
  });

  it('v1_4_3 refuses an Ed25519 key (Fabric v2.5 cannot import it): as identity, as CA', async () => {
    const ecOrg = await makeOrg('Org1MSP');
    const edLeaf = await issue(ecOrg.ca, 'ed-peer', {
      subject: 'CN=ed-peer, OU=peer',
      keyAlgorithm: 'Ed25519',
    });
    const err = (() => {
      try {
        createMsp(orgConfig(ecOrg)).deserializeIdentity(serialize('Org1MSP', edLeaf.certPem));
      } catch (e) {
        return e as IdentityError;
      }
      return assert.fail('expected a refusal');
    })();
    assert.equal(err.code, 'UNSUPPORTED');
    assert.match(err.message, /public key type not recognized/);
    const v3 = createMsp(orgConfig(ecOrg), { version: 'v3_0' });
    v3.deserializeIdentity(serialize('Org1MSP', edLeaf.certPem)).validate();
    assert.throws(
      () => createMsp(orgConfig(org)),
      /MSP EdMSP: setup failed: root certificate 0: failed to import certificate's public key/,
    );
  });
});
