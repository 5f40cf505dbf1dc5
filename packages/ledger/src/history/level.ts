/**
 * classic-level databases as the ledger uses them (history, ledger ids, the file lock), with
 * classic-level's errors translated: a database held by another process (or another handle in this
 * process) is LedgerError('DB_IN_USE') rather than "Database is not open".
 */
import { ClassicLevel } from 'classic-level';
import { LedgerError } from '../txmgmt/errors.js';

/** A LevelDB with binary keys and values. */
export type BinaryLevel = ClassicLevel<Uint8Array, Uint8Array>;

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Opens (creating it if needed) the LevelDB at `path`. */
export async function openLevel(path: string, what: string): Promise<BinaryLevel> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  try {
    await db.open({ createIfMissing: true });
  } catch (err) {
    if (causeCode(err) === 'LEVEL_LOCKED') {
      throw new LedgerError(
        'DB_IN_USE',
        `the ${what} database at ${path} is in use by another process (or is already open in this one); stop the other peer or use another peer.fileSystemPath`,
        { cause: err },
      );
    }
    throw new LedgerError(
      'DB_ERROR',
      `cannot open the ${what} database at ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return db;
}

/** Whether the database holds no key. */
export async function isEmpty(db: BinaryLevel): Promise<boolean> {
  const it = db.keys({ limit: 1 });
  try {
    return (await it.next()) === undefined;
  } finally {
    await it.close();
  }
}

/** `a ‖ b`. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}
