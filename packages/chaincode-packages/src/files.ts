/** Atomic, no-clobber file writes shared by the package stores. */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Prefix of the temporary files a write leaves only while it runs (Fabric's `.ccpackage.`). */
export const TEMP_PREFIX = '.ccpackage.';

/**
 * Writes `data` to `dir/name` so that no reader ever sees a partial file and an existing file is
 * never replaced: the bytes go to a temporary file, are flushed, and are then hard-linked into
 * place (which fails with EEXIST when the name is taken, even under a concurrent writer).
 * Resolves false when the file already existed.
 */
export async function writeNewFileAtomically(
  dir: string,
  name: string,
  data: Uint8Array,
  mode = 0o644,
): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  const handle = await open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, join(dir, name));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The bytes of `path`, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
