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
}

export interface SystemChaincode {
  /** The chaincode name, e.g. `qscc`; it registers as `<name>.syscc`. */
  readonly name: string;
  init(stub: SystemChaincodeStub): Promise<ChaincodeResponse>;
  invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse>;
}
/** Identifier of {@link SystemChaincode} contributions. */
export const SystemChaincode: unique symbol = Symbol.for('@fabric-peer/api/SystemChaincode');
