// Block file names and small file-system helpers.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockStoreError } from './errors.js';

const PREFIX = 'blockfile_';

/** `blockfile_NNNNNN`, as Fabric names them (six digits, more when the number needs them). */
export function blockFileName(num: number): string {
  return PREFIX + String(num).padStart(6, '0');
}

export function blockFilePath(chainDir: string, num: number): string {
  return join(chainDir, blockFileName(num));
}

/**
 * The numbers of the block files in `chainDir`, which must run 0, 1, 2, ... without a gap.
 * Other files are ignored; a name that starts like a block file but is not one is refused.
 */
export async function listBlockFiles(chainDir: string): Promise<number[]> {
  const nums: number[] = [];
  for (const entry of await readdir(chainDir, { withFileTypes: true })) {
    if (!entry.name.startsWith(PREFIX)) continue;
    const suffix = entry.name.slice(PREFIX.length);
    if (!entry.isFile() || !/^\d{6,}$/.test(suffix)) {
      throw new BlockStoreError(
        'CORRUPT_BLOCK_FILE',
        `${join(chainDir, entry.name)} is not a block file (expected ${PREFIX}NNNNNN); move it away`,
        { details: { file: join(chainDir, entry.name) } },
      );
    }
    nums.push(Number(suffix));
  }
  nums.sort((a, b) => a - b);
  nums.forEach((n, i) => {
    if (n !== i) {
      throw new BlockStoreError(
        'INDEX_MISMATCH',
        `block file ${blockFilePath(chainDir, i)} is missing (found ${blockFileName(n)} after it)`,
        { details: { file: blockFilePath(chainDir, i) } },
      );
    }
  });
  return nums;
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** fsync a directory, so that a file created in it survives a crash; a no-op where unsupported. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close();
  }
}

/** Reads exactly `length` bytes at `position`; fewer when the file ends first. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** Writes all of `chunks` at `position`. */
export async function writeAllAt(
  fh: FileHandle,
  chunks: Uint8Array[],
  position: number,
): Promise<void> {
  let pos = position;
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, pos);
    if (bytesWritten === 0) throw new Error(`wrote nothing at offset ${pos}`);
    pos += bytesWritten;
    let n = bytesWritten;
    const next: Uint8Array[] = [];
    for (const c of rest) {
      if (n >= c.length) {
        n -= c.length;
      } else {
        next.push(n > 0 ? c.subarray(n) : c);
        n = 0;
      }
    }
    rest = next;
  }
}
