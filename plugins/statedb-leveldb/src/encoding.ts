/**
 * Fabric's LevelDB layout (common/ledger/util/leveldbhelper and statedb/stateleveldb), kept byte
 * for byte:
 *
 * - one database for the peer; each channel's keys start with `<channel> 0x00`;
 * - a data key is `<channel> 0x00 'd' <namespace> 0x00 <key>` (UTF-8), so a namespace's keys are
 *   the range [`…'d' <ns> 0x00`, `…'d' <ns> 0x01`), and ns `a` never meets ns `ab` or `a$$hc`;
 * - the savepoint of a channel is `<channel> 0x00 's'`, its value a height;
 * - the data format, `_ 0x00 'f'` = `2.0` (`_` is not a valid channel name);
 * - a height is two order-preserving var-uints (a length byte, then the big-endian bytes with
 *   leading zeros trimmed): block number, then transaction number;
 * - a value is the protobuf message `DBValue { bytes version = 1; bytes value = 2; bytes metadata
 *   = 3; }`, empty fields left out, as Go's proto.Marshal writes it.
 */
import type { Height, VersionedKV, VersionedValue } from '@fabric-peer/api';
import { StateDatabaseError } from './errors.js';

const SEP = 0x00;
const LAST = 0x01;
const DATA = 0x64; // 'd'
const SAVEPOINT = 0x73; // 's'
const FORMAT = 0x66; // 'f'

/** The value of the format key in a database this plugin (or Fabric 2.x) wrote. */
export const DATA_FORMAT = '2.0';

/** Key of the data format record, in the internal `_` channel. */
export const FORMAT_KEY: Buffer = Buffer.from([0x5f, SEP, FORMAT]);

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** The bounds of every key of a channel. */
export function channelRange(channelId: string): { gte: Buffer; lt: Buffer } {
  const name = utf8(channelId);
  return { gte: Buffer.concat([name, Buffer.of(SEP)]), lt: Buffer.concat([name, Buffer.of(LAST)]) };
}

/** Key of a channel's savepoint. */
export function savepointKey(channelId: string): Buffer {
  return Buffer.concat([utf8(channelId), Buffer.of(SEP, SAVEPOINT)]);
}

/** The data keys of one namespace of one channel. */
export class NamespaceKeys {
  /** `<channel> 0x00 'd' <ns> 0x00`: the first possible key of the namespace. */
  readonly prefix: Buffer;
  /** `<channel> 0x00 'd' <ns> 0x01`: just past the last. */
  readonly end: Buffer;

  constructor(
    channelId: string,
    readonly namespace: string,
  ) {
    if (namespace.includes('\u0000')) {
      // It would let one namespace's keys appear in another's range.
      throw new TypeError(`namespace ${JSON.stringify(namespace)} contains U+0000`);
    }
    const head = Buffer.concat([utf8(channelId), Buffer.of(SEP, DATA), utf8(namespace)]);
    this.prefix = Buffer.concat([head, Buffer.of(SEP)]);
    this.end = Buffer.concat([head, Buffer.of(LAST)]);
  }

  /** The database key of `key`. */
  dataKey(key: string): Buffer {
    const k = utf8(key);
    const out = Buffer.allocUnsafe(this.prefix.length + k.length);
    this.prefix.copy(out, 0);
    k.copy(out, this.prefix.length);
    return out;
  }

  /** The state key of a database key of this namespace. */
  keyOf(dataKey: Uint8Array): string {
    return Buffer.from(dataKey.buffer, dataKey.byteOffset, dataKey.byteLength).toString(
      'utf8',
      this.prefix.length,
    );
  }
}

function checkUint(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${n}`);
  }
}

/** Appends Fabric's order-preserving var-uint of `n` to `out` at `at`; returns the new offset. */
function writeOrderedUint(n: number, out: Buffer, at: number): number {
  const digits: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) digits.push(v % 256);
  out[at++] = digits.length;
  for (let i = digits.length - 1; i >= 0; i--) out[at++] = digits[i] ?? 0;
  return at;
}

function orderedUintSize(n: number): number {
  let size = 1;
  for (let v = n; v > 0; v = Math.floor(v / 256)) size++;
  return size;
}

function readOrderedUint(b: Uint8Array, at: number, what: string): [number, number] {
  const size = b[at];
  if (size === undefined || size > 8 || at + 1 + size > b.length) {
    throw new StateDatabaseError('STATEDB_CORRUPT', `${what}: malformed height bytes`);
  }
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + (b[at + 1 + i] ?? 0);
  if (!Number.isSafeInteger(n)) {
    throw new StateDatabaseError(
      'STATEDB_CORRUPT',
      `${what}: height beyond Number.MAX_SAFE_INTEGER cannot be represented`,
    );
  }
  return [n, at + 1 + size];
}

/** A height's bytes (Fabric's version.Height.ToBytes). */
export function encodeHeight(h: Height, what = 'height'): Buffer {
  checkUint(h.blockNum, `${what} blockNum`);
  checkUint(h.txNum, `${what} txNum`);
  const out = Buffer.allocUnsafe(orderedUintSize(h.blockNum) + orderedUintSize(h.txNum));
  writeOrderedUint(h.txNum, out, writeOrderedUint(h.blockNum, out, 0));
  return out;
}

/** Reads a height (Fabric's version.NewHeightFromBytes); trailing bytes are ignored. */
export function decodeHeight(b: Uint8Array, what = 'height'): Height {
  const [blockNum, at] = readOrderedUint(b, 0, what);
  const [txNum] = readOrderedUint(b, at, what);
  return { blockNum, txNum };
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(n: number, out: Buffer, at: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function readVarint(b: Uint8Array, at: number): [number, number] {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const byte = b[at + i];
    if (byte === undefined) break;
    n += (byte & 0x7f) * scale;
    if (byte < 0x80) return [n, at + i + 1];
    scale *= 128;
  }
  throw new StateDatabaseError('STATEDB_CORRUPT', 'malformed value: bad varint');
}

/** A stored value: `DBValue` with the version, the value and the metadata (when not empty). */
export function encodeValue(
  value: Uint8Array,
  metadata: Uint8Array | undefined,
  version: Height,
  what: string,
): Buffer {
  const ver = encodeHeight(version, `version of ${what}`);
  const meta = metadata !== undefined && metadata.length > 0 ? metadata : undefined;
  const field = (len: number) => 1 + varintSize(len) + len;
  const size =
    field(ver.length) +
    (value.length > 0 ? field(value.length) : 0) +
    (meta ? field(meta.length) : 0);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const write = (tag: number, bytes: Uint8Array) => {
    out[at++] = tag;
    at = writeVarint(bytes.length, out, at);
    out.set(bytes, at);
    at += bytes.length;
  };
  write(0x0a, ver);
  if (value.length > 0) write(0x12, value);
  if (meta) write(0x1a, meta);
  return out;
}

/**
 * Reads a stored value. With `copy`, value and metadata are copies; without, views of `stored`
 * (which must then belong to the caller alone, as a buffer fresh from LevelDB does).
 */
export function decodeValue(stored: Uint8Array, copy: boolean): VersionedValue {
  let version: Height | undefined;
  let value: Uint8Array = new Uint8Array(0);
  let metadata: Uint8Array | undefined;
  let at = 0;
  while (at < stored.length) {
    const [tag, afterTag] = readVarint(stored, at);
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) {
      at = readVarint(stored, afterTag)[1];
      continue;
    }
    if (wire === 1 || wire === 5) {
      at = afterTag + (wire === 1 ? 8 : 4);
      continue;
    }
    if (wire !== 2) {
      throw new StateDatabaseError('STATEDB_CORRUPT', `malformed value: wire type ${wire}`);
    }
    const [len, start] = readVarint(stored, afterTag);
    const end = start + len;
    if (end > stored.length) {
      throw new StateDatabaseError('STATEDB_CORRUPT', 'malformed value: truncated field');
    }
    // A Buffer's slice() is a view: copy through the Uint8Array constructor.
    const view = stored.subarray(start, end);
    const bytes = copy ? new Uint8Array(view) : view;
    if (field === 1) version = decodeHeight(bytes, 'version');
    else if (field === 2) value = bytes;
    else if (field === 3) metadata = bytes.length > 0 ? bytes : undefined;
    at = end;
  }
  if (at > stored.length) {
    throw new StateDatabaseError('STATEDB_CORRUPT', 'malformed value: truncated field');
  }
  if (!version) throw new StateDatabaseError('STATEDB_CORRUPT', 'malformed value: no version');
  return metadata === undefined ? { value, version } : { value, metadata, version };
}

/** A scanned entry. */
export function decodeEntry(
  keys: NamespaceKeys,
  dataKey: Uint8Array,
  stored: Uint8Array,
): VersionedKV {
  return { namespace: keys.namespace, key: keys.keyOf(dataKey), ...decodeValue(stored, false) };
}
