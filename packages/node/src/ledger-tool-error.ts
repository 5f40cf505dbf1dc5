/** The errors of the offline ledger tools (`fabric-peer ledger ...`, `fabric-peer node ...`). */
import { FabricPeerError } from '@fabric-peer/api';

export type LedgerToolErrorCode =
  /** The block folder does not exist or is not a folder. */
  | 'BLOCK_DIR_NOT_FOUND'
  /** The folder's block files are not 0..n without gaps. */
  | 'BLOCK_FILES_MISSING'
  /** A block file is not a marshalled common.Block of the number its name says. */
  | 'BLOCK_FILE_INVALID'
  /** Block 0 is not the genesis block of the channel asked for. */
  | 'CHANNEL_MISMATCH'
  /** The channel has no ledger here. */
  | 'CHANNEL_NOT_FOUND'
  /** The channel's ledger is paused (`fabric-peer node pause`). */
  | 'CHANNEL_PAUSED'
  /** Block 0 could not be joined (not a usable config block, capabilities this peer lacks). */
  | 'JOIN_FAILED'
  /** A block already in the ledger differs from the file of the same number. */
  | 'BLOCK_MISMATCH'
  /** The committer refused a block (verification, undecidable validation, commit failure). */
  | 'BLOCK_REFUSED'
  /** The import was stopped (a signal) between two blocks. */
  | 'IMPORT_INTERRUPTED'
  /** The ledgers' LevelDB lock is held by another process. */
  | 'LEDGER_IN_USE';

/** A ledger tool failed; the message says what, naming the block or the folder. */
export class LedgerToolError extends FabricPeerError {
  declare readonly code: LedgerToolErrorCode;

  constructor(
    code: LedgerToolErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
