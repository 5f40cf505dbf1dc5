/**
 * The peer's two gRPC listeners as container services: the peer listener (`peer.listenAddress`,
 * where Endorser, Deliver and Gateway register) and the chaincode listener
 * (`peer.chaincodeListenAddress`, where ChaincodeSupport registers). Each serves gRPC health.
 */
import { inject, injectable, LoggerFactory, MetricsProvider, PeerConfig } from '@fabric-peer/api';
import { GrpcServer, type GrpcServerOptions } from './server.js';
import { healthService, HealthStatusBoardId, type HealthStatusBoard } from './health.js';
import { metricsInterceptor } from './metrics.js';
import { DisabledProvider } from '../metrics/disabled.js';
import { chaincodeListener, peerListener, type ListenerSettings } from '../settings.js';

/** A listener's server options: its settings plus Fabric's gRPC metrics and the node logger. */
function serverOptions(
  settings: ListenerSettings,
  metrics: MetricsProvider,
  loggers: LoggerFactory,
): GrpcServerOptions {
  // With metrics disabled the interceptor would only add per-call and per-message work.
  const interceptors = metrics instanceof DisabledProvider ? [] : [metricsInterceptor(metrics)];
  return { ...settings, interceptors, logger: loggers('node.grpc') };
}

/** The peer listener (`peer.listenAddress`): Endorser, Deliver, Gateway... register here. */
@injectable()
export class PeerGrpcServer extends GrpcServer {
  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(MetricsProvider) metrics: MetricsProvider,
    @inject(LoggerFactory) loggers: LoggerFactory,
    @inject(HealthStatusBoardId) health: HealthStatusBoard,
  ) {
    super(serverOptions(peerListener(config), metrics, loggers));
    this.addService(...healthService(health));
  }
}

/** The chaincode listener (`peer.chaincodeListenAddress`): ChaincodeSupport registers here. */
@injectable()
export class ChaincodeGrpcServer extends GrpcServer {
  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(MetricsProvider) metrics: MetricsProvider,
    @inject(LoggerFactory) loggers: LoggerFactory,
    @inject(HealthStatusBoardId) health: HealthStatusBoard,
  ) {
    super(serverOptions(chaincodeListener(config), metrics, loggers));
    this.addService(...healthService(health));
  }
}
