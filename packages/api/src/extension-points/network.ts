/**
 * How the peer reaches other nodes: the ordering service (blocks in, transactions out) and gossip
 * with other peers. Each has an explicit disabled or default implementation chosen by config.
 */
import type { common, orderer } from '@fabric-peer/protos';

/** Talks Fabric's AtomicBroadcast protocol to a channel's orderers. */
export interface OrderingClient {
  /** Sends one envelope; resolves with the orderer's status. */
  broadcast(channelId: string, envelope: common.IEnvelope): Promise<orderer.IBroadcastResponse>;
  /**
   * Streams the answer to a signed `DELIVER_SEEK_INFO` envelope until the stop position, an error
   * status, or `signal` aborts.
   */
  deliver(
    channelId: string,
    seekEnvelope: common.IEnvelope,
    signal?: AbortSignal,
  ): AsyncIterable<orderer.IDeliverResponse>;
}
/** Identifier of {@link OrderingClient} contributions. */
export const OrderingClient: unique symbol = Symbol.for('@fabric-peer/api/OrderingClient');

/** A peer known through gossip or configuration. */
export interface NetworkMember {
  readonly endpoint: string;
  readonly mspId: string;
  /** Serialized identity. */
  readonly identity: Uint8Array;
  /** Ledger height, when the member advertises it. */
  readonly ledgerHeight?: number;
  /** Chaincodes installed, by name, when advertised. */
  readonly chaincodes?: readonly string[];
}

/** Membership and dissemination among a channel's peers (`peer.gossip.*`). */
export interface GossipService {
  /** Starts gossiping on a channel the peer joined; `anchorPeers` come from its config. */
  joinChannel(channelId: string, anchorPeers: readonly string[]): Promise<void>;
  leaveChannel(channelId: string): Promise<void>;
  /** Peers currently alive on the channel, this peer excluded. */
  peersOfChannel(channelId: string): readonly NetworkMember[];
}
/** Identifier of {@link GossipService} contributions. */
export const GossipService: unique symbol = Symbol.for('@fabric-peer/api/GossipService');
