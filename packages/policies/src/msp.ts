/**
 * What this package needs from the MSP, as interfaces the X.509 MSP package implements (and the
 * lead wires in): one MSP per organisation, built from the channel's `msp.MSPConfig`, and the
 * channel's MSP manager over them. Nothing here parses certificates.
 */
import type { Identity, IdentityDeserializer } from '@fabric-peer/api';
import { IdentityError } from '@fabric-peer/api';
import { msp } from '@fabric-peer/protos';

import type { MspVersion } from './capabilities.js';
import { ChannelConfigError, messageOf } from './errors.js';
import { bytesEqual } from './util.js';

/**
 * The MSP of one organisation of a channel (the parts of Fabric's msp.MSP this package uses).
 * `deserializeIdentity` takes a serialized `msp.SerializedIdentity` and, as Fabric's MSP does,
 * refuses one whose MSP id is not this MSP's.
 */
export interface ChannelMsp extends IdentityDeserializer {
  /** The MSP id (`FabricMSPConfig.name`); must not be empty. */
  readonly mspId: string;
  /** The `tls_root_certs` of the MSP config, as configured (PEM bytes). */
  readonly tlsRootCerts: readonly Uint8Array[];
  /** The `tls_intermediate_certs` of the MSP config, as configured (PEM bytes). */
  readonly tlsIntermediateCerts: readonly Uint8Array[];
}

/**
 * Builds (and sets up) the MSP for one org from its `MSP` config value, at the MSP version the
 * channel's capabilities ask for (Fabric's msp.New + Setup, behind the cache layer). Throws when
 * the config is invalid; the message is wrapped as Fabric wraps it
 * (`setting up the MSP manager failed: ...`). Called only for `type` FABRIC (0) and IDEMIX (1).
 */
export type ChannelMspFactory = (
  config: msp.MSPConfig,
  version: MspVersion,
) => ChannelMsp | Promise<ChannelMsp>;

/** The channel's MSP manager (Fabric's msp.MSPManager): deserializes with the signer's own MSP. */
export interface ChannelMspManager extends IdentityDeserializer {
  /** The MSPs by MSP id. */
  readonly msps: ReadonlyMap<string, ChannelMsp>;
}

/** Builds the channel's MSP manager over the MSPs the config defines (one per MSP id). */
export type ChannelMspManagerFactory = (msps: readonly ChannelMsp[]) => ChannelMspManager;

/**
 * Fabric's mspManagerImpl: reads the MSP id from the `msp.SerializedIdentity` and hands the whole
 * serialized bytes to that MSP. Errors: `could not deserialize a SerializedIdentity` (MALFORMED),
 * `MSP <id> is not defined on channel` (UNKNOWN_MSP).
 */
export function createMspManager(msps: readonly ChannelMsp[]): ChannelMspManager {
  const byId = new Map<string, ChannelMsp>();
  for (const m of msps) byId.set(m.mspId, m);
  return {
    msps: byId,
    deserializeIdentity(serialized: Uint8Array): Identity {
      let mspId: string;
      try {
        mspId = msp.SerializedIdentity.decode(serialized).mspid;
      } catch (err) {
        throw new IdentityError(
          'MALFORMED',
          `could not deserialize a SerializedIdentity: ${messageOf(err)}`,
          { cause: err },
        );
      }
      const owner = byId.get(mspId);
      if (owner === undefined) {
        throw new IdentityError('UNKNOWN_MSP', `MSP ${mspId} is not defined on channel`, {
          details: { mspId },
        });
      }
      return owner.deserializeIdentity(serialized);
    },
  };
}

/** Fabric's msp.ProviderType values accepted in a channel config. */
export const MspType = { FABRIC: 0, IDEMIX: 1 } as const;

/**
 * Fabric's MSPConfigHandler for one config: proposes one MSP per org, keeps the first MSP of each
 * MSP id, refuses two different configs for one MSP id, and finally builds the MSP manager.
 */
export class MspConfigHandler {
  private readonly pending = new Map<string, { config: msp.MSPConfig; msp: ChannelMsp }>();

  constructor(
    readonly version: MspVersion,
    private readonly factory: ChannelMspFactory,
    private readonly managerFactory: ChannelMspManagerFactory = createMspManager,
  ) {}

  /** Fabric's ProposeMSP. Throws a `CHANNEL_CONFIG_INVALID` {@link ChannelConfigError}. */
  async propose(config: msp.MSPConfig): Promise<ChannelMsp> {
    const type = config.type;
    if (type !== MspType.FABRIC && type !== MspType.IDEMIX) {
      throw new ChannelConfigError(
        'CHANNEL_CONFIG_INVALID',
        `Setup error: unsupported msp type ${type}`,
      );
    }
    let made: ChannelMsp;
    try {
      made = await this.factory(config, this.version);
    } catch (err) {
      throw new ChannelConfigError(
        'CHANNEL_CONFIG_INVALID',
        `setting up the MSP manager failed: ${messageOf(err)}`,
        { cause: err },
      );
    }
    const existing = this.pending.get(made.mspId);
    if (existing !== undefined && !mspConfigsEqual(existing.config, config)) {
      throw new ChannelConfigError(
        'CHANNEL_CONFIG_INVALID',
        `Attempted to define two different versions of MSP: ${made.mspId}`,
        { details: { mspId: made.mspId } },
      );
    }
    if (existing === undefined) this.pending.set(made.mspId, { config, msp: made });
    return made;
  }

  /** The MSP manager over the first MSP of each MSP id. */
  createManager(): ChannelMspManager {
    return this.managerFactory([...this.pending.values()].map((p) => p.msp));
  }
}

function mspConfigsEqual(a: msp.MSPConfig, b: msp.MSPConfig): boolean {
  const ua = (a as { $unknowns?: Uint8Array[] }).$unknowns ?? [];
  const ub = (b as { $unknowns?: Uint8Array[] }).$unknowns ?? [];
  return (
    a.type === b.type &&
    bytesEqual(a.config, b.config) &&
    ua.length === ub.length &&
    ua.every((u, i) => bytesEqual(u, ub[i]))
  );
}
