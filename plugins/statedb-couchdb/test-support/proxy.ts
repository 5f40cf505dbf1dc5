/**
 * An HTTP proxy between the plugin and the test server, for what the tests need to see or break:
 * it records every request (method, path and query, body), can hold requests without answering
 * (to test timeouts), and can fail requests with a status.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';

/** One request that went through. */
export interface SeenRequest {
  readonly method: string;
  /** Path and query, decoded. */
  readonly url: string;
  readonly body: string;
}

/** A running proxy. */
export interface TestProxy {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly requests: SeenRequest[];
  /** When set, requests are held without an answer. */
  stall: boolean;
  /** When set, a request for which it returns a status gets that status (and a CouchDB error). */
  failWith: ((req: SeenRequest) => number | undefined) | undefined;
  /**
   * When set and it returns a rewrite for a request, the request body sent on is `body`, and the
   * answer's body goes through `answer` before it is sent back.
   */
  rewrite:
    | ((req: SeenRequest) => { body: string; answer: (text: string) => string } | undefined)
    | undefined;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`host:port`). */
export async function startProxy(target: string): Promise<TestProxy> {
  const [host = '127.0.0.1', portText = '5984'] = target.split(':');
  const sockets = new Set<Socket>();
  const proxy: TestProxy = {
    address: '',
    requests: [],
    stall: false,
    failWith: undefined,
    rewrite: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        url: decodeURIComponent(req.url ?? '/'),
        body: body.toString('utf8'),
      };
      proxy.requests.push(seen);
      if (proxy.stall) return;
      const status = proxy.failWith?.(seen);
      if (status !== undefined) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'test_failure', reason: `failed by the test proxy` }));
        return;
      }
      const rw = proxy.rewrite?.(seen);
      const sent = rw === undefined ? body : Buffer.from(rw.body);
      const headers = { ...req.headers };
      if (rw !== undefined) {
        headers['content-length'] = String(sent.length);
        delete headers['accept-encoding'];
      }
      const out = request(
        { host, port: Number(portText), method: req.method, path: req.url, headers },
        (answer) => {
          if (rw === undefined) {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            const text = rw.answer(Buffer.concat(parts).toString('utf8'));
            const h = { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) };
            delete h['transfer-encoding'];
            delete h['etag'];
            res.writeHead(answer.statusCode ?? 502, h);
            res.end(text);
          });
        },
      );
      out.on('error', () => res.destroy());
      out.end(sent);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
  (proxy as { address: string }).address = `127.0.0.1:${addr.port}`;
  return proxy;
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
export async function startSilentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.resume(); // read and drop what comes, so that a client hanging up is noticed
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    address: `127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
