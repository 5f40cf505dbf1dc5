/**
 * The policy abstraction (Fabric's policies.Policy) and the evaluation of a signature set, shared by
 * signature policies, implicit-meta policies and the reject policy.
 */
import type { Identity, IdentityDeserializer, Logger, SignedData } from '@fabric-peer/api';

import { PolicyError } from './errors.js';

/** What kind of policy an object is; the numbers are `common.Policy.PolicyType`. */
export type PolicyKind = 'signature' | 'implicit-meta' | 'reject';

/**
 * A compiled policy (Fabric's policies.Policy). Both methods resolve or return when the policy is
 * satisfied, and reject or throw a {@link PolicyError} (`POLICY_NOT_SATISFIED`, or `POLICY_NOT_FOUND`
 * for the reject policy) with Fabric's message otherwise.
 */
export interface Policy {
  readonly kind: PolicyKind;
  /**
   * Fabric's EvaluateSignedData: turns the signatures into valid, de-duplicated identities
   * ({@link validIdentities}) and evaluates the policy over them.
   */
  evaluateSignedData(signatures: readonly SignedData[]): Promise<void>;
  /** Fabric's EvaluateIdentities: evaluates the policy over identities already checked. */
  evaluateIdentities(identities: readonly Identity[]): void;
}

/** A policy found in a policy manager, with the absolute path it was found at. */
export interface ResolvedPolicy extends Policy {
  /** e.g. `/Channel/Application/Writers`. */
  readonly path: string;
  /** The policy itself (the object shared by every lookup of this path). */
  readonly policy: Policy;
}

/**
 * One evaluation of one signature set. Every signature policy over the same deserializer asks it for
 * the valid identities, so that an implicit-meta policy (or a config update touching many elements)
 * deserializes and verifies each signature once instead of once per sub-policy. The outcome is the
 * same as Fabric's, which repeats the work: deserializing and verifying are deterministic.
 */
export class SignatureSet {
  private readonly byDeserializer = new Map<IdentityDeserializer, Promise<Identity[]>>();

  constructor(
    readonly signatures: readonly SignedData[],
    private readonly logger?: Logger,
  ) {}

  /** The valid identities of this set as `deserializer` sees them (computed once). */
  identities(deserializer: IdentityDeserializer): Promise<Identity[]> {
    let found = this.byDeserializer.get(deserializer);
    if (found === undefined) {
      found = validIdentities(this.signatures, deserializer, this.logger);
      this.byDeserializer.set(deserializer, found);
    }
    return found;
  }
}

/** What every policy of this package implements, so that nested policies share a {@link SignatureSet}. */
export interface PolicyNode extends Policy {
  evaluateSet(set: SignatureSet): Promise<void>;
}

interface Candidate {
  readonly index: number;
  readonly identity: Identity;
  readonly signed: SignedData;
}

/**
 * Fabric's `policies.SignatureSetToValidIdentities`, in its order:
 *
 * 1. each signer is deserialized; one that does not deserialize is skipped;
 * 2. a signer whose identity (MSP id + id) was already *accepted* is skipped before its signature is
 *    checked (so repeated signatures by one identity cost one verification);
 * 3. the signature is verified; a bad one is skipped, and the identity is not marked as seen, so a
 *    later valid signature by the same identity is still accepted.
 *
 * The identities come back in the order of the signature that got each accepted, which is what
 * makes the greedy evaluation of signature policies order-sensitive. Verifications of different
 * identities run concurrently; those of one identity run in order, as in Fabric.
 */
export async function validIdentities(
  signatures: readonly SignedData[],
  deserializer: IdentityDeserializer,
  logger?: Logger,
  /** How a signature is checked; default the identity's own verify (the committer passes one that knows what its worker pool already verified). */
  verify: (identity: Identity, signed: SignedData) => Promise<void> = (identity, signed) =>
    identity.verify(signed.data, signed.signature),
): Promise<Identity[]> {
  const byKey = new Map<string, Candidate[]>();
  signatures.forEach((signed, index) => {
    let identity: Identity;
    try {
      identity = deserializer.deserializeIdentity(signed.identity);
    } catch (err) {
      logger?.warn('invalid identity', { index, error: String(err) });
      return;
    }
    // Fabric's key is the plain concatenation of the MSP id and the id.
    const key = identity.identifier.mspId + identity.identifier.id;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [{ index, identity, signed }]);
    else list.push({ index, identity, signed });
  });

  const accepted: Candidate[] = [];
  await Promise.all(
    [...byKey.values()].map(async (candidates) => {
      for (const candidate of candidates) {
        try {
          await verify(candidate.identity, candidate.signed);
        } catch (err) {
          logger?.warn('signature for identity is invalid', {
            index: candidate.index,
            error: String(err),
          });
          continue;
        }
        accepted.push(candidate);
        return;
      }
    }),
  );
  accepted.sort((a, b) => a.index - b.index);
  return accepted.map((c) => c.identity);
}

/**
 * Fabric's reject policy: what a manager hands out for a name it does not have. Every evaluation
 * fails with `no such policy: '<name>'`.
 */
export class RejectPolicy implements PolicyNode {
  readonly kind = 'reject';

  constructor(readonly name: string) {}

  evaluateSignedData(_signatures: readonly SignedData[]): Promise<void> {
    return Promise.reject(this.error());
  }

  evaluateSet(_set: SignatureSet): Promise<void> {
    return Promise.reject(this.error());
  }

  evaluateIdentities(_identities: readonly Identity[]): void {
    throw this.error();
  }

  private error(): PolicyError {
    return new PolicyError('POLICY_NOT_FOUND', `no such policy: '${this.name}'`, {
      details: { policy: this.name },
    });
  }
}
