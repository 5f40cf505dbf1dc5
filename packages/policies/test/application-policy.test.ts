/** The ApplicationPolicy evaluator (the api PolicyEvaluator) over the corpus channel. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import type { PolicyEvaluator } from '@fabric-peer/api';
import { common, protos } from '@fabric-peer/protos';

import {
  PolicyError,
  bundleFromBlock,
  createApplicationPolicyEvaluator,
  type ChannelConfigBundle,
} from '../src/index.js';
import { genesisBlockBytes } from '../test-support/corpus.js';
import { FakeIdentity, fakeMspFactory, principal } from '../test-support/fakes.js';

let bundle: ChannelConfigBundle;
let evaluator: PolicyEvaluator;

before(async () => {
  bundle = await bundleFromBlock(genesisBlockBytes(), { mspFactory: fakeMspFactory() });
  evaluator = createApplicationPolicyEvaluator({ bundle: () => bundle });
});

const payload = new Uint8Array(Buffer.from('proposal response payload'));
const peer1 = new FakeIdentity({ mspId: 'Org1MSP', name: 'peer0.org1', roles: ['PEER'] });
const peer2 = new FakeIdentity({ mspId: 'Org2MSP', name: 'peer0.org2', roles: ['PEER'] });
const client2 = new FakeIdentity({ mspId: 'Org2MSP', name: 'user.org2', roles: ['CLIENT'] });

const signaturePolicy = (version: number, signedBy = 0): Uint8Array =>
  protos.ApplicationPolicy.encode({
    signaturePolicy: {
      version,
      rule: { nOutOf: { n: 1, rules: [{ signedBy }] } },
      identities: [principal('Org1MSP', 'PEER')],
    },
  }).finish();

const reference = (ref: string): Uint8Array =>
  protos.ApplicationPolicy.encode({ channelConfigPolicyReference: ref }).finish();

async function rejects(
  promise: Promise<void>,
  code: PolicyError['code'],
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof PolicyError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

void describe('ApplicationPolicy evaluator', () => {
  void test('signature_policy', async () => {
    await evaluator.evaluate(signaturePolicy(0), [peer1.signed(payload)]);
    await rejects(
      evaluator.evaluate(signaturePolicy(0), [peer2.signed(payload)]),
      'POLICY_NOT_SATISFIED',
      /^signature set did not satisfy policy$/,
    );
    // no version check on this path (unlike channel config policies)
    await evaluator.evaluate(signaturePolicy(3), [peer1.signed(payload)]);
    await rejects(
      evaluator.evaluate(signaturePolicy(0, 4), [peer1.signed(payload)]),
      'POLICY_INVALID',
      /^could not create evaluator for signature policy: identity index out of range, requested 4, but identities length is 1$/,
    );
  });

  void test('channel_config_policy_reference, absolute or relative to /Channel', async () => {
    for (const ref of ['/Channel/Application/Endorsement', 'Application/Endorsement']) {
      await evaluator.evaluate(reference(ref), [peer1.signed(payload), peer2.signed(payload)]);
      await rejects(
        evaluator.evaluate(reference(ref), [peer1.signed(payload), client2.signed(payload)]),
        'POLICY_NOT_SATISFIED',
        /^implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2 of the 'Endorsement' sub-policies to be satisfied$/,
      );
    }
    // an org's own policy
    await evaluator.evaluate(reference('/Channel/Application/Org2MSP/Endorsement'), [
      peer2.signed(payload),
    ]);
  });

  void test('a reference to a policy the channel does not have', async () => {
    await rejects(
      evaluator.evaluate(reference('/Channel/Application/Nope'), [peer1.signed(payload)]),
      'POLICY_NOT_FOUND',
      /^could not create evaluator for channel reference policy: failed to retrieve policy for reference \/Channel\/Application\/Nope$/,
    );
  });

  void test('empty and malformed policies', async () => {
    await rejects(
      evaluator.evaluate(new Uint8Array(), []),
      'POLICY_INVALID',
      /^unsupported policy type <nil>$/,
    );
    await rejects(
      evaluator.evaluate(new Uint8Array([0x0a, 0x10, 0x01]), []),
      'POLICY_INVALID',
      /^failed to unmarshal ApplicationPolicy bytes: /,
    );
    const emptyEnvelope = protos.ApplicationPolicy.encode({
      signaturePolicy: common.SignaturePolicyEnvelope.create(),
    }).finish();
    await rejects(
      evaluator.evaluate(emptyEnvelope, []),
      'POLICY_INVALID',
      /^could not create evaluator for signature policy: Empty policy element$/,
    );
  });

  void test('references follow the current bundle', async () => {
    const state: { current?: ChannelConfigBundle } = {};
    const dynamic = createApplicationPolicyEvaluator({
      bundle: () => {
        if (state.current === undefined) throw new Error('no bundle yet');
        return state.current;
      },
    });
    await assert.rejects(
      dynamic.evaluate(reference('Application/Endorsement'), []),
      /no bundle yet/,
    );
    state.current = bundle;
    await dynamic.evaluate(reference('Application/Endorsement'), [
      peer1.signed(payload),
      peer2.signed(payload),
    ]);
  });
});
