/**
 * The HTTP conversation with one CouchDB server, over nano: every request with a timeout
 * (`requestTimeout`), retried with a doubling delay on connection failures, timeouts and 5xx
 * answers (`maxRetries`, or `maxRetriesOnStartup` for the first contact), as Fabric's
 * `handleRequest` does. Failures become {@link CouchDbError}s naming the server address and the
 * operation; credentials travel only in the Authorization header and are never logged.
 */
import type { Logger } from '@fabric-peer/api';
import nano from 'nano';
import { CouchDbError } from './errors.js';

/** Delay before the first retry; it doubles at each further retry (Fabric's `retryWaitTime`). */
export const RETRY_WAIT_MS = 125;

/** How to reach the server. */
export interface ConnectionSettings {
  /** `host:port` as configured (or a full http(s) URL). */
  readonly address: string;
  readonly username?: string;
  readonly password?: string;
  readonly maxRetries: number;
  /** Per-request timeout in milliseconds (0: none). */
  readonly requestTimeoutMs: number;
}

/** One request. Path elements are URL-encoded here; query values are sent as given. */
export interface RequestSpec {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Path elements below the server root, e.g. `['mychannel_', 'statedb_savepoint']`. */
  readonly path: readonly string[];
  /** Query parameters; `startkey`, `endkey`, `key` and `keys` are JSON-encoded by nano. */
  readonly qs?: Readonly<Record<string, string | number | boolean>>;
  readonly body?: unknown;
  /** What the request does, for messages, e.g. `read document`. */
  readonly operation: string;
  /** Retries after the first attempt (default: the configured maxRetries). */
  readonly retries?: number;
}

/** What CouchDB said when it refused a request. */
interface CouchRefusal {
  status: number;
  error: string;
  reason: string;
}

interface NanoError extends Error {
  statusCode?: number;
  error?: string;
  reason?: string;
}

/** The base URL of a configured address: `host:port` becomes `http://host:port`. */
export function serverUrl(address: string): string {
  const withScheme = /^https?:\/\//i.test(address) ? address : `http://${address}`;
  const url = new URL(withScheme);
  if (url.username !== '' || url.password !== '') {
    // Keep credentials out of URLs (and so out of every message); they go in a header.
    url.username = '';
    url.password = '';
  }
  return url.toString().replace(/\/+$/, '');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A CouchDB server as this plugin talks to it. */
export class CouchConnection {
  readonly address: string;
  readonly #server: nano.ServerScope;
  readonly #settings: ConnectionSettings;
  readonly #log: Logger;
  #closed = false;
  readonly #inflight = new Set<AbortController>();

  constructor(settings: ConnectionSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log;
    this.address = settings.address;
    const headers: Record<string, string> = {};
    if (settings.username && settings.password) {
      const token = Buffer.from(`${settings.username}:${settings.password}`).toString('base64');
      headers['Authorization'] = `Basic ${token}`;
    }
    this.#server = nano({ url: serverUrl(settings.address), headers });
  }

  /** Aborts requests in flight; later requests fail with COUCHDB_CLOSED. */
  close(): void {
    this.#closed = true;
    for (const c of this.#inflight) c.abort(new Error('connection closed'));
    this.#inflight.clear();
  }

  /**
   * Sends a request, with retries. Resolves with the parsed JSON answer (or the headers, for
   * HEAD); rejects with a CouchDbError: COUCHDB_REQUEST_FAILED for a 4xx answer (not retried),
   * COUCHDB_UNREACHABLE when no usable answer came after every retry.
   */
  async request<T = unknown>(spec: RequestSpec): Promise<T> {
    const retries = spec.retries ?? this.#settings.maxRetries;
    let wait = RETRY_WAIT_MS;
    let last: { reason: string; status?: number; cause?: unknown } = { reason: 'no attempt' };
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (this.#closed) throw this.#closedError(spec);
      const outcome = await this.#attempt<T>(spec);
      if (outcome.ok) return outcome.value;
      if (outcome.refusal && outcome.refusal.status < 500) {
        throw this.#refusedError(spec, outcome.refusal);
      }
      last = outcome.refusal
        ? {
            reason: `${outcome.refusal.status} ${outcome.refusal.error}: ${outcome.refusal.reason}`,
            status: outcome.refusal.status,
          }
        : { reason: outcome.reason, cause: outcome.cause };
      if (this.#closed) throw this.#closedError(spec);
      if (attempt < retries) {
        this.#log.warn(
          `Attempt ${attempt + 1} of ${retries + 1} to ${spec.operation} on CouchDB at ${this.address} failed: ${last.reason}. Retrying in ${wait}ms`,
        );
        await sleep(wait);
        wait *= 2;
      }
    }
    if (last.status !== undefined) {
      throw new CouchDbError(
        'COUCHDB_REQUEST_FAILED',
        `CouchDB at ${this.address} failed to ${spec.operation}: ${last.reason} (after ${retries + 1} attempts)`,
        { details: this.#details(spec, { status: last.status }) },
      );
    }
    throw new CouchDbError(
      'COUCHDB_UNREACHABLE',
      `CouchDB at ${this.address} did not answer (${last.reason}) to ${spec.operation} after ${retries + 1} attempt${retries === 0 ? '' : 's'}; check that CouchDB is running and that ledger.state.couchDBConfig.couchDBAddress is right`,
      { cause: last.cause, details: this.#details(spec) },
    );
  }

  async #attempt<T>(
    spec: RequestSpec,
  ): Promise<
    { ok: true; value: T } | { ok: false; refusal?: CouchRefusal; reason: string; cause?: unknown }
  > {
    const controller = new AbortController();
    this.#inflight.add(controller);
    let timedOut = false;
    const timeoutMs = this.#settings.requestTimeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`no answer within ${timeoutMs}ms`));
          }, timeoutMs)
        : undefined;
    try {
      const opts: nano.RequestOptions & { signal: AbortSignal } = {
        method: spec.method,
        path: spec.path.map((p) => encodeURIComponent(p)).join('/'),
        signal: controller.signal,
      };
      if (spec.qs) opts.qs = spec.qs;
      if (spec.body !== undefined) opts.body = spec.body;
      const value = (await this.#server.relax(opts)) as unknown;
      if (timedOut) {
        return { ok: false, reason: `no answer within ${timeoutMs}ms` };
      }
      // nano hands back '' when a 2xx body could not be read (the connection broke mid-way).
      if (spec.method !== 'HEAD' && (typeof value !== 'object' || value === null)) {
        return { ok: false, reason: 'the answer was cut short or is not JSON' };
      }
      return { ok: true, value: value as T };
    } catch (err) {
      const e = err as NanoError;
      if (typeof e.statusCode === 'number') {
        return {
          ok: false,
          refusal: {
            status: e.statusCode,
            error: typeof e.error === 'string' ? e.error : 'error',
            reason: typeof e.reason === 'string' ? e.reason : e.message,
          },
          reason: e.message,
        };
      }
      if (timedOut) return { ok: false, reason: `no answer within ${timeoutMs}ms`, cause: err };
      const msg = String(e.message ?? err).replace(
        /^error happened in your connection\. Reason: /,
        '',
      );
      return { ok: false, reason: msg, cause: err };
    } finally {
      if (timer) clearTimeout(timer);
      this.#inflight.delete(controller);
    }
  }

  #details(spec: RequestSpec, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      address: this.address,
      operation: spec.operation,
      method: spec.method,
      ...(spec.path[0] !== undefined ? { database: spec.path[0] } : {}),
      ...extra,
    };
  }

  #refusedError(spec: RequestSpec, r: CouchRefusal): CouchDbError {
    const hint =
      r.status === 401 || r.status === 403
        ? '; check ledger.state.couchDBConfig.username and password'
        : '';
    return new CouchDbError(
      'COUCHDB_REQUEST_FAILED',
      `CouchDB at ${this.address} refused to ${spec.operation}: ${r.status} ${r.error}: ${r.reason}${hint}`,
      { details: this.#details(spec, { status: r.status, error: r.error, reason: r.reason }) },
    );
  }

  #closedError(spec: RequestSpec): CouchDbError {
    return new CouchDbError(
      'COUCHDB_CLOSED',
      `the CouchDB state database is closed; cannot ${spec.operation}`,
      { details: this.#details(spec) },
    );
  }
}

/** True for an error that is CouchDB's answer with this HTTP status. */
export function isStatus(err: unknown, status: number): boolean {
  return (
    err instanceof CouchDbError && err.code === 'COUCHDB_REQUEST_FAILED' && err.status === status
  );
}
