/**
 * The operations server (`operations.listenAddress`), like Fabric's: `/healthz`, `/logspec`,
 * `/metrics` and `/version` over HTTP or HTTPS. With TLS on, `/logspec` and `/metrics` also require
 * a client certificate that chains to `operations.tls.clientRootCAs` (Fabric's RequireCert).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { HealthChecker, Logger, Service } from '@fabric-peer/api';
import { listenError, parseHostPort } from '../listen.js';
import { runHealthChecks } from './health.js';

/** What `/logspec` reads and changes (the logging system). */
export interface LogSpecControl {
  spec(): string;
  /** Throws with a message saying what is wrong when the spec is invalid. */
  activate(spec: string): void;
}

/** `/version` answer. */
export interface BuildInfo {
  readonly Version: string;
  readonly CommitSHA: string;
}

export interface OperationsOptions {
  readonly listenAddress: string;
  readonly tls?: {
    readonly cert: Buffer;
    readonly key: Buffer;
    readonly clientRootCAs: readonly Buffer[];
    readonly clientAuthRequired: boolean;
  };
  /** Health checkers, asked on every `/healthz` (a function: plugins may add them after start). */
  readonly checkers: () => readonly HealthChecker[];
  readonly healthTimeoutMs: number;
  readonly logSpec: LogSpecControl;
  /** Prometheus exposition, when `metrics.provider: prometheus`. */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  readonly build: BuildInfo;
  readonly logger: Logger;
}

/** Largest `/logspec` body read; a spec is a short line. */
const MAX_BODY = 64 * 1024;

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  contentType = 'application/json',
): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res
    .writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) })
    .end(text);
}

/** The request body is over {@link MAX_BODY}; answered with 413. */
class BodyTooLarge extends Error {
  constructor() {
    super(`request body larger than ${MAX_BODY} bytes`);
  }
}

/**
 * Reads a request body of at most {@link MAX_BODY} bytes. A larger body is refused as soon as it is
 * known to be too large, but the rest of it is still read and discarded rather than the socket
 * destroyed, so that the client receives the 413 answer instead of a connection reset.
 */
function readBody(req: IncomingMessage): Promise<string> {
  // A declared length over the limit is refused unread; Node discards the body after the answer.
  if (Number(req.headers['content-length']) > MAX_BODY) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    let size = 0;
    let refused = false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > MAX_BODY) {
        refused = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class OperationsServer implements Service {
  readonly name = 'operations';
  #server: Server | undefined;
  #port = 0;

  constructor(private readonly options: OperationsOptions) {}

  /** The port bound (useful when the configuration asked for port 0). */
  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const { host, port } = parseHostPort(this.options.listenAddress);
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.#handle(req, res).catch((err: unknown) => {
        this.options.logger.error('operations request failed', { path: req.url, error: err });
        if (!res.headersSent) send(res, 500, { Error: 'internal error' });
      });
    };
    const tls = this.options.tls;
    const server = tls
      ? createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: [...tls.clientRootCAs],
            requestCert: true,
            rejectUnauthorized: tls.clientAuthRequired,
            minVersion: 'TLSv1.2',
          },
          handler,
        )
      : createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(listenError('operations.listenAddress', this.options.listenAddress, err)),
      );
      server.listen({ host: host === '' ? undefined : host, port }, () => resolve());
    });
    server.on('error', (err) =>
      this.options.logger.error('operations server error', { error: err }),
    );
    const addr = server.address();
    this.#port = typeof addr === 'object' && addr ? addr.port : port;
    this.#server = server;
    this.options.logger.info('operations server listening', {
      address: `${host}:${this.#port}`,
      tls: tls !== undefined,
    });
  }

  stop(): Promise<void> {
    const server = this.#server;
    if (!server) return Promise.resolve();
    this.#server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** With TLS on, secure endpoints need a verified client certificate. */
  #authorized(req: IncomingMessage): boolean {
    if (!this.options.tls) return true;
    return (req.socket as TLSSocket).authorized === true;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://operations').pathname;
    switch (path) {
      case '/healthz': {
        if (req.method !== 'GET')
          return send(res, 405, { Error: `invalid request method: ${req.method}` });
        const status = await runHealthChecks(this.options.checkers(), this.options.healthTimeoutMs);
        if (status.failed_checks)
          this.options.logger.warn('health check failed', { failed: status.failed_checks });
        return send(res, status.status === 'OK' ? 200 : 503, status);
      }
      case '/version':
        if (req.method !== 'GET')
          return send(res, 405, { Error: `invalid request method: ${req.method}` });
        return send(res, 200, this.options.build);
      case '/metrics': {
        if (!this.options.metrics)
          return send(res, 404, {
            Error: 'metrics are not served: metrics.provider is not prometheus',
          });
        if (!this.#authorized(req)) return send(res, 401, { Error: 'client certificate required' });
        if (req.method !== 'GET')
          return send(res, 405, { Error: `invalid request method: ${req.method}` });
        const { contentType, body } = await this.options.metrics();
        return send(res, 200, body, contentType);
      }
      case '/logspec':
        if (!this.#authorized(req)) return send(res, 401, { Error: 'client certificate required' });
        return this.#logspec(req, res);
      default:
        return send(res, 404, { Error: `no such endpoint: ${path}` });
    }
  }

  async #logspec(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') return send(res, 200, { spec: this.options.logSpec.spec() });
    if (req.method !== 'PUT')
      return send(res, 400, { Error: `invalid request method: ${req.method}` });
    let text: string;
    try {
      text = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return send(res, 413, { Error: err.message });
      return send(res, 400, { Error: `cannot read the request body: ${(err as Error).message}` });
    }
    let spec: unknown;
    try {
      const parsed = JSON.parse(text) as unknown;
      spec =
        typeof parsed === 'object' && parsed !== null
          ? (parsed as Record<string, unknown>)['spec']
          : undefined;
    } catch (err) {
      return send(res, 400, { Error: `request body is not JSON: ${(err as Error).message}` });
    }
    if (typeof spec !== 'string')
      return send(res, 400, { Error: 'request body must be {"spec": "<logspec>"}' });
    try {
      this.options.logSpec.activate(spec);
    } catch (err) {
      return send(res, 400, { Error: (err as Error).message });
    }
    this.options.logger.info('log spec changed', { spec });
    return send(res, 204);
  }
}
