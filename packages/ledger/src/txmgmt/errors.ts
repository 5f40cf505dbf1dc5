/**
 * The errors the transaction manager, the kvledger, the history database and the ledger manager
 * raise. Messages keep Fabric's wording where Fabric has one (a chaincode sees them in its error
 * responses); the `code` says the same thing for programs.
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Why a ledger operation failed. */
export type LedgerErrorCode =
  /** A simulator or query executor was used after `done()`, or results were asked for twice. */
  | 'SIMULATION_DONE'
  /** The call is not allowed in this transaction (writes after a paginated or private query...). */
  | 'SIMULATION_UNSUPPORTED'
  /** The state database refuses the key or the value (`validateKeyValue`). */
  | 'INVALID_KEY_VALUE'
  /** The collection is not defined for the chaincode (Fabric's InvalidCollNameError). */
  | 'INVALID_COLLECTION'
  /** No collection configuration exists for the chaincode (Fabric's CollConfigNotDefinedError). */
  | 'COLLECTION_CONFIG_NOT_DEFINED'
  /** The private value's version differs from the committed hash's version. */
  | 'PRIVATE_DATA_NOT_AVAILABLE'
  /** The state database has no rich queries (LevelDB). */
  | 'QUERY_NOT_SUPPORTED'
  /** The history database is disabled (`ledger.history.enableHistoryDatabase: false`). */
  | 'HISTORY_DISABLED'
  /** Bytes that must decode as a read-write set (or another ledger message) do not. */
  | 'MALFORMED'
  /** The block's number is not the ledger height. */
  | 'BLOCK_OUT_OF_SEQUENCE'
  /** The block's previous_hash is not the hash of the last block. */
  | 'BLOCK_PREVIOUS_HASH_MISMATCH'
  /** The block's data_hash is not the hash of its data. */
  | 'BLOCK_DATA_HASH_MISMATCH'
  /** The block cannot be committed as it stands (no header, a filter of the wrong length...). */
  | 'BLOCK_INVALID'
  /**
   * Validation of a block hit a condition where Fabric stops committing (its peer returns an error
   * or panics) instead of marking a transaction: nothing is written.
   */
  | 'BLOCK_UNCOMMITTABLE'
  /** The block asked for is not in the block store (yet). */
  | 'BLOCK_NOT_COMMITTED'
  /** The block store accepted the block but the state or history commit failed; reopen recovers. */
  | 'COMMIT_INCOMPLETE'
  /** A database is ahead of the block store (not dropped after a reset or a rollback). */
  | 'DB_AHEAD_OF_BLOCKSTORE'
  /** The ledger (or the manager) is closed. */
  | 'LEDGER_CLOSED'
  /** A ledger with this id already exists. */
  | 'LEDGER_EXISTS'
  /** No ledger with this id exists (or it is not active). */
  | 'LEDGER_NOT_FOUND'
  /** The ledger is already open in this manager. */
  | 'LEDGER_ALREADY_OPEN'
  /** A database is locked by another process (or another manager in this process). */
  | 'DB_IN_USE'
  /** A database was written by an incompatible version (Fabric's ErrFormatMismatch). */
  | 'DB_FORMAT_MISMATCH'
  /** A database read or write failed. */
  | 'DB_ERROR'
  /** The operation is not available with the parts in use (e.g. a block store without rollback). */
  | 'UNSUPPORTED';

/** A ledger operation failed; see `code`. */
export class LedgerError extends FabricPeerError {
  declare readonly code: LedgerErrorCode;

  constructor(
    code: LedgerErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/**
 * Thrown by a custom transaction processor (see `CustomTxProcessor`) to mark its transaction
 * INVALID_OTHER_REASON; any other error from a processor stops the commit of the block, as in
 * Fabric (`ledger.InvalidTxError`).
 */
export class InvalidTxError extends FabricPeerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('INVALID_TX', message, options);
  }
}
