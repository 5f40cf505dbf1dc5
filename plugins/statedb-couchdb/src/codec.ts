/**
 * Fabric's document layout (`couchdoc_conv.go`, `dbvalue_encoding.go`): a key is a document whose
 * `_id` is the key; a value that is a JSON object becomes the document's fields, any other value
 * an attachment named `valueBytes`; the version and metadata travel in the `~version` field as
 * base64 of a `VersionAndMetadata` protobuf message whose version is the height in Fabric's
 * order-preserving encoding. Also the key and value rules and the savepoint document.
 */
import type { Height, VersionedValue } from '@fabric-peer/api';
import { CouchDbError } from './errors.js';
import { goMarshal, jsonObjectOf, type JsonObject } from './go-json.js';

/** Field of a document holding its version and metadata. */
export const VERSION_FIELD = '~version';
/** Name of the attachment holding a value that is not a JSON object. */
export const BINARY_WRAPPER = 'valueBytes';
/** Document of a channel's metadata database holding the savepoint. */
export const SAVEPOINT_DOC_ID = 'statedb_savepoint';
/** Document of a channel's metadata database listing its namespace databases. */
export const CHANNEL_METADATA_DOC_ID = 'channel_metadata';
/** Document of `fabric__internal` holding the data format version. */
export const DATAFORMAT_DOC_ID = 'dataformatVersion';
/** Fabric's current data format (`dataformat.CurrentFormat`). */
export const CURRENT_DATAFORMAT = '2.0';

// ---------------------------------------------------------------------------------------------
// Heights and VersionAndMetadata
// ---------------------------------------------------------------------------------------------

/** Fabric's `EncodeOrderPreservingVarUint64`: a length byte, then the big-endian bytes without leading zeros. */
export function encodeOrderPreservingVarUint64(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`height component ${n} is not a non-negative safe integer`);
  }
  const bytes: number[] = [];
  let v = BigInt(n);
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from([bytes.length, ...bytes]);
}

/** Decodes one order-preserving number; returns it and the bytes consumed. */
export function decodeOrderPreservingVarUint64(b: Uint8Array, at = 0): [number, number] {
  const size = b[at];
  if (size === undefined || size > 8) throw new Error(`invalid order-preserving size ${size}`);
  if (at + 1 + size > b.length) {
    throw new Error(`decoded size (${size}) is more than available bytes (${b.length - at - 1})`);
  }
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[at + 1 + i] ?? 0);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`height component ${v} is too large`);
  return [Number(v), size + 1];
}

/** `Height.ToBytes()`. */
export function heightToBytes(h: Height): Uint8Array {
  const a = encodeOrderPreservingVarUint64(h.blockNum);
  const b = encodeOrderPreservingVarUint64(h.txNum);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** `NewHeightFromBytes`. */
export function heightFromBytes(b: Uint8Array): Height {
  const [blockNum, n] = decodeOrderPreservingVarUint64(b, 0);
  const [txNum] = decodeOrderPreservingVarUint64(b, n);
  return { blockNum, txNum };
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function readVarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    const c = b[i] ?? 0;
    v += (c & 0x7f) * mul;
    if (c < 0x80) return [v, i + 1 - at];
    mul *= 128;
  }
  throw new Error('truncated varint');
}

/** `encodeVersionAndMetadata`: base64 of `VersionAndMetadata{version, metadata}`. */
export function encodeVersionAndMetadata(version: Height, metadata?: Uint8Array): string {
  const v = heightToBytes(version);
  const parts: number[] = [0x0a, ...varint(v.length), ...v];
  if (metadata !== undefined && metadata.length > 0) parts.push(0x12, ...varint(metadata.length));
  const head = Buffer.from(parts);
  const body = metadata !== undefined && metadata.length > 0 ? Buffer.from(metadata) : undefined;
  return (body ? Buffer.concat([head, body]) : head).toString('base64');
}

/** `decodeVersionAndMetadata`. */
export function decodeVersionAndMetadata(encoded: string): {
  version: Height;
  metadata?: Uint8Array;
} {
  const b = Buffer.from(encoded, 'base64');
  let version: Uint8Array | undefined;
  let metadata: Uint8Array | undefined;
  let at = 0;
  while (at < b.length) {
    const [tag, n] = readVarint(b, at);
    at += n;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2) {
      const [len, m] = readVarint(b, at);
      at += m;
      if (at + len > b.length) throw new Error('truncated field');
      const bytes = Uint8Array.prototype.slice.call(b, at, at + len);
      at += len;
      if (field === 1) version = bytes;
      else if (field === 2) metadata = bytes;
    } else if (wire === 0) {
      at += readVarint(b, at)[1];
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 5) {
      at += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  if (version === undefined) throw new Error('no version');
  const out: { version: Height; metadata?: Uint8Array } = { version: heightFromBytes(version) };
  if (metadata !== undefined && metadata.length > 0) out.metadata = metadata;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Key and value rules
// ---------------------------------------------------------------------------------------------

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** Fabric's `validateKey`: why CouchDB cannot hold `key`, or undefined. */
export function keyProblem(key: string): string | undefined {
  if (!isWellFormed(key)) {
    return `invalid key [${Buffer.from(key, 'utf8').toString('hex')}], must be a UTF-8 string`;
  }
  if (key.startsWith('_')) return `invalid key [${key}], cannot begin with "_"`;
  if (key === '') return 'invalid key. Empty string is not supported as a key by couchdb';
  return undefined;
}

/** Fabric's `checkReservedFieldsNotPresent` on a JSON object's top-level fields. */
function reservedFieldProblem(obj: JsonObject): string | undefined {
  for (const field of Object.keys(obj)) {
    if (field === VERSION_FIELD || field.startsWith('_')) {
      return `field [${field}] is not valid for the CouchDB state database`;
    }
  }
  return undefined;
}

/** Fabric's `validateValue`: why a value cannot be stored as a document, or undefined. */
export function valueProblem(value: Uint8Array): string | undefined {
  const obj = jsonObjectOf(value);
  return obj === undefined ? undefined : reservedFieldProblem(obj);
}

/** Fabric's `ValidateKeyValue`. */
export function keyValueProblem(key: string, value: Uint8Array): string | undefined {
  return keyProblem(key) ?? valueProblem(value);
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/** An attachment as `_bulk_docs` takes it (inline, base64). */
export interface InlineAttachment {
  content_type: string;
  data: string;
}

/** A document as sent to CouchDB. */
export type OutgoingDoc = JsonObject & {
  _id: string;
  _rev?: string;
  _deleted?: true;
  [VERSION_FIELD]: string;
  _attachments?: Record<string, InlineAttachment>;
};

/** One write as the database stores it (no value: a delete). */
export interface DocWrite {
  readonly key: string;
  readonly value?: Uint8Array;
  readonly metadata?: Uint8Array;
  readonly version: Height;
}

/** Fabric's `keyValToCouchDoc`: the document for a write, with the revision it replaces. */
export function toCouchDoc(w: DocWrite, revision: string | undefined): OutgoingDoc {
  const versionField = encodeVersionAndMetadata(w.version, w.metadata);
  let doc: JsonObject;
  let attachment: Uint8Array | undefined;
  if (w.value === undefined) {
    doc = {};
  } else {
    const obj = jsonObjectOf(w.value);
    if (obj !== undefined) {
      const problem = reservedFieldProblem(obj);
      if (problem !== undefined) {
        throw new CouchDbError('COUCHDB_INVALID_DOCUMENT', problem, { details: { key: w.key } });
      }
      doc = obj;
    } else {
      doc = {};
      attachment = w.value;
    }
  }
  const out = doc as OutgoingDoc;
  out[VERSION_FIELD] = versionField;
  out._id = w.key;
  if (revision !== undefined && revision !== '') out._rev = revision;
  if (w.value === undefined) out._deleted = true;
  if (attachment !== undefined) {
    out._attachments = {
      [BINARY_WRAPPER]: {
        content_type: 'application/octet-stream',
        data: Buffer.from(attachment).toString('base64'),
      },
    };
  }
  return out;
}

/** Whether a stored document carries its value as an attachment that was not sent inline. */
export function hasAttachmentStub(doc: JsonObject): boolean {
  const atts = doc['_attachments'];
  if (typeof atts !== 'object' || atts === null) return false;
  const att = (atts as Record<string, unknown>)[BINARY_WRAPPER];
  if (typeof att !== 'object' || att === null) return false;
  return typeof (att as Record<string, unknown>)['data'] !== 'string';
}

/** Fabric's `couchDocToKeyValue`: the key, revision and versioned value of a stored document. */
export function fromCouchDoc(doc: JsonObject): {
  key: string;
  revision: string;
  value: VersionedValue;
} {
  const id = doc['_id'];
  if (typeof id !== 'string') {
    throw new CouchDbError('COUCHDB_INVALID_DOCUMENT', 'document has no _id');
  }
  const rev = doc['_rev'];
  const encoded = doc[VERSION_FIELD];
  if (typeof encoded !== 'string') {
    throw new CouchDbError(
      'COUCHDB_INVALID_DOCUMENT',
      `version field ${VERSION_FIELD} was not found in document [${id}]`,
      { details: { key: id } },
    );
  }
  let vm: { version: Height; metadata?: Uint8Array };
  try {
    vm = decodeVersionAndMetadata(encoded);
  } catch (err) {
    throw new CouchDbError(
      'COUCHDB_INVALID_DOCUMENT',
      `version field ${VERSION_FIELD} of document [${id}] is not valid: ${(err as Error).message}`,
      { cause: err, details: { key: id } },
    );
  }
  let value: Uint8Array;
  const atts = doc['_attachments'];
  if (typeof atts === 'object' && atts !== null) {
    const att = (atts as Record<string, unknown>)[BINARY_WRAPPER] as
      Record<string, unknown> | undefined;
    const data = att?.['data'];
    if (typeof data !== 'string') {
      throw new CouchDbError(
        'COUCHDB_INVALID_DOCUMENT',
        `document [${id}] has no inline ${BINARY_WRAPPER} attachment`,
        { details: { key: id } },
      );
    }
    value = new Uint8Array(Buffer.from(data, 'base64'));
  } else {
    const fields: JsonObject = {};
    for (const [k, v] of Object.entries(doc)) {
      if (k !== '_id' && k !== '_rev' && k !== VERSION_FIELD) fields[k] = v;
    }
    value = new Uint8Array(Buffer.from(goMarshal(fields), 'utf8'));
  }
  const versioned: VersionedValue =
    vm.metadata === undefined
      ? { value, version: vm.version }
      : { value, metadata: vm.metadata, version: vm.version };
  return { key: id, revision: typeof rev === 'string' ? rev : '', value: versioned };
}

// ---------------------------------------------------------------------------------------------
// Metadata documents
// ---------------------------------------------------------------------------------------------

/** The savepoint document's fields (`couchSavepointData`). */
export function savepointFields(h: Height): JsonObject {
  return { BlockNum: h.blockNum, TxNum: h.txNum };
}

/** Reads a savepoint document. */
export function savepointOf(doc: JsonObject): Height {
  const blockNum = doc['BlockNum'];
  const txNum = doc['TxNum'];
  if (
    typeof blockNum !== 'number' ||
    typeof txNum !== 'number' ||
    !Number.isSafeInteger(blockNum) ||
    !Number.isSafeInteger(txNum)
  ) {
    throw new CouchDbError(
      'COUCHDB_INVALID_DOCUMENT',
      `savepoint document is not valid: ${JSON.stringify({ BlockNum: blockNum, TxNum: txNum })}`,
    );
  }
  return { blockNum, txNum };
}

/** A namespace database as the channel metadata document lists it (`namespaceDBInfo`). */
export interface NamespaceDbInfo {
  Namespace: string;
  DBName: string;
}

/** The channel metadata document's fields (`channelMetadata`). */
export interface ChannelMetadata {
  ChannelName: string;
  NamespaceDBsInfo: Record<string, NamespaceDbInfo>;
}

/** Reads a channel metadata document. */
export function channelMetadataOf(doc: JsonObject, channel: string): ChannelMetadata {
  const infos = doc['NamespaceDBsInfo'];
  const out: ChannelMetadata = { ChannelName: channel, NamespaceDBsInfo: {} };
  if (typeof infos === 'object' && infos !== null) {
    for (const [ns, info] of Object.entries(infos as Record<string, unknown>)) {
      const name = (info as Record<string, unknown> | null)?.['DBName'];
      if (typeof name === 'string') out.NamespaceDBsInfo[ns] = { Namespace: ns, DBName: name };
    }
  }
  return out;
}
