/**
 * `@fabric-peer/deliver`: block delivery. The peer's client of the ordering service
 * ({@link createOrderingClient}, Fabric's AtomicBroadcast Broadcast and Deliver over each channel's
 * orderer endpoints), the per-channel block puller that feeds the committer
 * ({@link createBlockPuller}, {@link createDeliveryClient}) and the `protos.Deliver` service
 * ({@link deliverGrpcService}). See the README.
 *
 * @packageDocumentation
 */
export { DeliverError, type DeliverErrorCode } from './errors.js';
export { BACKOFF_EXPONENT_BASE, maxGrowingFailures, retryDelayMs } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export {
  DEFAULT_DELIVERY_SETTINGS,
  certificateDer,
  deliverySettings,
  deliverySettingsFromConfig,
  loadAddressOverrides,
  pemCertificates,
  tlsCertHash,
} from './settings.js';
export type { DeliveryClientSettings, DeliveryTlsSettings } from './settings.js';
export { ChannelOrderers, OrdererConnectionSource } from './endpoints.js';
export type { ConnectionEndpoint, OrdererAddressOverride } from './endpoints.js';
export { seekFromHeight, signedSeekEnvelope } from './seek.js';
export type { SeekEnvelopeOptions } from './seek.js';
export { createOrderingClient } from './ordering-client.js';
export type { OrderingClientHandle, OrderingClientOptions } from './ordering-client.js';
export { createBlockPuller } from './block-puller.js';
export type { BlockPuller, BlockPullerOptions, CommitBlock } from './block-puller.js';
export { createDeliveryClient } from './delivery-client.js';
export type { DeliveryClient, DeliveryClientOptions } from './delivery-client.js';
export { deliverGrpcService } from './server/grpc.js';
export { DeliverHandler } from './server/handler.js';
export type { DeliverCall, DeliverKind, DeliverServiceOptions } from './server/handler.js';
export { FilteredBlockError, toFilteredBlock } from './server/filtered.js';
export { eligiblePrivateData, ledgerPrivateDataSource } from './server/private-data.js';
export type {
  LedgerPrivateDataSourceOptions,
  PrivateDataSource,
  TxPrivateData,
} from './server/private-data.js';
export { SessionAccessControl, checkTlsBinding, identityExpiresAt } from './server/session.js';
