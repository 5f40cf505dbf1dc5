/**
 * Helpers shared by the node package's tests: loggers that record, ports from throwaway listeners,
 * a plain HTTP client, a gRPC health client, a UDP collector for statsd and a stand-in PeerConfig.
 * Kept outside `test/` so that `node --test dist/test/` does not run this file as a suite.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpcJs from '@grpc/grpc-js';
import type { Logger, LoggerFactory, PeerConfig } from '@fabric-peer/api';
import { grpc, HealthService } from '@fabric-peer/protos';

export const { ServingStatus } = grpc.health.v1.HealthCheckResponse;

/** One record written through {@link recordingLoggers}. */
export interface LogRecord {
  readonly level: string;
  readonly module: string;
  readonly msg: string;
  readonly fields?: Record<string, unknown>;
}

/** A logger factory that keeps every record, for assertions on what was logged. */
export function recordingLoggers(): {
  factory: LoggerFactory;
  logger: Logger;
  records: LogRecord[];
} {
  const records: LogRecord[] = [];
  const make = (module: string): Logger => {
    const at =
      (level: string) =>
      (msg: string, fields?: Record<string, unknown>): void => {
        records.push({ level, module, msg, ...(fields ? { fields } : {}) });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (n) => make(`${module}.${n}`),
    };
  };
  return { factory: make, logger: make('test'), records };
}

/** A TCP listener on 127.0.0.1 that holds a port, so that binding it again fails. */
export async function occupyPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return {
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port that was free a moment ago (from a throwaway listener). */
export async function freePort(): Promise<number> {
  const held = await occupyPort();
  await held.close();
  return held.port;
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

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One plain HTTP request to 127.0.0.1; rejects only when no answer arrives. */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...(body !== undefined && !('Transfer-Encoding' in headers)
            ? { 'Content-Length': String(Buffer.byteLength(body)) }
            : {}),
          ...headers,
        },
      },
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
    if (typeof body === 'string' && 'Transfer-Encoding' in headers) {
      // Chunked: send the body in 16 KiB pieces, so the server sees it grow.
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.slice(i, i + 16 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** One HTTPS GET to 127.0.0.1 trusting `ca`, with a client certificate when given. */
export function httpsGet(
  port: number,
  path: string,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequestRaw(
      { host: '127.0.0.1', port, method: 'GET', path, agent: false, ...tls },
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
    req.end();
  });
}

/** Polls until `condition` holds, or fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A UDP server on 127.0.0.1 that keeps every datagram it receives, as text. */
export async function udpCollector(): Promise<{
  port: number;
  packets: string[];
  close: () => Promise<void>;
}> {
  const socket = createSocket('udp4');
  const packets: string[] = [];
  socket.on('message', (msg) => packets.push(msg.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    packets,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * A configuration made of a flat key → value map: a stand-in for the config package in unit tests
 * of the functions that read it. Durations are given in milliseconds; `null` is an empty duration.
 */
export function fakeConfig(values: Record<string, unknown>, dir = '/nonexistent'): PeerConfig {
  return {
    file: `${dir}/core.yaml`,
    dir,
    get(key: string): unknown {
      if (!(key in values)) throw new Error(`fakeConfig: unknown key ${key}`);
      return values[key];
    },
    durationMs(key: string): number | null {
      const v = values[key];
      if (v === null) return null;
      if (typeof v !== 'number') throw new Error(`fakeConfig: ${key} is not a duration`);
      return v;
    },
  };
}

/** A health answer as the client decodes it. */
export interface HealthAnswer {
  readonly status?: number | null;
}

/** A `grpc.health.v1.Health` client built with grpc-js's generic client constructor. */
export interface HealthClient {
  check(service: string, deadlineMs?: number): Promise<HealthAnswer>;
  /** Opens a Watch stream: each answer is pushed to `seen`. */
  watch(service: string): {
    seen: number[];
    ended: Promise<grpcJs.StatusObject | Error>;
    cancel: () => void;
  };
  close(): void;
}

const HealthClientCtor = grpcJs.makeGenericClientConstructor(HealthService, 'Health');

type UnaryFn = (
  request: unknown,
  metadata: grpcJs.Metadata,
  options: grpcJs.CallOptions,
  callback: (err: grpcJs.ServiceError | null, value?: HealthAnswer) => void,
) => grpcJs.ClientUnaryCall;
type StreamFn = (request: unknown) => grpcJs.ClientReadableStream<HealthAnswer>;

export function healthClient(
  port: number,
  credentials: grpcJs.ChannelCredentials = grpcJs.credentials.createInsecure(),
): HealthClient {
  const client = new HealthClientCtor(`127.0.0.1:${port}`, credentials);
  const untyped = client as unknown as { check: UnaryFn; watch: StreamFn };
  return {
    check(service, deadlineMs = 5000) {
      return new Promise((resolve, reject) => {
        untyped.check.call(
          client,
          { service },
          new grpcJs.Metadata(),
          { deadline: Date.now() + deadlineMs },
          (err, value) => (err ? reject(err) : resolve(value ?? {})),
        );
      });
    },
    watch(service) {
      const call = untyped.watch.call(client, { service });
      const seen: number[] = [];
      call.on('data', (m: HealthAnswer) => seen.push(m.status ?? 0));
      const ended = new Promise<grpcJs.StatusObject | Error>((resolve) => {
        call.on('status', resolve);
        call.on('error', resolve);
      });
      return { seen, ended, cancel: () => call.cancel() };
    },
    close() {
      client.close();
    },
  };
}

/** A grpc-js error's status code, or undefined for anything else. */
export function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number'
    ? err.code
    : undefined;
}

/** PEM material of a throwaway PKI: a CA, a server certificate for 127.0.0.1, a client certificate. */
export interface TestPki {
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** A client certificate from another CA, which the server must not trust. */
  readonly strangerCert: Buffer;
  readonly strangerKey: Buffer;
}

/** Makes a {@link TestPki} with the `openssl` command (EC P-256 keys, valid for two days). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'node-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    const ca = (name: string) =>
      run(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-subj',
        `/CN=${name}`,
        '-days',
        '2',
      );
    const leaf = (name: string, signer: string, ext: string) => {
      run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(dir, `${name}.ext`), ext);
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${signer}.crt`,
        '-CAkey',
        `${signer}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      );
    };
    ca('ca');
    ca('other-ca');
    leaf(
      'server',
      'ca',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    const read = (f: string) => readFileSync(join(dir, f));
    return {
      ca: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      strangerCert: read('stranger.crt'),
      strangerKey: read('stranger.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
