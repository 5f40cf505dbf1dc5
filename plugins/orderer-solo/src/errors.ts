import { FabricPeerError } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';

/** Why the orderer refused an operation or failed. */
export type OrdererErrorCode =
  /** An option of the orderer is missing or wrong (address, TLS material, folder). */
  | 'ORDERER_OPTIONS_INVALID'
  /** The signing identity could not be loaded from the MSP folder. */
  | 'ORDERER_IDENTITY_INVALID'
  /** The listen address could not be bound. */
  | 'ORDERER_LISTEN_FAILED'
  /** The orderer is not started (or is stopping). */
  | 'ORDERER_NOT_RUNNING'
  /** The orderer is already started. */
  | 'ORDERER_ALREADY_STARTED'
  /** joinChannel: the block cannot start a channel here. */
  | 'JOIN_BLOCK_INVALID'
  /** joinChannel: the channel is already joined (or being joined). */
  | 'CHANNEL_EXISTS'
  /** A persisted chain could not be opened again at start. */
  | 'CHAIN_RESTORE_FAILED';

/** An error of the development orderer; `details` names the channel or path concerned. */
export class OrdererError extends FabricPeerError {
  declare readonly code: OrdererErrorCode;

  constructor(
    code: OrdererErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/**
 * A message refused by Broadcast, with the status Fabric answers (its `ClassifyError`): the
 * message is the BroadcastResponse's info text.
 */
export class BroadcastRejection extends FabricPeerError {
  constructor(
    readonly status: common.Status,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`BROADCAST_${common.Status[status] ?? String(status)}`, message, options);
  }

  /** The same rejection with Fabric's `errors.WithMessage(err, prefix)` applied to its text. */
  withPrefix(prefix: string): BroadcastRejection {
    return new BroadcastRejection(this.status, `${prefix}: ${this.message}`, { cause: this });
  }
}

/** The text of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
