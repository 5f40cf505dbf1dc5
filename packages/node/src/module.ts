/**
 * The node's own bindings in the peer's container and its internal plugin: the metrics provider
 * core.yaml chooses, the operations server, and the two gRPC listeners, all contributed as services.
 */
import {
  ContainerModule,
  definePlugin,
  inject,
  injectable,
  LoggerFactory,
  MetricsProvider,
  PeerConfig,
  type Service,
} from '@fabric-peer/api';
import { Contributions, type ContributionRegistry } from '@fabric-peer/core';
import { ChannelsService } from './channels.js';
import { LedgersService } from './ledgers.js';
import { LocalMspService } from './local-msp.js';
import { HealthStatusBoard, HealthStatusBoardId } from './grpc/health.js';
import { ChaincodeGrpcServer, PeerGrpcServer } from './grpc/listeners.js';
import { parseHostPort } from './listen.js';
import { DisabledProvider } from './metrics/disabled.js';
import { PrometheusProvider } from './metrics/prometheus.js';
import { StatsdProvider } from './metrics/statsd.js';
import { OperationsServer, type BuildInfo, type LogSpecControl } from './operations/server.js';
import { metricsSettings, operationsTls } from './settings.js';
import { ChaincodeService } from './chaincode.js';
import { EndorserService } from './endorser.js';
import { DeliverService } from './deliver.js';
import { GatewayService } from './gateway.js';
import { OrderingService } from './ordering.js';
import { CommitterService } from './committer.js';
import { DeliveryService } from './delivery.js';

export { ChaincodeGrpcServer, PeerGrpcServer };

/** Identifier of the logging system's spec control (for `/logspec`). */
export const LogSpec: unique symbol = Symbol.for('@fabric-peer/node/LogSpec');
/** Identifier of the build information (for `/version`). */
export const Build: unique symbol = Symbol.for('@fabric-peer/node/Build');

/** The operations server, fed by the registry's health checkers. */
@injectable()
export class Operations extends OperationsServer {
  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(MetricsProvider) metrics: MetricsProvider,
    @inject(LoggerFactory) loggers: LoggerFactory,
    @inject(Contributions) registry: ContributionRegistry,
    @inject(LogSpec) logSpec: LogSpecControl,
    @inject(Build) build: BuildInfo,
  ) {
    const tls = operationsTls(config);
    super({
      listenAddress: String(config.get('operations.listenAddress')),
      ...(tls ? { tls } : {}),
      checkers: () => registry.all('healthChecker').map((c) => c.instance),
      healthTimeoutMs: 10_000,
      logSpec,
      ...(metrics instanceof PrometheusProvider ? { metrics: () => metrics.exposition() } : {}),
      build,
      logger: loggers('node.operations'),
    });
  }
}

/** Starts and stops a push-based metrics provider (statsd); nothing to do for the others. */
@injectable()
export class MetricsService implements Service {
  readonly name = 'metrics';
  constructor(@inject(MetricsProvider) private readonly provider: MetricsProvider) {}
  start(): Promise<void> {
    return this.provider instanceof StatsdProvider ? this.provider.start() : Promise.resolve();
  }
  stop(): Promise<void> {
    return this.provider instanceof StatsdProvider ? this.provider.stop() : Promise.resolve();
  }
}

/** Marks the gRPC health service SERVING once every service has started. */
@injectable()
export class ServingMarker implements Service {
  readonly name = 'serving';
  readonly dependsOn = ['peer-listener', 'chaincode-listener'];
  constructor(@inject(HealthStatusBoardId) private readonly board: HealthStatusBoard) {}
  start(): Promise<void> {
    this.board.setServing(true);
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.board.setServing(false);
    return Promise.resolve();
  }
}

/** Creates the metrics provider `metrics.provider` names. */
export function createMetricsProvider(config: PeerConfig): MetricsProvider {
  const m = metricsSettings(config);
  switch (m.provider) {
    case 'prometheus':
      return new PrometheusProvider();
    case 'statsd': {
      const { host, port } = parseHostPort(m.address);
      return new StatsdProvider({
        network: m.network,
        host,
        port,
        writeIntervalMs: m.writeIntervalMs,
        prefix: m.prefix,
      });
    }
    default:
      return new DisabledProvider();
  }
}

/** Root bindings the node provides to every plugin. */
export function nodeModule(options: {
  config: PeerConfig;
  logSpec: LogSpecControl;
  build: BuildInfo;
}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MetricsProvider).toConstantValue(createMetricsProvider(options.config));
    bind(LogSpec).toConstantValue(options.logSpec);
    bind(Build).toConstantValue(options.build);
    bind(HealthStatusBoardId).toConstantValue(new HealthStatusBoard());
    bind(LocalMspService).toSelf().inSingletonScope();
    bind(LedgersService).toSelf().inSingletonScope();
    bind(ChannelsService).toSelf().inSingletonScope();
    bind(ChaincodeService).toSelf().inSingletonScope();
    bind(CommitterService).toSelf().inSingletonScope();
    bind(EndorserService).toSelf().inSingletonScope();
    bind(DeliveryService).toSelf().inSingletonScope();
    bind(OrderingService).toSelf().inSingletonScope();
    bind(DeliverService).toSelf().inSingletonScope();
    bind(GatewayService).toSelf().inSingletonScope();
    bind(PeerGrpcServer).toSelf().inSingletonScope();
    bind(ChaincodeGrpcServer).toSelf().inSingletonScope();
    bind(Operations).toSelf().inSingletonScope();
  });
}

/** The node's internal plugin: its services, in the order the lifecycle starts them. */
export const nodePlugin = definePlugin({
  name: 'node',
  version: '0.1.0',
  description: 'the peer node: operations server, gRPC listeners, metrics',
  contributes: {
    service: {
      'local-msp': LocalMspService,
      metrics: MetricsService,
      operations: Operations,
      // After the operations server: a second peer on the same ports stops there ("address in
      // use") rather than on the ledger's file lock.
      ledgers: LedgersService,
      channels: ChannelsService,
      chaincode: ChaincodeService,
      committer: CommitterService,
      endorser: EndorserService,
      ordering: OrderingService,
      delivery: DeliveryService,
      deliver: DeliverService,
      gateway: GatewayService,
      'peer-listener': PeerGrpcServer,
      'chaincode-listener': ChaincodeGrpcServer,
      serving: ServingMarker,
    },
  },
});
