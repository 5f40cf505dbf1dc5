/**
 * Keeps one pre-warmed chaincode process ready (see zygote.cts): a fresh `node` that loads
 * fabric-shim and gRPC costs more than the whole launch should, so that cost is paid ahead of
 * time and a replacement is started in the background each time one is used.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@fabric-peer/api';
import { LineSplitter } from './lines.js';
import messagePipe from './message-pipe.cjs';

/** A process that is (or is becoming) ready to run a chaincode. */
export interface Zygote {
  readonly child: ChildProcess;
  readonly stdout: LineSplitter;
  readonly stderr: LineSplitter;
  /** The peer's end of the process's message pipe (message-pipe.cts). */
  readonly pipe: Socket;
}

interface Pending {
  readonly zygote: Zygote;
  readonly ready: Promise<boolean>;
}

/** What a chaincode process is told to become. */
export interface RunRequest {
  readonly cwd: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const ZYGOTE_SCRIPT = fileURLToPath(new URL('./zygote.cjs', import.meta.url));

/** Longest wait for a zygote to take a job before a plain process is used instead. */
const HANDOVER_TIMEOUT_MS = 5000;
/** Delay before a used zygote is replaced. */
const REWARM_DELAY_MS = 300;

function setRef(child: ChildProcess, ref: boolean): void {
  const handles: ({ ref(): unknown; unref(): unknown } | null | undefined)[] = [
    child,
    child.channel,
    child.stdout as unknown as { ref(): unknown; unref(): unknown } | null,
    child.stderr as unknown as { ref(): unknown; unref(): unknown } | null,
    child.stdio[messagePipe.PIPE_FD] as unknown as { ref(): unknown; unref(): unknown } | null,
  ];
  for (const h of handles) {
    if (ref) h?.ref();
    else h?.unref();
  }
}

/** One pre-warmed process, replaced after each use. */
export class ZygotePool {
  private next: Pending | undefined;
  private closed = false;

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly log: Logger,
  ) {}

  /** Starts a pre-warmed process unless one is ready or starting. */
  warm(): void {
    if (this.closed || this.next) return;
    const child = fork(ZYGOTE_SCRIPT, [], {
      env: { ...this.env },
      execArgv: [],
      // stdio[messagePipe.PIPE_FD] is the message pipe.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      serialization: 'json',
    });
    const idle = (line: string) => this.log.debug('pre-warmed process', { line });
    const zygote: Zygote = {
      child,
      stdout: new LineSplitter(child.stdout!, idle),
      stderr: new LineSplitter(child.stderr!, idle),
      pipe: child.stdio[messagePipe.PIPE_FD] as Socket,
    };
    // An idle zygote must not keep the peer's process alive.
    setRef(child, false);
    const ready = new Promise<boolean>((resolve) => {
      const onMessage = (m: { type?: string }) => {
        if (m?.type === 'ready') {
          child.off('message', onMessage);
          resolve(true);
        }
      };
      child.on('message', onMessage);
      child.once('exit', () => resolve(false));
      child.once('error', () => resolve(false));
    });
    const pending: Pending = { zygote, ready };
    this.next = pending;
    child.once('exit', (code, signal) => {
      if (this.next === pending) {
        this.next = undefined;
        if (!this.closed) this.log.warn('pre-warmed chaincode process ended', { code, signal });
      }
    });
  }

  /**
   * Hands `run` to the pre-warmed process (waiting for it when it is still loading) and starts a
   * replacement. Resolves undefined when none could take it; the caller then spawns a process.
   */
  async take(run: RunRequest): Promise<Zygote | undefined> {
    const pending = this.next;
    if (this.closed) return undefined;
    if (!pending) {
      // None ready (used a moment ago, or it died): a fresh process now, a new zygote soon.
      setTimeout(() => this.warm(), REWARM_DELAY_MS).unref();
      return undefined;
    }
    this.next = undefined;
    const ok = await pending.ready;
    const { child } = pending.zygote;
    if (!ok || child.exitCode !== null || child.signalCode !== null || !child.connected) {
      child.kill('SIGKILL');
      this.warm();
      return undefined;
    }
    const accepted = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), HANDOVER_TIMEOUT_MS);
      child.on('message', (m: { type?: string }) => {
        if (m?.type === 'running') {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.send({ type: 'run', ...run }, (err) => {
        if (err) {
          clearTimeout(timer);
          resolve(false);
        }
      });
    });
    // The replacement starts a little later, so as not to compete with this launch for the CPU.
    setTimeout(() => this.warm(), REWARM_DELAY_MS).unref();
    if (!accepted) {
      child.kill('SIGKILL');
      return undefined;
    }
    setRef(child, true);
    return pending.zygote;
  }

  /** Ends the idle pre-warmed process; no new ones are started. */
  close(): void {
    this.closed = true;
    const pending = this.next;
    this.next = undefined;
    if (pending) {
      pending.zygote.child.disconnect?.();
      pending.zygote.child.kill('SIGTERM');
    }
  }
}
