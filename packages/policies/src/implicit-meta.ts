/**
 * ImplicitMeta policies (Fabric's policies.ImplicitMetaPolicy): ANY, ALL or MAJORITY of the policy
 * named `sub_policy` in each child group of the group that holds the policy.
 */
import type { Identity, Logger, SignedData } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';

import { PolicyError, messageOf } from './errors.js';
import { SignatureSet, type PolicyNode } from './policy.js';

/** The rule of an implicit-meta policy, by name; a value outside the enum is kept as its number. */
export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY' | number;

/**
 * The threshold Fabric computes: ANY 1, ALL n, MAJORITY ⌊n/2⌋+1, and 0 when there are no
 * sub-policies. A rule value outside the enum also gives 0 (Fabric's switch has no default).
 */
export function implicitMetaThreshold(rule: ImplicitMetaRule, subPolicies: number): number {
  if (subPolicies === 0) return 0;
  switch (rule) {
    case 'ANY':
      return 1;
    case 'ALL':
      return subPolicies;
    case 'MAJORITY':
      return Math.floor(subPolicies / 2) + 1;
    default:
      return 0;
  }
}

/** The rule of a decoded `common.ImplicitMetaPolicy`. */
export function ruleName(rule: number | null | undefined): ImplicitMetaRule {
  const value: number = rule ?? 0;
  if (value === (common.ImplicitMetaPolicy.Rule.ANY as number)) return 'ANY';
  if (value === (common.ImplicitMetaPolicy.Rule.ALL as number)) return 'ALL';
  if (value === (common.ImplicitMetaPolicy.Rule.MAJORITY as number)) return 'MAJORITY';
  return value;
}

/** Decodes `common.ImplicitMetaPolicy` bytes, with Fabric's message on failure. */
export function decodeImplicitMeta(bytes: Uint8Array): {
  rule: ImplicitMetaRule;
  subPolicy: string;
} {
  let decoded: common.ImplicitMetaPolicy;
  try {
    decoded = common.ImplicitMetaPolicy.decode(bytes);
  } catch (err) {
    throw new PolicyError(
      'POLICY_INVALID',
      `Error unmarshalling to ImplicitMetaPolicy: ${messageOf(err)}`,
      { cause: err },
    );
  }
  return { rule: ruleName(decoded.rule), subPolicy: decoded.subPolicy };
}

/**
 * An implicit-meta policy over the sub-policies given (one per child group, a reject policy where a
 * child lacks the sub-policy). Every sub-policy sees the whole signature set: nothing one of them
 * consumes is withheld from the others.
 *
 * Evaluation is Fabric's loop, quirk included: the count of satisfied sub-policies is decremented
 * from the threshold and success is `remaining == 0`, so with a threshold of 0 (no sub-policies,
 * or an unknown rule) the policy holds only when *no* sub-policy is satisfied.
 */
export class ImplicitMetaPolicy implements PolicyNode {
  readonly kind = 'implicit-meta';
  readonly threshold: number;

  constructor(
    readonly rule: ImplicitMetaRule,
    readonly subPolicyName: string,
    readonly subPolicies: readonly PolicyNode[],
    private readonly logger?: Logger,
  ) {
    this.threshold = implicitMetaThreshold(rule, subPolicies.length);
  }

  evaluateSignedData(signatures: readonly SignedData[]): Promise<void> {
    return this.evaluateSet(new SignatureSet(signatures, this.logger));
  }

  async evaluateSet(set: SignatureSet): Promise<void> {
    let remaining = this.threshold;
    for (const policy of this.subPolicies) {
      let satisfied = true;
      try {
        await policy.evaluateSet(set);
      } catch {
        satisfied = false;
      }
      if (satisfied) {
        remaining--;
        if (remaining === 0) return;
      }
    }
    if (remaining === 0) return;
    throw this.failure(remaining);
  }

  evaluateIdentities(identities: readonly Identity[]): void {
    let remaining = this.threshold;
    for (const policy of this.subPolicies) {
      let satisfied = true;
      try {
        policy.evaluateIdentities(identities);
      } catch {
        satisfied = false;
      }
      if (satisfied) {
        remaining--;
        if (remaining === 0) return;
      }
    }
    if (remaining === 0) return;
    throw this.failure(remaining);
  }

  private failure(remaining: number): PolicyError {
    const satisfied = this.threshold - remaining;
    return new PolicyError(
      'POLICY_NOT_SATISFIED',
      `implicit policy evaluation failed - ${satisfied} sub-policies were satisfied, but this policy ` +
        `requires ${this.threshold} of the '${this.subPolicyName}' sub-policies to be satisfied`,
      { details: { satisfied, threshold: this.threshold, subPolicy: this.subPolicyName } },
    );
  }
}
