/**
 * The ChaincodeSupport service (Fabric's core/chaincode/chaincode_support.go): checks an
 * invocation against the chaincode's definition, launches the chaincode if needed, runs the
 * transaction through its handler, and serves chaincode streams (gRPC Register, chaincode servers,
 * in-process system chaincodes).
 */
import type { Logger, MetricsProvider, SystemChaincode, VmProvider } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { AclProvider } from '@fabric-peer/policies';
import { protos } from '@fabric-peer/protos';
import type * as grpc from '@grpc/grpc-js';
import { ChaincodeError } from './errors.js';
import { chaincodeSupportGrpcService } from './grpc.js';
import {
  Handler,
  type ChaincodeInvoker,
  type CollectionAccess,
  type HandlerDependencies,
} from './handler/handler.js';
import { Launcher } from './launch/launcher.js';
import { RuntimeRouter } from './launch/runtime-router.js';
import { handlerMetrics, launchMetrics } from './metrics.js';
import { HandlerRegistry } from './registry.js';
import type { ChaincodeSettings } from './settings.js';
import type { ChaincodeStream, InboundMessage } from './stream.js';
import { inMemoryStreamPair } from './system/in-memory-stream.js';
import { SystemChaincodeShim } from './system/system-runtime.js';
import { ChaincodeAuthenticator } from './tls/authenticator.js';
import { ChaincodeCa, type CertKeyPair } from './tls/ca.js';
import {
  systemChaincodeId,
  type ChaincodeDefinitionSource,
  type ChaincodeEndorsementInfo,
  type ChaincodeSupport,
  type ExecuteResult,
  type InstalledChaincodes,
  type TransactionParams,
} from './types.js';

const T = protos.ChaincodeMessage.Type;
const utf8d = new TextDecoder();

/**
 * The reserved key recording the version a chaincode was initialized at (Fabric's
 * InitializedKeyName: "\x00" + utf8.MaxRune + "initialized").
 */
export const INITIALIZED_KEY = '\u0000\u{10FFFF}initialized';

const LIFECYCLE_NAMESPACE = '_lifecycle';
const LIFECYCLE_INSTALL = 'InstallChaincode';

export interface ChaincodeSupportOptions {
  readonly definitions: ChaincodeDefinitionSource;
  readonly installed: InstalledChaincodes;
  readonly channels: ChannelRegistry;
  readonly acl: Pick<AclProvider, 'checkACL'>;
  /** The configured runtimes (`vm.providers`), in order. */
  readonly runtimes: () => readonly VmProvider[];
  readonly settings: ChaincodeSettings;
  readonly logger: Logger;
  readonly metrics?: MetricsProvider;
  /** Private data collection membership checks; without it every creator may read and write. */
  readonly collectionAccess?: CollectionAccess;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function wrap(err: unknown, message: string, fallback: ChaincodeError['code']): ChaincodeError {
  return new ChaincodeError(err instanceof ChaincodeError ? err.code : fallback, message, {
    cause: err,
    ...(err instanceof ChaincodeError ? { details: { ...err.details } } : {}),
  });
}

export class ChaincodeSupportImpl implements ChaincodeSupport {
  private readonly registry: HandlerRegistry;
  private readonly launcher: Launcher;
  private readonly deps: HandlerDependencies;
  private readonly systemNames = new Set<string>();
  private readonly logger: Logger;
  private ca: ChaincodeCa | undefined;
  private authenticator: ChaincodeAuthenticator | undefined;
  /** Read by the launcher at each launch: filled by start() when TLS is on. */
  private readonly tlsHolder: {
    value?: { authenticator: ChaincodeAuthenticator; rootCertPem: string };
  } = {};

  constructor(private readonly options: ChaincodeSupportOptions) {
    const settings = options.settings;
    this.logger = options.logger;
    this.registry = new HandlerRegistry(settings.devMode, (id) => this.launcher.handlerGone(id));
    const invoker: ChaincodeInvoker = {
      invoke: (params, name, input) => this.invoke(params, name, input),
    };
    this.deps = {
      registry: this.registry,
      invoker,
      channels: options.channels,
      acl: options.acl,
      isSystemChaincode: (name) => this.systemNames.has(name),
      keepaliveMs: settings.keepaliveMs,
      totalQueryLimit: settings.totalQueryLimit,
      historyEnabled: settings.historyEnabled,
      logger: options.logger.child('handler'),
      metrics: options.metrics !== undefined ? handlerMetrics(options.metrics) : undefined,
      collectionAccess: options.collectionAccess,
    };
    const holder = this.tlsHolder;
    this.launcher = new Launcher({
      registry: this.registry,
      router: new RuntimeRouter(options.installed, options.runtimes),
      startupTimeoutMs: settings.startupTimeoutMs,
      devMode: settings.devMode,
      peerAddress: settings.peerAddress,
      get tls() {
        return holder.value;
      },
      serve: (stream) => this.serve(stream),
      logger: options.logger.child('launcher'),
      metrics: options.metrics !== undefined ? launchMetrics(options.metrics) : undefined,
    });
  }

  /**
   * Makes the chaincode CA when `peer.tls.enabled` (Fabric does it at peer start); call before
   * serving chaincode or launching any.
   */
  async start(): Promise<void> {
    if (!this.options.settings.tlsEnabled || this.ca !== undefined) return;
    this.ca = await ChaincodeCa.create();
    this.authenticator = new ChaincodeAuthenticator(this.ca);
    this.tlsHolder.value = { authenticator: this.authenticator, rootCertPem: this.ca.certPem };
  }

  /** The chaincode CA's certificate (PEM) when TLS is on and started. */
  tlsRootCertPem(): string | undefined {
    return this.ca?.certPem;
  }

  /**
   * A server certificate from the chaincode CA for the chaincode listener at `host` (Fabric's
   * createChaincodeServer); serve it requiring client certificates issued by {@link tlsRootCertPem}.
   */
  async listenerCertificate(host: string): Promise<CertKeyPair> {
    if (this.ca === undefined) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        'chaincode TLS is not enabled or support not started',
      );
    }
    return this.ca.newServerCertKeyPair(host);
  }

  /** `[ChaincodeSupportService, implementation]` for `grpc.Server.addService` (the chaincode listener). */
  grpcService(): [grpc.ServiceDefinition, grpc.UntypedServiceImplementation] {
    if (this.options.settings.tlsEnabled && this.authenticator === undefined) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        'chaincode TLS is enabled: call start() before grpcService()',
      );
    }
    return chaincodeSupportGrpcService((stream) => this.serve(stream), this.authenticator);
  }

  /** Runs a handler over a chaincode stream (Fabric's HandleChaincodeStream). */
  serve(stream: ChaincodeStream): Handler {
    const handler = new Handler(this.deps, stream);
    void handler.run();
    return handler;
  }

  /** Whether `name` is a deployed system chaincode. */
  isSystemChaincode(name: string): boolean {
    return this.systemNames.has(name);
  }

  /**
   * Runs a system chaincode in process over an in-memory stream through the ordinary handler
   * (Fabric's scc.DeploySysCC); resolves once it is READY as `<name>.syscc`.
   */
  async deploySystemChaincode(scc: SystemChaincode): Promise<void> {
    const id = systemChaincodeId(scc.name);
    const { state, started } = this.registry.launching(id);
    if (started) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        `attempted to launch a system chaincode which has already been launched: ${id}`,
      );
    }
    this.systemNames.add(scc.name);
    const { peer, chaincode } = inMemoryStreamPair();
    const handler = this.serve(peer);
    new SystemChaincodeShim(scc, chaincode, id, this.logger.child('scc'), (channelId, txId) =>
      handler.transactionSimulator(channelId, txId),
    ).start();
    try {
      await state.done;
    } catch (err) {
      this.systemNames.delete(scc.name);
      throw wrap(
        err,
        `could not deploy system chaincode ${scc.name}: ${messageOf(err)}`,
        'LAUNCH_FAILED',
      );
    }
    this.logger.info('deployed system chaincode', { chaincode: scc.name });
  }

  async launch(chaincodeId: string): Promise<void> {
    await this.launcher.launch(chaincodeId);
  }

  async execute(
    params: TransactionParams,
    chaincodeName: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult> {
    const msg = await this.invokeOrThrow(params, chaincodeName, input);
    return this.result(params.txId, chaincodeName, msg);
  }

  async executeLegacyInit(
    params: TransactionParams,
    chaincodeName: string,
    chaincodeVersion: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult> {
    const id = `${chaincodeName}:${chaincodeVersion}`;
    let msg: InboundMessage;
    try {
      const handler = this.registry.handler(id) ?? (await this.launcher.launch(id));
      msg = await this.run(handler, params, chaincodeName, T.INIT, input);
    } catch (err) {
      throw wrap(
        err,
        `failed to execute transaction ${params.txId}: ${messageOf(err)}`,
        'LAUNCH_FAILED',
      );
    }
    return this.result(params.txId, chaincodeName, msg);
  }

  /** Stops every chaincode and ends every stream (peer shutdown). */
  async stop(): Promise<void> {
    await this.launcher.stop();
    for (const h of this.registry.all()) h.close(new Error('the peer is stopping'));
  }

  private async invokeOrThrow(
    params: TransactionParams,
    chaincodeName: string,
    input: protos.IChaincodeInput,
  ): Promise<InboundMessage> {
    try {
      return await this.invoke(params, chaincodeName, input);
    } catch (err) {
      throw wrap(
        err,
        `failed to execute transaction ${params.txId}: ${messageOf(err)}`,
        'LAUNCH_FAILED',
      );
    }
  }

  /** Fabric's Invoke: CheckInvocation, launch, execute; the chaincode's answer as a message. */
  private async invoke(
    params: TransactionParams,
    chaincodeName: string,
    input: protos.IChaincodeInput,
  ): Promise<InboundMessage> {
    let route: { chaincodeId: string; type: protos.ChaincodeMessage.Type };
    try {
      route = await this.checkInvocation(params, chaincodeName, input);
    } catch (err) {
      throw wrap(err, `invalid invocation: ${messageOf(err)}`, 'INVALID_INVOCATION');
    }
    const handler =
      this.registry.handler(route.chaincodeId) ?? (await this.launcher.launch(route.chaincodeId));
    return this.run(handler, params, chaincodeName, route.type, input);
  }

  /** Fabric's CheckInvocation: where to route the call, enforcing init-exactly-once. */
  private async checkInvocation(
    params: TransactionParams,
    chaincodeName: string,
    input: protos.IChaincodeInput,
  ): Promise<{ chaincodeId: string; type: protos.ChaincodeMessage.Type }> {
    const known = params.endorsementInfo;
    let info: ChaincodeEndorsementInfo;
    try {
      info =
        known !== undefined && known.chaincodeName === chaincodeName
          ? known.info
          : await this.options.definitions.endorsementInfo(
              params.channelId,
              chaincodeName,
              params.txSimulator,
            );
    } catch (err) {
      throw wrap(
        err,
        `[channel ${params.channelId}] failed to get chaincode container info for ${chaincodeName}: ${messageOf(err)}`,
        'CHAINCODE_NOT_DEFINED',
      );
    }
    let needsInit = false;
    if (info.enforceInit) {
      const sim = params.txSimulator;
      if (sim === undefined) {
        throw new ChaincodeError(
          'INVALID_INVOCATION',
          `could not get 'initialized' key: no ledger context`,
        );
      }
      const value = await sim.getState(chaincodeName, INITIALIZED_KEY);
      needsInit = value === undefined || utf8d.decode(value) !== info.version;
    }
    if (input.isInit === true) {
      if (!info.enforceInit) {
        throw new ChaincodeError(
          'INVALID_INVOCATION',
          `chaincode '${chaincodeName}' does not require initialization but called as init`,
        );
      }
      if (!needsInit) {
        throw new ChaincodeError(
          'INVALID_INVOCATION',
          `chaincode '${chaincodeName}' is already initialized but called as init`,
        );
      }
      // As Fabric: the key is written before INIT runs; a failed INIT is never endorsed.
      await params.txSimulator!.setState(
        chaincodeName,
        INITIALIZED_KEY,
        new TextEncoder().encode(info.version),
      );
      return { chaincodeId: info.chaincodeId, type: T.INIT };
    }
    if (needsInit) {
      throw new ChaincodeError(
        'INVALID_INVOCATION',
        `chaincode '${chaincodeName}' has not been initialized for this version, must call as init first`,
      );
    }
    return { chaincodeId: info.chaincodeId, type: T.TRANSACTION };
  }

  private async run(
    handler: Handler,
    params: TransactionParams,
    namespace: string,
    type: protos.ChaincodeMessage.Type,
    input: protos.IChaincodeInput,
  ): Promise<InboundMessage> {
    const payload = protos.ChaincodeInput.encode(input).finish();
    try {
      return await handler.execute(
        params,
        namespace,
        type,
        payload,
        this.executeTimeout(namespace, input),
      );
    } catch (err) {
      throw wrap(err, `error sending: ${messageOf(err)}`, 'STREAM_TERMINATED');
    }
  }

  /** Fabric's executeTimeout: installs get the longer of install and execute timeouts. */
  private executeTimeout(namespace: string, input: protos.IChaincodeInput): number {
    const { executeTimeoutMs, installTimeoutMs } = this.options.settings;
    const first = input.args?.[0];
    if (first !== undefined && (namespace === 'lscc' || namespace === LIFECYCLE_NAMESPACE)) {
      const op = utf8d.decode(first);
      if (
        (namespace === 'lscc' && op === 'install') ||
        (namespace === LIFECYCLE_NAMESPACE && op === LIFECYCLE_INSTALL)
      ) {
        return Math.max(executeTimeoutMs, installTimeoutMs);
      }
    }
    return executeTimeoutMs;
  }

  /** Fabric's processChaincodeExecutionResult. */
  private result(txId: string, chaincodeName: string, msg: InboundMessage): ExecuteResult {
    const ev = msg.chaincodeEvent;
    const event =
      ev !== null && ev !== undefined
        ? protos.ChaincodeEvent.create({ ...ev, chaincodeId: chaincodeName, txId })
        : undefined;
    if (msg.type === T.COMPLETED) {
      let response: protos.Response;
      try {
        response = protos.Response.decode(msg.payload);
      } catch (err) {
        throw new ChaincodeError(
          'CHAINCODE_FAILED',
          `failed to unmarshal response for transaction ${txId}`,
          {
            cause: err,
          },
        );
      }
      return event !== undefined ? { response, event } : { response };
    }
    if (msg.type === T.ERROR) {
      throw new ChaincodeError(
        'CHAINCODE_FAILED',
        `transaction returned with failure: ${utf8d.decode(msg.payload)}`,
        { details: { txId, chaincode: chaincodeName } },
      );
    }
    throw new ChaincodeError(
      'CHAINCODE_FAILED',
      `unexpected response type ${msg.type} for transaction ${txId}`,
    );
  }
}
