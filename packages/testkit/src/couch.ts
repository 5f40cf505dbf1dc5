/**
 * A real CouchDB-protocol server for the tests: pouchdb-server (`--in-memory`) on a free port of
 * 127.0.0.1, in a temporary folder of its own (it writes config.json and log.txt where it runs),
 * started and awaited until it answers `GET /`, and stopped with SIGTERM (SIGKILL if it lingers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './net.js';

/** A running server. */
export interface TestCouchServer {
  /** `127.0.0.1:<port>`, as `ledger.state.couchDBConfig.couchDBAddress` takes it. */
  readonly address: string;
  readonly port: number;
  readonly url: string;
  /** Stops the server (idempotent). */
  stop(): Promise<void>;
}

/** The pouchdb-server program (what node_modules/.bin/pouchdb-server links to). */
async function pouchdbServerBin(): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('pouchdb-server/package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { bin?: Record<string, string> };
  const rel = pkg.bin?.['pouchdb-server'] ?? './bin/pouchdb-server';
  return join(dirname(pkgPath), rel);
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts pouchdb-server in memory and waits (up to `timeoutMs`) until it answers. */
export async function startPouchDbServer(timeoutMs = 30_000): Promise<TestCouchServer> {
  const bin = await pouchdbServerBin();
  const dir = await mkdtemp(join(tmpdir(), 'pouchdb-server-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, '--in-memory', '--host', '127.0.0.1', '--port', String(port), '--no-color'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited(child);
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`pouchdb-server exited before answering:\n${output}`);
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pouchdb-server did not answer on ${url} within ${timeoutMs}ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address: `127.0.0.1:${port}`, port, url, stop };
}
