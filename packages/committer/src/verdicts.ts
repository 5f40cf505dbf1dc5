/**
 * Signatures of one block already verified (by the validator pool): the signed-data objects the
 * committer built and handed to validation plugins. A plugin that passes them on to the policy
 * evaluator unchanged has them accepted without a second verification; anything else is verified.
 */
import type { SignedData } from '@fabric-peer/api';

export class Verdicts {
  readonly #verified = new WeakSet<SignedData>();

  /** Records that `signed` (an object the committer froze) verifies. */
  markVerified(signed: SignedData): void {
    this.#verified.add(signed);
  }

  /** True when `signed` is one of the objects known to verify; undefined otherwise. */
  lookup(signed: SignedData): true | undefined {
    return this.#verified.has(signed) ? true : undefined;
  }
}
