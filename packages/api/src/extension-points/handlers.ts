/**
 * The handlers Fabric's core.yaml names under `peer.handlers`: auth filters, decorators, endorsement
 * and validation plugins. Names match Fabric's (DefaultAuth, ExpirationCheck, DefaultDecorator,
 * DefaultEndorsement, DefaultValidation, ...); a `library:` beside a name loads a third-party package.
 */
import type { common, protos } from '@fabric-peer/protos';
import { FabricPeerError } from '../errors.js';
import type { IdentityDeserializer, PolicyEvaluator, SignedData, Signer } from '../identity.js';

/** Facts about the gRPC call a proposal arrived on. */
export interface CallContext {
  /** Remote address as `host:port`, when known. */
  readonly remoteAddress?: string;
  /** DER of the client's TLS certificate, when mutual TLS is on. */
  readonly clientCertificate?: Uint8Array;
  /** Aborted when the client cancels or the deadline passes. */
  readonly signal?: AbortSignal;
}

/** Anything that answers a signed proposal: the endorser, or an auth filter in front of it. */
export interface ProposalProcessor {
  processProposal(
    signedProposal: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse>;
}

/**
 * An auth filter (Fabric's auth.Filter). Filters are chained in `peer.handlers.authFilters` order:
 * each holds the next processor and decides whether to pass the proposal on.
 */
export interface AuthFilter extends ProposalProcessor {
  /** Called once, before any proposal, with the processor this filter forwards to. */
  init(next: ProposalProcessor): void;
}
/** Identifier of {@link AuthFilter} contributions. */
export const AuthFilter: unique symbol = Symbol.for('@fabric-peer/api/AuthFilter');

/**
 * A decorator (Fabric's decoration.Decorator): may rewrite the chaincode input before the chaincode
 * sees it, e.g. to add `decorations`. Applied in `peer.handlers.decorators` order.
 */
export interface Decorator {
  decorate(proposal: protos.IProposal, input: protos.IChaincodeInput): protos.IChaincodeInput;
}
/** Identifier of {@link Decorator} contributions. */
export const Decorator: unique symbol = Symbol.for('@fabric-peer/api/Decorator');

/** What the endorser hands an endorsement plugin when it is created for a channel. */
export interface EndorsementDependencies {
  /** The identity to endorse with for a given proposal (the peer's local signer by default). */
  signingIdentityFor(signedProposal: protos.ISignedProposal): Promise<Signer>;
}

/** Result of an endorsement: the endorsement and the (possibly rewritten) response payload. */
export interface EndorsementResult {
  readonly endorsement: protos.IEndorsement;
  readonly payload: Uint8Array;
}

/**
 * An endorsement plugin (Fabric's endorsement.Plugin), named in a chaincode definition's
 * `endorsement_plugin` (default `escc`) and mapped by `peer.handlers.endorsers`. The peer creates one
 * instance per channel.
 */
export interface EndorsementPlugin {
  init(dependencies: EndorsementDependencies): Promise<void>;
  /** Endorses the marshaled `ProposalResponsePayload`. */
  endorse(payload: Uint8Array, signedProposal: protos.ISignedProposal): Promise<EndorsementResult>;
}
/** Identifier of {@link EndorsementPlugin} contributions. */
export const EndorsementPlugin: unique symbol = Symbol.for('@fabric-peer/api/EndorsementPlugin');

/** Read access to committed state a validation plugin may need (key-level endorsement policies). */
export interface ValidationStateReader {
  /** The metadata entries of a public key, or undefined when the key does not exist. */
  getStateMetadata(
    namespace: string,
    key: string,
  ): Promise<Readonly<Record<string, Uint8Array>> | undefined>;
  /** The metadata entries of a private key, addressed by the hash of its key. */
  getPrivateDataMetadataByHash(
    namespace: string,
    collection: string,
    keyHash: Uint8Array,
  ): Promise<Readonly<Record<string, Uint8Array>> | undefined>;
}

/**
 * Collection-level endorsement policies (Fabric's CollectionResources.CollectionValidationInfo), as
 * the committer reads them from the chaincode definitions in committed state.
 */
export interface CollectionValidationInfoReader {
  /**
   * The endorsement policy of `collection` of chaincode `namespace`, as a serialized
   * `ApplicationPolicy`: the collection's own `endorsement_policy`, else the chaincode's policy; for
   * an implicit collection `_implicit_org_<MSP>`, the org's `Endorsement` policy. Empty when the
   * chaincode has no `_lifecycle` definition (no collection-level policy applies). Rejects with
   * {@link EndorsementPolicyFailure} when the chaincode has no such collection, and with
   * {@link ValidationExecutionError} when the definition cannot be read.
   */
  collectionEndorsementPolicy(namespace: string, collection: string): Promise<Uint8Array>;
}

/** What the committer hands a validation plugin when it is created for a channel. */
export interface ValidationDependencies {
  readonly channelId: string;
  readonly identities: IdentityDeserializer;
  readonly policies: PolicyEvaluator;
  readonly state: ValidationStateReader;
  /** Collection-level endorsement policies; absent when the peer cannot tell them. */
  readonly collections?: CollectionValidationInfoReader;
  /**
   * True when the channel has the named application capability (e.g. `V2_0`). For the validation
   * levels `V1_1`, `V1_2`, `V1_3` and `V2_0`, true also when a later capability implies the level
   * (Fabric's `V2_0Validation()` and the like).
   */
  hasCapability(name: string): boolean;
}

/** One transaction action to validate for one namespace it touches. */
export interface ValidationRequest {
  readonly block: common.IBlock;
  readonly namespace: string;
  /** Index of the transaction in the block. */
  readonly txPosition: number;
  /** Index of the action in the transaction. */
  readonly actionPosition: number;
  /** The namespace's validation parameter (the serialized endorsement policy). */
  readonly policy: Uint8Array;
  /** The endorsements of the action as signed data (payload ‖ endorser, signature). */
  readonly endorsements: readonly SignedData[];
  /**
   * The action's read-write set (`ChaincodeAction.results`) as the committer extracted it from the
   * block, so that a plugin need not walk the envelope again. Optional: a plugin must fall back to
   * the block when it is absent.
   */
  readonly results?: Uint8Array;
}

/**
 * A validation plugin (Fabric's validation.Plugin), named by a chaincode definition's
 * `validation_plugin` (default `vscc`) and mapped by `peer.handlers.validators`. Resolving means
 * valid; {@link EndorsementPolicyFailure} marks the transaction ENDORSEMENT_POLICY_FAILURE; any
 * {@link ValidationExecutionError} aborts the block (it cannot be decided deterministically).
 */
export interface ValidationPlugin {
  init(dependencies: ValidationDependencies): Promise<void>;
  validate(request: ValidationRequest): Promise<void>;
  /**
   * Optional. The committer calls it once for every transaction of every block it validates, after
   * every `validate` call for that transaction has settled, or when the transaction was refused
   * before any plugin ran: no more `validate` call will come for it. A plugin that makes later
   * transactions of a block wait on the outcome of earlier ones (key-level endorsement policies)
   * uses it so that no wait outlives its cause.
   */
  transactionDone?(block: common.IBlock, txPosition: number): void;
}
/** Identifier of {@link ValidationPlugin} contributions. */
export const ValidationPlugin: unique symbol = Symbol.for('@fabric-peer/api/ValidationPlugin');

/** The transaction does not satisfy its endorsement policy. */
export class EndorsementPolicyFailure extends FabricPeerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ENDORSEMENT_POLICY_FAILURE', message, options);
  }
}

/** Validation could not run (e.g. state unreadable); the block must not be committed. */
export class ValidationExecutionError extends FabricPeerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('VALIDATION_EXECUTION_FAILED', message, options);
  }
}
