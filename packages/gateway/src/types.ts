/**
 * What the gateway is built with. The peer wires these from its own parts: the endorser behind its
 * auth filters, the channel registry, the ACL provider, the ordering client, and `peer.gateway.*`.
 */
import type { Logger, OrderingClient, ProposalProcessor } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { AclProvider } from '@fabric-peer/policies';
import type { protos } from '@fabric-peer/protos';

/** A peer of the channel the gateway may ask for endorsements (until discovery provides them). */
export interface RemotePeer {
  /** `host:port` of the peer's Endorser service. */
  readonly endpoint: string;
  /** The peer's organization. */
  readonly mspId: string;
  /** PEM of the CA(s) that issued the peer's TLS certificate; absent: plaintext gRPC. */
  readonly tlsRootCertPem?: string;
}

/** `peer.gateway.*` timeouts, in milliseconds. */
export interface GatewaySettings {
  /** `peer.gateway.endorsementTimeout`: how long one endorsing peer may take to answer. */
  readonly endorsementTimeoutMs: number;
  /** `peer.gateway.broadcastTimeout`: how long the ordering service may take to accept a transaction. */
  readonly broadcastTimeoutMs: number;
  /** `peer.gateway.dialTimeout`: how long connecting to another peer may take. */
  readonly dialTimeoutMs: number;
}

/** The values of Fabric's sample core.yaml (30s, 30s, 2m). */
export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  endorsementTimeoutMs: 30_000,
  broadcastTimeoutMs: 30_000,
  dialTimeoutMs: 120_000,
};

/**
 * The endorsement policy of a chaincode on a channel, as its definition states it: for
 * `_lifecycle` chaincode the `ApplicationPolicy` of its ValidationInfo (a signature policy or a
 * reference to a channel config policy such as `/Channel/Application/Endorsement`); for legacy
 * chaincode, `{ signaturePolicy: <lscc ChaincodeData.policy> }`. Undefined when the peer cannot
 * tell; the gateway then asks one peer of every organization it knows. A rejection fails the
 * request (FAILED_PRECONDITION).
 */
export type EndorsementPolicySource = (
  channelId: string,
  chaincode: string,
) => Promise<protos.ApplicationPolicy.$Properties | undefined>;

/**
 * The organizations that are members of a private data collection of a chaincode (its
 * distribution policy), or undefined when not known.
 */
export type CollectionMembersSource = (
  channelId: string,
  chaincode: string,
  collection: string,
) => Promise<readonly string[] | undefined>;

/** The options of {@link GatewayServer}. */
export interface GatewayServerOptions {
  /** The peer's own endorser, behind its auth filters. */
  readonly localEndorser: ProposalProcessor;
  readonly channels: ChannelRegistry;
  readonly acl: AclProvider;
  readonly orderingClient: OrderingClient;
  /** Peers of the channel other than this one (other organizations, or more of this one). */
  readonly remotePeers?: (channelId: string) => readonly RemotePeer[];
  /** This peer's organization. */
  readonly localMspId: string;
  /** This peer's address, for error details (Fabric's gossip endpoint); default ''. */
  readonly localEndpoint?: string;
  /** The chaincode endorsement policies (see {@link EndorsementPolicySource}). */
  readonly policyFor?: EndorsementPolicySource;
  /**
   * Collection membership, so that endorsements touching private data go to member organizations
   * only. Without it, a proposal carrying transient data is endorsed in this organization only.
   */
  readonly collectionMembers?: CollectionMembersSource;
  /** The TLS client certificate and key presented to remote peers that require one. */
  readonly clientTls?: { readonly certPem: string; readonly keyPem: string };
  /** `peer.gateway.*`; defaults as {@link DEFAULT_GATEWAY_SETTINGS}. */
  readonly settings?: Partial<GatewaySettings>;
  readonly logger: Logger;
}
