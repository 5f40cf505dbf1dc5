/**
 * The iterators of range scans (`_all_docs`) and rich queries (`_find`), fetching
 * `internalQueryLimit` documents at a time, as Fabric's `queryScanner` does.
 *
 * Pagination: a range scan's bookmark is the key the next page starts at (Fabric's next start
 * key); a rich query's is CouchDB's `_find` bookmark. A server whose `_find` returns no bookmark
 * (pouchdb-server) gets bookmarks made here instead: the position of the last document returned
 * in the query's result order, with that document's id and version. The next page starts right
 * after that position only if the same document, at the same version, is still there; otherwise
 * the query fails with COUCHDB_INVALID_BOOKMARK rather than return a page CouchDB would not have.
 */
import { createHash } from 'node:crypto';
import type { StateIterator, VersionedKV } from '@fabric-peer/api';
import { fromCouchDoc, VERSION_FIELD } from './codec.js';
import { CouchDbError } from './errors.js';
import type { JsonObject } from './go-json.js';
import type { CouchInstance } from './instance.js';
import type { DocRow, RangeSource } from './key-order.js';

/** Common behaviour: async iteration, close, results decoded one by one. */
abstract class DocIterator implements StateIterator {
  protected closed = false;

  constructor(
    protected readonly inst: CouchInstance,
    protected readonly db: string,
    protected readonly namespace: string,
  ) {}

  abstract next(): Promise<VersionedKV | undefined>;
  abstract bookmark(): string;

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** The result for a document (fetching its attachment when the server sent a stub). */
  protected async decode(doc: JsonObject): Promise<VersionedKV | undefined> {
    const full = await this.inst.complete(this.db, doc);
    if (full === undefined) return undefined;
    const { key, value } = fromCouchDoc(full);
    return { namespace: this.namespace, key, ...value };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VersionedKV> {
    try {
      for (let kv = await this.next(); kv !== undefined; kv = await this.next()) yield kv;
    } finally {
      await this.close();
    }
  }
}

/** A range scan. */
export class RangeIterator extends DocIterator {
  #buffer: DocRow[] = [];
  #returned = 0;
  #done = false;
  #bookmark = '';

  private constructor(
    inst: CouchInstance,
    db: string,
    namespace: string,
    private readonly source: RangeSource,
    /** Most results: the page size, or totalQueryLimit when not paginated. */
    private readonly limit: number,
    private readonly paginated: boolean,
  ) {
    super(inst, db, namespace);
  }

  /** Opens the scan and reads its first batch (so that a failing server fails here). */
  static async open(
    inst: CouchInstance,
    db: string,
    namespace: string,
    source: RangeSource,
    opts: { pageSize?: number },
  ): Promise<RangeIterator> {
    const paginated = opts.pageSize !== undefined && opts.pageSize > 0;
    const limit = paginated ? (opts.pageSize ?? 0) : inst.settings.totalQueryLimit;
    const it = new RangeIterator(inst, db, namespace, source, limit, paginated);
    await it.#fetch();
    return it;
  }

  async #fetch(): Promise<void> {
    const want = Math.min(this.inst.settings.internalQueryLimit, this.limit - this.#returned);
    this.#buffer = want > 0 ? await this.source.take(want) : [];
    if (this.#buffer.length === 0) this.#done = true;
  }

  async next(): Promise<VersionedKV | undefined> {
    for (;;) {
      if (this.closed || this.#done) return undefined;
      if (this.#returned >= this.limit) {
        this.#done = true;
        if (!this.paginated) {
          this.inst.log.warn(
            `a range scan of namespace ${this.namespace} stopped at ledger.state.totalQueryLimit (${this.limit}) results`,
          );
        }
        return undefined;
      }
      if (this.#buffer.length === 0) {
        await this.#fetch();
        continue;
      }
      const row = this.#buffer.shift();
      if (row === undefined) continue;
      this.#returned++;
      if (this.paginated && this.#returned === this.limit) {
        this.#bookmark = this.#buffer[0]?.id ?? (await this.source.peekKey()) ?? '';
      }
      const kv = await this.decode(row.doc);
      if (kv !== undefined) return kv;
    }
  }

  bookmark(): string {
    return this.paginated ? this.#bookmark : '';
  }
}

/** Prefix of the bookmarks this plugin makes for servers without `_find` bookmarks. */
const POSITION_BOOKMARK = 'fabric-peer-position:';

interface PositionBookmark {
  /** Index, in the query's full result order, of the last document returned. */
  i: number;
  /** Its id and `~version`. */
  id: string;
  v: string;
  /** Hash of the query the bookmark belongs to. */
  q: string;
}

function queryHash(query: string): string {
  return createHash('sha256').update(query).digest('hex').slice(0, 16);
}

function encodePosition(b: PositionBookmark): string {
  return POSITION_BOOKMARK + Buffer.from(JSON.stringify(b)).toString('base64url');
}

function decodePosition(s: string): PositionBookmark | undefined {
  if (!s.startsWith(POSITION_BOOKMARK)) return undefined;
  try {
    const o = JSON.parse(
      Buffer.from(s.slice(POSITION_BOOKMARK.length), 'base64url').toString('utf8'),
    ) as Partial<PositionBookmark>;
    if (
      typeof o.i === 'number' &&
      Number.isSafeInteger(o.i) &&
      o.i >= 0 &&
      typeof o.id === 'string' &&
      typeof o.v === 'string' &&
      typeof o.q === 'string'
    ) {
      return { i: o.i, id: o.id, v: o.v, q: o.q };
    }
  } catch {
    // not one of ours
  }
  return undefined;
}

/**
 * A rich query as Fabric's `applyAdditionalQueryOptions` rewrites it: `_id` and `~version` added
 * to `fields`, `limit` set by the peer. Throws COUCHDB_INVALID_QUERY for a query Fabric refuses.
 */
export function parseRichQuery(query: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query);
  } catch (err) {
    throw new CouchDbError(
      'COUCHDB_INVALID_QUERY',
      `invalid rich query: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CouchDbError('COUCHDB_INVALID_QUERY', 'invalid rich query: it must be a JSON object');
  }
  const q = parsed as JsonObject;
  if ('fields' in q) {
    if (!Array.isArray(q['fields'])) {
      throw new CouchDbError('COUCHDB_INVALID_QUERY', 'fields definition must be an array');
    }
    q['fields'] = [...(q['fields'] as unknown[]), '_id', VERSION_FIELD];
  }
  return q;
}

/** A rich query. */
export class QueryIterator extends DocIterator {
  #docs: JsonObject[] = [];
  #returned = 0;
  #exhausted = false;
  #done = false;
  /** 'server': CouchDB's bookmarks; 'position': this plugin's; 'unknown' before the first answer. */
  #mode: 'unknown' | 'server' | 'position';
  #serverBookmark: string;
  #anchor: Omit<PositionBookmark, 'q'> | undefined;
  readonly #userSkip: number;
  readonly #hash: string;

  private constructor(
    inst: CouchInstance,
    db: string,
    namespace: string,
    private readonly query: JsonObject,
    queryText: string,
    private readonly limit: number,
    private readonly paginated: boolean,
    bookmark: string,
  ) {
    super(inst, db, namespace);
    this.#hash = queryHash(queryText);
    const skip = query['skip'];
    this.#userSkip = typeof skip === 'number' && Number.isSafeInteger(skip) && skip > 0 ? skip : 0;
    delete query['bookmark'];
    delete query['limit'];
    const position = decodePosition(bookmark);
    if (position !== undefined) {
      if (position.q !== this.#hash) {
        throw new CouchDbError(
          'COUCHDB_INVALID_BOOKMARK',
          'the bookmark belongs to another rich query; pass the bookmark returned by the previous page of this query',
          { details: { namespace } },
        );
      }
      this.#mode = 'position';
      this.#anchor = { i: position.i, id: position.id, v: position.v };
      this.#serverBookmark = '';
    } else {
      this.#mode = bookmark === '' ? 'unknown' : 'server';
      this.#serverBookmark = bookmark;
    }
  }

  /** Opens the query and runs its first batch. */
  static async open(
    inst: CouchInstance,
    db: string,
    namespace: string,
    queryText: string,
    opts: { pageSize?: number; bookmark?: string },
  ): Promise<QueryIterator> {
    const query = parseRichQuery(queryText);
    const inQuery = typeof query['bookmark'] === 'string' ? query['bookmark'] : '';
    const bookmark = opts.bookmark !== undefined && opts.bookmark !== '' ? opts.bookmark : inQuery;
    const paginated = opts.pageSize !== undefined && opts.pageSize > 0;
    const limit = paginated ? (opts.pageSize ?? 0) : inst.settings.totalQueryLimit;
    const it = new QueryIterator(inst, db, namespace, query, queryText, limit, paginated, bookmark);
    await it.#fetch();
    return it;
  }

  async #fetch(): Promise<void> {
    const want = Math.min(this.inst.settings.internalQueryLimit, this.limit - this.#returned);
    if (want <= 0 || this.#exhausted) {
      this.#docs = [];
      return;
    }
    const body: JsonObject = { ...this.query, limit: want };
    const anchor = this.#mode === 'position' ? this.#anchor : undefined;
    if (this.#mode === 'server') body['bookmark'] = this.#serverBookmark;
    if (anchor !== undefined) {
      // Read from the last document returned, to check it is still there, then skip as CouchDB
      // skips after a bookmark.
      body['skip'] = anchor.i;
      body['limit'] = 1 + this.#userSkip + want;
    }
    const res = await this.inst.conn.request<JsonObject>({
      method: 'POST',
      path: [this.db, '_find'],
      body,
      operation: `run a rich query on database ${this.db}`,
    });
    const docs = res['docs'];
    if (!Array.isArray(docs)) {
      throw new CouchDbError(
        'COUCHDB_BAD_RESPONSE',
        `CouchDB at ${this.inst.address} answered _find on database ${this.db} without docs`,
      );
    }
    if (typeof res['warning'] === 'string') {
      this.inst.log.debug(`rich query on ${this.db}: ${res['warning']}`);
    }
    const serverBookmark = res['bookmark'];
    if (typeof serverBookmark === 'string') {
      this.inst.bookmarks = 'yes';
      if (this.#mode === 'unknown') this.#mode = 'server';
    } else if (this.#mode !== 'position') {
      this.#noServerBookmarks();
    }
    let got = docs as JsonObject[];
    if (anchor !== undefined) {
      const first = got[0];
      if (first === undefined || first['_id'] !== anchor.id || first[VERSION_FIELD] !== anchor.v) {
        throw new CouchDbError(
          'COUCHDB_INVALID_BOOKMARK',
          `the state changed under this rich query's bookmark (document [${anchor.id}] is no longer at its position), ` +
            `and CouchDB at ${this.inst.address} (${this.inst.info.product}) keeps no _find bookmarks to resume from: run the query again from its first page`,
          { details: { namespace: this.namespace, address: this.inst.address } },
        );
      }
      got = got.slice(1 + this.#userSkip);
    }
    if (got.length < want) this.#exhausted = true;
    if (this.#mode === 'position') {
      const start = anchor === undefined ? this.#userSkip : anchor.i + 1 + this.#userSkip;
      const last = got[got.length - 1];
      if (last !== undefined) {
        this.#anchor = {
          i: start + got.length - 1,
          id: String(last['_id']),
          v: String(last[VERSION_FIELD]),
        };
      }
    } else if (typeof serverBookmark === 'string') {
      this.#serverBookmark = serverBookmark;
    }
    this.#docs = got;
  }

  /** The server's `_find` gave no bookmark: switch to position bookmarks, or refuse. */
  #noServerBookmarks(): void {
    if (this.inst.bookmarks !== 'no') {
      this.inst.log.warn(
        `CouchDB at ${this.inst.address} (${this.inst.info.product}) returns no bookmarks from _find: paginated rich queries get position bookmarks made by the peer`,
      );
    }
    this.inst.bookmarks = 'no';
    if (this.#mode === 'server') {
      throw new CouchDbError(
        'COUCHDB_BOOKMARKS_UNSUPPORTED',
        `CouchDB at ${this.inst.address} (${this.inst.info.product}) returns no bookmarks from _find, so it cannot resume a rich query from bookmark [${this.#serverBookmark}]; ` +
          'run the query without a bookmark and use the bookmarks this peer returns',
        { details: { namespace: this.namespace, address: this.inst.address } },
      );
    }
    // First answer of a query without bookmark: the position of what it returned is enough.
    this.#mode = 'position';
  }

  async next(): Promise<VersionedKV | undefined> {
    for (;;) {
      if (this.closed || this.#done) return undefined;
      if (this.#returned >= this.limit) {
        this.#done = true;
        return undefined;
      }
      if (this.#docs.length === 0) {
        if (this.#exhausted) {
          this.#done = true;
          return undefined;
        }
        await this.#fetch();
        if (this.#docs.length === 0) {
          this.#done = true;
          return undefined;
        }
        continue;
      }
      const doc = this.#docs.shift();
      if (doc === undefined) continue;
      this.#returned++;
      const kv = await this.decode(doc);
      if (kv !== undefined) return kv;
    }
  }

  bookmark(): string {
    if (!this.paginated) return '';
    if (this.#mode === 'server') return this.#serverBookmark;
    if (this.#mode !== 'position' || this.#anchor === undefined) return '';
    // Nothing after this page: no next page.
    if (this.#exhausted && this.#docs.length === 0) return '';
    return encodePosition({ ...this.#anchor, q: this.#hash });
  }
}
