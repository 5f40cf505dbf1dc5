/**
 * What the rest of the peer sees of a channel: its ledger and its current configuration bundle,
 * and the registry of joined channels (Fabric's peer.Peer channel map).
 */
import type { common } from '@fabric-peer/protos';
import type { KvLedger } from '@fabric-peer/ledger';
import type { ChannelConfigBundle } from '@fabric-peer/policies';

/** One joined channel. */
export interface Channel {
  readonly id: string;
  readonly ledger: KvLedger;
  /** The current configuration; replaced when a config block commits. */
  bundle(): ChannelConfigBundle;
}

/** Told of each channel once it is usable (joined now, or restored at start). */
export type ChannelListener = (channel: Channel) => void;

/** The channels this peer has joined. */
export interface ChannelRegistry {
  get(channelId: string): Channel | undefined;
  /** Joined channel ids, in join order. */
  ids(): string[];
  /**
   * Fabric's cscc JoinChain: checks the config block, builds its bundle (refusing capabilities this
   * peer lacks), creates the ledger from it and makes the channel available. Throws ChannelError.
   */
  join(block: common.Block): Promise<Channel>;
  /** Calls `listener` for each channel, now for those already joined and later for new ones. */
  onChannel(listener: ChannelListener): () => void;
}
/** Identifier of the peer's ACL provider (policies' AclProvider over the joined channels). */
export const Acls: unique symbol = Symbol.for('@fabric-peer/channel/Acls');

/** Identifier of the {@link ChannelRegistry} in the peer's container. */
export const Channels: unique symbol = Symbol.for('@fabric-peer/channel/Channels');
