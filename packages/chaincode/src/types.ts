/**
 * The contracts of chaincode support, as the endorser, the system chaincodes and the node see them:
 * how a chaincode is defined on a channel (Fabric's chaincode.Lifecycle), where its installed code
 * is (Fabric's persistence / ccprovider), and how a proposal runs it (Fabric's ChaincodeSupport).
 */
import type { ChaincodePackage } from '@fabric-peer/api';
import type { HistoryQueryExecutor, SimpleQueryExecutor, TxSimulator } from '@fabric-peer/ledger';
import type { protos } from '@fabric-peer/protos';

/** What running a chaincode on a channel needs to know (Fabric's lifecycle.ChaincodeEndorsementInfo). */
export interface ChaincodeEndorsementInfo {
  /** The definition's version (`syscc` for system chaincodes); goes into ChaincodeAction.chaincode_id. */
  readonly version: string;
  /** The definition requires Init before anything else (`init_required`). */
  readonly enforceInit: boolean;
  /** The endorsement plugin name the definition gives (default `escc`). */
  readonly endorsementPlugin: string;
  /**
   * The id the chaincode runs and registers under: the installed package id (`label:sha256`) for
   * `_lifecycle` chaincode, `name:version` for legacy (lscc) chaincode, `name.syscc` for a system
   * chaincode.
   */
  readonly chaincodeId: string;
}

/**
 * Where the definition of a chaincode on a channel comes from (Fabric's `Lifecycle` interface that
 * ChaincodeSupport and the endorser consult). Implementations: system chaincodes, legacy lscc
 * state, and (later) `_lifecycle`.
 */
export interface ChaincodeDefinitionSource {
  /**
   * The endorsement info of `chaincodeName` on `channelId`, reading state through `qe` (the
   * proposal's simulator, so the reads land in its read set as in Fabric). Throws a ChaincodeError
   * with code `CHAINCODE_NOT_DEFINED` when the chaincode is not defined there.
   */
  endorsementInfo(
    channelId: string,
    chaincodeName: string,
    qe: SimpleQueryExecutor | undefined,
  ): Promise<ChaincodeEndorsementInfo>;
  /**
   * Whether this source defines chaincodes on `channelId` at all (false: callers go straight to
   * the next source, without the cost of a CHAINCODE_NOT_DEFINED error per proposal). Absent:
   * always.
   */
  definesOn?(channelId: string): boolean;
}
/** Identifier of the peer's {@link ChaincodeDefinitionSource}. */
export const ChaincodeDefinitions: unique symbol = Symbol.for(
  '@fabric-peer/chaincode/ChaincodeDefinitions',
);

/** How a namespace's transactions are validated (Fabric's ValidationInfo of the lifecycle). */
export interface ChaincodeValidationInfo {
  /** The validation plugin the definition names (default `vscc`), as `peer.handlers.validators` maps it. */
  readonly validationPlugin: string;
  /**
   * The plugin's parameter: for `vscc`, the marshaled `ApplicationPolicy` (`_lifecycle`
   * definitions) or `SignaturePolicyEnvelope` (lscc `ChaincodeData.policy`).
   */
  readonly validationParameter: Uint8Array;
  /**
   * True when the info comes from a legacy (lscc) definition. The committer then hands a `vscc`
   * plugin its `SignaturePolicyEnvelope` wrapped in an `ApplicationPolicy`, as Fabric's
   * ValidationInfoRetrieveShim does, so `vscc` always receives an `ApplicationPolicy`.
   */
  readonly legacy?: boolean;
}

/**
 * Where the committer learns how to validate a namespace (Fabric's `ValidationInfo` of
 * `lifecycle.ValidatorCommitter` and legacy lscc). Reads committed state through `state`.
 */
export interface ValidationInfoSource {
  /**
   * The validation info of `namespace` on `channelId`. Throws a ChaincodeError with code
   * `CHAINCODE_NOT_DEFINED` when the namespace has no definition (the committer then marks the
   * transaction as Fabric does for an undefined chaincode).
   */
  validationInfo(
    channelId: string,
    namespace: string,
    state: SimpleQueryExecutor,
  ): Promise<ChaincodeValidationInfo>;
  /**
   * Optional (Fabric's CollectionValidationInfo): the endorsement policy of `collection` of
   * `namespace` as a serialized `ApplicationPolicy` (the collection's own, else the chaincode's;
   * for `_implicit_org_<MSP>`, `/Channel/Application/<Org>/Endorsement`), or empty bytes when the
   * namespace has no `_lifecycle` definition. Throws a ChaincodeError with code
   * `COLLECTION_NOT_DEFINED` when the definition has no such collection (the transaction fails its
   * endorsement policy); any other error stops the block's commit. Without it the committer applies
   * no collection-level policy.
   */
  collectionValidationInfo?(
    channelId: string,
    namespace: string,
    collection: string,
    state: SimpleQueryExecutor,
  ): Promise<Uint8Array>;
}
/** Identifier of the peer's {@link ValidationInfoSource}. */
export const ValidationInfoSourceId: unique symbol = Symbol.for(
  '@fabric-peer/chaincode/ValidationInfoSource',
);

/** The chaincodes installed on this peer, by the id they run under. */
export interface InstalledChaincodes {
  /**
   * The installed package for `chaincodeId` (`label:sha256` or legacy `name:version`), or undefined
   * when it is not installed.
   */
  get(chaincodeId: string): Promise<ChaincodePackage | undefined>;
}
/** Identifier of the peer's {@link InstalledChaincodes}. */
export const InstalledChaincodesId: unique symbol = Symbol.for(
  '@fabric-peer/chaincode/InstalledChaincodes',
);

/** One invocation's context (Fabric's ccprovider.TransactionParams). */
export interface TransactionParams {
  readonly txId: string;
  /** '' for channel-less invocations (lscc install, cscc GetChannels, ...). */
  readonly channelId: string;
  /** The chaincode the proposal invoked (chaincode-to-chaincode calls keep the original). */
  readonly namespaceId: string;
  /** The client's signed proposal; sent to the chaincode in ChaincodeMessage.proposal. */
  readonly signedProposal?: protos.ISignedProposal;
  /** The decoded proposal. */
  readonly proposal?: protos.IProposal;
  /** The proposal's simulator; absent for qscc, cscc and channel-less invocations. */
  readonly txSimulator?: TxSimulator;
  readonly historyQueryExecutor?: HistoryQueryExecutor;
  /** True while running a legacy Init (lscc deploy/upgrade). */
  readonly isInitTransaction?: boolean;
  /**
   * The endorsement info of `chaincodeName` the caller already read through this transaction's
   * simulator (the endorser reads it before executing, as Fabric's does). ChaincodeSupport then
   * uses it instead of reading the definition a second time: that read would find the same
   * version in the same simulator, so the read set is the same either way. Not passed on to
   * chaincode-to-chaincode calls.
   */
  readonly endorsementInfo?: {
    readonly chaincodeName: string;
    readonly info: ChaincodeEndorsementInfo;
  };
}

/** What a chaincode answered (Fabric's Execute results). */
export interface ExecuteResult {
  /** The chaincode's response; status < 400 can be endorsed. */
  readonly response: protos.Response;
  /** The event the chaincode set, if any. */
  readonly event?: protos.ChaincodeEvent;
}

/**
 * Runs chaincode for proposals (Fabric's ChaincodeSupport). Failures to run (not defined, not
 * installed, launch failed, timeout, stream ended, chaincode ERROR) reject with a ChaincodeError
 * whose message the endorser returns with status 500; a chaincode that answers with an error
 * status resolves normally with that response.
 */
export interface ChaincodeSupport {
  /**
   * Fabric's Invoke + Execute: looks up the definition (CheckInvocation, which also enforces
   * init-exactly-once for `_lifecycle` chaincode), launches the chaincode if it is not running,
   * sends TRANSACTION (or INIT when `input.isInit`), serves its state calls against
   * `params.txSimulator`, and waits for COMPLETED or ERROR up to `chaincode.executetimeout`.
   */
  execute(
    params: TransactionParams,
    chaincodeName: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult>;
  /** Fabric's ExecuteLegacyInit (lscc deploy/upgrade): launches `name:version` and sends INIT. */
  executeLegacyInit(
    params: TransactionParams,
    chaincodeName: string,
    chaincodeVersion: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult>;
  /**
   * Launches `chaincodeId` unless it is running; however many callers ask at once, one launch
   * happens and all wait for it. Resolves once the chaincode is READY.
   */
  launch(chaincodeId: string): Promise<void>;
}
/** Identifier of the peer's {@link ChaincodeSupport}. */
export const ChaincodeSupportId: unique symbol = Symbol.for(
  '@fabric-peer/chaincode/ChaincodeSupport',
);

/** The chaincode id a system chaincode registers under. */
export function systemChaincodeId(name: string): string {
  return `${name}.syscc`;
}

/** The version system chaincodes report. */
export const SYSCC_VERSION = 'syscc';
