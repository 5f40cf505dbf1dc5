import { FabricPeerError } from '@fabric-peer/api';

/** Why block delivery or an ordering call failed. */
export type DeliverErrorCode =
  /** The channel's configuration names no orderer endpoint. */
  | 'NO_ENDPOINTS'
  /** The peer has not joined the channel. */
  | 'CHANNEL_NOT_FOUND'
  /** No orderer endpoint could be connected to within `peer.deliveryclient.connTimeout`. */
  | 'ORDERER_UNREACHABLE'
  /** A Deliver stream to an orderer failed. */
  | 'ORDERER_STREAM_FAILED'
  /** No orderer accepted a broadcast envelope. */
  | 'BROADCAST_FAILED'
  /** An orderer did not answer a broadcast envelope in time. */
  | 'BROADCAST_TIMEOUT'
  /** The ordering client or delivery client was closed. */
  | 'CLOSED'
  /** Block delivery is already running (or stopping) for the channel. */
  | 'DELIVERY_STATE'
  /** A file the delivery client's configuration names cannot be used. */
  | 'CONFIG_FILE'
  /**
   * The collection configuration that decides who may read private data is missing or unusable
   * (Fabric's CheckCollectionPolicy errors).
   */
  | 'COLLECTION_CONFIG'
  /** The ledger could not give a block's private data. */
  | 'PRIVATE_DATA_UNAVAILABLE';

export class DeliverError extends FabricPeerError {
  declare readonly code: DeliverErrorCode;

  constructor(
    code: DeliverErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
