import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FabricPeerError } from '@fabric-peer/api';
import { ExpirationCheck, expiresAt, ProposalRejected } from '../src/index.js';
import { makeCerts, RecordingEndorser, type TestCerts } from '../test-support/fakes.js';
import {
  channelHeaderBytes,
  GARBAGE,
  headerBytes,
  proposalBytes,
  serializedIdentity,
  signatureHeaderBytes,
  signedProposal,
  signedProposalFrom,
} from '../test-support/proposals.js';

/** Asserts a ProposalRejected whose message is `message` (a string: exactly; a RegExp: matches). */
function rejected(message: string | RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ProposalRejected, `expected ProposalRejected, got ${String(e)}`);
    assert.ok(e instanceof FabricPeerError);
    assert.equal(e.code, 'PROPOSAL_REJECTED');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

function filter(now?: () => Date): { check: ExpirationCheck; next: RecordingEndorser } {
  const next = new RecordingEndorser();
  const check = now ? new ExpirationCheck(now) : new ExpirationCheck();
  check.init(next);
  return { check, next };
}

describe('ExpirationCheck', () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeCerts();
  });

  it('passes a proposal from a valid certificate to next and returns its response', async () => {
    const { check, next } = filter();
    const signed = signedProposal({ creator: serializedIdentity('Org1MSP', certs.valid.certPem) });
    const res = await check.processProposal(signed, {});
    assert.equal(res, next.response);
    assert.equal(next.calls.length, 1);
    assert.equal(next.calls[0]!.signed, signed);
  });

  it('refuses a proposal from an expired certificate without calling next', async () => {
    const { check, next } = filter();
    const signed = signedProposal({
      creator: serializedIdentity('Org1MSP', certs.expired.certPem),
    });
    await assert.rejects(check.processProposal(signed, {}), rejected('identity expired'));
    assert.equal(next.calls.length, 0);
  });

  it('passes a certificate that is not valid yet: Fabric checks only NotAfter', async () => {
    const { check, next } = filter();
    const signed = signedProposal({
      creator: serializedIdentity('Org1MSP', certs.notYetValid.certPem),
    });
    await check.processProposal(signed, {});
    assert.equal(next.calls.length, 1);
  });

  it('refuses only once the clock is past NotAfter', async () => {
    const notAfter = certs.valid.notAfter.getTime();
    const creator = serializedIdentity('Org1MSP', certs.valid.certPem);
    const at = (ms: number) => filter(() => new Date(ms));

    const atExpiry = at(notAfter);
    await atExpiry.check.processProposal(signedProposal({ creator }), {});
    assert.equal(atExpiry.next.calls.length, 1);

    const after = at(notAfter + 1);
    await assert.rejects(
      after.check.processProposal(signedProposal({ creator }), {}),
      rejected('identity expired'),
    );
    assert.equal(after.next.calls.length, 0);
  });

  it("remembers each creator's expiry, not its verdict: the same filter refuses it once time passes", async () => {
    let now = certs.valid.notAfter.getTime() - 1000;
    const { check, next } = filter(() => new Date(now));
    const valid = serializedIdentity('Org1MSP', certs.valid.certPem);
    const expired = serializedIdentity('Org1MSP', certs.expired.certPem);
    await check.processProposal(signedProposal({ creator: valid }), {});
    await check.processProposal(signedProposal({ creator: valid }), {});
    await assert.rejects(
      check.processProposal(signedProposal({ creator: expired }), {}),
      rejected('identity expired'),
    );
    assert.equal(next.calls.length, 2);
    now = certs.valid.notAfter.getTime() + 1;
    await assert.rejects(
      check.processProposal(signedProposal({ creator: valid }), {}),
      rejected('identity expired'),
    );
    assert.equal(next.calls.length, 2);
  });

  it('passes a creator whose id_bytes are not an X.509 certificate (idemix and the like)', async () => {
    for (const idBytes of [
      'idemix-credential',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
    ]) {
      const { check, next } = filter();
      await check.processProposal(
        signedProposal({ creator: serializedIdentity('IdemixMSP', idBytes) }),
        {},
      );
      assert.equal(next.calls.length, 1, idBytes);
    }
  });

  it('passes a creator that is not a serialized identity, leaving it to the MSP', async () => {
    const { check, next } = filter();
    await check.processProposal(signedProposal({ creator: GARBAGE }), {});
    assert.equal(next.calls.length, 1);
  });

  it('reads only PEM, as Fabric: an expired certificate in DER passes', async () => {
    const { check, next } = filter();
    await check.processProposal(
      signedProposal({ creator: serializedIdentity('Org1MSP', certs.expired.der) }),
      {},
    );
    assert.equal(next.calls.length, 1);
  });

  it('refuses proposal bytes that do not parse, without calling next', async () => {
    const { check, next } = filter();
    await assert.rejects(
      check.processProposal(signedProposalFrom(GARBAGE), {}),
      rejected(/^failed parsing proposal: .+/),
    );
    assert.equal(next.calls.length, 0);
  });

  it('refuses a proposal whose header does not parse', async () => {
    const { check, next } = filter();
    await assert.rejects(
      check.processProposal(signedProposalFrom(proposalBytes(GARBAGE)), {}),
      rejected(/^failed parsing header: .+/),
    );
    assert.equal(next.calls.length, 0);
  });

  it('refuses a proposal whose signature header does not parse', async () => {
    const { check, next } = filter();
    const proposal = proposalBytes(headerBytes(channelHeaderBytes(Date.now()), GARBAGE));
    await assert.rejects(
      check.processProposal(signedProposalFrom(proposal), {}),
      rejected(/^failed parsing signature header: .+/),
    );
    assert.equal(next.calls.length, 0);
  });

  it('does not read the channel header', async () => {
    const { check, next } = filter();
    const creator = serializedIdentity('Org1MSP', certs.valid.certPem);
    const proposal = proposalBytes(headerBytes(GARBAGE, signatureHeaderBytes(creator)));
    await check.processProposal(signedProposalFrom(proposal), {});
    assert.equal(next.calls.length, 1);
  });

  it('fails clearly when used before init', async () => {
    const signed = signedProposal({ creator: serializedIdentity('Org1MSP', certs.valid.certPem) });
    await assert.rejects(new ExpirationCheck().processProposal(signed, {}), {
      message: 'ExpirationCheck used before init',
    });
  });
});

describe('expiresAt', () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeCerts();
  });

  it('returns the NotAfter of the certificate in a serialized identity', () => {
    for (const cert of [certs.valid, certs.expired, certs.notYetValid]) {
      assert.deepEqual(expiresAt(serializedIdentity('Org1MSP', cert.certPem)), cert.notAfter);
    }
  });

  it('reads the first PEM block even after leading text', () => {
    const pem = `subject=CN=valid\n${certs.valid.certPem}`;
    assert.deepEqual(expiresAt(serializedIdentity('Org1MSP', pem)), certs.valid.notAfter);
  });

  it('is undefined when there is no PEM certificate to read', () => {
    assert.equal(expiresAt(serializedIdentity('IdemixMSP', 'idemix-credential')), undefined);
    assert.equal(expiresAt(serializedIdentity('Org1MSP', certs.valid.der)), undefined);
    assert.equal(expiresAt(serializedIdentity('Org1MSP', new Uint8Array())), undefined);
    assert.equal(expiresAt(GARBAGE), undefined);
    assert.equal(expiresAt(new Uint8Array()), undefined);
  });
});
