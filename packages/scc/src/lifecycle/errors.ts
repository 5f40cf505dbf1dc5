/** The errors of `_lifecycle` and its definition sources. */
import { FabricPeerError } from '@fabric-peer/api';

export type LifecycleErrorCode =
  /** Fabric's ErrNamespaceNotDefined: no committed definition (the SCC answers 404). */
  | 'NAMESPACE_NOT_DEFINED'
  /** A request `_lifecycle` refuses: bad arguments, sequence rules, approvals, ACL. */
  | 'LIFECYCLE_REFUSED'
  /**
   * A definition (in `_lifecycle` or lscc) that cannot be read as Fabric writes it, or channel
   * configuration missing: Fabric's "unexpected" errors of ValidationInfo, which halt a
   * committer rather than invalidate a transaction.
   */
  | 'DEFINITION_UNREADABLE';

/** A `_lifecycle` failure; the message is Fabric's wording. */
export class LifecycleError extends FabricPeerError {
  declare readonly code: LifecycleErrorCode;
  constructor(
    code: LifecycleErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/**
 * Go's errors.WithMessage: `message: cause`. A wrapped ErrNamespaceNotDefined is no longer one
 * (Fabric's type switch does not see through the wrapping); the other codes are kept.
 */
export function withMessage(err: unknown, message: string): LifecycleError {
  const inner = err instanceof Error ? err.message : String(err);
  const code =
    err instanceof LifecycleError && err.code !== 'NAMESPACE_NOT_DEFINED'
      ? err.code
      : 'LIFECYCLE_REFUSED';
  return new LifecycleError(code, `${message}: ${inner}`, { cause: err });
}

/** A refusal with Fabric's message. */
export function refused(message: string): LifecycleError {
  return new LifecycleError('LIFECYCLE_REFUSED', message);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type CollectionAccessErrorCode =
  /** Fabric's NoSuchCollectionError: the chaincode has no collection by that name. */
  | 'COLLECTION_NOT_FOUND'
  /** The collection's configuration cannot be set up (no member policy, or one that does not compile). */
  | 'COLLECTION_CONFIG_INVALID'
  /** The collection's configuration could not be read (channel not joined, state unreadable). */
  | 'COLLECTION_LOOKUP_FAILED'
  /** The signed proposal whose creator is checked is missing or cannot be unmarshaled. */
  | 'PROPOSAL_MALFORMED';

/** A collection membership check that could not decide; the message is Fabric's wording. */
export class CollectionAccessError extends FabricPeerError {
  declare readonly code: CollectionAccessErrorCode;
  constructor(
    code: CollectionAccessErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
