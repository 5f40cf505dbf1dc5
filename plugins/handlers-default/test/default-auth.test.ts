import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContext } from '@fabric-peer/api';
import { DefaultAuth } from '../src/index.js';
import { RecordingEndorser } from '../test-support/fakes.js';
import {
  GARBAGE,
  serializedIdentity,
  signedProposal,
  signedProposalFrom,
} from '../test-support/proposals.js';

describe('DefaultAuth', () => {
  it('forwards the proposal and context to next and returns its response', async () => {
    const next = new RecordingEndorser();
    const auth = new DefaultAuth();
    auth.init(next);
    const signed = signedProposal({ creator: serializedIdentity('Org1MSP', 'not a certificate') });
    const context: CallContext = { remoteAddress: '10.0.0.7:51234' };

    const res = await auth.processProposal(signed, context);

    assert.equal(res, next.response);
    assert.equal(next.calls.length, 1);
    assert.equal(next.calls[0]!.signed, signed);
    assert.equal(next.calls[0]!.context, context);
  });

  it('does not look inside the proposal, as Fabric’s pass-through filter', async () => {
    const next = new RecordingEndorser();
    const auth = new DefaultAuth();
    auth.init(next);
    await auth.processProposal(signedProposalFrom(GARBAGE), {});
    assert.equal(next.calls.length, 1);
  });

  it('passes on the rejection of next unchanged', async () => {
    const failure = new Error('chaincode basic not found');
    const auth = new DefaultAuth();
    auth.init({ processProposal: () => Promise.reject(failure) });
    await assert.rejects(auth.processProposal({}, {}), (e) => e === failure);
  });

  it('fails clearly when used before init', async () => {
    await assert.rejects(new DefaultAuth().processProposal({}, {}), {
      message: 'DefaultAuth used before init',
    });
  });
});
