import { FabricPeerError } from '@fabric-peer/api';

/** What went wrong with a chaincode package. */
export type PackageErrorCode =
  /** The bytes are not a chaincode package (not a gzip, no metadata.json, bad label, ...). */
  | 'INVALID_PACKAGE'
  /** The same package (or legacy name:version) is installed already. */
  | 'ALREADY_INSTALLED'
  /** The package could not be written to or read from the peer's file system. */
  | 'STORE_FAILED';

/** A chaincode package is malformed, installed already, or cannot be stored. */
export class PackageError extends FabricPeerError {
  declare readonly code: PackageErrorCode;
  constructor(
    code: PackageErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** The message of any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
