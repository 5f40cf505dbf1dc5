/**
 * The key and value rules of Fabric's CouchDB state database (statecouchdb `validateKey` and
 * `validateValue`), for the memory implementation when it imitates CouchDB. A transaction that
 * breaks them is marked INVALID_WRITESET at commit, so they are consensus: same input, same answer.
 */
import { isWellFormed, jsonObjectOf } from './bytes.js';

/** CouchDB's reserved version field, which Fabric adds to each document. */
const VERSION_FIELD = '~version';

/** Why CouchDB cannot store `key` = `value`, or undefined when it can. */
export function couchDbKeyValueProblem(key: string, value: Uint8Array): string | undefined {
  if (!isWellFormed(key)) {
    return `invalid key [${Buffer.from(key, 'utf8').toString('hex')}], must be a UTF-8 string`;
  }
  if (key.startsWith('_')) return `invalid key [${key}], cannot begin with "_"`;
  if (key === '') return 'invalid key. Empty string is not supported as a key by couchdb';
  const json = jsonObjectOf(value);
  if (json === undefined) return undefined;
  for (const field of Object.keys(json)) {
    if (field === VERSION_FIELD || field.startsWith('_')) {
      return `field [${field}] is not valid for the CouchDB state database`;
    }
  }
  return undefined;
}
