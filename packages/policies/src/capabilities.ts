/**
 * Capabilities (Fabric's common/capabilities): the names a channel, its orderer and its application
 * section enable, whether this peer supports them, and the flags Fabric derives from them.
 */
import { mspVersionForCapabilities, type MspVersion } from '@fabric-peer/msp';
import { ChannelConfigError } from './errors.js';
import { sortedKeys } from './util.js';

/**
 * Which Fabric release's channel-configuration rules to follow. `'2.5'` (the default) is Fabric
 * v2.5: the `V3_0` channel capability is unsupported and an `Orderers` value is an unexpected key.
 * `'3'` adds what Fabric v3 accepts: `V3_0` (MSP v3.0, BFT, no global orderer addresses), the
 * `Orderers` (consenter mapping) values, and the v3 default ACL resources.
 */
export type FabricLevel = '2.5' | '3';

/** The MSP version a channel asks for: the X.509 MSP's own type. */
export type { MspVersion };

/** A set of enabled capabilities and whether this peer supports all of them. */
export interface Capabilities {
  /** `Channel`, `Orderer` or `Application`, as in Fabric's messages. */
  readonly type: 'Channel' | 'Orderer' | 'Application';
  /** The enabled capability names, as in the config (`V2_0`, ...). */
  readonly names: ReadonlySet<string>;
  /** The enabled names this peer does not support, sorted. */
  readonly unsupported: readonly string[];
  /**
   * Throws a `CAPABILITY_UNSUPPORTED` {@link ChannelConfigError} (`<Type> capability <name> is
   * required but not supported`) unless every enabled capability is supported.
   */
  assertSupported(): void;
  has(name: string): boolean;
}

/** Channel-level capabilities and what Fabric derives from them. */
export interface ChannelCapabilities extends Capabilities {
  readonly type: 'Channel';
  readonly mspVersion: MspVersion;
  readonly consensusTypeMigration: boolean;
  readonly orgSpecificOrdererEndpoints: boolean;
  /** V3_0 (only with level '3'). */
  readonly consensusTypeBFT: boolean;
}

/** Orderer-level capabilities. */
export interface OrdererCapabilities extends Capabilities {
  readonly type: 'Orderer';
  readonly predictableChannelTemplate: boolean;
  readonly resubmission: boolean;
  readonly expirationCheck: boolean;
  readonly consensusTypeMigration: boolean;
  readonly useChannelCreationPolicyAsAdmins: boolean;
}

/** Application-level capabilities. */
export interface ApplicationCapabilities extends Capabilities {
  readonly type: 'Application';
  /** ACLs may be set in the channel configuration (V1_2 and later). */
  readonly acls: boolean;
  readonly forbidDuplicateTxIdInBlock: boolean;
  readonly privateChannelData: boolean;
  readonly collectionUpgrade: boolean;
  readonly v1_1Validation: boolean;
  readonly v1_2Validation: boolean;
  readonly v1_3Validation: boolean;
  /** The v2.0 validation (new lifecycle, implicit collections). */
  readonly v2_0Validation: boolean;
  /** The `_lifecycle` (V2_0) chaincode lifecycle on the endorsing side. */
  readonly lifecycleV20: boolean;
  /** Always false in Fabric v2.5. */
  readonly metadataLifecycle: boolean;
  readonly keyLevelEndorsement: boolean;
  readonly storePvtDataOfInvalidTx: boolean;
  /** V2_5: private data purge. */
  readonly purgePvtData: boolean;
}

const SUPPORTED = {
  Channel: new Set(['V1_1', 'V1_3', 'V1_4_2', 'V1_4_3', 'V2_0']),
  Orderer: new Set(['V1_1', 'V1_4_2', 'V2_0']),
  Application: new Set([
    'V1_1',
    'V1_2',
    'V1_3',
    'V1_4_2',
    'V2_0',
    'V2_5',
    'V1_1_PVTDATA_EXPERIMENTAL',
    'V1_1_RESOURCETREE_EXPERIMENTAL',
  ]),
} as const;

function base<T extends Capabilities['type']>(
  type: T,
  names: Iterable<string>,
  supported: ReadonlySet<string>,
): Capabilities & { type: T } {
  const set = new Set(names);
  const unsupported = sortedKeys([...set].filter((n) => !supported.has(n)));
  return {
    type,
    names: set,
    unsupported,
    has: (name: string) => set.has(name),
    assertSupported(): void {
      const first = unsupported[0];
      if (first !== undefined) {
        throw new ChannelConfigError(
          'CAPABILITY_UNSUPPORTED',
          `${type} capability ${first} is required but not supported`,
          { details: { type, capability: first, unsupported } },
        );
      }
    },
  };
}

/** Fabric's ChannelProvider over the enabled names. */
export function channelCapabilities(
  names: Iterable<string>,
  level: FabricLevel = '2.5',
): ChannelCapabilities {
  const supported = new Set<string>(SUPPORTED.Channel);
  if (level === '3') supported.add('V3_0');
  const b = base('Channel', names, supported);
  const v142 = b.has('V1_4_2');
  const v143 = b.has('V1_4_3');
  const v20 = b.has('V2_0');
  // Only a level-3 peer knows V3_0; a v2.5 peer ignores it (and refuses it as unsupported).
  const v30 = level === '3' && b.has('V3_0');
  // The X.509 MSP's own mapping; a v2.5 peer does not know V3_0.
  const mspVersion = mspVersionForCapabilities(
    v30 ? b.names : [...b.names].filter((n) => n !== 'V3_0'),
  );
  return {
    ...b,
    mspVersion,
    consensusTypeMigration: v142 || v143 || v20 || v30,
    orgSpecificOrdererEndpoints: v142 || v143 || v20 || v30,
    consensusTypeBFT: v30,
  };
}

/** Fabric's OrdererProvider over the enabled names. */
export function ordererCapabilities(names: Iterable<string>): OrdererCapabilities {
  const b = base('Orderer', names, SUPPORTED.Orderer);
  const v11 = b.has('V1_1');
  const v142 = b.has('V1_4_2');
  const v20 = b.has('V2_0');
  return {
    ...b,
    predictableChannelTemplate: v11 || v142 || v20,
    resubmission: v11 || v142 || v20,
    expirationCheck: v11 || v142 || v20,
    consensusTypeMigration: v142 || v20,
    useChannelCreationPolicyAsAdmins: v20,
  };
}

/** Fabric's ApplicationProvider over the enabled names. */
export function applicationCapabilities(names: Iterable<string>): ApplicationCapabilities {
  const b = base('Application', names, SUPPORTED.Application);
  const v11 = b.has('V1_1');
  const v12 = b.has('V1_2');
  const v13 = b.has('V1_3');
  const v142 = b.has('V1_4_2');
  const v20 = b.has('V2_0');
  const v25 = b.has('V2_5');
  const pvtExperimental = b.has('V1_1_PVTDATA_EXPERIMENTAL');
  return {
    ...b,
    acls: v12 || v13 || v142 || v20 || v25,
    forbidDuplicateTxIdInBlock: v11 || v12 || v13 || v142 || v20 || v25,
    privateChannelData: pvtExperimental || v12 || v13 || v142 || v20 || v25,
    collectionUpgrade: v12 || v13 || v142 || v20 || v25,
    v1_1Validation: v11 || v12 || v13 || v142 || v20 || v25,
    v1_2Validation: v12 || v13 || v142 || v20 || v25,
    v1_3Validation: v13 || v142 || v20 || v25,
    v2_0Validation: v20 || v25,
    lifecycleV20: v20 || v25,
    metadataLifecycle: false,
    keyLevelEndorsement: v13 || v142 || v20 || v25,
    storePvtDataOfInvalidTx: v142 || v20 || v25,
    purgePvtData: v25,
  };
}
