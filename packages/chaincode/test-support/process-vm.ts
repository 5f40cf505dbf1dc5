/**
 * A test VmProvider that runs the chaincodes under `test-support/chaincodes/` as child processes
 * with the real fabric-shim (resolved from the repository's node_modules), as Fabric's external
 * builders run a chaincode: the peer's address and TLS material arrive as arguments and files.
 *
 * Package types it accepts:
 * - `test-shim`: metadata.script is a chaincode script (`kv/index.js`) started with
 *   `--peer.address --chaincode-id-name`;
 * - `test-contract`: metadata.module is a contract folder started with fabric-shim's
 *   `cli.js start --module-path`;
 * - `test-silent`: a process that never registers;
 * - `test-server`: a chaincode server started elsewhere; metadata.address is dialled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ChaincodeInstance,
  ChaincodePackage,
  ChaincodeServerInfo,
  PeerConnection,
  VmProvider,
} from '@fabric-peer/api';
import type { InstalledChaincodes } from '../src/types.js';

/** `packages/chaincode/test-support/chaincodes/` (this file runs from dist/test-support/). */
export const CHAINCODES_DIR = fileURLToPath(
  new URL('../../test-support/chaincodes/', import.meta.url),
);
/** fabric-shim's command line. */
export const SHIM_CLI = fileURLToPath(
  new URL('../../../../node_modules/fabric-shim/cli.js', import.meta.url),
);

/** A package for the provider. */
export function testPackage(
  packageId: string,
  type: 'test-shim' | 'test-contract' | 'test-silent' | 'test-server' | (string & {}),
  metadata: Record<string, unknown> = {},
): ChaincodePackage {
  return {
    packageId,
    label: packageId.split(':')[0] ?? packageId,
    type,
    path: '',
    metadata: { type, label: packageId, ...metadata },
    codeArchive: new Uint8Array(0),
  };
}

/** InstalledChaincodes over a map (the real store is chaincode-packages'). */
export class MapInstalledChaincodes implements InstalledChaincodes {
  readonly packages = new Map<string, ChaincodePackage>();
  add(pkg: ChaincodePackage): this {
    this.packages.set(pkg.packageId, pkg);
    return this;
  }
  get(id: string): Promise<ChaincodePackage | undefined> {
    return Promise.resolve(this.packages.get(id));
  }
}

/** What the provider did, for tests to check. */
export interface ProcessVmCounters {
  builds: number;
  starts: number;
  stops: number;
}

class ProcessInstance implements ChaincodeInstance {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  private readonly exit: Promise<number>;
  private resolveExit!: (code: number) => void;
  private stopped = false;
  output = '';

  constructor(
    private readonly chaincodeId: string,
    private readonly pkg: ChaincodePackage,
    private readonly counters: ProcessVmCounters,
    private readonly env: Readonly<Record<string, string>>,
  ) {
    this.exit = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  chaincodeServerInfo(): Promise<ChaincodeServerInfo | undefined> {
    if (this.pkg.type !== 'test-server') return Promise.resolve(undefined);
    return Promise.resolve({
      address: String(this.pkg.metadata['address']),
      dialTimeoutMs: Number(this.pkg.metadata['dialTimeoutMs'] ?? 10_000),
    });
  }

  async start(peer: PeerConnection): Promise<void> {
    this.counters.starts++;
    const env: Record<string, string> = { ...process.env, ...this.env } as Record<string, string>;
    if (peer.tls !== undefined) {
      this.dir = await mkdtemp(join(tmpdir(), 'cc-tls-'));
      // fabric-shim reads the client key and certificate as base64 of the PEM (Fabric's convention).
      await writeFile(
        join(this.dir, 'client.key'),
        Buffer.from(peer.tls.clientKey).toString('base64'),
      );
      await writeFile(
        join(this.dir, 'client.crt'),
        Buffer.from(peer.tls.clientCert).toString('base64'),
      );
      await writeFile(join(this.dir, 'root.crt'), peer.tls.rootCert);
      Object.assign(env, {
        CORE_PEER_TLS_ENABLED: 'true',
        CORE_PEER_TLS_ROOTCERT_FILE: join(this.dir, 'root.crt'),
        CORE_TLS_CLIENT_KEY_PATH: join(this.dir, 'client.key'),
        CORE_TLS_CLIENT_CERT_PATH: join(this.dir, 'client.crt'),
      });
    }
    const shimArgs = ['--peer.address', peer.address, '--chaincode-id-name', this.chaincodeId];
    let args: string[];
    switch (this.pkg.type) {
      case 'test-shim':
        args = [join(CHAINCODES_DIR, String(this.pkg.metadata['script'])), ...shimArgs];
        break;
      case 'test-contract':
        args = [
          SHIM_CLI,
          'start',
          ...shimArgs,
          '--module-path',
          join(CHAINCODES_DIR, String(this.pkg.metadata['module'])),
        ];
        break;
      default:
        args = ['-e', 'setInterval(() => undefined, 1000)'];
    }
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer): void => {
      if (this.output.length < 20_000) this.output += b.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => {
      void (this.dir !== undefined
        ? rm(this.dir, { recursive: true, force: true })
        : Promise.resolve());
      this.resolveExit(code ?? (signal !== null ? 128 : 0));
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.counters.stops++;
    const child = this.child;
    if (child === undefined) {
      this.resolveExit(0);
      return;
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.exit;
    clearTimeout(timer);
  }

  wait(): Promise<number> {
    return this.exit;
  }
}

/** The test runtime; `instances` keeps every instance built, for tests to look into. */
export class ProcessVmProvider implements VmProvider {
  readonly name = 'test-process';
  readonly counters: ProcessVmCounters = { builds: 0, starts: 0, stops: 0 };
  readonly instances: ChaincodeInstance[] = [];

  constructor(
    private readonly options: { buildDelayMs?: number; env?: Record<string, string> } = {},
  ) {}

  accepts(pkg: ChaincodePackage): Promise<boolean> {
    return Promise.resolve(pkg.type.startsWith('test-'));
  }

  async build(chaincodeId: string, pkg: ChaincodePackage): Promise<ChaincodeInstance> {
    this.counters.builds++;
    if (this.options.buildDelayMs !== undefined) {
      await new Promise((r) => setTimeout(r, this.options.buildDelayMs));
    }
    const instance = new ProcessInstance(chaincodeId, pkg, this.counters, {
      CORE_CHAINCODE_LOGGING_SHIM: 'error',
      CORE_CHAINCODE_LOGGING_LEVEL: 'error',
      ...this.options.env,
    });
    this.instances.push(instance);
    return instance;
  }

  /** Stops every instance still running (test clean-up). */
  async stopAll(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.stop()));
  }
}

/** Starts a contract as a chaincode server (`cli.js server`); returns a stop function. */
export function startChaincodeServer(
  module: string,
  chaincodeId: string,
  address: string,
): { stop(): Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      SHIM_CLI,
      'server',
      '--chaincode-address',
      address,
      '--chaincode-id',
      chaincodeId,
      '--module-path',
      join(CHAINCODES_DIR, module),
    ],
    {
      env: {
        ...process.env,
        CORE_CHAINCODE_LOGGING_SHIM: 'error',
        CORE_CHAINCODE_LOGGING_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
