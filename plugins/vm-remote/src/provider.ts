/**
 * The `remote` VM provider: chaincode as a service. The package (`type: ccaas`, as Fabric's
 * built-in ccaas_builder detects it, or `type: external`, as Fabric's sample builder in
 * cc_service.md does) holds connection.json in code.tar.gz; building it gives an instance whose
 * chaincodeServerInfo() tells the peer where to dial. Nothing is started or stopped: the
 * chaincode server runs on its own.
 */
import {
  ConfigError,
  inject,
  injectable,
  LoggerFactory,
  PluginContext,
  type ChaincodeInstance,
  type ChaincodePackage,
  type ChaincodeServerInfo,
  type Logger,
  type PeerConnection,
  type VmProvider,
} from '@fabric-peer/api';
import { readArchiveFile } from './archive.js';
import { parseConnection } from './connection.js';
import { messageOf, RemoteRuntimeError } from './errors.js';

/** Package types this runtime runs (compared without case). */
export const REMOTE_TYPES: readonly string[] = ['ccaas', 'external'];

/** The environment variable Fabric's ccaas_builder fills connection.json templates from. */
export const BUILDER_CONFIG_ENV = 'CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG';

/** A chaincode server the peer dials. */
export class RemoteChaincodeInstance implements ChaincodeInstance {
  private stopped = false;
  private readonly ended: Promise<number>;
  private end!: (code: number) => void;

  constructor(
    readonly chaincodeId: string,
    private readonly info: ChaincodeServerInfo,
  ) {
    this.ended = new Promise((resolve) => {
      this.end = resolve;
    });
  }

  start(_peer: PeerConnection): Promise<void> {
    return Promise.reject(
      new RemoteRuntimeError(
        'NOT_STARTABLE',
        `chaincode ${this.chaincodeId} runs as a service at ${this.info.address}: the peer ` +
          `dials it (chaincodeServerInfo) and does not start it`,
        { details: { chaincodeId: this.chaincodeId } },
      ),
    );
  }

  chaincodeServerInfo(): Promise<ChaincodeServerInfo> {
    return Promise.resolve(this.info);
  }

  /** Stops using the server (it keeps running on its own); wait() then resolves with 0. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.end(0);
    }
    return Promise.resolve();
  }

  wait(): Promise<number> {
    return this.ended;
  }
}

/** Settings of the remote runtime. */
export interface RemoteRuntimeOptions {
  /**
   * Values for `{{.key}}` templates in connection.json; default: the JSON object in
   * CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG, as Fabric's ccaas_builder reads it.
   */
  readonly builderConfig?: Readonly<Record<string, unknown>>;
}

function builderConfigFrom(context: PluginContext): Record<string, unknown> {
  const key = `plugins[${context.name}].options.builderConfig`;
  const fromOptions = context.options.builderConfig;
  if (fromOptions !== undefined) {
    if (typeof fromOptions !== 'object' || fromOptions === null || Array.isArray(fromOptions)) {
      throw new ConfigError([
        { key, value: fromOptions, problem: 'must be a map of names to values' },
      ]);
    }
    return fromOptions as Record<string, unknown>;
  }
  const env = process.env[BUILDER_CONFIG_ENV];
  if (env === undefined || env === '') return {};
  try {
    const parsed: unknown = JSON.parse(env);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([
      {
        key: BUILDER_CONFIG_ENV,
        value: env,
        problem: `must be a JSON object (${messageOf(err)})`,
        source: 'environment',
      },
    ]);
  }
}

/** The `remote` chaincode runtime. */
@injectable()
export class RemoteVmProvider implements VmProvider {
  readonly name = 'remote';
  private readonly log: Logger;
  private readonly builderConfig: Readonly<Record<string, unknown>>;

  constructor(
    @inject(LoggerFactory) loggers: LoggerFactory,
    @inject(PluginContext) context: PluginContext,
  ) {
    this.log = loggers('vm.remote');
    this.builderConfig = builderConfigFrom(context);
  }

  /** A runtime built from explicit settings rather than by the container. */
  static create(loggers: LoggerFactory, options: RemoteRuntimeOptions = {}): RemoteVmProvider {
    return new RemoteVmProvider(loggers, {
      name: 'vm-remote',
      options: {
        builderConfig:
          options.builderConfig ??
          builderConfigFrom({ name: 'vm-remote', options: {}, location: '' }),
      },
      location: '',
    });
  }

  accepts(pkg: ChaincodePackage): Promise<boolean> {
    return Promise.resolve(REMOTE_TYPES.includes(pkg.type.toLowerCase()));
  }

  async build(chaincodeId: string, pkg: ChaincodePackage): Promise<RemoteChaincodeInstance> {
    if (!(await this.accepts(pkg))) {
      throw new RemoteRuntimeError(
        'UNSUPPORTED_PACKAGE',
        `the remote runtime runs chaincode as a service (type ccaas or external), not type '${pkg.type}' (chaincode ${chaincodeId})`,
        { details: { chaincodeId, type: pkg.type } },
      );
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await readArchiveFile(pkg.codeArchive, 'connection.json');
    } catch (err) {
      throw new RemoteRuntimeError(
        'INVALID_CONNECTION',
        `cannot read the code package of chaincode ${chaincodeId}: ${messageOf(err)}`,
        { cause: err, details: { chaincodeId } },
      );
    }
    if (bytes === undefined) {
      throw new RemoteRuntimeError(
        'INVALID_CONNECTION',
        `connection.json of chaincode ${chaincodeId}: connection information not provided (no connection.json at the top of code.tar.gz)`,
        { details: { chaincodeId } },
      );
    }
    const info = parseConnection(chaincodeId, bytes, this.builderConfig);
    this.log.info('chaincode runs as a service', {
      chaincodeId,
      address: info.address,
      tls: info.tls !== undefined,
    });
    return new RemoteChaincodeInstance(chaincodeId, info);
  }
}
