/** Small helpers of the plugin's tests. */
import type {
  Height,
  StateIterator,
  StateUpdate,
  VersionedDB,
  VersionedKV,
  VersionedValue,
} from '@fabric-peer/api';
import { recordingLoggers, type LogRecord } from '@fabric-peer/testkit';
import { CouchDbStateProvider } from '../src/index.js';
import { couchConfig, type CouchTestOptions } from './config.js';
import { startProxy, type TestProxy } from './proxy.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

/** A height. */
export const h = (blockNum: number, txNum = 0): Height => ({ blockNum, txNum });

/** A write (a string value is written as UTF-8). */
export function put(
  namespace: string,
  key: string,
  value: string | Uint8Array,
  version: Height,
  metadata?: string,
): StateUpdate {
  const v = typeof value === 'string' ? enc(value) : value;
  return metadata === undefined
    ? { namespace, key, value: v, version }
    : { namespace, key, value: v, metadata: enc(metadata), version };
}

/** A delete. */
export const del = (namespace: string, key: string, version: Height): StateUpdate => ({
  namespace,
  key,
  version,
});

/** A value as text, metadata as text, and version, for assertions. */
export function show(
  v: VersionedValue | undefined,
): { value: string | undefined; metadata?: string; version: Height } | undefined {
  if (v === undefined) return undefined;
  const out: { value: string | undefined; metadata?: string; version: Height } = {
    value: dec(v.value),
    version: { blockNum: v.version.blockNum, txNum: v.version.txNum },
  };
  if (v.metadata !== undefined) out.metadata = dec(v.metadata);
  return out;
}

/** Reads an iterator to the end and closes it. */
export async function drain(it: StateIterator): Promise<VersionedKV[]> {
  const out: VersionedKV[] = [];
  try {
    for (let kv = await it.next(); kv !== undefined; kv = await it.next()) out.push(kv);
  } finally {
    await it.close();
  }
  return out;
}

/** A provider on `address`, with its log records. */
export function newProvider(
  address: string,
  options: CouchTestOptions = {},
): { provider: CouchDbStateProvider; records: LogRecord[] } {
  const logs = recordingLoggers();
  return {
    provider: new CouchDbStateProvider(couchConfig(address, options), logs.factory),
    records: logs.records,
  };
}

/**
 * A channel's state opened through a recording proxy in front of the server at `target`; the
 * provider and the proxy are closed after the test.
 */
export async function openThroughProxy(
  t: { after(fn: () => unknown): void },
  target: string,
  channel: string,
  options: CouchTestOptions = {},
): Promise<{ proxy: TestProxy; db: VersionedDB }> {
  const proxy = await startProxy(target);
  t.after(() => proxy.close());
  const { provider } = newProvider(proxy.address, options);
  t.after(() => provider.close());
  return { proxy, db: await provider.open(channel) };
}

/** A channel name unique to the run. */
let counter = 0;
export function channelName(label: string): string {
  counter++;
  return `${label}${counter}-${process.pid}`;
}

/** GET (or another method) on the test server, as JSON. */
export async function raw(
  url: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Escapes a key for messages. */
export function esc(keys: readonly string[]): string {
  return JSON.stringify(keys).replace(
    /[^\x20-\x7e]/gu,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
  );
}
