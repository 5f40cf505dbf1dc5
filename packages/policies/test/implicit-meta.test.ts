/** ImplicitMeta policies: ANY, ALL, MAJORITY over 0..3 sub-policies, and Fabric's edge cases. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { common } from '@fabric-peer/protos';

import {
  PolicyError,
  buildPolicyManager,
  treeFromGroup,
  type PolicyManager,
} from '../src/index.js';
import { FakeIdentity, RegistryDeserializer, principal } from '../test-support/fakes.js';
import { group } from '../test-support/updates.js';

const MESSAGE = new Uint8Array(Buffer.from('message'));

function implicitMeta(rule: number, subPolicy: string): common.ConfigPolicy.$Properties {
  return {
    policy: {
      type: common.Policy.PolicyType.IMPLICIT_META,
      value: common.ImplicitMetaPolicy.encode({ rule, subPolicy }).finish(),
    },
  };
}

function memberOf(mspId: string): common.ConfigPolicy.$Properties {
  return {
    policy: {
      type: common.Policy.PolicyType.SIGNATURE,
      value: common.SignaturePolicyEnvelope.encode({
        rule: { nOutOf: { n: 1, rules: [{ signedBy: 0 }] } },
        identities: [principal(mspId, 'MEMBER')],
      }).finish(),
    },
  };
}

/** A /Channel/Application group with `orgs` org groups, each with a `Writers` member policy. */
function managerWith(orgs: number, rule: number, subPolicy = 'Writers'): PolicyManager {
  const groups: Record<string, common.ConfigGroup> = {};
  for (let i = 1; i <= orgs; i++) {
    groups[`Org${i}`] = group({ policies: { Writers: memberOf(`Org${i}MSP`) } });
  }
  const channel = group({
    groups: {
      Application: group({ groups, policies: { Meta: implicitMeta(rule, subPolicy) } }),
    },
  });
  return buildPolicyManager(treeFromGroup(channel), {
    deserializer: new RegistryDeserializer(signers),
  });
}

const signers = [1, 2, 3].map((i) => new FakeIdentity({ mspId: `Org${i}MSP`, name: `user${i}` }));

/** Signatures by the first `k` orgs. */
const signedByFirst = (k: number) => signers.slice(0, k).map((s) => s.signed(MESSAGE));

const { ANY, ALL, MAJORITY } = common.ImplicitMetaPolicy.Rule;

// Thresholds written out by hand for n = 0..3 sub-policies.
const THRESHOLDS: Record<'ANY' | 'ALL' | 'MAJORITY', number[]> = {
  ANY: [0, 1, 1, 1],
  ALL: [0, 1, 2, 3],
  MAJORITY: [0, 1, 2, 2],
};

void describe('implicit-meta policies', () => {
  for (const [name, rule] of [
    ['ANY', ANY],
    ['ALL', ALL],
    ['MAJORITY', MAJORITY],
  ] as const) {
    for (let n = 0; n <= 3; n++) {
      const threshold = THRESHOLDS[name][n] as number;
      void test(`${name} over ${n} sub-policies: threshold ${threshold}`, async () => {
        const policy = managerWith(n, rule).requirePolicy('/Channel/Application/Meta');
        assert.equal(policy.kind, 'implicit-meta');
        for (let k = 0; k <= n; k++) {
          const signatures = signedByFirst(k);
          if (k >= threshold) {
            await policy.evaluateSignedData(signatures);
          } else {
            await assert.rejects(policy.evaluateSignedData(signatures), (err) => {
              assert.ok(err instanceof PolicyError);
              assert.equal(err.code, 'POLICY_NOT_SATISFIED');
              assert.equal(
                err.message,
                `implicit policy evaluation failed - ${k} sub-policies were satisfied, but this ` +
                  `policy requires ${threshold} of the 'Writers' sub-policies to be satisfied`,
              );
              return true;
            });
          }
        }
      });
    }
  }

  void test('zero sub-policies: satisfied by nothing at all', async () => {
    for (const rule of [ANY, ALL, MAJORITY]) {
      const policy = managerWith(0, rule).requirePolicy('/Channel/Application/Meta');
      await policy.evaluateSignedData([]);
      policy.evaluateIdentities([]);
    }
  });

  void test('a child without the sub-policy counts as unsatisfied but counts in the total', async () => {
    const channel = group({
      groups: {
        Application: group({
          groups: {
            Org1: group({ policies: { Writers: memberOf('Org1MSP') } }),
            Org2: group({ policies: { Readers: memberOf('Org2MSP') } }),
          },
          policies: { Meta: implicitMeta(ALL, 'Writers') },
        }),
      },
    });
    const manager = buildPolicyManager(treeFromGroup(channel), {
      deserializer: new RegistryDeserializer(signers),
    });
    const policy = manager.requirePolicy('/Channel/Application/Meta');
    await assert.rejects(
      policy.evaluateSignedData(signedByFirst(2)),
      /1 sub-policies were satisfied, but this policy requires 2/,
    );
  });

  void test('a rule outside the enum has threshold 0: it holds only when no sub-policy holds', async () => {
    const policy = managerWith(2, 7).requirePolicy('/Channel/Application/Meta');
    await policy.evaluateSignedData([]);
    await assert.rejects(
      policy.evaluateSignedData(signedByFirst(1)),
      /1 sub-policies were satisfied, but this policy requires 0 of the 'Writers'/,
    );
  });

  void test('evaluateIdentities follows the same rule', () => {
    const policy = managerWith(3, MAJORITY).requirePolicy('/Channel/Application/Meta');
    policy.evaluateIdentities(signers.slice(0, 2));
    assert.throws(() => policy.evaluateIdentities(signers.slice(0, 1)), /requires 2/);
  });

  void test('each signature is verified once however many sub-policies read it', async () => {
    const fresh = [1, 2, 3].map((i) => new FakeIdentity({ mspId: `Org${i}MSP`, name: `u${i}` }));
    const groups: Record<string, common.ConfigGroup> = {};
    for (let i = 1; i <= 3; i++)
      groups[`Org${i}`] = group({ policies: { Writers: memberOf(`Org${i}MSP`) } });
    const manager = buildPolicyManager(
      treeFromGroup(
        group({
          groups: {
            Application: group({ groups, policies: { Meta: implicitMeta(ALL, 'Writers') } }),
          },
        }),
      ),
      { deserializer: new RegistryDeserializer(fresh) },
    );
    await manager
      .requirePolicy('/Channel/Application/Meta')
      .evaluateSignedData(fresh.map((s) => s.signed(MESSAGE)));
    assert.deepEqual(
      fresh.map((s) => s.verifyCalls),
      [1, 1, 1],
    );
  });
});
