import { FabricPeerError } from '@fabric-peer/api';

/** What went wrong running a chaincode in the inprocess runtime. */
export type InprocessErrorCode =
  /** The package cannot be built: unsafe or corrupt archive, no package.json, npm failed, ... */
  | 'BUILD_FAILED'
  /** The chaincode process could not be started. */
  | 'START_FAILED'
  /** The package is not one this runtime runs (not `type: node`). */
  | 'UNSUPPORTED_PACKAGE';

/** A chaincode could not be built or started by the inprocess runtime. */
export class InprocessRuntimeError extends FabricPeerError {
  declare readonly code: InprocessErrorCode;
  constructor(
    code: InprocessErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
