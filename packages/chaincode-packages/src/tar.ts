/**
 * A small, strict tar reader and writer for chaincode packages. Packages are small and arrive as
 * one byte array, so everything happens in memory; the reader reports truncated or corrupt input
 * as an error (as Go's archive/tar does) instead of returning what it managed to read.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** Kind of a tar entry. `other`: devices, FIFOs, contiguous files and unknown type flags. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

/** One entry of a tar archive. */
export interface TarEntry {
  /** Path as stored (PAX `path` or GNU long name when present). */
  readonly path: string;
  readonly type: TarEntryType;
  /** The raw type flag character, e.g. `0`, `5`, `2`. */
  readonly typeflag: string;
  /** Permission bits. */
  readonly mode: number;
  /** Target of a symlink or hard link. */
  readonly linkpath?: string;
  /** Content of a file (empty for other types). */
  readonly data: Uint8Array;
}

/** An entry to write: a file unless `type` says otherwise. */
export interface TarInput {
  readonly path: string;
  readonly type?: TarEntryType;
  readonly data?: Uint8Array | string;
  /** Default 0o644 for files, 0o755 for directories, 0o777 for links. */
  readonly mode?: number;
  readonly linkpath?: string;
}

/** The input is not a valid tar archive; `message` says what, in archive/tar's words. */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

const BLOCK = 512;
/** Largest archive a gzip stream may expand to: guards against decompression bombs. */
export const DEFAULT_MAX_UNCOMPRESSED = 512 * 1024 * 1024;

/** True when `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a gzip stream. Throws a TarFormatError in the words of Go's compress/gzip
 * (`gzip: invalid header`, `unexpected EOF`) when the bytes are not a complete gzip stream.
 */
export function gunzip(bytes: Uint8Array, maxOutputLength = DEFAULT_MAX_UNCOMPRESSED): Buffer {
  if (!isGzip(bytes)) throw new TarFormatError('gzip: invalid header');
  try {
    return gunzipSync(bytes, { maxOutputLength });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'Z_BUF_ERROR') throw new TarFormatError('unexpected EOF');
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new TarFormatError(`archive expands to more than ${maxOutputLength} bytes`);
    }
    throw new TarFormatError(`gzip: ${(err as Error).message}`);
  }
}

function cString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('utf8');
}

function parseNumber(block: Uint8Array, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as a marker.
    let value = first & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new TarFormatError('archive/tar: invalid tar header');
    return value;
  }
  const text = Buffer.from(field).toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError('archive/tar: invalid tar header');
  return parseInt(text, 8);
}

function checksumOk(block: Uint8Array): boolean {
  const stored = parseNumber(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  const text = Buffer.from(data).toString('utf8');
  let pos = 0;
  while (pos < text.length) {
    const space = text.indexOf(' ', pos);
    const length = space === -1 ? NaN : Number(text.slice(pos, space));
    if (!Number.isInteger(length) || length <= 0 || pos + length > text.length) {
      throw new TarFormatError('archive/tar: invalid tar header');
    }
    const record = text.slice(space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError('archive/tar: invalid tar header');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

function entryType(flag: string, path: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
      // Old tars mark directories with a regular type and a trailing slash.
      return flag === '\0' && path.endsWith('/') ? 'directory' : 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'link';
    default:
      return 'other';
  }
}

/** Reads every entry of an uncompressed tar archive. */
export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    if (pos === tar.length) break;
    if (pos + BLOCK > tar.length) throw new TarFormatError('unexpected EOF');
    const block = tar.subarray(pos, pos + BLOCK);
    pos += BLOCK;
    if (block.every((b) => b === 0)) break;
    if (!checksumOk(block)) throw new TarFormatError('archive/tar: invalid tar header');
    const flag = String.fromCharCode(block[156] ?? 0);
    let size = parseNumber(block, 124, 12);
    if (pax.has('size')) size = Number(pax.get('size'));
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new TarFormatError('archive/tar: invalid tar header');
    }
    if (pos + size > tar.length) throw new TarFormatError('unexpected EOF');
    const data = tar.subarray(pos, pos + size);
    pos += Math.ceil(size / BLOCK) * BLOCK;
    if (pos > tar.length) pos = tar.length;

    if (flag === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (flag === 'g') continue;
    if (flag === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (flag === 'K') {
      longLink = cString(data, 0, data.length);
      continue;
    }

    const magic = Buffer.from(block.subarray(257, 263)).toString('latin1');
    let name = cString(block, 0, 100);
    // POSIX ustar splits long names into prefix/name; GNU tar uses that space for other fields.
    if (magic === 'ustar\0') {
      const prefix = cString(block, 345, 155);
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    const path = pax.get('path') ?? longName ?? name;
    const linkname = pax.get('linkpath') ?? longLink ?? cString(block, 157, 100);
    const type = entryType(flag, path);
    entries.push({
      path,
      type,
      typeflag: flag === '\0' ? '0' : flag,
      mode: parseNumber(block, 100, 8) & 0o7777,
      ...(type === 'symlink' || type === 'link' ? { linkpath: linkname } : {}),
      data: type === 'file' || type === 'other' ? data : new Uint8Array(0),
    });
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}

/** Reads a gzip-compressed tar archive. */
export function readTarGz(bytes: Uint8Array, maxOutputLength?: number): TarEntry[] {
  return readTar(gunzip(bytes, maxOutputLength));
}

function writeString(block: Buffer, text: string, start: number, length: number): void {
  Buffer.from(text, 'utf8').copy(block, start, 0, length);
}

function writeOctal(block: Buffer, value: number, start: number, length: number): void {
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new RangeError(`tar field too small for ${value}`);
  block.write(`${text}\0`, start, 'latin1');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) {
    length = String(length).length + Buffer.byteLength(body);
  }
  return `${length}${body}`;
}

const TYPEFLAGS: Record<TarEntryType, string> = {
  file: '0',
  directory: '5',
  symlink: '2',
  link: '1',
  other: '6',
};

function header(name: string, flag: string, size: number, mode: number, linkname: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, name, 0, 100);
  writeOctal(block, mode, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, 0, 136, 12);
  block.fill(0x20, 148, 156);
  block.write(flag, 156, 'latin1');
  writeString(block, linkname, 157, 100);
  block.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function padded(data: Uint8Array): Buffer[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [Buffer.from(data)] : [Buffer.from(data), Buffer.alloc(BLOCK - rest)];
}

/**
 * Writes a tar archive (ustar, with a PAX header for names longer than 100 bytes), with zero
 * owners and times so that the same input always gives the same bytes.
 */
export function writeTar(inputs: readonly TarInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const input of inputs) {
    const type = input.type ?? 'file';
    const data =
      type === 'file'
        ? typeof input.data === 'string'
          ? Buffer.from(input.data, 'utf8')
          : Buffer.from(input.data ?? new Uint8Array(0))
        : Buffer.alloc(0);
    const mode = input.mode ?? (type === 'directory' ? 0o755 : type === 'file' ? 0o644 : 0o777);
    const linkname = input.linkpath ?? '';
    const long = Buffer.byteLength(input.path) > 100 || Buffer.byteLength(linkname) > 100;
    if (long) {
      let records = paxRecord('path', input.path);
      if (linkname !== '') records += paxRecord('linkpath', linkname);
      const body = Buffer.from(records, 'utf8');
      parts.push(header('PaxHeader', 'x', body.length, 0o644, ''), ...padded(body));
    }
    parts.push(header(input.path, TYPEFLAGS[type], data.length, mode, linkname), ...padded(data));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** Writes a gzip-compressed tar archive (see {@link writeTar}). */
export function writeTarGz(inputs: readonly TarInput[]): Buffer {
  return gzipSync(writeTar(inputs));
}
