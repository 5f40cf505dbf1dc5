/**
 * The channel configuration bundle (Fabric's channelconfig.Bundle): everything derived from one
 * channel configuration, immutable, replaced as a whole when a config update is applied.
 */
import type { IdentityDeserializer, Logger } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';

import type {
  ApplicationCapabilities,
  ChannelCapabilities,
  FabricLevel,
  OrdererCapabilities,
} from './capabilities.js';
import {
  readChannelConfig,
  type ApplicationSection,
  type ChannelValues,
  type ConsortiumsSection,
  type OrdererSection,
} from './channel-config.js';
import { groupFromTree, treeFromGroup, type TreeGroup } from './config-tree.js';
import { channelIdProblem, mapConfig, type ConfigElement } from './configmap.js';
import { ChannelConfigError, messageOf } from './errors.js';
import { ROOT_GROUP, buildPolicyManager, type PolicyManager } from './manager.js';
import {
  MspConfigHandler,
  type ChannelMspFactory,
  type ChannelMspManager,
  type ChannelMspManagerFactory,
} from './msp.js';
import { bytesOf, u64 } from './util.js';
import { x509MspFactory } from './x509.js';

/** What a bundle is built with. */
export interface BundleOptions {
  /** Builds each org's MSP from its `MSP` config value; default: the X.509 MSP ({@link x509MspFactory}). */
  readonly mspFactory?: ChannelMspFactory;
  /** Builds the channel's MSP manager; default {@link createMspManager} (Fabric's lookup by MSP id). */
  readonly mspManagerFactory?: ChannelMspManagerFactory;
  /** Which Fabric release's rules to follow; default `'2.5'`. */
  readonly level?: FabricLevel;
  /** Receives warnings (skipped signers, sanity checks). */
  readonly logger?: Logger;
}

/** One orderer org's endpoints and the TLS roots to dial them with. */
export interface OrdererOrgEndpoints {
  readonly mspId: string;
  /** The org's `Endpoints` addresses. */
  readonly addresses: readonly string[];
  /** The org MSP's TLS root certificates, then its TLS intermediate certificates (as in Fabric). */
  readonly rootCerts: readonly Uint8Array[];
}

/** The orderer endpoints of the channel: global (`/Channel/OrdererAddresses`) and per org. */
export interface OrdererEndpoints {
  readonly global: readonly string[];
  /** By org group name. */
  readonly orgs: ReadonlyMap<string, OrdererOrgEndpoints>;
}

/** An address to dial and the TLS roots to trust for it. */
export interface OrdererEndpoint {
  readonly address: string;
  readonly rootCerts: readonly Uint8Array[];
}

/**
 * An immutable view of one channel configuration (Fabric's channelconfig.Bundle plus the configtx
 * validator state): values, sections, MSPs, the policy manager, and what config updates are
 * checked against.
 */
export interface ChannelConfigBundle {
  readonly channelId: string;
  /** The config sequence (0 for the genesis config). */
  readonly sequence: bigint;
  /** The configuration as decoded. */
  readonly config: common.Config;
  /** The channel group in the form config updates are computed on. */
  readonly channelGroup: TreeGroup;
  /** Fabric's config map of the current config (see configtx). */
  readonly configMap: ReadonlyMap<string, ConfigElement>;
  readonly level: FabricLevel;

  readonly channel: ChannelValues;
  readonly orderer?: OrdererSection;
  readonly application?: ApplicationSection;
  readonly consortiums?: ConsortiumsSection;

  /** The channel's MSP manager (deserializes any member's identity). */
  readonly mspManager: ChannelMspManager;
  /** The identity deserializer of the channel (the MSP manager). */
  readonly deserializer: IdentityDeserializer;
  readonly policyManager: PolicyManager;
  readonly capabilities: {
    readonly channel: ChannelCapabilities;
    readonly orderer?: OrdererCapabilities;
    readonly application?: ApplicationCapabilities;
  };
  readonly ordererEndpoints: OrdererEndpoints;
  /** The options the bundle was built with (reused for the bundles of later configs). */
  readonly options: BundleOptions;

  /**
   * Fabric's peer check (`capabilitiesSupportedOrPanic`): the channel has an application section
   * and this peer supports every application and channel capability (orderer capabilities are not
   * checked by a peer). Throws `CAPABILITY_UNSUPPORTED`; Fabric panics instead.
   */
  assertPeerSupport(): void;
}

function malformed(message: string, cause?: unknown): ChannelConfigError {
  return new ChannelConfigError('CONFIG_MALFORMED', message, cause === undefined ? {} : { cause });
}

function invalid(message: string, cause?: unknown): ChannelConfigError {
  return new ChannelConfigError(
    'CHANNEL_CONFIG_INVALID',
    message,
    cause === undefined ? {} : { cause },
  );
}

/** Fabric's preValidate. */
function preValidate(group: TreeGroup): void {
  const ordererGroup = group.groups.get('Orderer');
  if (ordererGroup !== undefined && !ordererGroup.values.has('Capabilities')) {
    if (group.values.has('Capabilities')) {
      throw invalid('cannot enable channel capabilities without orderer support first');
    }
    if (group.groups.get('Application')?.values.has('Capabilities') === true) {
      throw invalid('cannot enable application capabilities without orderer support first');
    }
  }
}

/**
 * Fabric's NewBundle: builds the bundle of `config` for `channelId`. Throws a
 * {@link ChannelConfigError} (`CHANNEL_CONFIG_INVALID`) with Fabric's message:
 * `initializing channelconfig failed: ...`, `initializing policymanager failed: ...`,
 * `initializing configtx manager failed: ...`.
 */
export async function bundleFromConfig(
  config: common.Config,
  channelId: string,
  options: BundleOptions = {},
): Promise<ChannelConfigBundle> {
  const level = options.level ?? '2.5';
  if (config.channelGroup === null || config.channelGroup === undefined) {
    throw invalid('config must contain a channel group');
  }
  const channelGroup = treeFromGroup(config.channelGroup);
  preValidate(channelGroup);

  let sections: Awaited<ReturnType<typeof readChannelConfig>>;
  try {
    sections = await readChannelConfig(
      channelGroup,
      (version) =>
        new MspConfigHandler(
          version,
          options.mspFactory ?? x509MspFactory,
          options.mspManagerFactory,
        ),
      level,
    );
  } catch (err) {
    throw invalid(`initializing channelconfig failed: ${messageOf(err)}`, err);
  }

  let policyManager: PolicyManager;
  try {
    policyManager = buildPolicyManager(channelGroup, {
      deserializer: sections.mspManager,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (err) {
    throw invalid(`initializing policymanager failed: ${messageOf(err)}`, err);
  }

  const idProblem = channelIdProblem(channelId);
  if (idProblem !== undefined) {
    throw invalid(`initializing configtx manager failed: bad channel ID: ${idProblem}`);
  }
  let configMap: Map<string, ConfigElement>;
  try {
    configMap = mapConfig(channelGroup, ROOT_GROUP);
  } catch (err) {
    throw invalid(
      `initializing configtx manager failed: error converting config to map: ${messageOf(err)}`,
      err,
    );
  }

  const orgs = new Map<string, OrdererOrgEndpoints>();
  for (const [name, org] of sections.orderer?.organizations ?? []) {
    orgs.set(name, {
      mspId: org.mspId,
      addresses: org.endpoints,
      rootCerts: [...org.msp.tlsRootCerts, ...org.msp.tlsIntermediateCerts],
    });
  }

  const bundle: ChannelConfigBundle = {
    channelId,
    sequence: u64(config.sequence),
    config,
    channelGroup,
    configMap,
    level,
    channel: sections.channel,
    ...(sections.orderer ? { orderer: sections.orderer } : {}),
    ...(sections.application ? { application: sections.application } : {}),
    ...(sections.consortiums ? { consortiums: sections.consortiums } : {}),
    mspManager: sections.mspManager,
    deserializer: sections.mspManager,
    policyManager,
    capabilities: {
      channel: sections.channel.capabilities,
      ...(sections.orderer ? { orderer: sections.orderer.capabilities } : {}),
      ...(sections.application ? { application: sections.application.capabilities } : {}),
    },
    ordererEndpoints: { global: sections.channel.ordererAddresses, orgs },
    options,
    assertPeerSupport(): void {
      if (sections.application === undefined) {
        throw new ChannelConfigError(
          'CAPABILITY_UNSUPPORTED',
          `[channel ${channelId}] does not have application config so is incompatible`,
        );
      }
      try {
        sections.application.capabilities.assertSupported();
        sections.channel.capabilities.assertSupported();
      } catch (err) {
        throw new ChannelConfigError(
          'CAPABILITY_UNSUPPORTED',
          `[channel ${channelId}] incompatible: ${messageOf(err)}`,
          { cause: err },
        );
      }
    },
  };
  sanityChecks(bundle, options.logger);
  return bundle;
}

/** Fabric's LogSanityChecks: warns about missing standard policies. */
function sanityChecks(bundle: ChannelConfigBundle, logger: Logger | undefined): void {
  if (logger === undefined) return;
  const pm = bundle.policyManager;
  const wanted = ['/Channel/Readers', '/Channel/Writers'];
  if (pm.manager(['Application']) !== undefined) {
    wanted.push(
      '/Channel/Application/Readers',
      '/Channel/Application/Writers',
      '/Channel/Application/Admins',
    );
  }
  if (pm.manager(['Orderer']) !== undefined) {
    wanted.push(
      '/Channel/Orderer/BlockValidation',
      '/Channel/Orderer/Admins',
      '/Channel/Orderer/Writers',
      '/Channel/Orderer/Readers',
    );
  }
  for (const path of wanted) {
    if (pm.getPolicy(path) === undefined) {
      logger.warn(
        `Current configuration has no policy '${path}', this will likely cause problems in production systems`,
        { channel: bundle.channelId },
      );
    }
  }
}

/** Decodes `bytes` as `common.Block` unless it already is one. */
function asBlock(block: common.Block | Uint8Array): common.Block {
  if (!(block instanceof Uint8Array)) return block;
  try {
    return common.Block.decode(block);
  } catch (err) {
    throw malformed(`block does not decode: ${messageOf(err)}`, err);
  }
}

/** Fabric's ExtractEnvelope(block, 0). */
export function firstEnvelope(block: common.Block | Uint8Array): common.Envelope {
  const b = asBlock(block);
  if (b.data === null || b.data === undefined) throw malformed('block data is nil');
  const first = b.data.data?.[0];
  if (first === undefined) throw malformed('envelope index out of bounds');
  try {
    return common.Envelope.decode(first);
  } catch (err) {
    throw malformed(`block data does not carry an envelope at index 0: ${messageOf(err)}`, err);
  }
}

/**
 * Fabric's NewBundleFromEnvelope over the first envelope of a config block (the genesis block at
 * channel join): the channel id comes from the envelope's channel header.
 */
export async function bundleFromBlock(
  block: common.Block | Uint8Array,
  options: BundleOptions = {},
): Promise<ChannelConfigBundle> {
  const envelope = firstEnvelope(block);
  let payload: common.Payload;
  try {
    payload = common.Payload.decode(envelope.payload);
  } catch (err) {
    throw malformed(`failed to unmarshal payload from envelope: ${messageOf(err)}`, err);
  }
  let configEnvelope: common.ConfigEnvelope;
  try {
    configEnvelope = common.ConfigEnvelope.decode(payload.data);
  } catch (err) {
    throw malformed(`failed to unmarshal config envelope from payload: ${messageOf(err)}`, err);
  }
  if (payload.header === null || payload.header === undefined) {
    throw malformed('envelope header cannot be nil');
  }
  let channelHeader: common.ChannelHeader;
  try {
    channelHeader = common.ChannelHeader.decode(bytesOf(payload.header.channelHeader));
  } catch (err) {
    throw malformed(`failed to unmarshal channel header: ${messageOf(err)}`, err);
  }
  if (configEnvelope.config === null || configEnvelope.config === undefined) {
    throw invalid('channelconfig Config cannot be nil');
  }
  return bundleFromConfig(configEnvelope.config as common.Config, channelHeader.channelId, options);
}

/**
 * The endpoints a deliver client dials, as Fabric's orderer ConnectionSource picks them: when any
 * orderer org lists `Endpoints`, only those, each with its org's TLS roots; otherwise the global
 * addresses, each with the TLS roots of every orderer org. (Per-address overrides from core.yaml
 * are the deliver client's business.)
 */
export function connectableOrdererEndpoints(bundle: ChannelConfigBundle): OrdererEndpoint[] {
  const orgs = [...bundle.ordererEndpoints.orgs.values()];
  const perOrg = orgs.flatMap((org) =>
    org.addresses.map((address) => ({ address, rootCerts: org.rootCerts })),
  );
  if (perOrg.length > 0) return perOrg;
  const allRoots = orgs.flatMap((org) => org.rootCerts);
  return bundle.ordererEndpoints.global.map((address) => ({ address, rootCerts: allRoots }));
}

/** Re-encodes the bundle's channel group (for tests and tools). */
export function encodeChannelGroup(bundle: ChannelConfigBundle): Uint8Array {
  return common.ConfigGroup.encode(groupFromTree(bundle.channelGroup)).finish();
}
