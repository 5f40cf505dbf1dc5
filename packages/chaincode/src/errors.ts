import { FabricPeerError } from '@fabric-peer/api';

export type ChaincodeErrorCode =
  /** The chaincode has no definition on the channel. */
  | 'CHAINCODE_NOT_DEFINED'
  /** The chaincode's definition has no collection by that name. */
  | 'COLLECTION_NOT_DEFINED'
  /** Defined, but no package for it is installed on this peer. */
  | 'CHAINCODE_NOT_INSTALLED'
  /** The invocation is not allowed (init rules, bad chaincode name, ...). */
  | 'INVALID_INVOCATION'
  /** No runtime in `vm.providers` accepts the package. */
  | 'NO_RUNTIME'
  /** Building or starting the chaincode failed. */
  | 'LAUNCH_FAILED'
  /** The chaincode did not register within `chaincode.startuptimeout`. */
  | 'STARTUP_TIMEOUT'
  /** The chaincode did not answer within `chaincode.executetimeout`. */
  | 'EXECUTE_TIMEOUT'
  /** The chaincode's stream ended (it exited or crashed) before it answered. */
  | 'STREAM_TERMINATED'
  /** The chaincode answered ERROR. */
  | 'CHAINCODE_FAILED'
  /** A chaincode package is malformed or cannot be stored. */
  | 'INVALID_PACKAGE'
  /** A REGISTER or other message the handler refuses. */
  | 'PROTOCOL_ERROR'
  /** An access check on a chaincode's request failed. */
  | 'ACCESS_DENIED';

/** A chaincode could not be run or answered with a failure; the message is Fabric's wording. */
export class ChaincodeError extends FabricPeerError {
  declare readonly code: ChaincodeErrorCode;
  constructor(
    code: ChaincodeErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
