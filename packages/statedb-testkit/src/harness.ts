/**
 * What the conformance suite needs from an implementation (a factory of storages), and the helpers
 * its tests share: a session per test that opens providers and closes them, assertions that compare
 * values byte for byte, and small builders of updates.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import type {
  Height,
  StateDatabaseProvider,
  StateIterator,
  StateUpdate,
  VersionedDB,
  VersionedKV,
  VersionedValue,
} from '@fabric-peer/api';
import { bytesEqual, jsonObjectOf, utf8 } from './bytes.js';

/**
 * Fresh, empty storage for one test: a temporary folder, a database-name prefix on a shared
 * server, a memory store. The suite opens a provider on it, closes that provider before it opens
 * another on the same storage (to check that state persists), and calls `cleanup` at the end.
 */
export interface StateDbStorage {
  /** Opens a provider on this storage; called again, after the previous one is closed, to reopen. */
  open(): Promise<StateDatabaseProvider>;
  /** Removes what the storage holds; called once, after every provider of the test is closed. */
  cleanup?(): Promise<void>;
}

/** Creates a fresh storage; called once per test. */
export type StateDbFactory = () => StateDbStorage | Promise<StateDbStorage>;

/**
 * What an implementation offers beyond the required methods. The suite registers only the tests
 * that apply (so nothing is skipped) and checks that the declaration is true.
 */
export interface StateDbCapabilities {
  /** `bytesKeySupported()`: any key (LevelDB); false means CouchDB's key and value rules apply. */
  readonly bytesKeys: boolean;
  /** Has `loadCommittedVersions`. */
  readonly bulkVersions: boolean;
  /** Has `executeQuery` (rich queries). */
  readonly richQueries: boolean;
  /** Has `processIndexes`. */
  readonly indexes: boolean;
}

/** How the suite judges an implementation. */
export interface ConformanceOptions {
  /** What the implementation offers; the suite checks it. */
  readonly capabilities: StateDbCapabilities;
  /**
   * How values that are JSON objects read back. `bytes` (the default): byte for byte as written,
   * like every other value. `json`: as an equivalent JSON document (same members, any member order
   * or spacing), as Fabric's CouchDB state database returns them after storing them as documents.
   * Values that are not JSON objects must read back byte for byte either way.
   */
  readonly jsonValues?: 'bytes' | 'json';
  /** Size of the large values (default 1 MiB). */
  readonly largeValueBytes?: number;
}

/** The suite's settings, resolved. */
export interface SuiteSettings {
  readonly factory: StateDbFactory;
  readonly capabilities: StateDbCapabilities;
  readonly jsonValues: 'bytes' | 'json';
  readonly largeValueBytes: number;
}

/** One test's providers, databases and channel names, all closed by {@link withSession}. */
export class Session {
  readonly #storage: StateDbStorage;
  readonly #id: string;
  #provider: StateDatabaseProvider | undefined;
  readonly #dbs: VersionedDB[] = [];

  constructor(storage: StateDbStorage) {
    this.#storage = storage;
    // Channel names valid for Fabric (and for CouchDB database names), unique to this test.
    this.#id = `t${randomBytes(5).toString('hex')}`;
  }

  /** The provider currently open; opened on first use. */
  async provider(): Promise<StateDatabaseProvider> {
    this.#provider ??= await this.#storage.open();
    return this.#provider;
  }

  /** A channel name of this test: `label` must be lowercase letters and digits. */
  channel(label = 'main'): string {
    return `${this.#id}-${label}`;
  }

  /** Opens the database of a channel of this test (default: its main channel). */
  async db(channel: string = this.channel()): Promise<VersionedDB> {
    const db = await (await this.provider()).open(channel);
    this.#dbs.push(db);
    return db;
  }

  /** Closes a database opened by {@link db}. */
  async closeDb(db: VersionedDB): Promise<void> {
    const i = this.#dbs.indexOf(db);
    if (i >= 0) this.#dbs.splice(i, 1);
    await db.close();
  }

  /** Closes every database and the provider, as a peer that stops. */
  async close(): Promise<void> {
    const dbs = this.#dbs.splice(0);
    for (const db of dbs) await db.close();
    const p = this.#provider;
    this.#provider = undefined;
    await p?.close();
  }

  /** Closes everything, opens a new provider on the same storage, and returns it. */
  async reopen(): Promise<StateDatabaseProvider> {
    await this.close();
    return this.provider();
  }
}

/** Runs `fn` with a session on fresh storage; closes and cleans up whatever happens. */
export async function withSession(
  settings: SuiteSettings,
  fn: (s: Session) => Promise<void>,
): Promise<void> {
  const storage = await settings.factory();
  const session = new Session(storage);
  try {
    await fn(session);
  } catch (err) {
    // The test's own failure is the one to report, whatever closing says.
    await session.close().catch(() => undefined);
    await storage.cleanup?.().catch(() => undefined);
    throw err;
  }
  await session.close();
  await storage.cleanup?.();
}

/** A registrar of tests that each run `fn` in a session on fresh storage. */
export function sessionTest(
  settings: SuiteSettings,
): (name: string, fn: (s: Session) => Promise<void>) => void {
  return (name, fn) => {
    it(name, () => withSession(settings, fn));
  };
}

/** A height. */
export function h(blockNum: number, txNum: number): Height {
  return { blockNum, txNum };
}

/** Bytes of a string (UTF-8), or the bytes given. */
export function b(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? utf8(v) : v;
}

/** A write of `value` (a string is written as its UTF-8 bytes). */
export function put(
  namespace: string,
  key: string,
  value: string | Uint8Array,
  version: Height,
  metadata?: string | Uint8Array,
): StateUpdate {
  return metadata === undefined
    ? { namespace, key, value: b(value), version }
    : { namespace, key, value: b(value), metadata: b(metadata), version };
}

/** A deletion. */
export function del(namespace: string, key: string, version: Height): StateUpdate {
  return { namespace, key, version };
}

/** What a read should return. */
export interface Expected {
  readonly value: string | Uint8Array;
  readonly metadata?: string | Uint8Array;
  readonly version: Height;
}

function hex(v: Uint8Array): string {
  const s = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return s.length > 64 ? `${s.slice(0, 64)}… (${v.length} bytes)` : s || '(empty)';
}

/** Asserts `actual` holds exactly the bytes `expected`. */
export function assertBytes(actual: unknown, expected: Uint8Array, what: string): void {
  assert.ok(actual instanceof Uint8Array, `${what}: expected a Uint8Array, got ${typeof actual}`);
  assert.ok(
    bytesEqual(actual, expected),
    `${what}: expected bytes ${hex(expected)}, got ${hex(actual)}`,
  );
}

/**
 * Asserts a value read back equals the one written: byte for byte, except JSON objects under
 * `jsonValues: 'json'`, which must be equivalent documents.
 */
export function assertValueBytes(
  settings: SuiteSettings,
  actual: unknown,
  expected: Uint8Array,
  what: string,
): void {
  const asJson = settings.jsonValues === 'json' ? jsonObjectOf(expected) : undefined;
  if (asJson === undefined) {
    assertBytes(actual, expected, what);
    return;
  }
  assert.ok(actual instanceof Uint8Array, `${what}: expected a Uint8Array, got ${typeof actual}`);
  const got = jsonObjectOf(actual);
  assert.ok(got !== undefined, `${what}: expected a JSON object, got ${hex(actual)}`);
  assert.deepEqual(got, asJson, `${what}: the JSON document differs`);
}

/** Asserts a versioned value: value, metadata (absent when none was written) and version. */
export function assertVersioned(
  settings: SuiteSettings,
  actual: VersionedValue | undefined,
  expected: Expected,
  what: string,
): void {
  assert.ok(actual !== undefined, `${what}: expected a value, got undefined`);
  assertValueBytes(settings, actual.value, b(expected.value), `${what} value`);
  if (expected.metadata === undefined) {
    assert.equal(actual.metadata, undefined, `${what}: expected no metadata`);
  } else {
    assertBytes(actual.metadata, b(expected.metadata), `${what} metadata`);
  }
  assert.deepEqual(
    { blockNum: actual.version.blockNum, txNum: actual.version.txNum },
    { blockNum: expected.version.blockNum, txNum: expected.version.txNum },
    `${what}: version`,
  );
}

/** Reads an iterator to its end with next(), then closes it. */
export async function drain(it: StateIterator): Promise<VersionedKV[]> {
  const out: VersionedKV[] = [];
  try {
    for (let kv = await it.next(); kv !== undefined; kv = await it.next()) out.push(kv);
  } finally {
    await it.close();
  }
  return out;
}

/** The keys of a range scan, read to the end. */
export async function scanKeys(
  db: VersionedDB,
  namespace: string,
  startKey = '',
  endKey = '',
): Promise<string[]> {
  const kvs = await drain(await db.getStateRangeScanIterator(namespace, startKey, endKey));
  for (const kv of kvs) assert.equal(kv.namespace, namespace, `scan of ${namespace}: namespace`);
  return kvs.map((kv) => kv.key);
}

/** One page of a paginated range scan: its keys and the bookmark once the page is read. */
export async function scanPage(
  db: VersionedDB,
  namespace: string,
  startKey: string,
  endKey: string,
  pageSize: number,
): Promise<{ keys: string[]; bookmark: string }> {
  const it = await db.getStateRangeScanIterator(namespace, startKey, endKey, { pageSize });
  const keys: string[] = [];
  try {
    for (let kv = await it.next(); kv !== undefined; kv = await it.next()) keys.push(kv.key);
    return { keys, bookmark: it.bookmark() };
  } finally {
    await it.close();
  }
}

/** Shows keys with their control and non-ASCII characters escaped, for messages. */
export function show(keys: readonly string[]): string {
  return JSON.stringify(keys).replace(
    /[^\x20-\x7e]/gu,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
  );
}
