/**
 * The `inprocess` VM provider: Node.js chaincode (`type: node`) run by the real fabric-shim in a
 * child process on the peer's machine, without Docker. A chaincode that crashes or exits takes
 * only its own process down.
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  chaincodeLogLevel,
  ConfigError,
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  PluginContext,
  type ChaincodeInstance,
  type ChaincodePackage,
  type Logger,
  type VmProvider,
} from '@fabric-peer/api';
import { Builder, type Build } from './build.js';
import { InprocessRuntimeError } from './errors.js';
import { InprocessInstance } from './instance.js';
import { ZygotePool } from './zygote-pool.js';

/** Settings of the inprocess runtime. */
export interface InprocessRuntimeOptions {
  /** `peer.fileSystemPath`: builds go to `<it>/externalbuilds/inprocess/`. */
  readonly fileSystemPath: string;
  /** `peer.localMspId`, given to chaincode as CORE_PEER_LOCALMSPID. */
  readonly localMspId?: string;
  /** `chaincode.logging.level` and `chaincode.logging.shim`, given as CORE_CHAINCODE_LOGGING_*. */
  readonly logLevel?: string;
  readonly shimLogLevel?: string;
  /** `chaincode.installTimeout`: longest npm install. Default 300 s. */
  readonly installTimeoutMs?: number;
  /** Keep one pre-warmed process ready (default true). */
  readonly prewarm?: boolean;
  /** Time between SIGTERM and SIGKILL when stopping (default 5000 ms). */
  readonly stopGraceMs?: number;
  /** npm executable for packages whose dependencies are not vendored (default `npm`). */
  readonly npm?: string;
  /** Environment variables of the peer passed on to chaincode (default PATH, HOME, TMPDIR, LANG, TZ, ...). */
  readonly propagateEnvironment?: readonly string[];
}

const DEFAULT_PROPAGATE = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'LD_LIBRARY_PATH'];

function providedLibraries(): Record<string, string> {
  const req = createRequire(import.meta.url);
  return {
    'fabric-shim': dirname(req.resolve('fabric-shim/package.json')),
    'fabric-contract-api': dirname(req.resolve('fabric-contract-api/package.json')),
  };
}

function optionsFrom(config: PeerConfig, context: PluginContext): InprocessRuntimeOptions {
  const fsPath = config.get('peer.fileSystemPath');
  if (typeof fsPath !== 'string' || fsPath.trim() === '') {
    throw new ConfigError([
      {
        key: 'peer.fileSystemPath',
        value: fsPath,
        problem: 'must name the folder of the peer data',
      },
    ]);
  }
  const text = (key: string): string | undefined => {
    const v = config.get(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const o = context.options;
  const issues: { key: string; value: unknown; problem: string }[] = [];
  const optKey = (name: string) => `plugins[${context.name}].options.${name}`;
  const bool = (name: string) => {
    const v = o[name];
    if (v === undefined || typeof v === 'boolean') return v;
    issues.push({ key: optKey(name), value: v, problem: 'must be true or false' });
    return undefined;
  };
  const num = (name: string) => {
    const v = o[name];
    if (v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0)) return v;
    issues.push({ key: optKey(name), value: v, problem: 'must be a number of milliseconds' });
    return undefined;
  };
  const prewarm = bool('prewarm');
  const stopGraceMs = num('stopGraceMs');
  const npm = o.npm;
  if (npm !== undefined && typeof npm !== 'string') {
    issues.push({ key: optKey('npm'), value: npm, problem: 'must be a command' });
  }
  const propagate = o.propagateEnvironment;
  if (
    propagate !== undefined &&
    !(Array.isArray(propagate) && propagate.every((x) => typeof x === 'string'))
  ) {
    issues.push({
      key: optKey('propagateEnvironment'),
      value: propagate,
      problem: 'must be a list of names',
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const installTimeoutMs = config.durationMs('chaincode.installTimeout');
  return {
    fileSystemPath: isAbsolute(fsPath) ? fsPath : resolve(config.dir, fsPath),
    ...(text('peer.localMspId') ? { localMspId: text('peer.localMspId') } : {}),
    ...(text('chaincode.logging.level') ? { logLevel: text('chaincode.logging.level') } : {}),
    ...(text('chaincode.logging.shim') ? { shimLogLevel: text('chaincode.logging.shim') } : {}),
    ...(installTimeoutMs !== null ? { installTimeoutMs } : {}),
    ...(prewarm !== undefined ? { prewarm } : {}),
    ...(stopGraceMs !== undefined ? { stopGraceMs } : {}),
    ...(typeof npm === 'string' ? { npm } : {}),
    ...(Array.isArray(propagate) ? { propagateEnvironment: propagate as string[] } : {}),
  };
}

/** The `inprocess` chaincode runtime. */
@injectable()
export class InprocessVmProvider implements VmProvider {
  readonly name = 'inprocess';
  /** `<peer.fileSystemPath>/externalbuilds/inprocess`. */
  readonly buildRoot: string;
  private readonly builder: Builder;
  private readonly zygotes: ZygotePool | undefined;
  private readonly instances = new Set<InprocessInstance>();
  private readonly log: Logger;
  private readonly loggers: LoggerFactory;
  private readonly baseEnv: Record<string, string>;
  private readonly chaincodeEnv: Record<string, string>;
  private readonly stopGraceMs: number;

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
    @inject(PluginContext) context: PluginContext,
  ) {
    const options = optionsFrom(config, context);
    this.loggers = loggers;
    this.log = loggers('vm.inprocess');
    this.buildRoot = join(options.fileSystemPath, 'externalbuilds', 'inprocess');
    this.builder = new Builder({
      root: this.buildRoot,
      provided: providedLibraries(),
      npm: options.npm ?? 'npm',
      installTimeoutMs: options.installTimeoutMs ?? 300_000,
      logger: this.log,
    });
    this.baseEnv = {};
    for (const name of options.propagateEnvironment ?? DEFAULT_PROPAGATE) {
      const v = process.env[name];
      if (v !== undefined) this.baseEnv[name] = v;
    }
    this.chaincodeEnv = {
      ...(options.localMspId ? { CORE_PEER_LOCALMSPID: options.localMspId } : {}),
      ...(options.logLevel
        ? { CORE_CHAINCODE_LOGGING_LEVEL: chaincodeLogLevel(options.logLevel) }
        : {}),
      ...(options.shimLogLevel
        ? { CORE_CHAINCODE_LOGGING_SHIM: chaincodeLogLevel(options.shimLogLevel) }
        : {}),
    };
    this.stopGraceMs = options.stopGraceMs ?? 5000;
    this.zygotes =
      options.prewarm === false
        ? undefined
        : new ZygotePool(this.baseEnv, this.log.child('zygote'));
    this.zygotes?.warm();
  }

  /** A runtime built from explicit settings rather than by the container. */
  static create(options: InprocessRuntimeOptions, loggers: LoggerFactory): InprocessVmProvider {
    const values: Record<string, unknown> = {
      'peer.fileSystemPath': options.fileSystemPath,
      'peer.localMspId': options.localMspId ?? '',
      'chaincode.logging.level': options.logLevel ?? '',
      'chaincode.logging.shim': options.shimLogLevel ?? '',
    };
    const config: PeerConfig = {
      file: '',
      dir: process.cwd(),
      get: (key) => values[key],
      durationMs: (key) =>
        key === 'chaincode.installTimeout' ? (options.installTimeoutMs ?? null) : null,
    };
    const pluginOptions: Record<string, unknown> = {};
    for (const k of ['prewarm', 'stopGraceMs', 'npm', 'propagateEnvironment'] as const) {
      if (options[k] !== undefined) pluginOptions[k] = options[k];
    }
    return new InprocessVmProvider(config, loggers, {
      name: 'vm-inprocess',
      options: pluginOptions,
      location: '',
    });
  }

  accepts(pkg: ChaincodePackage): Promise<boolean> {
    return Promise.resolve(pkg.type.toLowerCase() === 'node');
  }

  async build(chaincodeId: string, pkg: ChaincodePackage): Promise<ChaincodeInstance> {
    if (!(await this.accepts(pkg))) {
      throw new InprocessRuntimeError(
        'UNSUPPORTED_PACKAGE',
        `the inprocess runtime runs Node.js chaincode (type node), not type '${pkg.type}' (chaincode ${chaincodeId})`,
        { details: { chaincodeId, type: pkg.type } },
      );
    }
    const build: Build = await this.builder.build(chaincodeId, pkg);
    const name = chaincodeId.split(':')[0] || chaincodeId;
    const instance = new InprocessInstance(build, {
      baseEnv: this.baseEnv,
      chaincodeEnv: this.chaincodeEnv,
      runRoot: join(this.buildRoot, '.run'),
      stopGraceMs: this.stopGraceMs,
      zygotes: this.zygotes,
      logger: this.log,
      chaincodeLogger: this.loggers(`chaincode.${name}`),
      onEnd: (i) => this.instances.delete(i),
    });
    this.instances.add(instance);
    return instance;
  }

  /** Stops every chaincode this runtime started and the pre-warmed process. */
  async close(): Promise<void> {
    this.zygotes?.close();
    await Promise.all([...this.instances].map((i) => i.stop()));
  }
}
