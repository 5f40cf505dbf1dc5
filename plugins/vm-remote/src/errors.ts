import { FabricPeerError } from '@fabric-peer/api';

/** What went wrong with a chaincode run as a service. */
export type RemoteErrorCode =
  /** connection.json is missing or says something unusable. */
  | 'INVALID_CONNECTION'
  /** The package is not a chaincode-as-a-service package. */
  | 'UNSUPPORTED_PACKAGE'
  /** start() was called: the peer dials a chaincode server, it does not start it. */
  | 'NOT_STARTABLE';

/** A chaincode-as-a-service package cannot be used as it stands. */
export class RemoteRuntimeError extends FabricPeerError {
  declare readonly code: RemoteErrorCode;
  constructor(
    code: RemoteErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
