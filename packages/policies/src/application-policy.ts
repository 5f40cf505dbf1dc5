/**
 * The ApplicationPolicy evaluator (Fabric's core/policy ApplicationPolicyEvaluator): endorsement
 * policies given as a `signature_policy` or as a reference to a channel config policy.
 */
import type { IdentityDeserializer, Logger, PolicyEvaluator, SignedData } from '@fabric-peer/api';
import { protos } from '@fabric-peer/protos';

import type { ChannelConfigBundle } from './bundle.js';
import { PolicyError, messageOf } from './errors.js';
import { SignaturePolicy } from './signature-policy.js';

/** What the evaluator is built with. */
export interface ApplicationPolicyEvaluatorOptions {
  /**
   * The channel's current bundle, read at every evaluation (Fabric's dynamic policy manager: a
   * reference always resolves against the latest config).
   */
  readonly bundle: () => ChannelConfigBundle;
  /**
   * The deserializer of signature policies; default: the current bundle's MSP manager. (Fabric
   * fixes the deserializer when the evaluator is created.)
   */
  readonly deserializer?: IdentityDeserializer;
  readonly logger?: Logger;
}

/**
 * Fabric's ApplicationPolicyEvaluator.Evaluate, as the api's {@link PolicyEvaluator}:
 *
 * - `signature_policy`: compiled as it is, with no version check (unlike config policies), and
 *   evaluated over the signatures;
 * - `channel_config_policy_reference`: looked up in the channel's policy manager (absolute, or
 *   relative to `/Channel`) and evaluated;
 * - anything else: `unsupported policy type`.
 *
 * Rejects with a {@link PolicyError} whose message is Fabric's.
 */
export function createApplicationPolicyEvaluator(
  options: ApplicationPolicyEvaluatorOptions,
): PolicyEvaluator {
  return {
    async evaluate(policyBytes: Uint8Array, signatures: readonly SignedData[]): Promise<void> {
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
          const envelope = policy.signaturePolicy;
          if (envelope === null || envelope === undefined) {
            throw new PolicyError(
              'POLICY_INVALID',
              'could not create evaluator for signature policy: invalid arguments',
            );
          }
          let compiled: SignaturePolicy;
          try {
            compiled = new SignaturePolicy(
              envelope,
              options.deserializer ?? options.bundle().deserializer,
              options.logger ? { logger: options.logger } : {},
            );
          } catch (err) {
            throw new PolicyError(
              'POLICY_INVALID',
              `could not create evaluator for signature policy: ${messageOf(err)}`,
              { cause: err },
            );
          }
          return compiled.evaluateSignedData(signatures);
        }
        case 'channelConfigPolicyReference': {
          const reference = policy.channelConfigPolicyReference ?? '';
          const found = options.bundle().policyManager.getPolicy(reference);
          if (found === undefined) {
            throw new PolicyError(
              'POLICY_NOT_FOUND',
              `could not create evaluator for channel reference policy: failed to retrieve policy for reference ${reference}`,
              { details: { policy: reference } },
            );
          }
          return found.evaluateSignedData(signatures);
        }
        default:
          throw new PolicyError('POLICY_INVALID', 'unsupported policy type <nil>');
      }
    },
  };
}
