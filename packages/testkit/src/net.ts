/**
 * Ports and HTTP(S) for tests: a port free a moment ago, a port held so that binding it fails, a
 * TCP probe, and a small HTTP(S) client that answers status, headers and body.
 */
import { request as plainRequest } from 'node:http';
import { request as tlsRequest, type RequestOptions as TlsRequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** A port held by a listener on 127.0.0.1 until `close` is called. */
export interface HeldPort {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A TCP listener on 127.0.0.1 (exclusive; on `port`, or one the system chooses) that holds the
 * port, so that binding it again fails with `EADDRINUSE`. Rejects when `port` is taken.
 */
export async function occupyPort(port = 0): Promise<HeldPort> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return {
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Lowest port {@link freePort} picks (below it: well-known services' registered ports). */
const FIRST_PICKED = 10_000;

/** Lowest port the kernel hands out for outgoing connections and port-0 listeners. */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > FIRST_PICKED + 1000 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port on 127.0.0.1 that was free a moment ago. It is picked at random below the ephemeral
 * range: a port the system chose (port 0) is soon handed out again, to the outgoing connections
 * of the many tests running at once, and a server started on it then fails with EADDRINUSE. Only
 * another test's pick can still take it first, one chance in thousands.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  for (let tries = 0; ; tries++) {
    const pick = FIRST_PICKED + Math.floor(Math.random() * (high - FIRST_PICKED));
    // After 20 taken picks, one the system chooses.
    const held = await occupyPort(tries < 20 ? pick : 0).catch(() => undefined);
    if (held === undefined) continue;
    await held.close();
    return held.port;
  }
}

/** Tries a TCP connection: resolves `'connected'` or the error code (`ECONNREFUSED`, ...). */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** What a server answered. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8 text. */
  readonly body: string;
}

/** Trust and client certificate of an HTTPS request (PEM text or bytes). */
export type TlsMaterial = Pick<TlsRequestOptions, 'ca' | 'cert' | 'key'>;

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** Default `GET`. */
  readonly method?: string;
  /**
   * Sent with a `Content-Length`, unless `headers` has a `Transfer-Encoding`: then the body goes
   * out in 16 KiB writes, so that the server sees it grow.
   */
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** For `https:` URLs: the CA to trust and a client certificate and key. */
  readonly tls?: TlsMaterial;
}

const CHUNK = 16 * 1024;

/**
 * One HTTP or HTTPS request (after the URL's scheme) on a connection of its own (no agent, no
 * keep-alive). Resolves with any answer, whatever its status; rejects only when none arrives
 * (connection refused, TLS handshake refused, ...).
 */
export function httpRequest(
  url: string | URL,
  options: HttpRequestOptions = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  const headers = { ...options.headers };
  const { body } = options;
  const chunked = Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding');
  if (body !== undefined && !chunked) headers['Content-Length'] = String(Buffer.byteLength(body));
  const make = u.protocol === 'https:' ? tlsRequest : plainRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      u,
      { method: options.method ?? 'GET', headers, agent: false, ...(options.tls ?? {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined && chunked) {
      const bytes = Buffer.from(body);
      for (let i = 0; i < bytes.length; i += CHUNK) req.write(bytes.subarray(i, i + CHUNK));
      req.end();
    } else {
      req.end(body);
    }
  });
}
