// The warm path: a known identity costs no certificate parsing, and verdicts are reused.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { IdentityError } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import { createMsp, createMspManager, type Msp } from '../src/index.js';
import { makeOrg, orgConfig, principal, serialize, type TestOrg } from '../test-support/pki.js';

const ROLE = common.MSPRole.MSPRoleType;

describe('caches', () => {
  let org: TestOrg;

  before(async () => {
    org = await makeOrg('Org1MSP');
  });

  it('the second deserialization and validation of the same bytes parse no certificate', async () => {
    const msp = createMsp(orgConfig(org));
    const bytes = serialize('Org1MSP', org.peer.certPem);
    const afterSetup = msp.stats.certificatesParsed;
    const first = msp.deserializeIdentity(bytes);
    first.validate();
    const afterFirst = msp.stats.certificatesParsed;
    assert.ok(afterFirst > afterSetup);
    const second = msp.deserializeIdentity(Uint8Array.from(bytes));
    second.validate();
    second.satisfiesPrincipal(principal.role('Org1MSP', ROLE.PEER));
    second.satisfiesPrincipal(principal.role('Org1MSP', ROLE.PEER));
    const message = Buffer.from('m');
    const signature = await createMsp(orgConfig(org, { signer: { cert: org.peer } }))
      .defaultSigningIdentity()
      .sign(message);
    await second.verify(message, signature);
    await second.verify(message, signature);
    assert.equal(second, first);
    assert.equal(msp.stats.certificatesParsed, afterFirst);
    assert.equal(msp.stats.deserializeCacheHits, 1);
    assert.equal(msp.stats.validationsComputed, 1);
    assert.equal(msp.stats.principalChecksComputed, 1);
    assert.equal(msp.stats.signaturesVerified, 2);
  });

  it('another encoding of a known certificate is parsed, but its validation verdict is reused', () => {
    const msp = createMsp(orgConfig(org));
    msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem)).validate();
    const crlf = org.client.certPem.replace(/\n/g, '\r\n');
    const again = msp.deserializeIdentity(serialize('Org1MSP', crlf));
    again.validate();
    assert.equal(msp.stats.validationsComputed, 1);
    assert.equal(msp.stats.validationCacheHits, 1);
  });

  it('failures are cached too: a refused identity is not parsed twice', async () => {
    const stranger = await makeOrg('Org1MSP');
    const msp = createMsp(orgConfig(org));
    const bytes = serialize('Org1MSP', stranger.peer.certPem);
    assert.throws(
      () => msp.deserializeIdentity(bytes),
      (e: IdentityError) => e.code === 'UNTRUSTED_CHAIN',
    );
    const parsed = msp.stats.certificatesParsed;
    assert.throws(
      () => msp.deserializeIdentity(bytes),
      (e: IdentityError) => e.code === 'UNTRUSTED_CHAIN',
    );
    assert.equal(msp.stats.certificatesParsed, parsed);
    const none = await (
      await import('@fabric-peer/testkit')
    ).issue(org.ca, 'none', { subject: 'CN=none' });
    const invalid = msp.deserializeIdentity(serialize('Org1MSP', none.certPem));
    assert.throws(
      () => invalid.validate(),
      (e: IdentityError) => e.code === 'INVALID_OU',
    );
    assert.throws(
      () => invalid.validate(),
      (e: IdentityError) => e.code === 'INVALID_OU',
    );
    assert.equal(msp.stats.validationsComputed, 1);
  });

  it('the caches are bounded (LRU) and can be disabled', () => {
    const small = createMsp(orgConfig(org), { cacheSizes: { identities: 2 } });
    const ids = [org.peer, org.client, org.admin].map((c) => serialize('Org1MSP', c.certPem));
    for (const b of ids) small.deserializeIdentity(b);
    const parsed = small.stats.certificatesParsed;
    small.deserializeIdentity(ids[2]!); // kept
    small.deserializeIdentity(ids[1]!); // kept
    assert.equal(small.stats.certificatesParsed, parsed);
    small.deserializeIdentity(ids[0]!); // evicted: parsed again
    assert.ok(small.stats.certificatesParsed > parsed);

    const none: Msp = createMsp(orgConfig(org), {
      cacheSizes: { identities: 0, validations: 0, principals: 0, keys: 0 },
    });
    const b = serialize('Org1MSP', org.peer.certPem);
    none.deserializeIdentity(b);
    const p = none.stats.certificatesParsed;
    none.deserializeIdentity(b);
    assert.ok(none.stats.certificatesParsed > p);
    assert.throws(() => createMsp(orgConfig(org), { cacheSizes: { identities: -1 } }), RangeError);
  });

  it('the manager answers a known identity without decoding it again', () => {
    const msp = createMsp(orgConfig(org));
    const manager = createMspManager([msp]);
    const b = serialize('Org1MSP', org.admin.certPem);
    const first = manager.deserializeIdentity(b);
    const parsed = msp.stats.certificatesParsed;
    const hits = msp.stats.deserializeCacheHits;
    assert.equal(manager.deserializeIdentity(b), first);
    assert.equal(msp.stats.certificatesParsed, parsed);
    // Answered by the manager's own cache, before reaching the MSP.
    assert.equal(msp.stats.deserializeCacheHits, hits);
  });
});
