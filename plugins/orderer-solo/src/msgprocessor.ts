/**
 * The message processor of a standard channel (Fabric's orderer/common/msgprocessor): how a
 * broadcast envelope is classified, the filters every message passes (empty, size, expiration,
 * signature policy), and how a CONFIG_UPDATE becomes the orderer's signed CONFIG transaction.
 */
import type { Logger, Signer } from '@fabric-peer/api';
import {
  bundleFromConfig,
  envelopeSignedData,
  PolicyPaths,
  proposeConfigUpdate,
  validateTransition,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { common, orderer } from '@fabric-peer/protos';
import { createSignedEnvelope, identityExpiresAt } from './envelope.js';
import { BroadcastRejection, messageOf } from './errors.js';

const { Status } = common;

/** How Broadcast handles a message (Fabric's msgprocessor.Classification). */
export type Classification = 'normal' | 'configUpdate' | 'config';

/** Fabric's StandardChannel.ClassifyMsg. */
export function classifyMsg(channelHeader: common.ChannelHeader): Classification {
  switch (channelHeader.type) {
    case common.HeaderType.CONFIG_UPDATE as number:
      return 'configUpdate';
    case common.HeaderType.ORDERER_TRANSACTION as number:
    case common.HeaderType.CONFIG as number:
      return 'config';
    default:
      return 'normal';
  }
}

/** What the processor needs from its channel. */
export interface ProcessorSupport {
  readonly channelId: string;
  /** The channel's current configuration. */
  bundle(): ChannelConfigBundle;
  /** Signs the CONFIG transactions the orderer makes. */
  readonly signer: Signer;
  readonly logger: Logger;
  /** The clock of the expiration check. */
  now(): Date;
}

function ordererSection(bundle: ChannelConfigBundle): NonNullable<ChannelConfigBundle['orderer']> {
  const section = bundle.orderer;
  // A chain is only made from a config with an orderer section, and updates may not remove it.
  if (section === undefined) throw new Error(`channel ${bundle.channelId} has no orderer config`);
  return section;
}

function inMaintenance(bundle: ChannelConfigBundle): boolean {
  return ordererSection(bundle).consensusState === orderer.ConsensusType.State.STATE_MAINTENANCE;
}

/**
 * Fabric's SigFilter: the envelope's creator signature must satisfy `normalPolicy`
 * (`maintenancePolicy` while the channel is in maintenance mode). A failure of the policy is
 * FORBIDDEN (`<reason>: permission denied`); anything else BAD_REQUEST.
 */
export async function sigFilter(
  bundle: ChannelConfigBundle,
  envelope: common.Envelope,
  normalPolicy: string,
  maintenancePolicy: string,
  logger?: Logger,
): Promise<void> {
  let signed;
  try {
    signed = envelopeSignedData(envelope);
  } catch (err) {
    throw new BroadcastRejection(
      Status.BAD_REQUEST,
      `could not convert message to signedData: ${messageOf(err)}`,
      { cause: err },
    );
  }
  const policyName = inMaintenance(bundle) ? maintenancePolicy : normalPolicy;
  const policy = bundle.policyManager.getPolicy(policyName);
  if (policy === undefined) {
    throw new BroadcastRejection(Status.BAD_REQUEST, `could not find policy ${policyName}`);
  }
  try {
    await policy.evaluateSignedData([signed]);
  } catch (err) {
    logger?.warn('SigFilter evaluation failed', {
      error: messageOf(err),
      policyName,
      channel: bundle.channelId,
    });
    throw new BroadcastRejection(Status.FORBIDDEN, `${messageOf(err)}: permission denied`, {
      cause: err,
    });
  }
}

/**
 * Fabric's standard channel filters, in its order: empty message, size (BatchSize
 * AbsoluteMaxBytes), expiration of the signer's certificate (with the orderer capability that
 * asks for it), then the `/Channel/Writers` signature policy.
 */
export async function applyFilters(
  support: ProcessorSupport,
  bundle: ChannelConfigBundle,
  envelope: common.Envelope,
): Promise<void> {
  const payload = envelope.payload ?? new Uint8Array(0);
  if (payload.length === 0) throw new BroadcastRejection(Status.BAD_REQUEST, 'Message was empty');

  const oc = ordererSection(bundle);
  const maxBytes = oc.batchSize.absoluteMaxBytes;
  const size = payload.length + (envelope.signature?.length ?? 0);
  if (size > maxBytes) {
    throw new BroadcastRejection(
      Status.BAD_REQUEST,
      `message payload is ${size} bytes and exceeds maximum allowed ${maxBytes} bytes`,
    );
  }

  if (oc.capabilities.expirationCheck) {
    let identity: Uint8Array;
    try {
      identity = envelopeSignedData(envelope).identity;
    } catch (err) {
      throw new BroadcastRejection(
        Status.BAD_REQUEST,
        `could not convert message to signedData: ${messageOf(err)}`,
        { cause: err },
      );
    }
    const expiresAt = identityExpiresAt(identity);
    if (expiresAt !== undefined && support.now().getTime() >= expiresAt.getTime()) {
      throw new BroadcastRejection(Status.BAD_REQUEST, 'broadcast client identity expired');
    }
  }

  await sigFilter(
    bundle,
    envelope,
    PolicyPaths.ChannelWriters,
    PolicyPaths.OrdererWriters,
    support.logger,
  );
}

/** A CONFIG transaction ready to order, and the config sequence it was computed from. */
export interface ProcessedConfig {
  readonly config: common.Envelope;
  readonly configSeq: bigint;
}

/**
 * Fabric's checkResources (orderer/common/multichannel): the new config must keep an orderer
 * section and ask only for capabilities this orderer supports.
 */
function checkResources(bundle: ChannelConfigBundle): void {
  if (bundle.orderer === undefined) throw new Error('config does not contain orderer config');
  try {
    bundle.orderer.capabilities.assertSupported();
  } catch (err) {
    throw new Error(`config requires unsupported orderer capabilities: ${messageOf(err)}`, {
      cause: err,
    });
  }
  try {
    bundle.capabilities.channel.assertSupported();
  } catch (err) {
    throw new Error(`config requires unsupported channel capabilities: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

/** Fabric's StandardChannel (the message processor of an application channel). */
export class StandardChannelProcessor {
  constructor(private readonly support: ProcessorSupport) {}

  /**
   * Checks a normal message against the current config; returns the config sequence it was
   * checked at. Throws a {@link BroadcastRejection}.
   */
  async processNormalMsg(envelope: common.Envelope): Promise<bigint> {
    const bundle = this.support.bundle();
    const oc = ordererSection(bundle);
    if (
      oc.capabilities.consensusTypeMigration &&
      oc.consensusState !== orderer.ConsensusType.State.STATE_NORMAL
    ) {
      throw new BroadcastRejection(
        Status.SERVICE_UNAVAILABLE,
        'normal transactions are rejected: maintenance mode',
      );
    }
    await applyFilters(this.support, bundle, envelope);
    return bundle.sequence;
  }

  /**
   * Fabric's ProcessConfigUpdateMsg: filters the CONFIG_UPDATE, computes and checks the config it
   * produces (its mod policies satisfied by its signatures, the new config sound), and wraps it in
   * a CONFIG transaction signed by this orderer, which must pass the filters too.
   */
  async processConfigUpdateMsg(envelope: common.Envelope): Promise<ProcessedConfig> {
    const bundle = this.support.bundle();
    const configSeq = bundle.sequence;
    const channelId = this.support.channelId;
    try {
      await applyFilters(this.support, bundle, envelope);
    } catch (err) {
      throw rejection(err).withPrefix(
        'config update for existing channel did not pass initial checks',
      );
    }

    let configEnvelope: common.ConfigEnvelope;
    try {
      configEnvelope = await proposeConfigUpdate(bundle, envelope);
      const next = await bundleFromConfig(
        configEnvelope.config as common.Config,
        channelId,
        bundle.options,
      );
      try {
        checkResources(next);
      } catch (err) {
        throw new Error(`config update is not compatible: ${messageOf(err)}`, { cause: err });
      }
      validateTransition(bundle, next);
    } catch (err) {
      throw new BroadcastRejection(
        Status.BAD_REQUEST,
        `error applying config update to existing channel '${channelId}': ${messageOf(err)}`,
        { cause: err },
      );
    }

    const config = await createSignedEnvelope(
      common.HeaderType.CONFIG,
      channelId,
      this.support.signer,
      common.ConfigEnvelope.encode(configEnvelope).finish(),
    );
    // Again, as Fabric does: the CONFIG transaction must fit the batch size, and the orderer's
    // own signature must satisfy the Writers policy (a sanity check of its MSP material).
    try {
      await applyFilters(this.support, bundle, config);
    } catch (err) {
      throw rejection(err).withPrefix(
        'config update for existing channel did not pass final checks',
      );
    }
    return { config, configSeq };
  }

  /**
   * Fabric's ProcessConfigMsg: a CONFIG transaction computed at an older config sequence is
   * computed again from the config update it carries.
   */
  async processConfigMsg(envelope: common.Envelope): Promise<ProcessedConfig> {
    let lastUpdate: common.Envelope;
    try {
      const payload = common.Payload.decode(envelope.payload);
      const configEnvelope = common.ConfigEnvelope.decode(payload.data);
      if (configEnvelope.lastUpdate === null || configEnvelope.lastUpdate === undefined) {
        throw new Error('config envelope has no last_update');
      }
      lastUpdate = common.Envelope.create(configEnvelope.lastUpdate);
    } catch (err) {
      throw new BroadcastRejection(Status.BAD_REQUEST, messageOf(err), { cause: err });
    }
    return this.processConfigUpdateMsg(lastUpdate);
  }
}

function rejection(err: unknown): BroadcastRejection {
  return err instanceof BroadcastRejection
    ? err
    : new BroadcastRejection(Status.BAD_REQUEST, messageOf(err), { cause: err });
}
