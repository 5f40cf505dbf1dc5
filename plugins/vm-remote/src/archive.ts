import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

/** connection.json is small; a bigger one is a mistake, not a reason to use memory. */
const MAX_FILE = 1024 * 1024;
const MAX_UNCOMPRESSED = 64 * 1024 * 1024;

/**
 * The content of the regular file `name` at the top of a gzip-compressed tar archive, or
 * undefined when there is none. Throws when the bytes are not a readable tar.gz.
 */
export async function readArchiveFile(
  archive: Uint8Array,
  name: string,
): Promise<Buffer | undefined> {
  const tar = gunzipSync(archive, { maxOutputLength: MAX_UNCOMPRESSED });
  return new Promise((resolve, reject) => {
    let found: Buffer | undefined;
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      const path = entry.path.replace(/^\.\//, '');
      if (path !== name || (entry.type !== 'File' && entry.type !== 'OldFile')) {
        entry.resume();
        return;
      }
      if (entry.size > MAX_FILE) {
        reject(new Error(`${name} is larger than ${MAX_FILE} bytes`));
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        found = Buffer.concat(chunks);
      });
    });
    parser.on('error', reject);
    parser.on('end', () => resolve(found));
    parser.end(tar);
  });
}
