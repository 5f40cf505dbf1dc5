/**
 * Signature policies (Fabric's common/cauthdsl): a `SignaturePolicyEnvelope` compiled into an
 * evaluator with Fabric's exact, greedy semantics.
 */
import type { Identity, IdentityDeserializer, Logger, SignedData } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';

import { PolicyError, messageOf } from './errors.js';
import { SignatureSet, type Policy, type PolicyNode } from './policy.js';

/** A compiled rule: true when the identities not yet `used` satisfy it; marks what it consumes. */
type Evaluator = (identities: readonly Identity[], used: boolean[]) => boolean;

/**
 * Compiles a rule as Fabric's `cauthdsl.compile` does:
 *
 * - `n_out_of`: every sub-rule is evaluated in order, each on a copy of the `used` marks; a
 *   sub-rule that succeeds has its marks kept (even beyond the n-th success), one that fails has them
 *   dropped; the rule holds when at least `n` sub-rules succeed (so `n <= 0` always holds);
 * - `signed_by`: the first identity, in order, that is not used and satisfies the principal is
 *   marked used; each identity satisfies at most one `signed_by`.
 *
 * This assignment is greedy, not optimal: which identities come first, and which sub-rule takes an
 * identity, decide the outcome. Fabric's decisions are reproduced, including those cases.
 */
function compile(
  rule: common.SignaturePolicy.$Properties | null | undefined,
  principals: readonly common.MSPPrincipal.$Properties[],
): Evaluator {
  if (rule === null || rule === undefined) {
    throw new PolicyError('POLICY_INVALID', 'Empty policy element');
  }
  const which = (rule as { Type?: string }).Type ?? oneofMember(rule);
  if (which === 'nOutOf') {
    const nOutOf = rule.nOutOf ?? {};
    const n = nOutOf.n ?? 0;
    const rules = (nOutOf.rules ?? []).map((r) => compile(r, principals));
    return (identities, used) => {
      let verified = 0;
      const scratch = new Array<boolean>(used.length);
      for (const sub of rules) {
        for (let i = 0; i < used.length; i++) scratch[i] = used[i] as boolean;
        if (sub(identities, scratch)) {
          verified++;
          for (let i = 0; i < used.length; i++) used[i] = scratch[i] as boolean;
        }
      }
      return verified >= n;
    };
  }
  if (which === 'signedBy') {
    const index = rule.signedBy ?? 0;
    if (index < 0 || index >= principals.length) {
      throw new PolicyError(
        'POLICY_INVALID',
        `identity index out of range, requested ${index}, but identities length is ${principals.length}`,
      );
    }
    const principal = principals[index] as common.MSPPrincipal.$Properties;
    return (identities, used) => {
      for (let i = 0; i < identities.length; i++) {
        if (used[i]) continue;
        try {
          (identities[i] as Identity).satisfiesPrincipal(principal);
        } catch {
          continue;
        }
        used[i] = true;
        return true;
      }
      return false;
    };
  }
  throw new PolicyError('POLICY_INVALID', 'Unknown type: <nil>:<nil>');
}

/** For plain objects (not decoded messages): which oneof member is set. */
function oneofMember(rule: common.SignaturePolicy.$Properties): string | undefined {
  if (rule.nOutOf !== null && rule.nOutOf !== undefined) return 'nOutOf';
  if (rule.signedBy !== null && rule.signedBy !== undefined) return 'signedBy';
  return undefined;
}

/** Options of the signature policy constructors. */
export interface SignaturePolicyOptions {
  /** Receives a warning for each signer skipped because it does not deserialize or verify. */
  readonly logger?: Logger;
}

/** A compiled signature policy (Fabric's cauthdsl policy). */
export class SignaturePolicy implements PolicyNode {
  readonly kind = 'signature';
  private readonly evaluator: Evaluator;

  /**
   * Compiles `envelope` (no version check: that is done by {@link signaturePolicyFromBytes}, as in
   * Fabric, where only the config path checks it). Throws a `POLICY_INVALID` {@link PolicyError}.
   */
  constructor(
    readonly envelope: common.SignaturePolicyEnvelope.$Properties,
    private readonly deserializer: IdentityDeserializer,
    private readonly options: SignaturePolicyOptions = {},
  ) {
    this.evaluator = compile(envelope.rule, envelope.identities ?? []);
  }

  evaluateSignedData(signatures: readonly SignedData[]): Promise<void> {
    return this.evaluateSet(new SignatureSet(signatures, this.options.logger));
  }

  async evaluateSet(set: SignatureSet): Promise<void> {
    const identities = await set.identities(this.deserializer);
    this.evaluateIdentities(identities);
  }

  evaluateIdentities(identities: readonly Identity[]): void {
    const used = new Array<boolean>(identities.length).fill(false);
    if (!this.evaluator(identities, used)) {
      throw new PolicyError('POLICY_NOT_SATISFIED', 'signature set did not satisfy policy');
    }
  }
}

/**
 * Compiles a signature policy from its envelope, as Fabric's EnvelopeBasedPolicyProvider does (no
 * version check; used for `ApplicationPolicy.signature_policy` and key-level policies). Throws a
 * `POLICY_INVALID` {@link PolicyError}: `Empty policy element`, `identity index out of range...`.
 */
export function createSignaturePolicy(
  envelope: common.SignaturePolicyEnvelope.$Properties,
  deserializer: IdentityDeserializer,
  options: SignaturePolicyOptions = {},
): Policy {
  return new SignaturePolicy(envelope, deserializer, options);
}

/**
 * Fabric's cauthdsl provider `NewPolicy(bytes)`, used for `SIGNATURE` policies in channel
 * configuration: decodes the envelope, requires version 0, compiles.
 */
export function signaturePolicyFromBytes(
  bytes: Uint8Array,
  deserializer: IdentityDeserializer,
  options: SignaturePolicyOptions = {},
): SignaturePolicy {
  let envelope: common.SignaturePolicyEnvelope;
  try {
    envelope = common.SignaturePolicyEnvelope.decode(bytes);
  } catch (err) {
    throw new PolicyError(
      'POLICY_INVALID',
      `Error unmarshalling to SignaturePolicy: ${messageOf(err)}`,
      { cause: err },
    );
  }
  if (envelope.version !== 0) {
    throw new PolicyError(
      'POLICY_INVALID',
      `This evaluator only understands messages of version 0, but version was ${envelope.version}`,
    );
  }
  return new SignaturePolicy(envelope, deserializer, options);
}
