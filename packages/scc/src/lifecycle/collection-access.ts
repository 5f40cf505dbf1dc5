/**
 * Who may read and write a chaincode's private data collections (Fabric's core/common/privdata:
 * SimpleCollectionStore and SimpleCollection). Chaincode calls ask for the creator's permissions
 * (RetrieveReadWritePermission: `member_only_read` / `member_only_write`), DeliverWithPrivateData
 * asks whether a requester may read a collection (the peer's CheckCollectionPolicy). Both find the
 * collection's static configuration and evaluate its `member_orgs_policy` over signed data with the
 * channel's MSPs: this is the one place that does it.
 */
import type { SignedData } from '@fabric-peer/api';
import type { CollectionAccess } from '@fabric-peer/chaincode';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { SimpleQueryExecutor } from '@fabric-peer/ledger';
import { createSignaturePolicy, type Policy } from '@fabric-peer/policies';
import { common, protos } from '@fabric-peer/protos';
import { CollectionAccessError, messageOf } from './errors.js';

const EMPTY = new Uint8Array(0);

/**
 * Where a collection's configuration comes from (Fabric's DeployedChaincodeInfoProvider
 * CollectionInfo); {@link LifecycleCollections} is the peer's.
 */
export interface CollectionInfoProvider {
  /**
   * The static configuration of `collection` of chaincode `namespace`, or undefined when it has
   * none by that name. Reads state through `qe` (in a simulation, into its read set).
   */
  collectionInfo(
    channelId: string,
    namespace: string,
    collection: string,
    qe: SimpleQueryExecutor,
  ): Promise<protos.IStaticCollectionConfig | undefined>;
}

/** Options of {@link CollectionStore}. */
export interface CollectionStoreOptions {
  /**
   * The joined channels: each one's MSPs (its current configuration) evaluate member policies,
   * and its ledger answers lookups made outside a transaction.
   */
  readonly channels: Pick<ChannelRegistry, 'get'>;
  readonly collections: CollectionInfoProvider;
}

/** What a collection's member policy decides for one creator. */
export interface ReadWritePermission {
  readonly read: boolean;
  readonly write: boolean;
}

/** Go's `%#v` of a privdata.CollectionCriteria, as Fabric's messages print it. */
function criteria(channelId: string, namespace: string, collection: string): string {
  const q = (s: string) => JSON.stringify(s);
  return `privdata.CollectionCriteria{Channel:${q(channelId)}, Collection:${q(collection)}, Namespace:${q(namespace)}}`;
}

function unmarshal<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array, what: string): T {
  try {
    return decode(bytes);
  } catch (err) {
    throw new CollectionAccessError(
      'PROPOSAL_MALFORMED',
      `error unmarshalling ${what}: ${messageOf(err)}`,
      { cause: err },
    );
  }
}

/**
 * Fabric's getSignedData: the proposal bytes, signed by the creator its signature header names.
 * The endorser checked that signature already; the member policy checks it again, as Fabric's.
 */
export function proposalSignedData(signedProposal: protos.ISignedProposal | undefined): SignedData {
  if (signedProposal === undefined || signedProposal === null) {
    // Fabric has a signed proposal for every chaincode call that can reach private data.
    throw new CollectionAccessError(
      'PROPOSAL_MALFORMED',
      'no signed proposal to check collection membership with',
    );
  }
  const data = signedProposal.proposalBytes ?? EMPTY;
  const proposal = unmarshal((b) => protos.Proposal.decode(b), data, 'Proposal');
  const header = unmarshal((b) => common.Header.decode(b), proposal.header ?? EMPTY, 'Header');
  const signatureHeader = unmarshal(
    (b) => common.SignatureHeader.decode(b),
    header.signatureHeader ?? EMPTY,
    'SignatureHeader',
  );
  return {
    data,
    identity: signatureHeader.creator ?? EMPTY,
    signature: signedProposal.signature ?? EMPTY,
  };
}

/**
 * The peer's collection store: chaincode support's {@link CollectionAccess} (Fabric's
 * RetrieveReadWritePermission) and the Deliver service's read check (Fabric's
 * CheckCollectionPolicy), over the chaincodes' collection configurations.
 *
 * A collection that is neither `member_only_read` nor `member_only_write` may be read and written
 * by anyone; otherwise the creator's (requester's) signed data is evaluated against the
 * collection's `member_orgs_policy`: a member may do both, anyone else what the flags leave open.
 * Implicit org collections are not member-only (Fabric 2.5).
 */
export class CollectionStore implements CollectionAccess {
  constructor(private readonly options: CollectionStoreOptions) {}

  /**
   * Fabric's RetrieveReadWritePermission for the creator of `signedProposal`, looking the
   * collection up through the transaction's simulator `qe` (its reads join the read set, as in
   * Fabric). Rejects with a {@link CollectionAccessError}: `collection <channel>/<cc>/<coll> could
   * not be found`, or `error setting up collection for collection criteria ...` when the
   * configuration has no usable member policy.
   */
  async permissions(
    channelId: string,
    namespace: string,
    collection: string,
    signedProposal: protos.ISignedProposal | undefined,
    qe: SimpleQueryExecutor,
  ): Promise<ReadWritePermission> {
    const config = await this.options.collections.collectionInfo(
      channelId,
      namespace,
      collection,
      qe,
    );
    if (config === undefined) {
      throw new CollectionAccessError(
        'COLLECTION_NOT_FOUND',
        `collection ${channelId}/${namespace}/${collection} could not be found`,
      );
    }
    // SimpleCollection.Setup comes first: a configuration without a member policy fails even
    // when nothing in it is member-only.
    const policy = this.#setUp(
      channelId,
      config,
      `error setting up collection for collection criteria ${criteria(channelId, namespace, collection)}`,
    );
    const memberOnlyRead = config.memberOnlyRead === true;
    const memberOnlyWrite = config.memberOnlyWrite === true;
    if (!memberOnlyRead && !memberOnlyWrite) return { read: true, write: true };
    if (await satisfies(policy, proposalSignedData(signedProposal))) {
      return { read: true, write: true };
    }
    return { read: !memberOnlyRead, write: !memberOnlyWrite };
  }

  /**
   * Fabric's CheckCollectionPolicy (DeliverWithPrivateData): whether `requester` may read the
   * collection as currently configured: always when it is not `member_only_read`, otherwise when
   * the requester satisfies its member policy. Rejects with a {@link CollectionAccessError} when
   * the collection is unknown (`no collection config was found for collection ...`) or cannot
   * be set up.
   */
  async readable(
    channelId: string,
    namespace: string,
    collection: string,
    requester: SignedData,
  ): Promise<boolean> {
    const config = await this.#lookup(channelId, namespace, collection);
    if (config === undefined) {
      throw new CollectionAccessError(
        'COLLECTION_NOT_FOUND',
        `no collection config was found for collection ${collection} for chaincode ${namespace}`,
      );
    }
    if (config.memberOnlyRead !== true) return true;
    const policy = this.#setUp(
      channelId,
      config,
      `error setting up collection  ${config.name ?? collection}`,
    );
    return satisfies(policy, requester);
  }

  /** The collection's member policy, or a CollectionAccessError whose message starts with `what`. */
  #setUp(channelId: string, config: protos.IStaticCollectionConfig, what: string): Policy {
    try {
      return this.memberPolicy(channelId, config);
    } catch (err) {
      throw new CollectionAccessError(
        err instanceof CollectionAccessError ? err.code : 'COLLECTION_CONFIG_INVALID',
        `${what}: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * Fabric's SimpleCollection AccessFilter: whether `signedData` (valid signature, identity of a
   * channel MSP) satisfies the collection's member policy. Throws as {@link memberPolicy}.
   */
  isMember(
    channelId: string,
    config: protos.IStaticCollectionConfig,
    signedData: SignedData,
  ): Promise<boolean> {
    return satisfies(this.memberPolicy(channelId, config), signedData);
  }

  /**
   * Fabric's SimpleCollection.Setup: the collection's `member_orgs_policy` compiled over the
   * channel's MSPs. Throws a {@link CollectionAccessError} with Fabric's reason (`Collection config
   * policy is nil`, `Collection config access policy is nil`, `failed constructing policy object
   * out of collection policy config: ...`).
   */
  memberPolicy(channelId: string, config: protos.IStaticCollectionConfig): Policy {
    const policyConfig = config.memberOrgsPolicy;
    if (policyConfig === null || policyConfig === undefined) {
      throw new CollectionAccessError(
        'COLLECTION_CONFIG_INVALID',
        'Collection config policy is nil',
      );
    }
    const envelope = policyConfig.signaturePolicy;
    if (envelope === null || envelope === undefined) {
      throw new CollectionAccessError(
        'COLLECTION_CONFIG_INVALID',
        'Collection config access policy is nil',
      );
    }
    const channel = this.options.channels.get(channelId);
    if (channel === undefined) {
      throw new CollectionAccessError('COLLECTION_LOOKUP_FAILED', `channel ${channelId} not found`);
    }
    try {
      return createSignaturePolicy(envelope, channel.bundle().deserializer);
    } catch (err) {
      throw new CollectionAccessError(
        'COLLECTION_CONFIG_INVALID',
        `failed constructing policy object out of collection policy config: ${messageOf(err)}`,
        { cause: err },
      );
    }
  }

  /** The collection's configuration, read through a query executor of its own. */
  async #lookup(
    channelId: string,
    namespace: string,
    collection: string,
  ): Promise<protos.IStaticCollectionConfig | undefined> {
    const failed = (message: string, cause: unknown) =>
      new CollectionAccessError('COLLECTION_LOOKUP_FAILED', message, { cause });
    const channel = this.options.channels.get(channelId);
    if (channel === undefined) {
      throw new CollectionAccessError('COLLECTION_LOOKUP_FAILED', `channel ${channelId} not found`);
    }
    let qe;
    try {
      qe = await channel.ledger.newQueryExecutor();
    } catch (err) {
      throw failed(
        `could not retrieve query executor for collection criteria ${criteria(channelId, namespace, collection)}: ${messageOf(err)}`,
        err,
      );
    }
    try {
      return await this.options.collections.collectionInfo(channelId, namespace, collection, qe);
    } catch (err) {
      throw failed(
        `error getting the collection config for chaincode ${namespace}: ${messageOf(err)}`,
        err,
      );
    } finally {
      qe.done();
    }
  }
}

/** The member filter: a signature that does not verify, or an unknown identity, is no member. */
async function satisfies(policy: Policy, signedData: SignedData): Promise<boolean> {
  try {
    await policy.evaluateSignedData([signedData]);
    return true;
  } catch {
    return false;
  }
}
