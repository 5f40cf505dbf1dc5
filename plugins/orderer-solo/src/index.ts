/**
 * `@fabric-peer/orderer-solo`: a development ordering service. It serves Fabric's AtomicBroadcast
 * (Broadcast and Deliver) so that peers and clients use it exactly as a Fabric orderer, with one
 * solo chain per channel (Fabric's block cutting rules, blocks signed by the orderer's MSP
 * identity) kept on disk. For development only: one node, no fault tolerance. See the README.
 *
 * @packageDocumentation
 */
export {
  SoloOrderer,
  type OrdererChannelInfo,
  type PemInput,
  type SoloOrdererOptions,
  type SoloOrdererTls,
} from './orderer.js';
export { BroadcastRejection, OrdererError, type OrdererErrorCode } from './errors.js';
export {
  BlockCutter,
  messageSizeBytes,
  type BatchSize,
  type OrderedResult,
} from './blockcutter.js';
export { lastConfigIndex } from './blockwriter.js';
