/**
 * The endorsement plan on its own: which peers it asks, how failures move it to the next peer of a
 * group or the next layout, and the payload check. The peers are stand-ins (the plan never calls
 * them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { protos } from '@fabric-peer/protos';
import type { EndorserEndpoint } from '../src/endpoints.js';
import { EndorsementPlan, type OrgLayout } from '../src/plan.js';

function peer(address: string, mspId: string): EndorserEndpoint {
  return {
    address,
    mspId,
    local: false,
    process: () => Promise.reject(new Error('not called in these tests')),
    close: () => undefined,
  };
}

function response(payload: string, endorser: string): protos.ProposalResponse.$Properties {
  return {
    response: { status: 200 },
    payload: Buffer.from(payload),
    endorsement: { endorser: Buffer.from(endorser), signature: Buffer.from(`sig-${endorser}`) },
  };
}

function layout(entries: Record<string, number>): OrgLayout {
  return new Map(Object.entries(entries));
}

function endorsers(plan: EndorsementPlan): string[] | undefined {
  return plan.endorsers()?.map((e) => e.address);
}

function endorsedBy(plan: EndorsementPlan): string[] {
  return (plan.completed?.endorsements ?? []).map((e) => Buffer.from(e?.endorser ?? []).toString());
}

describe('EndorsementPlan', () => {
  const a1 = peer('a1', 'A');
  const b1 = peer('b1', 'B');
  const b2 = peer('b2', 'B');
  const c1 = peer('c1', 'C');
  const groups = (): Map<string, EndorserEndpoint[]> =>
    new Map([
      ['A', [a1]],
      ['B', [b1, b2]],
      ['C', [c1]],
    ]);

  it('asks one peer of each required group and completes when all answered alike', () => {
    const plan = new EndorsementPlan([layout({ A: 1, B: 1 })], groups());
    assert.deepEqual(endorsers(plan), ['a1', 'b1']);
    assert.equal(plan.processEndorsement(a1, response('X', 'a1')), true);
    assert.equal(plan.completed, undefined);
    assert.equal(plan.processEndorsement(b1, response('X', 'b1')), true);
    assert.deepEqual(endorsedBy(plan), ['a1', 'b1']);
    assert.equal(Buffer.from(plan.responsePayload ?? []).toString(), 'X');
  });

  it('replaces a failed peer by the next of its group', () => {
    const plan = new EndorsementPlan([layout({ A: 1, B: 1 })], groups());
    plan.endorsers();
    assert.equal(plan.nextPeerInGroup(b1), b2);
    plan.processEndorsement(a1, response('X', 'a1'));
    plan.processEndorsement(b2, response('X', 'b2'));
    assert.deepEqual(endorsedBy(plan), ['a1', 'b2']);
  });

  it('moves to the next layout when a group runs out, keeping endorsements already made', () => {
    const plan = new EndorsementPlan([layout({ A: 1, B: 1 }), layout({ A: 1, C: 1 })], groups());
    assert.deepEqual(endorsers(plan), ['a1', 'b1']);
    plan.processEndorsement(a1, response('X', 'a1'));
    assert.equal(plan.nextPeerInGroup(b1), b2);
    assert.equal(plan.nextPeerInGroup(b2), undefined);
    // A is already met in the second layout: only C is left to ask.
    assert.deepEqual(endorsers(plan), ['c1']);
    plan.processEndorsement(c1, response('X', 'c1'));
    assert.deepEqual(endorsedBy(plan), ['a1', 'c1']);
  });

  it('skips layouts its groups cannot fill and ends when none is left', () => {
    const plan = new EndorsementPlan([layout({ B: 3 }), layout({ C: 1 })], groups());
    assert.deepEqual(endorsers(plan), ['c1']);
    assert.equal(plan.nextPeerInGroup(c1), undefined);
    assert.equal(plan.endorsers(), undefined);
    assert.equal(plan.completed, undefined);
  });

  it('refuses an endorsement whose payload differs from the first one', () => {
    const mismatched: string[] = [];
    const plan = new EndorsementPlan([layout({ A: 1, B: 1 })], groups(), (e) =>
      mismatched.push(e.address),
    );
    plan.endorsers();
    plan.processEndorsement(a1, response('X', 'a1'));
    assert.equal(plan.processEndorsement(b1, response('Y', 'b1')), false);
    assert.deepEqual(mismatched, ['b1']);
    assert.deepEqual(plan.errorDetails, [
      { address: 'b1', mspId: 'B', message: 'ProposalResponsePayloads do not match' },
    ]);
    assert.equal(plan.completed, undefined);
    assert.equal(plan.nextPeerInGroup(b1), b2);
    plan.processEndorsement(b2, response('X', 'b2'));
    assert.deepEqual(endorsedBy(plan), ['a1', 'b2']);
  });

  it('needs two endorsements of a group when the layout says so', () => {
    const plan = new EndorsementPlan([layout({ B: 2 })], groups());
    assert.deepEqual(endorsers(plan), ['b1', 'b2']);
    plan.processEndorsement(b1, response('X', 'b1'));
    assert.equal(plan.completed, undefined);
    plan.processEndorsement(b2, response('X', 'b2'));
    assert.deepEqual(endorsedBy(plan), ['b1', 'b2']);
  });

  it('is complete at once when a layout needs nothing', () => {
    const plan = new EndorsementPlan([layout({})], groups());
    assert.notEqual(plan.completed, undefined);
  });
});
