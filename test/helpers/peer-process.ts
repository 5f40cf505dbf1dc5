/**
 * Runs `fabric-peer` as a user does, in a child process, and watches its log. Every test peer gets
 * its own ports through CORE_* overrides unless the test is about the defaults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fabric-peer/testkit';
import { cli, repoRoot } from './paths.js';

export interface PeerPorts {
  peer: number;
  chaincode: number;
  operations: number;
}

/** CORE_* overrides that put a peer on free ports of 127.0.0.1, with its own ledger folder. */
export async function portEnv(): Promise<{ env: Record<string, string>; ports: PeerPorts }> {
  const ports = {
    peer: await freePort(),
    chaincode: await freePort(),
    operations: await freePort(),
  };
  return {
    ports,
    env: {
      // Its own ledgers: two peers may not share a peer.fileSystemPath.
      CORE_PEER_FILESYSTEMPATH: mkdtempSync(join(tmpdir(), 'peer-fs-')),
      CORE_PEER_LISTENADDRESS: `127.0.0.1:${ports.peer}`,
      CORE_PEER_CHAINCODELISTENADDRESS: `127.0.0.1:${ports.chaincode}`,
      CORE_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ports.operations}`,
    },
  };
}

export class PeerProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  private constructor(readonly child: ChildProcess) {
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        this.output.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.pattern.test(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts `fabric-peer <args>` with extra environment (FABRIC_CFG_PATH and CORE_* cleared first). */
  static run(args: string[], env: Record<string, string> = {}): PeerProcess {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('CORE_') && k !== 'FABRIC_CFG_PATH',
      ),
    );
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new PeerProcess(child);
  }

  /** Resolves with the first log line matching `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const seen = this.output.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no line matching ${pattern} within ${timeoutMs} ms; output:\n${this.text()}`,
            ),
          ),
        timeoutMs,
      );
      this.#waiters.push({
        pattern,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void this.exited.then(({ code }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `fabric-peer exited (code ${code}) before logging ${pattern}; output:\n${this.text()}`,
          ),
        );
      });
    });
  }

  text(): string {
    return this.output.join('\n');
  }

  /** Sends SIGTERM and resolves with the exit code and how long the exit took. */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.kill('SIGTERM');
    const { code } = await this.exited;
    return { code, ms: Date.now() - t0 };
  }

  /** Kills the process if a test failed midway. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs a short CLI command to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const p = PeerProcess.run(args, env);
  const { code } = await p.exited;
  return { code, out: p.text() };
}
