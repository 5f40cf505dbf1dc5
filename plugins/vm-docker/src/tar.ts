/**
 * A streaming tar writer for Docker build contexts and root file systems: entries come from memory
 * or from files anywhere on the host, under any path in the archive, which `tar.c` (one cwd) does
 * not allow. Headers are tar 7's (`Header`, and `Pax` for long paths).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Header, Pax } from 'tar';

/** A fixed mtime, so that identical content gives identical archives (and Docker cache hits). */
const MTIME = new Date('2000-01-01T00:00:00Z');

/** One member of an archive. Paths are relative, `/`-separated, without `..`. */
export type TarEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | {
      readonly type: 'file';
      readonly path: string;
      readonly mode?: number;
      readonly data: Uint8Array;
    }
  | {
      readonly type: 'file';
      readonly path: string;
      readonly mode?: number;
      /** A host file whose bytes are streamed in. */
      readonly source: string;
      /** Its size, from a stat taken when the list was made. */
      readonly size: number;
    };

function header(entry: TarEntry, size: number): Buffer[] {
  const data = {
    path: entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path,
    mode: entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644),
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size,
    mtime: MTIME,
    type: entry.type === 'dir' ? ('Directory' as const) : ('File' as const),
  };
  const block = Buffer.alloc(512);
  const h = new Header(data);
  h.encode(block);
  // A path longer than the header holds goes into a pax extended header before it.
  return h.needPax ? [new Pax(data).encode(), block] : [block];
}

function padding(size: number): Buffer | undefined {
  const rest = size % 512;
  return rest === 0 ? undefined : Buffer.alloc(512 - rest);
}

async function* chunks(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    if (entry.type === 'dir') {
      yield* header(entry, 0);
      continue;
    }
    if ('data' in entry) {
      yield* header(entry, entry.data.byteLength);
      yield Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
      const pad = padding(entry.data.byteLength);
      if (pad) yield pad;
      continue;
    }
    yield* header(entry, entry.size);
    let written = 0;
    for await (const chunk of createReadStream(entry.source)) {
      const buf = chunk as Buffer;
      // A file that grew since it was listed is cut to the size the header announced.
      const take = Math.min(buf.byteLength, entry.size - written);
      if (take > 0) yield take === buf.byteLength ? buf : buf.subarray(0, take);
      written += take;
    }
    if (written < entry.size) {
      throw new Error(`${entry.source} shrank while it was archived`);
    }
    const pad = padding(entry.size);
    if (pad) yield pad;
  }
  // End of archive: two zero blocks.
  yield Buffer.alloc(1024);
}

/** The archive of `entries` as a stream (uncompressed). */
export function tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Readable {
  return Readable.from(chunks(entries), { objectMode: false });
}

/** The archive of `entries` in memory (for small archives such as uploaded TLS files). */
export async function tarBuffer(entries: Iterable<TarEntry>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks(entries)) parts.push(c);
  return Buffer.concat(parts);
}
