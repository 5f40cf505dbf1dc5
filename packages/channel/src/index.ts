/**
 * `@fabric-peer/channel`: the channels a peer has joined, each with its ledger and its current
 * configuration bundle; joining from a config block; restoring at start.
 *
 * @packageDocumentation
 */
export {
  Acls,
  Channels,
  type Channel,
  type ChannelListener,
  type ChannelRegistry,
} from './types.js';
export { ChannelManager, checkJoinBlock, type ChannelManagerOptions } from './manager.js';
export { ChannelError, type ChannelErrorCode } from './errors.js';
