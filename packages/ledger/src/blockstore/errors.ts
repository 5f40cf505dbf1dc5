import { FabricPeerError } from '@fabric-peer/api';

/** Why the block store refused or failed. */
export type BlockStoreErrorCode =
  /** `addBlock`: the block's number is not the height. */
  | 'OUT_OF_SEQUENCE'
  /** `addBlock`: previous_hash is not the hash of the last block's header. */
  | 'PREVIOUS_HASH_MISMATCH'
  /** `addBlock`: header.data_hash is not the hash of the block's data. */
  | 'DATA_HASH_MISMATCH'
  /** `addBlock`: the block cannot be stored as given (no header, a number out of range, ...). */
  | 'MALFORMED'
  /** A block file holds a damaged record (checksum, framing, sequence); `details` name file and offset. */
  | 'CORRUPT_BLOCK_FILE'
  /** The block files and the index disagree (a file lost blocks the index lists, a file of another chain). */
  | 'INDEX_MISMATCH'
  /** The index database is held by another process or another open store. */
  | 'INDEX_IN_USE'
  /** An argument or option is not acceptable (channel id, height, file size). */
  | 'INVALID_ARGUMENT'
  /** Writing failed and could not be undone; the store takes no more blocks until reopened. */
  | 'WRITE_FAILED'
  /** The store is closed. */
  | 'CLOSED';

/**
 * An error of the block store. `details` carries what the code concerns: `file` and `offset` for
 * damaged files, `expected` and `actual` for refused blocks.
 */
export class BlockStoreError extends FabricPeerError {
  declare readonly code: BlockStoreErrorCode;

  constructor(
    code: BlockStoreErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
