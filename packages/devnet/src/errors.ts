import { FabricPeerError } from '@fabric-peer/api';

/** Why the development network could not start, or a step of it failed. */
export type DevnetErrorCode =
  /** An option is wrong (a port out of range, a missing template or chaincode folder). */
  | 'DEVNET_OPTIONS_INVALID'
  /** The folder is not empty and holds no development network. */
  | 'DEVNET_DIR_NOT_EMPTY'
  /** The folder holds a development network of another layout version, or a damaged one. */
  | 'DEVNET_LAYOUT_MISMATCH'
  /** A port is taken, or the network in the folder is already running. */
  | 'DEVNET_IN_USE'
  /** A step of the start-up failed (join, install, approve, commit, the chaincode check). */
  | 'DEVNET_STEP_FAILED'
  /** The start was aborted (SIGINT / SIGTERM while starting). */
  | 'DEVNET_ABORTED'
  /** connection.json is missing or does not describe a network. */
  | 'DEVNET_CONNECTION_INVALID';

/** An error of the development network; `details` names the folder, port or step concerned. */
export class DevnetError extends FabricPeerError {
  declare readonly code: DevnetErrorCode;

  constructor(
    code: DevnetErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
