/**
 * Errors of the LevelDB state database, and the translation of classic-level's error codes into
 * them: a missing key is `undefined` (never an error), a lock held elsewhere is "in use", an
 * operation on a closed database says so and names the folder.
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Machine-readable codes of {@link StateDatabaseError}. */
export type StateDatabaseErrorCode =
  /** Another process (or another provider in this one) has the database open. */
  | 'STATEDB_IN_USE'
  /** The database could not be opened (permissions, disk, corruption). */
  | 'STATEDB_OPEN_FAILED'
  /** The folder holds data in another format than Fabric 2.x's. */
  | 'STATEDB_FORMAT'
  /** The database, or the channel's handle, is closed. */
  | 'STATEDB_CLOSED'
  /** A stored record cannot be read. */
  | 'STATEDB_CORRUPT'
  /** LevelDB failed to read or write. */
  | 'STATEDB_IO';

/** A failure of the LevelDB state database; `details.path` names its folder when known. */
export class StateDatabaseError extends FabricPeerError {
  declare readonly code: StateDatabaseErrorCode;

  constructor(
    code: StateDatabaseErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

interface LevelError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as LevelError | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when classic-level says the database is locked, directly or behind "not open". */
export function isLocked(err: unknown): boolean {
  return (
    codeOf(err) === 'LEVEL_LOCKED' || codeOf((err as LevelError | null)?.cause) === 'LEVEL_LOCKED'
  );
}

/** True for classic-level's "not found" (which classic-level 3 no longer throws, but 1.x did). */
export function isNotFound(err: unknown): boolean {
  return codeOf(err) === 'LEVEL_NOT_FOUND';
}

/** The error to report for a failure to open the database in `path`. */
export function openError(err: unknown, path: string): StateDatabaseError {
  if (err instanceof StateDatabaseError) return err;
  if (isLocked(err)) {
    return new StateDatabaseError(
      'STATEDB_IN_USE',
      `state database in use by another process: ${path} is locked; stop the peer that uses it, ` +
        `or give this peer its own peer.fileSystemPath`,
      { cause: err, details: { path } },
    );
  }
  const why = (err as Error | null)?.message ?? String(err);
  const cause = (err as LevelError | null)?.cause;
  const detail = cause instanceof Error ? `${why}: ${cause.message}` : why;
  return new StateDatabaseError(
    'STATEDB_OPEN_FAILED',
    `cannot open the state database in ${path}: ${detail}`,
    { cause: err, details: { path } },
  );
}

/** The error to report for a failed read or write of the database in `path`. */
export function operationError(err: unknown, path: string, what: string): Error {
  if (err instanceof StateDatabaseError) return err;
  const code = codeOf(err);
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_ITERATOR_NOT_OPEN') {
    if (isLocked(err)) return openError(err, path);
    return new StateDatabaseError(
      'STATEDB_CLOSED',
      `${what}: the state database in ${path} is closed`,
      {
        cause: err,
        details: { path },
      },
    );
  }
  if (code?.startsWith('LEVEL_')) {
    const why = (err as Error).message;
    return new StateDatabaseError('STATEDB_IO', `${what}: state database ${path}: ${why}`, {
      cause: err,
      details: { path, levelCode: code },
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
