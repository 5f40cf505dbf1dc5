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
}
/** Identifier of the peer's {@link ChaincodeDefinitionSource}. */
export const ChaincodeDefinitions: unique symbol = Symbol.for(
  '@fabric-peer/chaincode/ChaincodeDefinitions',
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
