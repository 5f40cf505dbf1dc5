/**
 * `@fabric-peer/deliver/test-support`: a fake ordering node (a real grpc-js AtomicBroadcast
 * server serving blocks from a list), a test network whose channel names real orderer addresses
 * with TLS, and block helpers. For tests only.
 */
export {
  FakeOrderer,
  type BroadcastAnswer,
  type DeliverFault,
  type FakeOrdererOptions,
  type FakeOrdererTls,
  type SeekRecord,
} from './fake-orderer.js';
export {
  makeOrdererNetwork,
  type OrdererNetwork,
  type OrdererNetworkOptions,
  type OrdererTlsFiles,
} from './network.js';
export {
  configTxOf,
  endorserTxWithEvent,
  genesisConfig,
  randomTxId,
  waitUntil,
  type EventTxOptions,
} from './blocks.js';
export { RecordingMetrics } from './metrics.js';
export { TestDeliverClient, TestDeliverStream, type StreamItem } from './deliver-client.js';
