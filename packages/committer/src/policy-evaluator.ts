/**
 * The policy evaluator validation plugins get (Fabric's PolicyEvaluatorWrapper over the
 * ApplicationPolicyEvaluator): an `ApplicationPolicy` (a signature policy, or a reference to a
 * channel configuration policy) evaluated over a signature set.
 *
 * The signature set is turned into valid identities exactly as Fabric's
 * SignatureSetToValidIdentities does (deserialize, skip an identity already accepted, verify, skip a
 * bad signature without marking the identity seen), then the policy is evaluated over those
 * identities. A signature the validator pool already verified (same identity, same data, same
 * signature) is not verified again: verification is deterministic, so the verdict is the same.
 */
import type { Logger, PolicyEvaluator, SignedData } from '@fabric-peer/api';
import {
  PolicyError,
  createSignaturePolicy,
  validIdentities,
  type ChannelConfigBundle,
  type Policy,
} from '@fabric-peer/policies';
import { protos } from '@fabric-peer/protos';

import { messageOf } from './errors.js';
import type { Verdicts } from './verdicts.js';

/** What the evaluator is built with. */
export interface ValidationPolicyEvaluatorOptions {
  /** The channel's configuration in force for the block being validated. */
  readonly bundle: () => ChannelConfigBundle;
  /** Signatures already verified by the validator pool for the block being validated. */
  readonly verdicts?: () => Verdicts | undefined;
  readonly logger?: Logger;
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** Creates the evaluator; see the module comment. Rejects with a PolicyError (Fabric's messages). */
export function createValidationPolicyEvaluator(
  options: ValidationPolicyEvaluatorOptions,
): PolicyEvaluator {
  // Compiled signature policies, per bundle (a new configuration may change the MSPs).
  const compiled = new WeakMap<ChannelConfigBundle, Map<string, Policy>>();

  const policyOf = (bundle: ChannelConfigBundle, policyBytes: Uint8Array): Policy => {
    let policy: protos.ApplicationPolicy;
    try {
      policy = protos.ApplicationPolicy.decode(policyBytes);
    } catch (err) {
      throw new PolicyError(
        'POLICY_INVALID',
        `failed to unmarshal ApplicationPolicy bytes: ${messageOf(err)}`,
        { cause: err },
      );
    }
    switch (policy.Type) {
      case 'signaturePolicy': {
        let cache = compiled.get(bundle);
        if (cache === undefined) {
          cache = new Map();
          compiled.set(bundle, cache);
        }
        const key = latin1(policyBytes);
        let found = cache.get(key);
        if (found === undefined) {
          try {
            found = createSignaturePolicy(policy.signaturePolicy!, bundle.deserializer);
          } catch (err) {
            throw new PolicyError(
              'POLICY_INVALID',
              `could not create evaluator for signature policy: ${messageOf(err)}`,
              { cause: err },
            );
          }
          // Endorsement policies are few; a crafted stream of distinct ones must not grow this.
          if (cache.size > 1024) cache.clear();
          cache.set(key, found);
        }
        return found;
      }
      case 'channelConfigPolicyReference': {
        const reference = policy.channelConfigPolicyReference ?? '';
        const found = bundle.policyManager.getPolicy(reference);
        if (found === undefined) {
          throw new PolicyError(
            'POLICY_NOT_FOUND',
            `could not create evaluator for channel reference policy: failed to retrieve policy for reference ${reference}`,
            { details: { policy: reference } },
          );
        }
        return found;
      }
      default:
        throw new PolicyError('POLICY_INVALID', 'unsupported policy type <nil>');
    }
  };

  return {
    async evaluate(policyBytes: Uint8Array, signatures: readonly SignedData[]): Promise<void> {
      const bundle = options.bundle();
      const policy = policyOf(bundle, policyBytes);
      const verdicts = options.verdicts?.();
      const identities = await validIdentities(
        signatures,
        bundle.deserializer,
        options.logger,
        (identity, signed) => {
          const known = verdicts?.lookup(signed);
          if (known === true) return Promise.resolve();
          return identity.verify(signed.data, signed.signature, { remember: false });
        },
      );
      policy.evaluateIdentities(identities);
    },
  };
}
