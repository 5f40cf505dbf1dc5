/**
 * System chaincodes (`_lifecycle`, `cscc`, `qscc`, `lscc`, or a third party's) run inside the peer
 * over the same handler as user chaincode; `chaincode.system.<name>` enables each.
 */
import type { protos } from '@fabric-peer/protos';

/** Chaincode response, as fabric-shim's: status < 400 can be endorsed. */
export interface ChaincodeResponse {
  readonly status: number;
  readonly message?: string;
  readonly payload?: Uint8Array;
}

/** The part of the chaincode stub a system chaincode uses. */
export interface SystemChaincodeStub {
  getArgs(): readonly Uint8Array[];
  getTxId(): string;
  getChannelId(): string;
  getSignedProposal(): protos.ISignedProposal | undefined;
  getCreator(): Uint8Array;
  getTransient(): ReadonlyMap<string, Uint8Array>;
  getState(key: string): Promise<Uint8Array>;
  putState(key: string, value: Uint8Array): Promise<void>;
  deleteState(key: string): Promise<void>;
  /** Keys in [startKey, endKey) of the chaincode's namespace ('' for an open end), in key order. */
  getStateByRange(
    startKey: string,
    endKey: string,
  ): Promise<{ readonly key: string; readonly value: Uint8Array }[]>;
  /** Sets the transaction's chaincode event (lscc upgrade sets one); optional for stubs. */
  setEvent?(name: string, payload: Uint8Array): void;
  /**
   * The value of `key` in private data collection `collection` of the chaincode's namespace
   * (GET_STATE with a collection); empty when absent. Optional for stubs (`_lifecycle` needs it).
   */
  getPrivateData?(collection: string, key: string): Promise<Uint8Array>;
  /**
   * The SHA-256 of the value of `key` in `collection` (GET_PRIVATE_DATA_HASH: readable by every
   * channel member, whether or not the peer holds the value); empty when absent. Optional.
   */
  getPrivateDataHash?(collection: string, key: string): Promise<Uint8Array>;
  /** Writes `key` in `collection` (PUT_STATE with a collection). Optional. */
  putPrivateData?(collection: string, key: string, value: Uint8Array): Promise<void>;
  /** Deletes `key` in `collection` (DEL_STATE with a collection). Optional. */
  deletePrivateData?(collection: string, key: string): Promise<void>;
  /**
   * The transaction's own query executor (Fabric's QueryExecutorProvider.TxQueryExecutor): reads
   * of any namespace's committed state, recorded in this transaction's read set exactly as the
   * chaincode's own reads. `_lifecycle` reads lscc's state through it. Undefined when the
   * invocation has no ledger context; the method is optional for stubs.
   */
  getTxQueryExecutor?(): SystemChaincodeStateReader | undefined;
}

/** Reads of committed state across namespaces (a subset of the ledger's SimpleQueryExecutor). */
export interface SystemChaincodeStateReader {
  /** The value of `key` in `namespace`, or undefined when absent. */
  getState(namespace: string, key: string): Promise<Uint8Array | undefined>;
}

export interface SystemChaincode {
  /** The chaincode name, e.g. `qscc`; it registers as `<name>.syscc`. */
  readonly name: string;
  init(stub: SystemChaincodeStub): Promise<ChaincodeResponse>;
  invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse>;
}
/** Identifier of {@link SystemChaincode} contributions. */
export const SystemChaincode: unique symbol = Symbol.for('@fabric-peer/api/SystemChaincode');
