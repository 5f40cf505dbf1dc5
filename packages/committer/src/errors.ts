/** The committer's errors: a block refused, or a block whose validation could not be decided. */
import { FabricPeerError } from '@fabric-peer/api';

export type CommitterErrorCode =
  /** The block is malformed: no header, no data, no metadata, malformed envelopes, wrong channel. */
  | 'BLOCK_INVALID'
  /** The block's number is not the ledger height. */
  | 'BLOCK_OUT_OF_SEQUENCE'
  /** The block's previous_hash is not the hash of the last committed block. */
  | 'BLOCK_PREVIOUS_HASH_MISMATCH'
  /** The block's data_hash is not the hash of its data. */
  | 'BLOCK_DATA_HASH_MISMATCH'
  /** The orderer signatures do not satisfy `/Channel/Orderer/BlockValidation`. */
  | 'BLOCK_SIGNATURE_INVALID'
  /** The block's config transaction is not a valid update of the channel configuration. */
  | 'CONFIG_UPDATE_INVALID'
  /**
   * Validation could not be decided (Fabric stops committing the channel): a validation plugin
   * failed to run or is not configured, a chaincode definition could not be read, the ledger failed.
   */
  | 'VALIDATION_FAILED'
  /** The ledger refused or failed the commit. */
  | 'COMMIT_FAILED'
  /** The transient store cannot be opened, or refuses a write set (a txid that is not one). */
  | 'TRANSIENT_STORE_FAILED'
  /** The committer (or its transient store) is closed. */
  | 'COMMITTER_CLOSED';

/** A block the committer refused or could not validate; nothing of it was committed. */
export class CommitterError extends FabricPeerError {
  declare readonly code: CommitterErrorCode;

  constructor(
    code: CommitterErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
