/**
 * What is deployed on a channel, from `_lifecycle` with lscc as the fallback (Fabric's
 * ValidatorCommitter ChaincodeInfo / AllCollectionsConfigPkg and lscc's DeployedCCInfoProvider),
 * read through a query executor so that, in a simulation, the reads land in its read set exactly
 * as Fabric's do.
 */
import type {
  BlockToLiveSource,
  CollectionConfigProvider,
  SimpleQueryExecutor,
} from '@fabric-peer/ledger';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common, protos } from '@fabric-peer/protos';
import { collectionKey } from '../lscc.js';
import { decodeChaincodeData } from '../wire.js';
import type { CollectionInfoProvider } from './collection-access.js';
import { messageOf, refused, withMessage } from './errors.js';
import {
  LIFECYCLE_NAMESPACE,
  applicationMspIds,
  chaincodeDefinitionIfDefined,
  implicitCollectionForOrg,
  mspIdOfImplicitCollection,
  signedByNOutOfGivenRole,
} from './definition.js';
import type { ReadableState } from './serializer.js';

/** Reads of any namespace (the SimpleQueryExecutor's getState). */
export interface StateReader {
  getState(namespace: string, key: string): Promise<Uint8Array | undefined>;
}

/** `_lifecycle`'s public state seen through a StateReader (Fabric's SimpleQueryExecutorShim). */
export function lifecycleState(qe: StateReader): ReadableState {
  return { getState: (key) => qe.getState(LIFECYCLE_NAMESPACE, key) };
}

/** Fabric's ledger.DeployedChaincodeInfo, the parts `_lifecycle` uses. */
export interface DeployedChaincodeInfo {
  readonly name: string;
  readonly version: string;
  /** The explicit collections (null when there are none). */
  readonly explicitCollections: protos.ICollectionConfigPackage | null;
  readonly isLegacy: boolean;
}

/** lscc's ChaincodeInfo: the lscc definition of `name`, or undefined. */
export async function legacyChaincodeInfo(
  name: string,
  qe: StateReader,
): Promise<DeployedChaincodeInfo | undefined> {
  const bytes = await qe.getState('lscc', name);
  if (bytes === undefined) return undefined;
  let version: string;
  try {
    version = decodeChaincodeData(bytes).version;
  } catch (err) {
    throw refused(`error unmarshalling chaincode state data: ${messageOf(err)}`);
  }
  return { name, version, explicitCollections: await legacyCollections(name, qe), isLegacy: true };
}

/** lscc's fetchCollConfigPkg. */
async function legacyCollections(
  name: string,
  qe: StateReader,
): Promise<protos.CollectionConfigPackage | null> {
  const bytes = await qe.getState('lscc', collectionKey(name));
  if (bytes === undefined) return null;
  try {
    return protos.CollectionConfigPackage.decode(bytes);
  } catch (err) {
    throw refused(`error unmarshalling chaincode collection config pkg: ${messageOf(err)}`);
  }
}

/** Fabric's ValidatorCommitter.ChaincodeInfo: `_lifecycle`'s definition, else lscc's. */
export async function chaincodeInfo(
  name: string,
  qe: StateReader,
): Promise<DeployedChaincodeInfo | undefined> {
  let def;
  try {
    def = await chaincodeDefinitionIfDefined(name, lifecycleState(qe));
  } catch (err) {
    throw refused(`could not get info about chaincode: ${messageOf(err)}`);
  }
  if (def === undefined) return legacyChaincodeInfo(name, qe);
  return {
    name,
    version: def.endorsementInfo.version ?? '',
    explicitCollections: def.collections,
    isLegacy: false,
  };
}

/** How an org's implicit collection is disseminated (core.yaml `peer.gossip.pvtData.implicitCollectionDisseminationPolicy`). */
export interface ImplicitCollectionDissemination {
  /** `requiredPeerCount`, default 0. */
  readonly requiredPeerCount?: number;
  /** `maxPeerCount`, default 1. */
  readonly maxPeerCount?: number;
}

/**
 * Fabric's GenerateImplicitCollectionForOrg: members of the org only; this peer's own org gets
 * the configured dissemination counts, other orgs' collections 0.
 */
export function implicitCollectionConfig(
  mspId: string,
  localMspId: string,
  dissemination: ImplicitCollectionDissemination = {},
): protos.IStaticCollectionConfig {
  const mine = mspId === localMspId;
  const out: protos.IStaticCollectionConfig = {
    name: implicitCollectionForOrg(mspId),
    memberOrgsPolicy: {
      signaturePolicy: signedByNOutOfGivenRole(1, common.MSPRole.MSPRoleType.MEMBER, [mspId]),
    },
  };
  const required = mine ? (dissemination.requiredPeerCount ?? 0) : 0;
  const max = mine ? (dissemination.maxPeerCount ?? 1) : 0;
  if (required !== 0) out.requiredPeerCount = required;
  if (max !== 0) out.maximumPeerCount = max;
  return out;
}

/** Options of {@link LifecycleCollections}. */
export interface LifecycleCollectionsOptions {
  /** The current configuration of a joined channel. */
  readonly bundles: (channelId: string) => ChannelConfigBundle | undefined;
  /** This peer's MSP id. */
  readonly localMspId: string;
  readonly dissemination?: ImplicitCollectionDissemination;
}

/** The names of a package's static collections (Fabric skips other kinds). */
export function collectionNames(pkg: protos.ICollectionConfigPackage | null | undefined): string[] {
  return (pkg?.config ?? []).flatMap((c) => {
    const name = c.staticCollectionConfig?.name;
    return name ? [name] : [];
  });
}

/** The static configuration named `collection` in a package (Fabric skips other kinds). */
function findStatic(
  pkg: protos.ICollectionConfigPackage | null | undefined,
  collection: string,
): protos.IStaticCollectionConfig | undefined {
  for (const c of pkg?.config ?? []) {
    const config = c.staticCollectionConfig;
    if (config !== null && config !== undefined && config.name === collection) return config;
  }
  return undefined;
}

/**
 * A collection's configuration as {@link LifecycleCollections.collectionInfo} describes it;
 * `implicit` gives an implicit org collection's.
 */
async function staticCollection(
  namespace: string,
  collection: string,
  qe: StateReader,
  implicit: (mspId: string) => protos.IStaticCollectionConfig,
): Promise<protos.IStaticCollectionConfig | undefined> {
  let def;
  try {
    def = await chaincodeDefinitionIfDefined(namespace, lifecycleState(qe));
  } catch (err) {
    throw withMessage(err, 'could not get chaincode');
  }
  if (def === undefined) return findStatic(await legacyCollections(namespace, qe), collection);
  const mspId = mspIdOfImplicitCollection(collection);
  if (mspId !== undefined) return implicit(mspId);
  return findStatic(def.collections, collection);
}

/**
 * Where the ledger reads collections' block-to-live (Fabric's BTL policy over the collection info
 * provider): the `blockToLive` of the collection `_lifecycle` (or lscc) defines, 0 for an implicit
 * org collection (Fabric gives them none), undefined for no such collection. It reads committed
 * state only, so it serves the ledgers from their opening on, recovery included.
 */
export const lifecycleBlockToLive: BlockToLiveSource = {
  async blockToLive(_channelId, namespace, collection, state) {
    const config = await staticCollection(namespace, collection, state, () => ({}));
    if (config === undefined) return undefined;
    const btl = config.blockToLive ?? 0;
    // uint64: a Long (possibly signed) beyond 2^53 only needs to be too large to ever expire.
    return typeof btl === 'number' ? btl : Number(BigInt.asUintN(64, BigInt(btl.toString())));
  },
};

/**
 * The collections of a namespace, as the ledger checks private data against them (Fabric's
 * ValidatorCommitter.AllCollectionsConfigPkg): for `_lifecycle` and chaincodes it defines, the
 * explicit collections plus one implicit collection per application org; for lscc chaincodes, the
 * explicit ones only. Also one collection's configuration, for membership checks
 * ({@link LifecycleCollections.collectionInfo}).
 */
export class LifecycleCollections implements CollectionConfigProvider, CollectionInfoProvider {
  constructor(private readonly options: LifecycleCollectionsOptions) {}

  /**
   * Fabric's ValidatorCommitter.CollectionInfo: the configuration of one collection of a
   * namespace, or undefined when it has none by that name. For a chaincode `_lifecycle` defines,
   * an `_implicit_org_<MSPID>` name gives that org's implicit collection whatever the channel's
   * orgs (Fabric does not look); otherwise the definition's explicit collections, and for an lscc
   * chaincode lscc's `<name>~collection`. It reads exactly the keys Fabric reads, through `qe`,
   * so that in a simulation the read set is Fabric's.
   */
  collectionInfo(
    _channelId: string,
    namespace: string,
    collection: string,
    qe: StateReader,
  ): Promise<protos.IStaticCollectionConfig | undefined> {
    return staticCollection(namespace, collection, qe, (mspId) =>
      implicitCollectionConfig(mspId, this.options.localMspId, this.options.dissemination),
    );
  }

  async allCollectionsConfigPkg(
    channelId: string,
    namespace: string,
    qe: SimpleQueryExecutor,
  ): Promise<protos.CollectionConfigPackage | undefined> {
    const info = await chaincodeInfo(namespace, qe);
    // Fabric would dereference nil here; an undefined namespace simply has no collections.
    if (info === undefined) return undefined;
    if (info.isLegacy) {
      return info.explicitCollections === null
        ? undefined
        : protos.CollectionConfigPackage.create(info.explicitCollections);
    }
    const bundle = this.options.bundles(channelId);
    if (bundle === undefined) {
      throw refused(`could not get channelconfig for channel ${channelId}`);
    }
    if (bundle.application === undefined) {
      throw refused(`could not get application config for channel ${channelId}`);
    }
    const config: protos.ICollectionConfig[] = [...(info.explicitCollections?.config ?? [])];
    for (const mspId of applicationMspIds(bundle)) {
      config.push({
        staticCollectionConfig: implicitCollectionConfig(
          mspId,
          this.options.localMspId,
          this.options.dissemination,
        ),
      });
    }
    return protos.CollectionConfigPackage.create({ config });
  }
}
