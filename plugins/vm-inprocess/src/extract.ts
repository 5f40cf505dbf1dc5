/**
 * Safe extraction of a chaincode's code.tar.gz. Every entry is read and checked before anything
 * is written: absolute paths, `..` segments, links that point outside the folder (or through
 * another symlink), devices and FIFOs refuse the whole archive. Fabric's Node packages hold the
 * code under `src/` (next to `META-INF/`); then only `src/` is extracted, as Fabric's node builder
 * copies only `src/`, and the checks apply to what is extracted.
 */
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { InprocessRuntimeError, messageOf } from './errors.js';

/** One checked entry of a code archive, relative to the chaincode folder. */
export interface CodeEntry {
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'link';
  readonly mode: number;
  /** Symlink: the target as written. Hard link: the linked entry's path. */
  readonly linkpath?: string;
  readonly data: Buffer;
}

/** Largest size code.tar.gz may expand to. */
const MAX_UNCOMPRESSED = 1024 * 1024 * 1024;

function unsafe(chaincodeId: string, why: string): InprocessRuntimeError {
  return new InprocessRuntimeError(
    'BUILD_FAILED',
    `refusing the code package of chaincode ${chaincodeId}: ${why}`,
    { details: { chaincodeId } },
  );
}

function parseTar(tar: Buffer): Promise<{ entries: ReadEntry[]; data: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const entries: ReadEntry[] = [];
    const data: Buffer[] = [];
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      const index = entries.length;
      entries.push(entry);
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        data[index] = Buffer.concat(chunks);
      });
    });
    parser.on('error', reject);
    parser.on('end', () => resolve({ entries, data }));
    parser.end(tar);
  });
}

/** Normalizes an archive path; undefined when it is absolute or climbs out with `..`. */
function normalized(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) return undefined;
  if (path.includes('\0')) return undefined;
  const norm = posix.normalize(path).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) return undefined;
  return norm === '.' ? '' : norm;
}

type Kind = CodeEntry['type'];
const KINDS: Partial<Record<ReadEntry['type'], Kind>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'directory',
  SymbolicLink: 'symlink',
  Link: 'link',
};

/** Reads code.tar.gz; every entry's own path is checked, links are checked by {@link checkLinks}. */
async function readArchive(chaincodeId: string, codeArchive: Uint8Array): Promise<CodeEntry[]> {
  let tar: Buffer;
  try {
    tar = gunzipSync(codeArchive, { maxOutputLength: MAX_UNCOMPRESSED });
  } catch (err) {
    throw unsafe(chaincodeId, `code.tar.gz is not a readable gzip stream (${messageOf(err)})`);
  }
  let read: { entries: ReadEntry[]; data: Buffer[] };
  try {
    read = await parseTar(tar);
  } catch (err) {
    throw unsafe(chaincodeId, `code.tar.gz is not a valid tar archive (${messageOf(err)})`);
  }
  // Later entries replace earlier ones with the same path, as tar extraction does.
  const byPath = new Map<string, CodeEntry>();
  read.entries.forEach((e, i) => {
    const path = normalized(e.path);
    if (path === undefined) {
      throw unsafe(chaincodeId, `entry ${JSON.stringify(e.path)} escapes the build folder`);
    }
    const type = KINDS[e.type];
    if (type === undefined) {
      throw unsafe(chaincodeId, `entry ${JSON.stringify(e.path)} has unsupported type ${e.type}`);
    }
    if (path === '') return;
    byPath.set(path, {
      path,
      type,
      mode: (e.mode ?? 0o644) & 0o777,
      ...(type === 'symlink' || type === 'link' ? { linkpath: e.linkpath ?? '' } : {}),
      data: type === 'file' ? (read.data[i] ?? Buffer.alloc(0)) : Buffer.alloc(0),
    });
  });
  return [...byPath.values()];
}

/** The entries relative to the chaincode folder: those under `src/` when the package uses it. */
function codeRoot(entries: CodeEntry[]): CodeEntry[] {
  const underSrc = entries.some((e) => e.path.startsWith('src/') && e.type !== 'directory');
  if (!underSrc) return entries;
  return entries
    .filter((e) => e.path.startsWith('src/'))
    .map((e) => ({
      ...e,
      path: e.path.slice(4),
      ...(e.type === 'link'
        ? { linkpath: normalized(e.linkpath ?? '')?.replace(/^src\//, '') ?? '\0' }
        : {}),
    }));
}

/**
 * Checks links: a symlink's target, resolved from its folder, must stay inside and must not pass
 * through another symlink (whose real target lexical resolution cannot see); a hard link must name
 * a regular file of the archive. No entry may be written through a symlink.
 */
function checkLinks(chaincodeId: string, entries: CodeEntry[]): void {
  const symlinks = new Set(entries.filter((e) => e.type === 'symlink').map((e) => e.path));
  const files = new Set(entries.filter((e) => e.type === 'file').map((e) => e.path));
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (symlinks.has(parts.slice(0, i).join('/'))) {
        throw unsafe(chaincodeId, `entry ${JSON.stringify(e.path)} is written through a symlink`);
      }
    }
    if (e.type === 'symlink') {
      const target = e.linkpath ?? '';
      const out = () =>
        unsafe(
          chaincodeId,
          `symlink ${JSON.stringify(e.path)} points outside the build folder (${JSON.stringify(target)})`,
        );
      if (target === '' || target.startsWith('/') || target.includes('\0')) throw out();
      const at = e.path.split('/').slice(0, -1);
      const steps = target.split('/');
      steps.forEach((step, i) => {
        if (step === '' || step === '.') return;
        if (step === '..') {
          if (at.length === 0) throw out();
          at.pop();
        } else {
          at.push(step);
        }
        if (i < steps.length - 1 && symlinks.has(at.join('/'))) throw out();
      });
      if (at.length === 0) throw out();
    } else if (e.type === 'link' && !files.has(e.linkpath ?? '')) {
      throw unsafe(
        chaincodeId,
        `link ${JSON.stringify(e.path)} points outside the build folder (${JSON.stringify(e.linkpath)})`,
      );
    }
  }
}

/** Reads and checks code.tar.gz, giving the entries to write into the chaincode folder. */
export async function readCodeArchive(
  chaincodeId: string,
  codeArchive: Uint8Array,
): Promise<CodeEntry[]> {
  const entries = codeRoot(await readArchive(chaincodeId, codeArchive));
  checkLinks(chaincodeId, entries);
  return entries;
}

/** Writes checked entries into `dir` (new and empty): folders, files, hard links, then symlinks. */
export async function writeEntries(dir: string, entries: readonly CodeEntry[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const order: Kind[] = ['directory', 'file', 'link', 'symlink'];
  for (const kind of order) {
    for (const e of entries.filter((x) => x.type === kind)) {
      const target = join(dir, e.path);
      if (kind === 'directory') {
        await mkdir(target, { recursive: true, mode: e.mode | 0o700 });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      if (kind === 'file') await writeFile(target, e.data, { mode: e.mode | 0o600, flag: 'wx' });
      else if (kind === 'link') await link(join(dir, e.linkpath ?? ''), target);
      else await symlink(e.linkpath ?? '', target);
    }
  }
}
