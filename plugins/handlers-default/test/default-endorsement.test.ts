import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { EndorsementDependencies } from '@fabric-peer/api';
import { msp, protos } from '@fabric-peer/protos';
import { DefaultEndorsement } from '../src/index.js';
import {
  assertSameBytes,
  makeCerts,
  TestSigningIdentity,
  type TestCerts,
} from '../test-support/fakes.js';
import { serializedIdentity, signedProposal } from '../test-support/proposals.js';

// Order of the P-256 group, to check that signatures are low-S as Fabric requires.
const P256_HALF_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n / 2n;

/** The S of a DER ECDSA signature. */
function sOf(der: Uint8Array): bigint {
  const b = Buffer.from(der);
  const rLen = b[3]!;
  const sLen = b[4 + rLen + 1]!;
  const s = b.subarray(4 + rLen + 2, 4 + rLen + 2 + sLen);
  return BigInt(`0x${s.toString('hex')}`);
}

/** A marshaled ProposalResponsePayload, as the endorser hands it to the plugin. */
function responsePayload(): Uint8Array {
  return protos.ProposalResponsePayload.encode({
    proposalHash: Buffer.alloc(32, 7),
    extension: protos.ChaincodeAction.encode({
      results: Buffer.from('rwset'),
      response: { status: 200, payload: Buffer.from('pong') },
      chaincodeId: { name: 'basic', version: '1.0' },
    }).finish(),
  }).finish();
}

describe('DefaultEndorsement', () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeCerts();
  });

  async function endorser(identity: TestSigningIdentity) {
    const asked: protos.ISignedProposal[] = [];
    const deps: EndorsementDependencies = {
      signingIdentityFor: (sp) => {
        asked.push(sp);
        return Promise.resolve(identity);
      },
    };
    const plugin = new DefaultEndorsement();
    await plugin.init(deps);
    return { plugin, asked };
  }

  it('signs payload ‖ endorser with the signing identity and returns the payload unchanged', async () => {
    const identity = new TestSigningIdentity('Org1MSP', certs.valid);
    const { plugin, asked } = await endorser(identity);
    const signed = signedProposal({ creator: serializedIdentity('Org2MSP', certs.valid.certPem) });
    const payload = responsePayload();
    const copy = Uint8Array.from(payload);

    const result = await plugin.endorse(payload, signed);

    assert.deepEqual(asked, [signed]);
    assert.equal(result.payload, payload);
    assertSameBytes(payload, copy, 'payload after endorsing');

    const endorserBytes = result.endorsement.endorser!;
    const signature = result.endorsement.signature!;
    assertSameBytes(endorserBytes, identity.serialize(), 'endorser');
    const id = msp.SerializedIdentity.decode(endorserBytes);
    assert.equal(id.mspid, 'Org1MSP');
    assert.equal(Buffer.from(id.idBytes).toString(), certs.valid.certPem);

    const message = Buffer.concat([payload, endorserBytes]);
    assert.equal(identity.signed.length, 1);
    assertSameBytes(identity.signed[0], message, 'signed message');
    const key = createPublicKey(Buffer.from(id.idBytes).toString());
    assert.ok(
      verify('sha256', message, { key, dsaEncoding: 'der' }, signature),
      'signature verifies',
    );
    assert.ok(
      !verify('sha256', payload, { key, dsaEncoding: 'der' }, signature),
      'payload alone does not',
    );
    assert.ok(sOf(signature) <= P256_HALF_N, 'low-S');
    await identity.verify(message, signature);
  });

  it('carries the endorsement as a protobuf Endorsement', async () => {
    const identity = new TestSigningIdentity('Org1MSP', certs.valid);
    const { plugin } = await endorser(identity);
    const { endorsement } = await plugin.endorse(responsePayload(), {});
    const wire = protos.Endorsement.decode(protos.Endorsement.encode(endorsement).finish());
    assertSameBytes(wire.endorser, identity.serialize(), 'endorser');
    assertSameBytes(wire.signature, endorsement.signature!, 'signature');
  });

  it('passes on a failure to find the signing identity', async () => {
    const plugin = new DefaultEndorsement();
    await plugin.init({
      signingIdentityFor: () => Promise.reject(new Error('no signer for channel c1')),
    });
    await assert.rejects(plugin.endorse(responsePayload(), {}), {
      message: 'no signer for channel c1',
    });
  });

  it('fails clearly when used before init', async () => {
    await assert.rejects(new DefaultEndorsement().endorse(responsePayload(), {}), {
      message: 'DefaultEndorsement used before init',
    });
  });
});
