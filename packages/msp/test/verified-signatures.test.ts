// The verified-signature cache: a signature accepted once is accepted again without node:crypto,
// and nothing else is: not a failure, not another message, identity or signature encoding.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { IdentityError } from '@fabric-peer/api';
import {
  DEFAULT_CACHE_SIZES,
  createMsp,
  type Msp,
  type X509SigningIdentity,
} from '../src/index.js';
import { flipS, makeOrg, orgConfig, serialize, type TestOrg } from '../test-support/pki.js';

async function refused(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof IdentityError, `expected an IdentityError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_SIGNATURE');
    return true;
  });
}

describe('verified-signature cache', () => {
  let org: TestOrg;
  let peer: X509SigningIdentity;
  let client: X509SigningIdentity;

  before(async () => {
    org = await makeOrg('Org1MSP');
    peer = createMsp(orgConfig(org, { signer: { cert: org.peer } })).defaultSigningIdentity();
    client = createMsp(orgConfig(org, { signer: { cert: org.client } })).defaultSigningIdentity();
  });

  const withCache = (size = 16): Msp =>
    createMsp(orgConfig(org), { cacheSizes: { verifiedSignatures: size } });

  it('is off by default', async () => {
    assert.equal(DEFAULT_CACHE_SIZES.verifiedSignatures, 0);
    const msp = createMsp(orgConfig(org));
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const message = Buffer.from('proposal');
    const signature = await peer.sign(message);
    await id.verify(message, signature);
    await id.verify(message, signature);
    assert.equal(msp.stats.signaturesVerified, 2);
    assert.equal(msp.stats.signatureCacheHits, 0);
  });

  it('accepts a signature verified before without verifying it again', async () => {
    const msp = withCache();
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const message = Buffer.from('proposal bytes');
    const signature = await peer.sign(message);
    await id.verify(message, signature);
    // Same content in other buffers: what the ACL check hands over after the endorser's check.
    await id.verify(Uint8Array.from(message), Uint8Array.from(signature));
    assert.equal(msp.stats.signaturesVerified, 1);
    assert.equal(msp.stats.signatureCacheHits, 1);
  });

  it('neither looks up nor remembers a signature verified with remember: false', async () => {
    const msp = withCache();
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const message = Buffer.from('transaction in a block');
    const signature = await peer.sign(message);
    await id.verify(message, signature, { remember: false });
    await id.verify(message, signature);
    assert.equal(msp.stats.signaturesVerified, 2, 'not remembered');
    await id.verify(message, signature, { remember: false });
    assert.equal(msp.stats.signaturesVerified, 3, 'not looked up');
    assert.equal(msp.stats.signatureCacheHits, 0);
    await id.verify(message, signature);
    assert.equal(msp.stats.signatureCacheHits, 1, 'the default still remembers');
  });

  it('never remembers a failure: a bad signature is refused every time', async () => {
    const msp = withCache();
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const message = Buffer.from('proposal bytes');
    const wrong = await peer.sign(Buffer.from('something else'));
    await refused(id.verify(message, wrong));
    await refused(id.verify(message, wrong));
    assert.equal(msp.stats.signaturesVerified, 2);
    assert.equal(msp.stats.signatureCacheHits, 0);
  });

  it('refuses a known signature over another message, even one changed in place', async () => {
    const msp = withCache();
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const message = Buffer.from('proposal bytes');
    const signature = await peer.sign(message);
    await id.verify(message, signature);
    await refused(id.verify(Buffer.from('proposal bytez'), signature));
    // The caller's buffer changed after the check: the cache kept a copy, not the buffer.
    message[0] = 0x50;
    await refused(id.verify(message, signature));
    await refused(id.verify(Buffer.from('proposal bytes!'), signature));
    assert.equal(msp.stats.signatureCacheHits, 0);
  });

  it('keys by identity: another identity presenting the signature is checked and refused', async () => {
    const msp = withCache();
    const signerId = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const other = msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem));
    const message = Buffer.from('proposal bytes');
    const signature = await peer.sign(message);
    await signerId.verify(message, signature);
    await refused(other.verify(message, signature));
    await other.verify(message, await client.sign(message));
    assert.equal(msp.stats.signatureCacheHits, 0);
  });

  it('refuses the high-S twin of a known signature, as without the cache', async () => {
    const msp = withCache();
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const message = Buffer.from('proposal bytes');
    const signature = await peer.sign(message);
    await id.verify(message, signature);
    await refused(id.verify(message, flipS(signature, 'P-256')));
  });

  it('keeps large messages as digests, never confused with a short message', async () => {
    const msp = withCache();
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const large = Buffer.alloc(10_000, 7);
    const signature = await peer.sign(large);
    await id.verify(large, signature);
    await id.verify(Buffer.alloc(10_000, 7), signature);
    assert.equal(msp.stats.signatureCacheHits, 1);
    const changed = Buffer.alloc(10_000, 7);
    changed[9_999] = 8;
    await refused(id.verify(changed, signature));
    // The kept digest itself, presented as a 32-byte message, is not the large message.
    await refused(id.verify(createHash('sha256').update(large).digest(), signature));
    assert.equal(msp.stats.signatureCacheHits, 1);
  });

  it('is bounded: the least recently verified signature is verified again', async () => {
    const msp = withCache(1);
    const id = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    const [sa, sb] = [await peer.sign(a), await peer.sign(b)];
    await id.verify(a, sa);
    await id.verify(b, sb);
    await id.verify(a, sa);
    assert.equal(msp.stats.signaturesVerified, 3);
    assert.equal(msp.stats.signatureCacheHits, 0);
    await id.verify(a, sa);
    assert.equal(msp.stats.signatureCacheHits, 1);
  });
});
