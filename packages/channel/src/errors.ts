import { FabricPeerError } from '@fabric-peer/api';

export type ChannelErrorCode =
  /** The block given to join is not a usable config block. */
  | 'INVALID_CONFIG_BLOCK'
  /** The channel's ledger already exists. */
  | 'CHANNEL_EXISTS'
  /** The channel's configuration asks for what this peer cannot do. */
  | 'CHANNEL_UNSUPPORTED'
  /** A stored channel could not be restored. */
  | 'CHANNEL_RESTORE_FAILED';

export class ChannelError extends FabricPeerError {
  constructor(
    code: ChannelErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
