/**
 * `@fabric-peer/node`: the peer node. Its gRPC listeners, operations server and metrics, composed
 * with the plugins core.yaml names.
 */
export { PeerNode, createKernel, STOP_TIMEOUT_MS, type PeerOptions } from './peer.js';
export {
  builtinPackages,
  BUILTIN_STATE_DATABASES,
  BUILTIN_VM_PROVIDERS,
  ALWAYS_LOADED,
} from './builtins.js';
export { LedgersService } from './ledgers.js';
export { OfflinePeer, type OfflineScope } from './offline.js';
export {
  importBlocks,
  inspectLedger,
  listBlockFiles,
  openChannelLedger,
  readBlockFile,
  stateValue,
  summarizeBlock,
  type BlockFile,
  type BlockSummary,
  type ImportOptions,
  type ImportProgress,
  type ImportTarget,
  type InspectOptions,
  type TransactionSummary,
} from './ledger-tools.js';
export { LedgerToolError, type LedgerToolErrorCode } from './ledger-tool-error.js';
export { ChannelsService } from './channels.js';
export { ChaincodeService } from './chaincode.js';
export { EndorserService } from './endorser.js';
export { OrderingService } from './ordering.js';
export { CommitterService } from './committer.js';
export { DeliveryService } from './delivery.js';
export { DeliverService } from './deliver.js';
export { GatewayService, remotePeers } from './gateway.js';
export {
  PeerGrpcServer,
  ChaincodeGrpcServer,
  Operations,
  LogSpec,
  Build,
  nodePlugin,
  createMetricsProvider,
} from './module.js';
export { GrpcServer, type GrpcServerOptions, type GrpcTlsOptions } from './grpc/server.js';
export { metricsInterceptor, serviceMethod, codeName } from './grpc/metrics.js';
export { HealthStatusBoard } from './grpc/health.js';
export { LocalMspService } from './local-msp.js';
export {
  OperationsServer,
  type OperationsOptions,
  type BuildInfo,
  type LogSpecControl,
} from './operations/server.js';
export { runHealthChecks, type HealthStatus, type FailedCheck } from './operations/health.js';
export { PrometheusProvider } from './metrics/prometheus.js';
export { StatsdProvider, type StatsdOptions } from './metrics/statsd.js';
export { DisabledProvider } from './metrics/disabled.js';
export { ListenError, listenError, parseHostPort, envName } from './listen.js';
