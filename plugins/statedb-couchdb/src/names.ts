/**
 * Database names, exactly as Fabric's statecouchdb makes them (`couchdbutil.go`): one database per
 * channel for its metadata (`<channel>_`) and one per channel and namespace
 * (`<channel>_<namespace>`), upper-case letters escaped as `$` + the lower-case letter, names longer
 * than CouchDB allows truncated and suffixed with a SHA-256 of the full name, and `.` mapped to `$`.
 */
import { createHash } from 'node:crypto';
import { CouchDbError } from './errors.js';

/** Longest database name Fabric lets through (CouchDB allows 249; Fabric keeps room). */
export const MAX_DB_NAME_LENGTH = 238;
/** Parts kept of a channel, namespace and collection name in a truncated database name. */
const CHANNEL_KEEP = 50;
const NAMESPACE_KEEP = 50;
const COLLECTION_KEEP = 50;

/** The pattern Fabric checks a full database name against (before mapping `.` to `$`). */
const DB_NAME_PATTERN = /^[a-z][a-z0-9.$_()+-]*$/;

/** Fabric's own database, holding the data format version (`fabric__internal`). */
export const FABRIC_INTERNAL_DB = 'fabric__internal';

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Go's len(): the length of the UTF-8 encoding. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Go's s[0:n] on the UTF-8 bytes (names that matter here are ASCII; others fail validation). */
function byteSlice(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= n ? s : b.subarray(0, n).toString('utf8');
}

/** Replaces every upper-case ASCII letter with `$` and its lower-case form (`escapeUpperCase`). */
export function escapeUpperCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `$${c.toLowerCase()}`);
}

/**
 * Name of a channel's metadata database (`constructMetadataDBName`): `<channel>_`, or, for a channel
 * name longer than 238 bytes, its first 50 bytes + `(` + SHA-256 of the name + `)` + `_`.
 */
export function metadataDbName(channel: string): string {
  let name = channel;
  if (byteLength(name) > MAX_DB_NAME_LENGTH) {
    name = `${byteSlice(channel, CHANNEL_KEEP)}(${sha256Hex(channel)})`;
  }
  return `${name}_`;
}

/**
 * Name of the database of a namespace of a channel (`constructNamespaceDBName`). A namespace is a
 * chaincode name, or `<chaincode>$$h<collection>` / `<chaincode>$$p<collection>` for private data.
 */
export function namespaceDbName(channel: string, namespace: string): string {
  const escaped = escapeUpperCase(namespace);
  const full = `${channel}_${escaped}`;
  if (byteLength(full) <= MAX_DB_NAME_LENGTH) return full;
  // The hash is of the name before escaping, as in Fabric.
  const hash = sha256Hex(`${channel}_${namespace}`);
  const chain = byteSlice(channel, CHANNEL_KEEP);
  const names = escaped.split('$$');
  let ns = byteSlice(names[0] ?? '', NAMESPACE_KEEP);
  if (names.length === 2) ns = `${ns}$$${byteSlice(names[1] ?? '', COLLECTION_KEEP)}`;
  return `${chain}_${ns}(${hash})`;
}

/**
 * Validates a database name as Fabric does (`mapAndValidateDatabaseName`) and maps `.` to `$`;
 * throws a {@link CouchDbError} naming the problem.
 */
export function mapAndValidateDbName(name: string): string {
  if (name.length === 0) {
    throw new CouchDbError('COUCHDB_INVALID_NAME', 'database name is illegal, cannot be empty');
  }
  if (byteLength(name) > MAX_DB_NAME_LENGTH) {
    throw new CouchDbError(
      'COUCHDB_INVALID_NAME',
      `database name is illegal, cannot be longer than ${MAX_DB_NAME_LENGTH}`,
      { details: { database: name } },
    );
  }
  if (!DB_NAME_PATTERN.test(name)) {
    throw new CouchDbError(
      'COUCHDB_INVALID_NAME',
      `databaseName '${name}' does not match pattern '[a-z][a-z0-9.$_()+-]*'`,
      { details: { database: name } },
    );
  }
  return name.replaceAll('.', '$');
}
