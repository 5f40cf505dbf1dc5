/**
 * One CouchDB server as the state database uses it (Fabric's `couchInstance` and `couchDatabase`):
 * the first contact (with `maxRetriesOnStartup`), the system databases, the data format check, and
 * the document operations the channels share.
 */
import type { Logger } from '@fabric-peer/api';
import {
  CURRENT_DATAFORMAT,
  DATAFORMAT_DOC_ID,
  hasAttachmentStub,
  type OutgoingDoc,
} from './codec.js';
import { CouchConnection, isStatus } from './connection.js';
import { CouchDbError } from './errors.js';
import type { JsonObject } from './go-json.js';
import type { DocRow, ServerKeyOrder } from './key-order.js';
import { FABRIC_INTERNAL_DB, mapAndValidateDbName } from './names.js';
import type { CouchDbSettings } from './settings.js';
import { StateCache } from './state-cache.js';
import type { ChannelState } from './versioned-db.js';

/** What the server said about itself at `GET /`. */
export interface ServerInfo {
  /** `Apache CouchDB 3.3.3`, `pouchdb-server 4.2.0`, ... */
  readonly product: string;
  readonly version: string;
  /** How it orders `_all_docs`. */
  readonly keyOrder: ServerKeyOrder;
}

/** Reads a server's `GET /` answer. */
export function describeServer(root: JsonObject): ServerInfo {
  const version = typeof root['version'] === 'string' ? root['version'] : 'unknown';
  const vendor = root['vendor'] as JsonObject | undefined;
  const vendorName = typeof vendor?.['name'] === 'string' ? vendor['name'] : '';
  if ('express-pouchdb' in root || /pouchdb/i.test(vendorName)) {
    return { product: `pouchdb-server ${version}`, version, keyOrder: 'utf16' };
  }
  return {
    product: `${vendorName === 'The Apache Software Foundation' ? 'Apache CouchDB' : vendorName || 'CouchDB'} ${version}`,
    version,
    keyOrder: 'utf8',
  };
}

/** A row of `_all_docs` as the server sends it. */
interface AllDocsRow {
  id?: string;
  key?: string;
  error?: string;
  value?: { rev?: string; deleted?: boolean };
  doc?: JsonObject | null;
}

/** Whether the server's `_find` returns bookmarks: unknown until the first `_find`. */
export type BookmarkSupport = 'unknown' | 'yes' | 'no';

/** A CouchDB server, shared by the channels of one provider. */
export class CouchInstance {
  readonly conn: CouchConnection;
  readonly cache: StateCache;
  bookmarks: BookmarkSupport = 'unknown';
  /** The channels opened, by name (their state is shared by every handle). */
  readonly channels = new Map<string, Promise<ChannelState>>();
  #info: ServerInfo | undefined;

  constructor(
    readonly settings: CouchDbSettings,
    readonly log: Logger,
  ) {
    this.conn = new CouchConnection(
      {
        address: settings.address,
        ...(settings.username !== undefined ? { username: settings.username } : {}),
        ...(settings.password !== undefined ? { password: settings.password } : {}),
        maxRetries: settings.maxRetries,
        requestTimeoutMs: settings.requestTimeoutMs,
      },
      log,
    );
    this.cache = new StateCache(settings.cacheSizeMb);
  }

  get info(): ServerInfo {
    if (this.#info === undefined) throw new Error('CouchInstance used before start()');
    return this.#info;
  }

  get keyOrder(): ServerKeyOrder {
    return this.info.keyOrder;
  }

  get address(): string {
    return this.conn.address;
  }

  /**
   * First contact (Fabric's `createCouchInstance` and `checkExpectedDataformatVersion`): the
   * server answers `GET /` (retried `maxRetriesOnStartup` times), is CouchDB 2 or later, has its
   * system databases, and holds Fabric's current data format.
   */
  async start(): Promise<void> {
    const root = await this.conn.request<JsonObject>({
      method: 'GET',
      path: [],
      operation: 'say who it is (GET /)',
      retries: this.settings.maxRetriesOnStartup,
    });
    const info = describeServer(root);
    const major = Number.parseInt(info.version.split('.')[0] ?? '', 10);
    if (info.keyOrder === 'utf8' && (!Number.isFinite(major) || major < 2)) {
      throw new CouchDbError(
        'COUCHDB_UNSUPPORTED_SERVER',
        `CouchDB at ${this.address} is ${info.product}; CouchDB must be at least version 2.0.0`,
        { details: { address: this.address, version: info.version } },
      );
    }
    if (info.keyOrder === 'utf16') {
      this.log.warn(
        `CouchDB at ${this.address} is ${info.product}, not Apache CouchDB: use it for development and tests only. ` +
          'Range scans are put back in UTF-8 key order by the peer; _find returns no bookmarks, so paginated rich queries use position bookmarks checked against the state',
      );
    } else if (major !== 3) {
      this.log.warn(`CouchDB at ${this.address} is ${info.product}; Fabric supports CouchDB 3.x`);
    }
    this.#info = info;
    this.log.info(`Connected to ${info.product} at ${this.address}`);

    for (const db of ['_users', '_replicator']) await this.createDb(db, { system: true });
    if (this.settings.createGlobalChangesDB) {
      await this.createDb('_global_changes', { system: true });
    }
    await this.#checkDataformat();
  }

  async #checkDataformat(): Promise<void> {
    const names = await this.conn.request<unknown>({
      method: 'GET',
      path: ['_all_dbs'],
      operation: 'list databases',
    });
    if (!Array.isArray(names)) {
      throw new CouchDbError(
        'COUCHDB_BAD_RESPONSE',
        `CouchDB at ${this.address} answered _all_dbs with something other than a list`,
      );
    }
    const apps = names.filter(
      (n): n is string => typeof n === 'string' && !n.startsWith('_') && n !== FABRIC_INTERNAL_DB,
    );
    await this.createDb(FABRIC_INTERNAL_DB);
    if (apps.length === 0) {
      await this.saveDoc(FABRIC_INTERNAL_DB, DATAFORMAT_DOC_ID, { Version: CURRENT_DATAFORMAT });
      return;
    }
    const doc = await this.readDoc(FABRIC_INTERNAL_DB, DATAFORMAT_DOC_ID);
    const version = typeof doc?.['Version'] === 'string' ? doc['Version'] : '';
    if (version !== CURRENT_DATAFORMAT) {
      throw new CouchDbError(
        'COUCHDB_UNSUPPORTED_SERVER',
        `CouchDB for state database at ${this.address} holds data format [${version}], expected [${CURRENT_DATAFORMAT}]: ` +
          'its databases were not written by a Fabric 2.x peer (upgrade them, or use an empty CouchDB)',
        { details: { address: this.address, format: version, expected: CURRENT_DATAFORMAT } },
      );
    }
  }

  /** Creates a database unless it exists, and gives the configured user rights on it. */
  async createDb(name: string, opts: { system?: boolean } = {}): Promise<void> {
    const db = opts.system ? name : mapAndValidateDbName(name);
    try {
      await this.conn.request({ method: 'PUT', path: [db], operation: `create database ${db}` });
      this.log.info(`Created state database ${db}`);
    } catch (err) {
      // 412: it exists already (possibly created by a retry of this very request).
      if (!isStatus(err, 412)) throw err;
    }
    const { username, password } = this.settings;
    if (db !== '_users' && username && password) {
      await this.conn.request({
        method: 'PUT',
        path: [db, '_security'],
        body: {
          admins: { names: [username], roles: [] },
          members: { names: [username], roles: [] },
        },
        operation: `set the security of database ${db}`,
      });
    }
  }

  /** Whether a database exists. */
  async dbExists(db: string): Promise<boolean> {
    try {
      await this.conn.request({ method: 'GET', path: [db], operation: `read database ${db}` });
      return true;
    } catch (err) {
      if (isStatus(err, 404)) return false;
      throw err;
    }
  }

  /** Deletes a database; one that does not exist is not an error. */
  async dropDb(db: string): Promise<void> {
    try {
      await this.conn.request({ method: 'DELETE', path: [db], operation: `drop database ${db}` });
      this.log.info(`Dropped state database ${db}`);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /** A document with its attachments inline, or undefined when there is none. */
  async readDoc(db: string, id: string): Promise<JsonObject | undefined> {
    try {
      return await this.conn.request<JsonObject>({
        method: 'GET',
        path: [db, id],
        qs: { attachments: true },
        operation: `read document [${id}] of database ${db}`,
      });
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** The current revision of a document ('' when there is none). */
  async revisionOf(db: string, id: string): Promise<string> {
    try {
      const doc = await this.conn.request<JsonObject>({
        method: 'GET',
        path: [db, id],
        operation: `read the revision of document [${id}] of database ${db}`,
      });
      return typeof doc['_rev'] === 'string' ? doc['_rev'] : '';
    } catch (err) {
      if (isStatus(err, 404)) return '';
      throw err;
    }
  }

  /**
   * Writes a whole document over whatever revision is current (Fabric's `saveDoc` with its
   * revision-conflict retry): with `revision` first when given, then, on a conflict, over the
   * revision read back, with the fields `merge` makes of the current document when given. The
   * revision goes in the body (pouchdb-server ignores `If-Match`). Returns the new revision.
   */
  async saveDoc(
    db: string,
    id: string,
    fields: JsonObject,
    revision?: string,
    merge?: (current: JsonObject | undefined) => JsonObject,
  ): Promise<string> {
    let rev = revision;
    let content = fields;
    for (let attempt = 0; ; attempt++) {
      if (rev === undefined) {
        if (merge === undefined) {
          rev = await this.revisionOf(db, id);
        } else {
          const current = await this.readDoc(db, id);
          rev = typeof current?.['_rev'] === 'string' ? current['_rev'] : '';
          content = merge(current);
        }
      }
      const body: JsonObject = { ...content, _id: id };
      if (rev !== '') body['_rev'] = rev;
      else delete body['_rev'];
      try {
        const res = await this.conn.request<JsonObject>({
          method: 'PUT',
          path: [db, id],
          body,
          operation: `save document [${id}] of database ${db}`,
        });
        return typeof res['rev'] === 'string' ? res['rev'] : '';
      } catch (err) {
        if (!isStatus(err, 409) || attempt >= this.settings.maxRetries) throw err;
        this.log.warn(
          `CouchDB document revision conflict on [${id}] of database ${db}, retrying. Attempt: ${attempt + 1}`,
        );
        rev = undefined;
      }
    }
  }

  /** Deletes a document whatever its revision; one that does not exist is not an error. */
  async deleteDoc(db: string, id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const rev = await this.revisionOf(db, id);
      if (rev === '') return;
      try {
        await this.conn.request({
          method: 'DELETE',
          path: [db, id],
          qs: { rev },
          operation: `delete document [${id}] of database ${db}`,
        });
        return;
      } catch (err) {
        if (isStatus(err, 404)) return;
        if (!isStatus(err, 409) || attempt >= this.settings.maxRetries) throw err;
      }
    }
  }

  /** `_bulk_docs`: one answer per document, in order. */
  async bulkDocs(
    db: string,
    docs: readonly OutgoingDoc[],
  ): Promise<{ id: string; ok: boolean; rev?: string; error?: string; reason?: string }[]> {
    const res = await this.conn.request<unknown>({
      method: 'POST',
      path: [db, '_bulk_docs'],
      body: { docs },
      operation: `update ${docs.length} documents of database ${db}`,
    });
    if (!Array.isArray(res)) {
      throw new CouchDbError(
        'COUCHDB_BAD_RESPONSE',
        `CouchDB at ${this.address} answered _bulk_docs of database ${db} with something other than a list`,
      );
    }
    return res.map((r: unknown) => {
      const o = (r ?? {}) as JsonObject;
      return {
        id: typeof o['id'] === 'string' ? o['id'] : '',
        ok: o['ok'] === true,
        ...(typeof o['rev'] === 'string' ? { rev: o['rev'] } : {}),
        ...(typeof o['error'] === 'string' ? { error: o['error'] } : {}),
        ...(typeof o['reason'] === 'string' ? { reason: o['reason'] } : {}),
      };
    });
  }

  /**
   * `_all_docs` for the given keys (POST): for each key, its revision, or '' when there is no
   * live document; with `includeDocs`, the documents too (attachments inline when the server
   * sends them so).
   */
  async docsByKeys(
    db: string,
    keys: readonly string[],
    includeDocs: boolean,
  ): Promise<Map<string, { rev: string; doc?: JsonObject }>> {
    const out = new Map<string, { rev: string; doc?: JsonObject }>();
    if (keys.length === 0) return out;
    const res = await this.conn.request<{ rows?: unknown }>({
      method: 'POST',
      path: [db, '_all_docs'],
      qs: includeDocs ? { include_docs: true, attachments: true } : {},
      body: { keys },
      operation: `read ${keys.length} documents of database ${db}`,
    });
    if (!Array.isArray(res.rows)) {
      throw new CouchDbError(
        'COUCHDB_BAD_RESPONSE',
        `CouchDB at ${this.address} answered _all_docs of database ${db} without rows`,
      );
    }
    for (const r of res.rows as AllDocsRow[]) {
      if (typeof r.id !== 'string' || r.error !== undefined) continue;
      if (r.value?.deleted === true || typeof r.value?.rev !== 'string') continue;
      const entry: { rev: string; doc?: JsonObject } = { rev: r.value.rev };
      if (includeDocs && r.doc) entry.doc = r.doc;
      out.set(r.id, entry);
    }
    return out;
  }

  /** `_all_docs` between two ids, with documents (an {@link AllDocsReader}). */
  async allDocsRange(
    db: string,
    q: { startkey?: string; endkey?: string; inclusiveEnd: boolean; limit: number },
  ): Promise<DocRow[]> {
    const qs: Record<string, string | number | boolean> = {
      limit: q.limit,
      include_docs: true,
      attachments: true,
      inclusive_end: q.inclusiveEnd,
    };
    if (q.startkey !== undefined) qs['startkey'] = q.startkey;
    if (q.endkey !== undefined) qs['endkey'] = q.endkey;
    const res = await this.conn.request<{ rows?: unknown }>({
      method: 'GET',
      path: [db, '_all_docs'],
      qs,
      operation: `read a range of documents of database ${db}`,
    });
    if (!Array.isArray(res.rows)) {
      throw new CouchDbError(
        'COUCHDB_BAD_RESPONSE',
        `CouchDB at ${this.address} answered _all_docs of database ${db} without rows`,
      );
    }
    const rows: DocRow[] = [];
    for (const r of res.rows as AllDocsRow[]) {
      if (typeof r.id === 'string' && r.doc) rows.push({ id: r.id, doc: r.doc });
    }
    return rows;
  }

  /** A document's full form when the server sent its value attachment as a stub. */
  async complete(db: string, doc: JsonObject): Promise<JsonObject | undefined> {
    if (!hasAttachmentStub(doc)) return doc;
    const id = doc['_id'];
    if (typeof id !== 'string') return doc;
    return this.readDoc(db, id);
  }
}
