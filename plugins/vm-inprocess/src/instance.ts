/**
 * One chaincode process: started (from a pre-warmed process or a fresh `node`), logged line by
 * line into `chaincode.<name>`, stopped with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ChaincodeInstance,
  ChaincodeServerInfo,
  Logger,
  PeerConnection,
} from '@fabric-peer/api';
import type { Build } from './build.js';
import { InprocessRuntimeError, messageOf } from './errors.js';
import { LineSplitter } from './lines.js';
import messagePipe from './message-pipe.cjs';
import type { ZygotePool } from './zygote-pool.js';

/** Set-up of a chaincode process started without a pre-warmed one (see preload.cts). */
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));

/** What an instance needs from its runtime. */
export interface InstanceContext {
  /** Environment every chaincode process starts from (PATH, HOME, ...). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Fabric's CORE_CHAINCODE_LOGGING_* and CORE_PEER_LOCALMSPID values. */
  readonly chaincodeEnv: Readonly<Record<string, string>>;
  /** Folder for per-launch files (TLS material), under peer.fileSystemPath. */
  readonly runRoot: string;
  readonly stopGraceMs: number;
  /** Undefined when pre-warming is off. */
  readonly zygotes: ZygotePool | undefined;
  readonly logger: Logger;
  /** Logger of the chaincode's own output. */
  readonly chaincodeLogger: Logger;
  /** Called when the process ended, so the runtime forgets the instance. */
  readonly onEnd: (instance: InprocessInstance) => void;
}

type State = 'new' | 'starting' | 'running' | 'ended';

/** A built chaincode of the inprocess runtime. */
export class InprocessInstance implements ChaincodeInstance {
  private state: State = 'new';
  private child: ChildProcess | undefined;
  private runDir: string | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private readonly exited: Promise<number>;
  private resolveExit!: (code: number) => void;
  /** Whether the last launch used a pre-warmed process (for logs and tests). */
  prewarmed = false;

  constructor(
    readonly build: Build,
    private readonly ctx: InstanceContext,
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  /** Process id while running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  chaincodeServerInfo(): Promise<ChaincodeServerInfo | undefined> {
    return Promise.resolve(undefined);
  }

  wait(): Promise<number> {
    return this.exited;
  }

  start(peer: PeerConnection): Promise<void> {
    const p = this.startOnce(peer);
    this.starting ??= p.catch(() => undefined);
    return p;
  }

  private async startOnce(peer: PeerConnection): Promise<void> {
    const id = this.build.chaincodeId;
    if (this.state !== 'new') {
      throw new InprocessRuntimeError(
        'START_FAILED',
        `chaincode ${id} was already ${this.state === 'ended' ? 'stopped' : 'started'} by this instance; build it again to start another`,
        { details: { chaincodeId: id } },
      );
    }
    this.state = 'starting';
    try {
      const env = await this.environment(peer);
      const { command, dir } = this.build;
      const args = [...command.args, '--peer.address', peer.address, '--chaincode-id-name', id];
      let child: ChildProcess | undefined;
      let pipe: Socket | undefined;
      // Node options cannot be applied to a process that is already running.
      if (this.ctx.zygotes && command.nodeArgs.length === 0) {
        const z = await this.ctx.zygotes.take({ cwd: dir, script: command.script, args, env });
        if (z) {
          child = z.child;
          pipe = z.pipe;
          this.attach(child, z.stdout, z.stderr);
          this.prewarmed = true;
        }
      }
      if (!child) {
        child = await this.spawnFresh(command.nodeArgs, command.script, args, env, dir);
        pipe = child.stdio[messagePipe.PIPE_FD] as Socket;
        this.prewarmed = false;
      }
      if ((this.state as State) === 'ended') {
        // stop() came while it was starting.
        child.kill('SIGKILL');
        return;
      }
      this.state = 'running';
      if (peer.serveMessagePipe) peer.serveMessagePipe(messagePipe.peerPipe(pipe!));
      else pipe?.destroy();
      this.ctx.logger.info('started chaincode', {
        chaincodeId: id,
        pid: child.pid,
        prewarmed: this.prewarmed,
      });
    } catch (err) {
      this.finish(-1);
      if (err instanceof InprocessRuntimeError) throw err;
      throw new InprocessRuntimeError(
        'START_FAILED',
        `could not start chaincode ${id}: ${messageOf(err)}`,
        { cause: err, details: { chaincodeId: id } },
      );
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    if (this.starting) await this.starting;
    const child = this.child;
    if (!child || this.state === 'ended') {
      this.finish(-1);
      return;
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.ctx.logger.warn('chaincode did not stop after SIGTERM; killing it', {
          chaincodeId: this.build.chaincodeId,
          graceMs: this.ctx.stopGraceMs,
        });
        child.kill('SIGKILL');
      }, this.ctx.stopGraceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  private spawnFresh(
    nodeArgs: readonly string[],
    script: string,
    args: string[],
    env: Record<string, string>,
    cwd: string,
  ): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--require', PRELOAD, ...nodeArgs, script, ...args], {
        cwd,
        env,
        // stdio[messagePipe.PIPE_FD] is the message pipe (3 is unused, as IPC in a zygote).
        stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'pipe'],
      });
      child.once('error', reject);
      child.once('spawn', () => {
        child.off('error', reject);
        const noop = () => undefined;
        this.attach(
          child,
          new LineSplitter(child.stdout!, noop),
          new LineSplitter(child.stderr!, noop),
        );
        resolve(child);
      });
    });
  }

  private attach(child: ChildProcess, stdout: LineSplitter, stderr: LineSplitter): void {
    this.child = child;
    const log = this.ctx.chaincodeLogger;
    stdout.sink = (line) => log.debug(line);
    stderr.sink = (line) => log.info(line);
    child.on('error', (err) =>
      this.ctx.logger.warn('chaincode process error', {
        chaincodeId: this.build.chaincodeId,
        error: messageOf(err),
      }),
    );
    // 'close' waits for the output pipes, so the last lines are logged before wait() resolves.
    child.once('close', (code, signal) => {
      this.ctx.logger.info('chaincode process ended', {
        chaincodeId: this.build.chaincodeId,
        code,
        signal,
      });
      this.finish(code ?? -1);
    });
  }

  private finish(code: number): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.resolveExit(code);
    this.ctx.onEnd(this);
    const dir = this.runDir;
    if (dir) void rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /**
   * The chaincode's environment, as Fabric's Docker controller sets it: chaincode id, TLS switch
   * and files (client key and cert base64-encoded, as the shim reads them), MSP id, log levels.
   */
  private async environment(peer: PeerConnection): Promise<Record<string, string>> {
    const env: Record<string, string> = {
      ...this.ctx.baseEnv,
      ...this.ctx.chaincodeEnv,
      CORE_CHAINCODE_ID_NAME: this.build.chaincodeId,
      CORE_PEER_TLS_ENABLED: peer.tls ? 'true' : 'false',
    };
    // The chaincode's shim then talks to the peer over its pipe (message-pipe.cts).
    if (peer.serveMessagePipe) env[messagePipe.PIPE_FD_VARIABLE] = String(messagePipe.PIPE_FD);
    if (peer.tls) {
      const dir = join(this.ctx.runRoot, randomBytes(8).toString('hex'));
      await mkdir(dir, { recursive: true, mode: 0o700 });
      this.runDir = dir;
      const files: Record<string, string> = {
        'client.key': Buffer.from(peer.tls.clientKey).toString('base64'),
        'client.crt': Buffer.from(peer.tls.clientCert).toString('base64'),
        'client_pem.key': peer.tls.clientKey,
        'client_pem.crt': peer.tls.clientCert,
        'peer.crt': peer.tls.rootCert,
      };
      for (const [name, content] of Object.entries(files)) {
        await writeFile(join(dir, name), content, { mode: 0o600 });
      }
      Object.assign(env, {
        CORE_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
        CORE_TLS_CLIENT_CERT_PATH: join(dir, 'client.crt'),
        CORE_TLS_CLIENT_KEY_FILE: join(dir, 'client_pem.key'),
        CORE_TLS_CLIENT_CERT_FILE: join(dir, 'client_pem.crt'),
        CORE_PEER_TLS_ROOTCERT_FILE: join(dir, 'peer.crt'),
      });
    }
    return env;
  }
}
