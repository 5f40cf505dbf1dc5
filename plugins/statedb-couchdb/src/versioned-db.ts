/**
 * The state of one channel in CouchDB (Fabric's statecouchdb `VersionedDB`): a metadata database
 * (`<channel>_`) holding the savepoint and the list of namespace databases, and one database per
 * namespace holding a document per key.
 */
import type {
  Height,
  RangeScanOptions,
  RichQueryOptions,
  StateIterator,
  StateUpdate,
  VersionedDB,
  VersionedValue,
} from '@fabric-peer/api';
import {
  CHANNEL_METADATA_DOC_ID,
  channelMetadataOf,
  fromCouchDoc,
  hasAttachmentStub,
  keyProblem,
  keyValueProblem,
  SAVEPOINT_DOC_ID,
  savepointFields,
  savepointOf,
  toCouchDoc,
  type ChannelMetadata,
  type OutgoingDoc,
} from './codec.js';
import { CouchDbError } from './errors.js';
import type { JsonObject } from './go-json.js';
import type { CouchInstance } from './instance.js';
import { QueryIterator, RangeIterator } from './iterators.js';
import { Utf16RangeSource, Utf8RangeSource, type AllDocsReader } from './key-order.js';
import { mapAndValidateDbName, metadataDbName, namespaceDbName } from './names.js';
import type { CachedState } from './state-cache.js';

/** What loadCommittedVersions learnt of a key: its revision and, when read whole, its value. */
interface Committed {
  /** '' when the key does not exist. */
  readonly revision: string;
  readonly value?: VersionedValue;
  readonly exists: boolean;
}

function copyValue(v: VersionedValue): VersionedValue {
  return v.metadata === undefined
    ? { value: new Uint8Array(v.value), version: { ...v.version } }
    : {
        value: new Uint8Array(v.value),
        metadata: new Uint8Array(v.metadata),
        version: { ...v.version },
      };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  if (size <= 0 || items.length <= size) return [items.slice()];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Waits for every promise; rethrows the first failure once all have settled. */
async function allSettledOrThrow<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * What the handles of one channel share (Fabric keeps one VersionedDB per channel): its database
 * names, its metadata document, its savepoint revision and the versions loadCommittedVersions
 * read.
 */
export class ChannelState {
  #metadataRev: string | undefined;
  #metadataWrite: Promise<unknown> = Promise.resolve();
  readonly #namespaceDbs = new Map<string, Promise<string>>();
  savepointRev: string | undefined;
  /** Filled by loadCommittedVersions, emptied by applyUpdates. */
  committed = new Map<string, Map<string, Committed>>();

  private constructor(
    readonly inst: CouchInstance,
    readonly channel: string,
    readonly metaDb: string,
    readonly metadata: ChannelMetadata,
    metadataRev: string | undefined,
  ) {
    this.#metadataRev = metadataRev;
  }

  /** Creates the metadata database and reads (or writes) the channel metadata document. */
  static async open(inst: CouchInstance, channel: string): Promise<ChannelState> {
    const metaDb = mapAndValidateDbName(metadataDbName(channel));
    await inst.createDb(metaDb);
    const doc = await inst.readDoc(metaDb, CHANNEL_METADATA_DOC_ID);
    if (doc !== undefined) {
      const rev = typeof doc['_rev'] === 'string' ? doc['_rev'] : undefined;
      return new ChannelState(inst, channel, metaDb, channelMetadataOf(doc, channel), rev);
    }
    const state = new ChannelState(
      inst,
      channel,
      metaDb,
      { ChannelName: channel, NamespaceDBsInfo: {} },
      '',
    );
    await state.#writeMetadata();
    return state;
  }

  /**
   * The database of a namespace, created on first use and recorded in the channel metadata
   * before it is created (Fabric's `getNamespaceDBHandle`).
   */
  namespaceDb(namespace: string): Promise<string> {
    let p = this.#namespaceDbs.get(namespace);
    if (p === undefined) {
      p = this.#createNamespaceDb(namespace);
      this.#namespaceDbs.set(namespace, p);
      p.catch(() => this.#namespaceDbs.delete(namespace));
    }
    return p;
  }

  async #createNamespaceDb(namespace: string): Promise<string> {
    const name = mapAndValidateDbName(namespaceDbName(this.channel, namespace));
    if (this.metadata.NamespaceDBsInfo[namespace] === undefined) {
      this.metadata.NamespaceDBsInfo[namespace] = { Namespace: namespace, DBName: name };
      await this.#writeMetadata();
    }
    await this.inst.createDb(name);
    return name;
  }

  /** Writes the metadata document; on a conflict, keeps the namespaces the stored one lists. */
  #writeMetadata(): Promise<void> {
    const write = this.#metadataWrite.then(async () => {
      const fields = (): JsonObject => ({
        ChannelName: this.metadata.ChannelName,
        NamespaceDBsInfo: this.metadata.NamespaceDBsInfo,
      });
      this.#metadataRev = await this.inst.saveDoc(
        this.metaDb,
        CHANNEL_METADATA_DOC_ID,
        fields(),
        this.#metadataRev,
        (current) => {
          if (current !== undefined) {
            const stored = channelMetadataOf(current, this.channel).NamespaceDBsInfo;
            for (const [ns, info] of Object.entries(stored)) {
              this.metadata.NamespaceDBsInfo[ns] ??= info;
            }
          }
          return fields();
        },
      );
    });
    this.#metadataWrite = write.catch(() => undefined);
    return write;
  }
}

/** Opens a handle on a channel's state (shared with the other handles of the provider). */
export async function openChannel(
  inst: CouchInstance,
  channel: string,
): Promise<CouchDbVersionedDB> {
  let state = inst.channels.get(channel);
  if (state === undefined) {
    state = ChannelState.open(inst, channel);
    inst.channels.set(channel, state);
    const opening = state;
    opening.catch(() => {
      if (inst.channels.get(channel) === opening) inst.channels.delete(channel);
    });
  }
  return new CouchDbVersionedDB(await state);
}

/** Removes a channel's databases (Fabric's `Drop`); a channel without any is not an error. */
export async function dropChannel(inst: CouchInstance, channel: string): Promise<void> {
  const metaDb = mapAndValidateDbName(metadataDbName(channel));
  inst.channels.delete(channel);
  inst.cache.reset();
  if (!(await inst.dbExists(metaDb))) return;
  const doc = await inst.readDoc(metaDb, CHANNEL_METADATA_DOC_ID);
  const metadata = doc ? channelMetadataOf(doc, channel) : undefined;
  for (const info of Object.values(metadata?.NamespaceDBsInfo ?? {})) {
    // The metadata database goes last, so that a failed drop can be retried.
    if (info.DBName !== metaDb) await inst.dropDb(info.DBName);
  }
  await inst.dropDb(metaDb);
}

/** A handle on a channel's state in CouchDB. */
export class CouchDbVersionedDB implements VersionedDB {
  /** Every uncached read is an HTTP request: the committer loads a block's keys in bulk first. */
  readonly remote = true;
  /** Chaincode packages' `META-INF/statedb/couchdb/` indexes are for this database. */
  readonly indexType = 'couchdb';
  readonly #s: ChannelState;
  readonly #inst: CouchInstance;
  readonly #channel: string;
  #closed = false;

  constructor(state: ChannelState) {
    this.#s = state;
    this.#inst = state.inst;
    this.#channel = state.channel;
  }

  #checkOpen(what: string): void {
    if (this.#closed) {
      throw new CouchDbError(
        'COUCHDB_CLOSED',
        `the CouchDB state database of channel ${this.#channel} is closed; cannot ${what}`,
      );
    }
  }

  #validKey(key: string): void {
    const problem = keyProblem(key);
    if (problem !== undefined) {
      throw new CouchDbError('COUCHDB_INVALID_KEY', problem, {
        details: { channel: this.#channel, key },
      });
    }
  }

  async getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    this.#checkOpen('read state');
    const committed = this.#s.committed.get(namespace)?.get(key);
    if (committed !== undefined && (!committed.exists || committed.value !== undefined)) {
      return committed.value && copyValue(committed.value);
    }
    const cached = this.#inst.cache.get(this.#channel, namespace, key);
    if (cached !== undefined) return copyValue(cached.value);
    this.#validKey(key);
    const db = await this.#s.namespaceDb(namespace);
    const doc = await this.#inst.readDoc(db, key);
    if (doc === undefined) return undefined;
    const { value, revision } = fromCouchDoc(doc);
    this.#inst.cache.put(this.#channel, namespace, key, { value: copyValue(value), revision });
    return value;
  }

  async getStateMultipleKeys(
    namespace: string,
    keys: readonly string[],
  ): Promise<(VersionedValue | undefined)[]> {
    this.#checkOpen('read state');
    const out: (VersionedValue | undefined)[] = new Array<VersionedValue | undefined>(keys.length);
    const missing: string[] = [];
    keys.forEach((key, i) => {
      const committed = this.#s.committed.get(namespace)?.get(key);
      if (committed !== undefined && (!committed.exists || committed.value !== undefined)) {
        out[i] = committed.value && copyValue(committed.value);
        return;
      }
      const cached = this.#inst.cache.get(this.#channel, namespace, key);
      if (cached !== undefined) out[i] = copyValue(cached.value);
      else missing.push(key);
    });
    if (missing.length === 0) return out;
    for (const key of missing) this.#validKey(key);
    const db = await this.#s.namespaceDb(namespace);
    const unique = [...new Set(missing)];
    const found = new Map<string, VersionedValue>();
    const batches = chunks(unique, this.#inst.settings.maxBatchUpdateSize);
    const results = await allSettledOrThrow(batches.map((b) => this.#inst.docsByKeys(db, b, true)));
    for (const rows of results) {
      for (const [key, { doc }] of rows) {
        if (doc === undefined) continue;
        const full = await this.#inst.complete(db, doc);
        if (full === undefined) continue;
        const { value, revision } = fromCouchDoc(full);
        found.set(key, value);
        this.#inst.cache.put(this.#channel, namespace, key, { value: copyValue(value), revision });
      }
    }
    keys.forEach((key, i) => {
      if (out[i] !== undefined) return;
      const v = found.get(key);
      out[i] = v && copyValue(v);
    });
    return out;
  }

  async getStateRangeScanIterator(
    namespace: string,
    startKey: string,
    endKey: string,
    options: RangeScanOptions = {},
  ): Promise<StateIterator> {
    this.#checkOpen('scan state');
    const db = await this.#s.namespaceDb(namespace);
    const read: AllDocsReader = (q) => this.#inst.allDocsRange(db, q);
    const batch = this.#inst.settings.internalQueryLimit;
    const source =
      this.#inst.keyOrder === 'utf8'
        ? new Utf8RangeSource(read, startKey, endKey)
        : new Utf16RangeSource(read, startKey, endKey, batch);
    return RangeIterator.open(this.#inst, db, namespace, source, options);
  }

  async executeQuery(
    namespace: string,
    query: string,
    options: RichQueryOptions = {},
  ): Promise<StateIterator> {
    this.#checkOpen('run a rich query');
    const db = await this.#s.namespaceDb(namespace);
    return QueryIterator.open(this.#inst, db, namespace, query, options);
  }

  async loadCommittedVersions(keys: readonly { namespace: string; key: string }[]): Promise<void> {
    this.#checkOpen('load committed versions');
    const committed = new Map<string, Map<string, Committed>>();
    const missing = new Map<string, string[]>();
    for (const { namespace, key } of keys) {
      let ns = committed.get(namespace);
      if (ns === undefined) committed.set(namespace, (ns = new Map<string, Committed>()));
      if (ns.has(key)) continue;
      // Loaded since the last commit (the committer loads a block's keys before validating it,
      // the ledger again for MVCC): still the committed state.
      const loaded = this.#s.committed.get(namespace)?.get(key);
      if (loaded !== undefined) {
        ns.set(key, loaded);
        continue;
      }
      const cached = this.#inst.cache.get(this.#channel, namespace, key);
      if (cached !== undefined) {
        ns.set(key, { revision: cached.revision, value: cached.value, exists: true });
        continue;
      }
      // Until read: not there (as Fabric marks every key before the bulk read).
      ns.set(key, { revision: '', exists: false });
      if (keyProblem(key) !== undefined) continue;
      let list = missing.get(namespace);
      if (list === undefined) missing.set(namespace, (list = []));
      list.push(key);
    }
    const size = this.#inst.settings.maxBatchUpdateSize;
    await allSettledOrThrow(
      [...missing].map(async ([namespace, nsKeys]) => {
        const db = await this.#s.namespaceDb(namespace);
        const found = await allSettledOrThrow(
          chunks(nsKeys, size).map((b) => this.#inst.docsByKeys(db, b, true)),
        );
        const ns = committed.get(namespace);
        for (const rows of found) {
          for (const [key, { rev, doc }] of rows) {
            // The value too, unless the server left the attachment out (then getState reads it).
            const value = doc && !hasAttachmentStub(doc) ? fromCouchDoc(doc).value : undefined;
            ns?.set(
              key,
              value ? { revision: rev, exists: true, value } : { revision: rev, exists: true },
            );
          }
        }
      }),
    );
    this.#s.committed = committed;
  }

  async processIndexes(namespace: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    this.#checkOpen('create indexes');
    const db = await this.#s.namespaceDb(namespace);
    const failures: string[] = [];
    // Sorted by file name, so that every peer ends with the same indexes (Fabric's R2).
    for (const name of [...files.keys()].sort()) {
      const problem = await this.#createIndex(db, name, files.get(name) ?? new Uint8Array());
      if (problem === undefined) continue;
      this.#inst.log.error(
        `error creating index from file [${name}] for chaincode [${namespace}] on channel [${this.#channel}]: ${problem}`,
      );
      failures.push(`${name}: ${problem}`);
    }
    if (failures.length > 0) {
      throw new CouchDbError(
        'COUCHDB_INVALID_INDEX',
        `${failures.length} CouchDB index file${failures.length === 1 ? '' : 's'} of chaincode [${namespace}] on channel [${this.#channel}] could not be applied (the others were):\n  ${failures.join('\n  ')}`,
        { details: { namespace, channel: this.#channel, files: failures } },
      );
    }
  }

  /** Creates one index; returns what was wrong, or undefined. */
  async #createIndex(db: string, name: string, bytes: Uint8Array): Promise<string | undefined> {
    let def: unknown;
    try {
      def = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      return `not valid JSON (${(err as Error).message})`;
    }
    if (typeof def !== 'object' || def === null || Array.isArray(def)) {
      return 'not a JSON object';
    }
    const index = (def as JsonObject)['index'];
    if (typeof index !== 'object' || index === null || Array.isArray(index)) {
      return 'has no "index" object';
    }
    const fields = (index as JsonObject)['fields'];
    if (!Array.isArray(fields) || fields.length === 0) {
      return '"index.fields" must be a non-empty array';
    }
    for (const k of ['ddoc', 'name', 'type'] as const) {
      const v = (def as JsonObject)[k];
      if (v !== undefined && typeof v !== 'string') return `"${k}" must be a string`;
    }
    try {
      const res = await this.#inst.conn.request<JsonObject>({
        method: 'POST',
        path: [db, '_index'],
        body: def,
        operation: `create index from file [${name}] in database ${db}`,
      });
      this.#inst.log.info(
        `${res['result'] === 'created' ? 'Created' : 'Updated'} CouchDB index [${String(res['name'])}] in state database [${db}] using design document [${String(res['id'])}]`,
      );
      return undefined;
    } catch (err) {
      if (err instanceof CouchDbError && err.code === 'COUCHDB_REQUEST_FAILED') {
        const { error, reason } = err.details;
        return `CouchDB refused it: ${typeof error === 'string' ? error : ''}: ${typeof reason === 'string' ? reason : err.message}`;
      }
      throw err;
    }
  }

  validateKeyValue(key: string, value: Uint8Array): string | undefined {
    return keyValueProblem(key, value);
  }

  bytesKeySupported(): boolean {
    return false;
  }

  async applyUpdates(updates: readonly StateUpdate[], savepoint: Height): Promise<void> {
    this.#checkOpen('apply updates');
    // The last write of a key wins, as in Fabric's UpdateBatch.
    const byNs = new Map<string, Map<string, StateUpdate>>();
    for (const u of updates) {
      let ns = byNs.get(u.namespace);
      if (ns === undefined) byNs.set(u.namespace, (ns = new Map<string, StateUpdate>()));
      ns.set(u.key, u);
    }
    // Everything is checked before anything is written.
    for (const [namespace, ns] of byNs) {
      for (const key of ns.keys()) {
        const problem = keyProblem(key);
        if (problem !== undefined) {
          throw new CouchDbError('COUCHDB_INVALID_KEY', problem, {
            details: { channel: this.#channel, namespace, key },
          });
        }
      }
    }
    const committed = this.#s.committed;
    this.#s.committed = new Map();
    try {
      const plans = await allSettledOrThrow(
        [...byNs].map(([namespace, ns]) => this.#plan(namespace, ns, committed.get(namespace))),
      );
      await allSettledOrThrow(plans.map((p) => this.#commit(p)));
      await this.#recordSavepoint(savepoint);
    } catch (err) {
      // What reached CouchDB is unknown: forget what the caches say.
      this.#inst.cache.reset();
      throw err;
    }
  }

  /** The documents of one namespace's writes, with the revisions they replace. */
  async #plan(
    namespace: string,
    writes: Map<string, StateUpdate>,
    committed: Map<string, Committed> | undefined,
  ): Promise<{
    namespace: string;
    db: string;
    docs: OutgoingDoc[];
    writes: Map<string, StateUpdate>;
  }> {
    const db = await this.#s.namespaceDb(namespace);
    const revisions = new Map<string, string>();
    const missing: string[] = [];
    for (const key of writes.keys()) {
      const c = committed?.get(key);
      if (c !== undefined) {
        revisions.set(key, c.revision);
        continue;
      }
      const cached = this.#inst.cache.get(this.#channel, namespace, key);
      if (cached !== undefined) revisions.set(key, cached.revision);
      else missing.push(key);
    }
    const found = await allSettledOrThrow(
      chunks(missing, this.#inst.settings.maxBatchUpdateSize).map((b) =>
        this.#inst.docsByKeys(db, b, false),
      ),
    );
    for (const rows of found) for (const [key, { rev }] of rows) revisions.set(key, rev);
    const docs: OutgoingDoc[] = [];
    for (const [key, w] of writes) {
      const rev = revisions.get(key) ?? '';
      // Deleting a key that is not there changes nothing.
      if (w.value === undefined && rev === '') continue;
      try {
        docs.push(toCouchDoc(w, rev));
      } catch (err) {
        if (err instanceof CouchDbError) {
          throw new CouchDbError(
            err.code,
            `${err.message} (key [${key}] of namespace ${namespace})`,
            {
              cause: err,
              details: { ...err.details, namespace, channel: this.#channel },
            },
          );
        }
        throw err;
      }
    }
    return { namespace, db, docs, writes };
  }

  /** Writes one namespace's documents in `_bulk_docs` batches, retrying refused ones alone. */
  async #commit(plan: {
    namespace: string;
    db: string;
    docs: OutgoingDoc[];
    writes: Map<string, StateUpdate>;
  }): Promise<void> {
    const { namespace, db, docs, writes } = plan;
    const newRevs = new Map<string, string>();
    await allSettledOrThrow(
      chunks(docs, this.#inst.settings.maxBatchUpdateSize).map(async (batch) => {
        if (batch.length === 0) return;
        const answers = await this.#inst.bulkDocs(db, batch);
        const byId = new Map(batch.map((d) => [d._id, d]));
        for (const a of answers) {
          if (a.ok) {
            if (a.rev !== undefined) newRevs.set(a.id, a.rev);
            continue;
          }
          const doc = byId.get(a.id);
          if (doc === undefined) continue;
          // As Fabric's commitUpdates: retry the document alone, over its current revision.
          if (doc._deleted) {
            this.#inst.log.warn(
              `CouchDB batch document delete encountered a problem (${a.error ?? ''}: ${a.reason ?? ''}). Retrying delete for document ID: ${a.id}`,
            );
            await this.#inst.deleteDoc(db, a.id);
          } else {
            this.#inst.log.warn(
              `CouchDB batch document update encountered a problem (${a.error ?? ''}: ${a.reason ?? ''}). Retrying update for document ID: ${a.id}`,
            );
            const { _rev: _ignored, ...fields } = doc;
            newRevs.set(a.id, await this.#inst.saveDoc(db, a.id, fields));
          }
        }
      }),
    );
    // Cached keys take the value a read would now return; deleted keys leave the cache.
    const byKey = new Map(docs.map((d) => [d._id, d]));
    for (const key of writes.keys()) {
      const rev = newRevs.get(key);
      const doc = byKey.get(key);
      const state: CachedState | undefined =
        rev === undefined || doc === undefined || doc._deleted
          ? undefined
          : { value: fromCouchDoc({ ...doc, _rev: rev }).value, revision: rev };
      this.#inst.cache.update(this.#channel, namespace, key, state);
    }
  }

  async #recordSavepoint(h: Height): Promise<void> {
    this.#s.savepointRev = await this.#inst.saveDoc(
      this.#s.metaDb,
      SAVEPOINT_DOC_ID,
      savepointFields(h),
      this.#s.savepointRev,
    );
  }

  async getLatestSavePoint(): Promise<Height | undefined> {
    this.#checkOpen('read the savepoint');
    const doc = await this.#inst.readDoc(this.#s.metaDb, SAVEPOINT_DOC_ID);
    if (doc === undefined) return undefined;
    if (typeof doc['_rev'] === 'string') this.#s.savepointRev = doc['_rev'];
    return savepointOf(doc);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
