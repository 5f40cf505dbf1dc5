/**
 * The channel configuration read from its config group, as Fabric's common/channelconfig reads it:
 * the values of each group decoded by key (an unknown key is an error), checked, and one MSP built
 * per organisation.
 */
import { createHash } from 'node:crypto';

import { common, etcdraft, msp, orderer, protos } from '@fabric-peer/protos';

import {
  applicationCapabilities,
  channelCapabilities,
  ordererCapabilities,
  type ApplicationCapabilities,
  type ChannelCapabilities,
  type FabricLevel,
  type OrdererCapabilities,
} from './capabilities.js';
import type { TreeGroup } from './config-tree.js';
import { ChannelConfigError, messageOf } from './errors.js';
import { parseGoDuration } from './go-duration.js';
import type { ChannelMsp, ChannelMspManager, MspConfigHandler } from './msp.js';
import { sortedKeys, u64 } from './util.js';

/** Group names of the channel configuration. */
export const GroupKeys = {
  Channel: 'Channel',
  Orderer: 'Orderer',
  Application: 'Application',
  Consortiums: 'Consortiums',
} as const;

/** One organisation of the channel and its MSP. */
export interface OrgConfig {
  /** The org's group name in the config (often, not always, its MSP id). */
  readonly name: string;
  readonly mspId: string;
  /**
   * The MSP built for the org. As in Fabric, every org gets its own; when two orgs share an MSP id
   * (with identical configs), the channel's MSP manager keeps the first.
   */
  readonly msp: ChannelMsp;
  /** The org's `MSP` value as configured. */
  readonly mspConfig: msp.MSPConfig;
}

/** An application org: its MSP and its anchor peers. */
export interface ApplicationOrgConfig extends OrgConfig {
  readonly anchorPeers: readonly { readonly host: string; readonly port: number }[];
}

/** An orderer org: its MSP and its org-specific orderer endpoints. */
export interface OrdererOrgConfig extends OrgConfig {
  readonly endpoints: readonly string[];
}

/** A consortium (only in orderer system channels; kept for completeness). */
export interface ConsortiumConfig {
  readonly channelCreationPolicy: common.Policy;
  readonly organizations: ReadonlyMap<string, OrgConfig>;
}

/** The consensus metadata of `ConsensusType`, decoded according to its type. */
export type ConsensusMetadata =
  /** `etcdraft`: the consenters and the Raft options (`etcdraft.ConfigMetadata`). */
  | { readonly kind: 'etcdraft'; readonly metadata: etcdraft.ConfigMetadata }
  /** `BFT`: the SmartBFT options (`orderer.smartbft.Options`). */
  | { readonly kind: 'BFT'; readonly options: orderer.smartbft.Options }
  /** Any other type (`solo`, `kafka`), or empty metadata: nothing to decode. */
  | { readonly kind: 'none' }
  /**
   * The metadata does not decode. The peer does not need it (Fabric's peer never decodes it), so
   * this is not an error.
   */
  | { readonly kind: 'undecodable'; readonly error: string };

/** The values of the `/Channel` group. */
export interface ChannelValues {
  /** `SHA256` or `SHA3_256`. */
  readonly hashingAlgorithm: string;
  /** The channel's hash function. */
  hash(data: Uint8Array): Uint8Array;
  /** Always 2^32-1 (Fabric refuses anything else). */
  readonly blockDataHashingStructureWidth: number;
  /** The global orderer addresses (`OrdererAddresses`). */
  readonly ordererAddresses: readonly string[];
  /** The consortium name (empty for channels created without a system channel). */
  readonly consortium: string;
  readonly capabilities: ChannelCapabilities;
  /** The v3 `Orderers` value's consenter mapping (empty below level '3'). */
  readonly consenterMapping: readonly common.Consenter[];
}

/** The `/Channel/Orderer` section. */
export interface OrdererSection {
  readonly consensusType: string;
  /** `ConsensusType.metadata` as configured. */
  readonly consensusMetadata: Uint8Array;
  readonly consensusState: orderer.ConsensusType.State;
  readonly consensus: ConsensusMetadata;
  readonly batchSize: {
    readonly maxMessageCount: number;
    readonly absoluteMaxBytes: number;
    readonly preferredMaxBytes: number;
  };
  /** `BatchTimeout.timeout` as configured (a Go duration, e.g. `2s`). */
  readonly batchTimeout: string;
  /** The batch timeout in nanoseconds, parsed as Go parses it. */
  readonly batchTimeoutNanos: bigint;
  readonly kafkaBrokers: readonly string[];
  /** `ChannelRestrictions.max_count` (0 when absent). */
  readonly maxChannelsCount: bigint;
  readonly capabilities: OrdererCapabilities;
  /** The v3 `Orderers` value's consenter mapping (empty below level '3'). */
  readonly consenterMapping: readonly common.Consenter[];
  readonly organizations: ReadonlyMap<string, OrdererOrgConfig>;
}

/** The `/Channel/Application` section. */
export interface ApplicationSection {
  readonly capabilities: ApplicationCapabilities;
  /** The `ACLs` value as configured: resource → policy_ref (empty when there is no ACLs value). */
  readonly acls: ReadonlyMap<string, string>;
  /**
   * Fabric's APIPolicyMapper: resource → absolute policy path. An empty `policy_ref` is dropped
   * (the default applies); a relative one is taken under `/Channel/Application/`.
   */
  readonly aclPolicyRefs: ReadonlyMap<string, string>;
  readonly organizations: ReadonlyMap<string, ApplicationOrgConfig>;
}

/** The `/Channel/Consortiums` section. */
export interface ConsortiumsSection {
  readonly consortiums: ReadonlyMap<string, ConsortiumConfig>;
}

/** Everything read from the channel group. */
export interface ChannelConfigSections {
  readonly channel: ChannelValues;
  readonly orderer?: OrdererSection;
  readonly application?: ApplicationSection;
  readonly consortiums?: ConsortiumsSection;
  readonly mspManager: ChannelMspManager;
}

function invalid(message: string, cause?: unknown): ChannelConfigError {
  return new ChannelConfigError(
    'CHANNEL_CONFIG_INVALID',
    message,
    cause === undefined ? {} : { cause },
  );
}

/** A decoder for each key a group accepts. */
type Decoders = Readonly<Record<string, (bytes: Uint8Array) => unknown>>;

/**
 * Fabric's DeserializeProtoValuesFromGroup: every value must have a known key and decode. Keys
 * absent from the group are absent from the result (Fabric then reads an empty message).
 */
function decodeValues(group: TreeGroup, decoders: Decoders): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const key of sortedKeys(group.values.keys())) {
    const decode = Object.hasOwn(decoders, key) ? decoders[key] : undefined;
    if (decode === undefined) throw invalid(`failed to deserialize values: Unexpected key ${key}`);
    try {
      out.set(key, decode((group.values.get(key) as { value: Uint8Array }).value));
    } catch (err) {
      throw invalid(`failed to deserialize values: ${messageOf(err)}`, err);
    }
  }
  return out;
}

function capabilityNames(value: unknown): string[] {
  const caps = value as common.Capabilities | undefined;
  return caps === undefined ? [] : Object.keys(caps.capabilities);
}

const CHANNEL_DECODERS = {
  HashingAlgorithm: (b: Uint8Array) => common.HashingAlgorithm.decode(b),
  BlockDataHashingStructure: (b: Uint8Array) => common.BlockDataHashingStructure.decode(b),
  OrdererAddresses: (b: Uint8Array) => common.OrdererAddresses.decode(b),
  Consortium: (b: Uint8Array) => common.Consortium.decode(b),
  Capabilities: (b: Uint8Array) => common.Capabilities.decode(b),
};
const ORDERER_DECODERS = {
  ConsensusType: (b: Uint8Array) => orderer.ConsensusType.decode(b),
  BatchSize: (b: Uint8Array) => orderer.BatchSize.decode(b),
  BatchTimeout: (b: Uint8Array) => orderer.BatchTimeout.decode(b),
  KafkaBrokers: (b: Uint8Array) => orderer.KafkaBrokers.decode(b),
  ChannelRestrictions: (b: Uint8Array) => orderer.ChannelRestrictions.decode(b),
  Capabilities: (b: Uint8Array) => common.Capabilities.decode(b),
};
const ORDERERS_DECODER = { Orderers: (b: Uint8Array) => common.Orderers.decode(b) };
const MSP_DECODER = { MSP: (b: Uint8Array) => msp.MSPConfig.decode(b) };

/** Reads the channel group (Fabric's NewChannelConfig). */
export async function readChannelConfig(
  channelGroup: TreeGroup,
  handlerFor: (version: ChannelCapabilities['mspVersion']) => MspConfigHandler,
  level: FabricLevel,
): Promise<ChannelConfigSections> {
  const values = decodeValues(channelGroup, {
    ...CHANNEL_DECODERS,
    ...(level === '3' ? ORDERERS_DECODER : {}),
  });
  const capabilities = channelCapabilities(capabilityNames(values.get('Capabilities')), level);

  const hashing =
    (values.get('HashingAlgorithm') as common.HashingAlgorithm | undefined)?.name ?? '';
  let hashName: string;
  if (hashing === 'SHA256') hashName = 'sha256';
  else if (hashing === 'SHA3_256') hashName = 'sha3-256';
  else throw invalid(`Unknown hashing algorithm type: ${hashing}`);

  const width =
    (values.get('BlockDataHashingStructure') as common.BlockDataHashingStructure | undefined)
      ?.width ?? 0;
  if (width !== 0xffffffff) {
    throw invalid('BlockDataHashStructure width only supported at MaxUint32 in this version');
  }
  const ordererAddresses =
    (values.get('OrdererAddresses') as common.OrdererAddresses | undefined)?.addresses ?? [];
  if (!capabilities.orgSpecificOrdererEndpoints && ordererAddresses.length === 0) {
    throw invalid('Must set some OrdererAddresses');
  }
  if (capabilities.consensusTypeBFT && ordererAddresses.length > 0) {
    throw invalid(
      'global OrdererAddresses are not allowed with V3_0 capability, use org specific addresses only',
    );
  }

  const handler = handlerFor(capabilities.mspVersion);
  let ordererSection: OrdererSection | undefined;
  let applicationSection: ApplicationSection | undefined;
  let consortiumsSection: ConsortiumsSection | undefined;
  for (const name of sortedKeys(channelGroup.groups.keys())) {
    const group = channelGroup.groups.get(name) as TreeGroup;
    if (
      name !== GroupKeys.Application &&
      name !== GroupKeys.Orderer &&
      name !== GroupKeys.Consortiums
    ) {
      throw invalid(`Disallowed channel group: ${name}`);
    }
    try {
      if (name === GroupKeys.Application) {
        applicationSection = await readApplication(group, handler);
      } else if (name === GroupKeys.Orderer) {
        ordererSection = await readOrderer(group, handler, capabilities, level);
      } else {
        consortiumsSection = await readConsortiums(group, handler);
      }
    } catch (err) {
      throw invalid(`could not create channel ${name} sub-group config: ${messageOf(err)}`, err);
    }
  }

  const consenterMapping =
    (values.get('Orderers') as common.Orderers | undefined)?.consenterMapping ?? [];
  const channel: ChannelValues = {
    hashingAlgorithm: hashing,
    hash: (data) => new Uint8Array(createHash(hashName).update(data).digest()),
    blockDataHashingStructureWidth: width,
    ordererAddresses,
    consortium: (values.get('Consortium') as common.Consortium | undefined)?.name ?? '',
    capabilities,
    consenterMapping: consenterMapping as common.Consenter[],
  };
  return {
    channel,
    ...(ordererSection ? { orderer: ordererSection } : {}),
    ...(applicationSection ? { application: applicationSection } : {}),
    ...(consortiumsSection ? { consortiums: consortiumsSection } : {}),
    mspManager: handler.createManager(),
  };
}

/** Fabric's OrganizationConfig.Validate: builds the org's MSP; its MSP id must not be empty. */
async function readOrg(
  name: string,
  values: Map<string, unknown>,
  handler: MspConfigHandler,
): Promise<OrgConfig> {
  const mspConfig = (values.get('MSP') as msp.MSPConfig | undefined) ?? msp.MSPConfig.create();
  const made = await handler.propose(mspConfig);
  if (made.mspId === '') throw invalid(`MSP for org ${name} has empty MSP ID`);
  return { name, mspId: made.mspId, msp: made, mspConfig };
}

async function readApplication(
  group: TreeGroup,
  handler: MspConfigHandler,
): Promise<ApplicationSection> {
  const values = decodeValues(group, {
    ACLs: (b) => protos.ACLs.decode(b),
    Capabilities: (b) => common.Capabilities.decode(b),
  });
  const capabilities = applicationCapabilities(capabilityNames(values.get('Capabilities')));
  if (!capabilities.acls && group.values.has('ACLs')) {
    throw invalid('ACLs may not be specified without the required capability');
  }
  const acls = new Map<string, string>();
  const aclPolicyRefs = new Map<string, string>();
  const aclValue = values.get('ACLs') as protos.ACLs | undefined;
  for (const resource of sortedKeys(Object.keys(aclValue?.acls ?? {}))) {
    const ref = aclValue?.acls[resource]?.policyRef ?? '';
    acls.set(resource, ref);
    if (ref.length === 0) continue;
    aclPolicyRefs.set(resource, ref.startsWith('/') ? ref : `/Channel/Application/${ref}`);
  }

  const organizations = new Map<string, ApplicationOrgConfig>();
  for (const name of sortedKeys(group.groups.keys())) {
    const orgGroup = group.groups.get(name) as TreeGroup;
    if (orgGroup.groups.size > 0) throw invalid('ApplicationOrg config does not allow sub-groups');
    const orgValues = decodeValues(orgGroup, {
      AnchorPeers: (b) => protos.AnchorPeers.decode(b),
      ...MSP_DECODER,
    });
    const org = await readOrg(name, orgValues, handler);
    const anchors =
      (orgValues.get('AnchorPeers') as protos.AnchorPeers | undefined)?.anchorPeers ?? [];
    organizations.set(name, {
      ...org,
      anchorPeers: anchors.map((a) => ({ host: a.host ?? '', port: a.port ?? 0 })),
    });
  }
  return { capabilities, acls, aclPolicyRefs, organizations };
}

/** Decodes the consensus metadata by type; never throws. */
export function decodeConsensusMetadata(type: string, metadata: Uint8Array): ConsensusMetadata {
  try {
    if (type === 'etcdraft') {
      return { kind: 'etcdraft', metadata: etcdraft.ConfigMetadata.decode(metadata) };
    }
    if (type === 'BFT') return { kind: 'BFT', options: orderer.smartbft.Options.decode(metadata) };
  } catch (err) {
    return { kind: 'undecodable', error: messageOf(err) };
  }
  return { kind: 'none' };
}

/** Go's broker check (Fabric v2.5 `brokerEntrySeemsValid`). */
function brokerEntrySeemsValid(broker: string): boolean {
  if (!broker.includes(':')) return false;
  const parts = broker.split(':');
  if (parts.length > 2) return false;
  const [host, port] = parts as [string, string];
  if (!/^[0-9]+$/.test(port) || BigInt(port) > 65535n) return false;
  // Go accepts an empty host (its FindString finds "" and compares lengths).
  return host === '' || /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9])$/.test(host);
}

async function readOrderer(
  group: TreeGroup,
  handler: MspConfigHandler,
  channelCaps: ChannelCapabilities,
  level: FabricLevel,
): Promise<OrdererSection> {
  const values = decodeValues(group, {
    ...ORDERER_DECODERS,
    ...(level === '3' ? ORDERERS_DECODER : {}),
  });
  const batchSize =
    (values.get('BatchSize') as orderer.BatchSize | undefined) ?? orderer.BatchSize.create();
  if (batchSize.maxMessageCount === 0) {
    throw invalid('Attempted to set the batch size max message count to an invalid value: 0');
  }
  if (batchSize.absoluteMaxBytes === 0) {
    throw invalid('Attempted to set the batch size absolute max bytes to an invalid value: 0');
  }
  if (batchSize.preferredMaxBytes === 0) {
    throw invalid('Attempted to set the batch size preferred max bytes to an invalid value: 0');
  }
  if (batchSize.preferredMaxBytes > batchSize.absoluteMaxBytes) {
    throw invalid(
      `Attempted to set the batch size preferred max bytes (${batchSize.preferredMaxBytes}) greater ` +
        `than the absolute max bytes (${batchSize.absoluteMaxBytes}).`,
    );
  }
  const batchTimeout =
    (values.get('BatchTimeout') as orderer.BatchTimeout | undefined)?.timeout ?? '';
  let batchTimeoutNanos: bigint;
  try {
    batchTimeoutNanos = parseGoDuration(batchTimeout);
  } catch (err) {
    throw invalid(`Attempted to set the batch timeout to a invalid value: ${messageOf(err)}`, err);
  }
  if (batchTimeoutNanos <= 0n) {
    throw invalid(
      `Attempted to set the batch timeout to a non-positive value: ${formatGoDuration(batchTimeoutNanos)}`,
    );
  }
  const kafkaBrokers =
    (values.get('KafkaBrokers') as orderer.KafkaBrokers | undefined)?.brokers ?? [];
  if (level === '2.5') {
    for (const broker of kafkaBrokers) {
      if (!brokerEntrySeemsValid(broker)) throw invalid(`Invalid broker entry: ${broker}`);
    }
  }

  const organizations = new Map<string, OrdererOrgConfig>();
  for (const name of sortedKeys(group.groups.keys())) {
    const orgGroup = group.groups.get(name) as TreeGroup;
    if (orgGroup.groups.size > 0) throw invalid('OrdererOrg config does not allow sub-groups');
    if (!channelCaps.orgSpecificOrdererEndpoints && orgGroup.values.has('Endpoints')) {
      throw invalid(
        `Orderer Org ${name} cannot contain endpoints value until V1_4_2+ capabilities have been enabled`,
      );
    }
    const orgValues = decodeValues(orgGroup, {
      Endpoints: (b) => common.OrdererAddresses.decode(b),
      ...MSP_DECODER,
    });
    const org = await readOrg(name, orgValues, handler);
    const endpoints =
      (orgValues.get('Endpoints') as common.OrdererAddresses | undefined)?.addresses ?? [];
    organizations.set(name, { ...org, endpoints });
  }
  if (channelCaps.consensusTypeBFT) {
    const missing = [...organizations.values()].filter((o) => o.endpoints.length === 0);
    if (missing.length > 0) {
      throw invalid(
        `some orderer organizations endpoints are empty: [${missing.map((o) => o.name).join(' ')}]`,
      );
    }
  }

  const consensus =
    (values.get('ConsensusType') as orderer.ConsensusType | undefined) ??
    orderer.ConsensusType.create();
  const restrictions = values.get('ChannelRestrictions') as orderer.ChannelRestrictions | undefined;
  return {
    consensusType: consensus.type,
    consensusMetadata: consensus.metadata,
    consensusState: consensus.state,
    consensus: decodeConsensusMetadata(consensus.type, consensus.metadata),
    batchSize: {
      maxMessageCount: batchSize.maxMessageCount,
      absoluteMaxBytes: batchSize.absoluteMaxBytes,
      preferredMaxBytes: batchSize.preferredMaxBytes,
    },
    batchTimeout,
    batchTimeoutNanos,
    kafkaBrokers,
    maxChannelsCount: u64(restrictions?.maxCount),
    capabilities: ordererCapabilities(capabilityNames(values.get('Capabilities'))),
    consenterMapping: ((values.get('Orderers') as common.Orderers | undefined)?.consenterMapping ??
      []) as common.Consenter[],
    organizations,
  };
}

async function readConsortiums(
  group: TreeGroup,
  handler: MspConfigHandler,
): Promise<ConsortiumsSection> {
  // Fabric reads no values at this level.
  const consortiums = new Map<string, ConsortiumConfig>();
  for (const name of sortedKeys(group.groups.keys())) {
    const consortiumGroup = group.groups.get(name) as TreeGroup;
    const values = decodeValues(consortiumGroup, {
      ChannelCreationPolicy: (b) => common.Policy.decode(b),
    });
    const organizations = new Map<string, OrgConfig>();
    for (const orgName of sortedKeys(consortiumGroup.groups.keys())) {
      const orgGroup = consortiumGroup.groups.get(orgName) as TreeGroup;
      if (orgGroup.groups.size > 0) throw invalid('organizations do not support sub-groups');
      const orgValues = decodeValues(orgGroup, MSP_DECODER);
      organizations.set(orgName, await readOrg(orgName, orgValues, handler));
    }
    consortiums.set(name, {
      channelCreationPolicy:
        (values.get('ChannelCreationPolicy') as common.Policy | undefined) ??
        common.Policy.create(),
      organizations,
    });
  }
  return { consortiums };
}

/** Go's `Duration.String()`, for the one message that prints a duration. */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const neg = nanos < 0n;
  let u = neg ? -nanos : nanos;
  let out: string;
  if (u < 1_000_000_000n) {
    // sub-second: ns, µs or ms with a fraction
    let unit: string;
    let prec: number;
    if (u < 1_000n) return `${neg ? '-' : ''}${u}ns`;
    if (u < 1_000_000n) {
      unit = 'µs';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    out = fraction(u, prec) + unit;
  } else {
    out = fraction(u % 60_000_000_000n, 9) + 's';
    u /= 60_000_000_000n;
    if (u > 0n) {
      out = `${u % 60n}m` + out;
      u /= 60n;
      if (u > 0n) out = `${u}h` + out;
    }
  }
  return (neg ? '-' : '') + out;
}

function fraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const whole = v / scale;
  let frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  if (frac.length > 0) frac = '.' + frac;
  return `${whole}${frac}`;
}
