/**
 * Config updates (Fabric's common/configtx validator and the peer's Channel.Apply): checks a CONFIG
 * envelope from a block against the current bundle and, when it holds, builds the next bundle.
 */
import type { Logger, SignedData } from '@fabric-peer/api';
import { common, Long } from '@fabric-peer/protos';

import { bundleFromConfig, firstEnvelope, type ChannelConfigBundle } from './bundle.js';
import { groupFromTree, groupsEqual, treeFromGroup } from './config-tree.js';
import {
  configIdProblem,
  configMapToGroup,
  mapConfig,
  modPolicyOf,
  versionOf,
  type ConfigElement,
} from './configmap.js';
import { ChannelConfigError, messageOf } from './errors.js';
import { ROOT_GROUP } from './manager.js';
import { SignatureSet, type PolicyNode } from './policy.js';
import { bytesOf, concatBytes, sortedKeys, u64 } from './util.js';

type Code = ChannelConfigError['code'];

function fail(
  code: Code,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new ChannelConfigError(code, message, {
    ...(details ? { details } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Prefixes an error's message as Go's errors.Wrap does, keeping its code and details. */
function wrap(prefix: string, err: unknown): ChannelConfigError {
  if (err instanceof ChannelConfigError) {
    return new ChannelConfigError(err.code, `${prefix}: ${err.message}`, {
      cause: err,
      details: { ...err.details },
    });
  }
  return new ChannelConfigError('CONFIG_UPDATE_INVALID', `${prefix}: ${messageOf(err)}`, {
    cause: err,
  });
}

function headerTypeName(type: number): string {
  return common.HeaderType[type] ?? String(type);
}

/**
 * Fabric's `protoutil.EnvelopeToConfigUpdate`: the envelope must be a CONFIG_UPDATE whose payload
 * data is a `ConfigUpdateEnvelope`.
 */
export function envelopeToConfigUpdate(envelope: common.Envelope): common.ConfigUpdateEnvelope {
  let payload: common.Payload;
  try {
    payload = common.Payload.decode(envelope.payload);
  } catch (err) {
    fail('CONFIG_MALFORMED', `error unmarshalling Payload: ${messageOf(err)}`, undefined, err);
  }
  if (payload.header === null || payload.header === undefined) {
    fail('CONFIG_MALFORMED', 'envelope must have a Header');
  }
  let channelHeader: common.ChannelHeader;
  try {
    channelHeader = common.ChannelHeader.decode(bytesOf(payload.header.channelHeader));
  } catch (err) {
    fail(
      'CONFIG_MALFORMED',
      `error unmarshalling ChannelHeader: ${messageOf(err)}`,
      undefined,
      err,
    );
  }
  if (channelHeader.type !== (common.HeaderType.CONFIG_UPDATE as number)) {
    fail(
      'CONFIG_MALFORMED',
      `invalid type ${headerTypeName(channelHeader.type)}, expected CONFIG_UPDATE`,
    );
  }
  try {
    return common.ConfigUpdateEnvelope.decode(payload.data);
  } catch (err) {
    fail(
      'CONFIG_MALFORMED',
      `error unmarshalling message for type CONFIG_UPDATE: ${messageOf(err)}`,
      undefined,
      err,
    );
  }
}

/**
 * Fabric's `protoutil.ConfigUpdateEnvelopeAsSignedData`: one entry per signature, whose data is
 * `signature_header ‖ config_update` and whose identity is the header's creator.
 */
export function configUpdateSignedData(envelope: common.ConfigUpdateEnvelope): SignedData[] {
  return envelope.signatures.map((sig) => {
    const header = common.SignatureHeader.decode(sig.signatureHeader ?? new Uint8Array(0));
    return {
      data: concatBytes(sig.signatureHeader ?? new Uint8Array(0), envelope.configUpdate),
      identity: header.creator,
      signature: sig.signature ?? new Uint8Array(0),
    };
  });
}

function verifyReadSet(
  current: ReadonlyMap<string, ConfigElement>,
  readSet: ReadonlyMap<string, ConfigElement>,
): void {
  for (const key of sortedKeys(readSet.keys())) {
    const existing = current.get(key);
    if (existing === undefined) {
      fail(
        'CONFIG_UPDATE_READ_SET',
        `existing config does not contain element for ${key} but was in the read set`,
        { element: key },
      );
    }
    const wanted = versionOf(readSet.get(key) as ConfigElement);
    if (versionOf(existing) !== wanted) {
      fail(
        'CONFIG_UPDATE_READ_SET',
        `proposed update requires that key ${key} be at version ${wanted}, but it is currently at version ${versionOf(existing)}`,
        { element: key },
      );
    }
  }
}

function computeDeltaSet(
  readSet: ReadonlyMap<string, ConfigElement>,
  writeSet: ReadonlyMap<string, ConfigElement>,
): Map<string, ConfigElement> {
  const delta = new Map<string, ConfigElement>();
  for (const [key, value] of writeSet) {
    const read = readSet.get(key);
    if (read !== undefined && versionOf(read) === versionOf(value)) continue;
    delta.set(key, value);
  }
  return delta;
}

function modPolicyProblem(modPolicy: string): string | undefined {
  if (modPolicy === '') return 'mod_policy not set';
  const trimmed = modPolicy.startsWith('/') ? modPolicy.slice(1) : modPolicy;
  const parts = trimmed.split('/');
  for (let i = 0; i < parts.length; i++) {
    const problem = configIdProblem(parts[i] as string);
    if (problem !== undefined) return `path element at ${i} is invalid: ${problem}`;
  }
  return undefined;
}

/**
 * Fabric's policyForItem: a relative mod_policy is resolved in the manager of the element's group
 * (for a group, the group's own manager); an absolute one, or any policy of the root group, in
 * the root manager.
 */
function policyForItem(
  bundle: ChannelConfigBundle,
  item: ConfigElement,
): { policy: PolicyNode; path: string } | undefined {
  let manager = bundle.policyManager;
  const modPolicy = modPolicyOf(item);
  if (modPolicy.length > 0 && !modPolicy.startsWith('/') && item.path.length !== 0) {
    const found = manager.manager(item.path.slice(1));
    if (found === undefined) return undefined;
    manager = found;
    if (item.kind === 'group') {
      const own = manager.manager([item.key]);
      if (own === undefined) return undefined;
      manager = own;
    }
  }
  const resolved = manager.getPolicy(modPolicy);
  if (resolved === undefined) return undefined;
  return { policy: resolved as unknown as PolicyNode, path: resolved.path };
}

async function verifyDeltaSet(
  bundle: ChannelConfigBundle,
  delta: ReadonlyMap<string, ConfigElement>,
  signatures: SignatureSet,
): Promise<void> {
  if (delta.size === 0) {
    fail('CONFIG_UPDATE_INVALID', 'delta set was empty -- update would have no effect');
  }
  for (const key of sortedKeys(delta.keys())) {
    const value = delta.get(key) as ConfigElement;
    const problem = modPolicyProblem(modPolicyOf(value));
    if (problem !== undefined) {
      fail('CONFIG_UPDATE_INVALID', `invalid mod_policy for element ${key}: ${problem}`, {
        element: key,
      });
    }
    const existing = bundle.configMap.get(key);
    if (existing === undefined) {
      if (versionOf(value) !== 0n) {
        fail(
          'CONFIG_UPDATE_INVALID',
          `attempted to set key ${key} to version ${versionOf(value)}, but key does not exist`,
          { element: key },
        );
      }
      // A new element is authorised by its parent group's version bump.
      continue;
    }
    if (versionOf(value) !== versionOf(existing) + 1n) {
      fail(
        'CONFIG_UPDATE_INVALID',
        `attempt to set key ${key} to version ${versionOf(value)}, but key is at version ${versionOf(existing)}`,
        { element: key },
      );
    }
    const modPolicy = modPolicyOf(existing);
    const found = policyForItem(bundle, existing);
    if (found === undefined) {
      fail('CONFIG_UPDATE_UNAUTHORIZED', `unexpected missing policy ${modPolicy} for item ${key}`, {
        element: key,
        modPolicy,
      });
    }
    try {
      await found.policy.evaluateSet(signatures);
    } catch (err) {
      fail(
        'CONFIG_UPDATE_UNAUTHORIZED',
        `policy for ${key} not satisfied (mod_policy ${modPolicy}, resolved to ${found.path}): ${messageOf(err)}`,
        { element: key, modPolicy, policy: found.path },
        err,
      );
    }
  }
}

/**
 * Fabric's authorizeUpdate: the read set must match the current versions; every element of the
 * write set at a new version (the delta) must be at version current + 1 (or 0 when new) and its
 * current mod_policy satisfied by the update's signatures; returns the config map of the result.
 */
async function authorizeUpdate(
  bundle: ChannelConfigBundle,
  updateEnvelope: common.ConfigUpdateEnvelope,
  logger: Logger | undefined,
): Promise<Map<string, ConfigElement>> {
  let update: common.ConfigUpdate;
  try {
    update = common.ConfigUpdate.decode(updateEnvelope.configUpdate);
  } catch (err) {
    fail('CONFIG_MALFORMED', `error unmarshalling ConfigUpdate: ${messageOf(err)}`, undefined, err);
  }
  if (update.channelId !== bundle.channelId) {
    fail(
      'CONFIG_UPDATE_INVALID',
      `ConfigUpdate for channel '${update.channelId}' but envelope for channel '${bundle.channelId}'`,
    );
  }

  let readSet: Map<string, ConfigElement>;
  try {
    readSet = mapConfig(update.readSet ? treeFromGroup(update.readSet) : null, ROOT_GROUP);
  } catch (err) {
    throw wrap('error mapping ReadSet', err);
  }
  try {
    verifyReadSet(bundle.configMap, readSet);
  } catch (err) {
    throw wrap('error validating ReadSet', err);
  }
  let writeSet: Map<string, ConfigElement>;
  try {
    writeSet = mapConfig(update.writeSet ? treeFromGroup(update.writeSet) : null, ROOT_GROUP);
  } catch (err) {
    throw wrap('error mapping WriteSet', err);
  }

  const delta = computeDeltaSet(readSet, writeSet);
  let signed: SignedData[];
  try {
    signed = configUpdateSignedData(updateEnvelope);
  } catch (err) {
    fail(
      'CONFIG_MALFORMED',
      `a signature header does not decode: ${messageOf(err)}`,
      undefined,
      err,
    );
  }
  try {
    await verifyDeltaSet(bundle, delta, new SignatureSet(signed, logger));
  } catch (err) {
    throw wrap('error validating DeltaSet', err);
  }

  const result = new Map(bundle.configMap);
  for (const [key, value] of delta) result.set(key, value);
  for (const key of sortedKeys(writeSet.keys())) {
    if (!result.has(key)) {
      throw wrap(
        'full config did not verify',
        new ChannelConfigError(
          'CONFIG_UPDATE_INVALID',
          `writeset contained key ${key} which did not appear in proposed config`,
        ),
      );
    }
  }
  return result;
}

/**
 * Fabric's configtx `Validate`: `configEnvelope` (from a CONFIG transaction) must be at sequence
 * current + 1, its `last_update` must be an authorised update of the current config, and the
 * config that update produces must equal (as Go's proto.Equal) the config the envelope carries.
 * Throws a {@link ChannelConfigError} naming the element and policy at fault.
 */
export async function validateConfigEnvelope(
  bundle: ChannelConfigBundle,
  configEnvelope: common.ConfigEnvelope,
): Promise<void> {
  const config = configEnvelope.config;
  if (config === null || config === undefined) {
    fail('CONFIG_MALFORMED', 'config envelope has nil config');
  }
  const sequence = u64(config.sequence);
  if (sequence !== bundle.sequence + 1n) {
    fail(
      'CONFIG_SEQUENCE',
      `config currently at sequence ${bundle.sequence}, cannot validate config at sequence ${sequence}`,
      { current: bundle.sequence, proposed: sequence },
    );
  }
  if (configEnvelope.lastUpdate === null || configEnvelope.lastUpdate === undefined) {
    // Fabric dereferences the nil envelope and panics.
    fail('CONFIG_MALFORMED', 'config envelope has no last_update');
  }
  const updateEnvelope = envelopeToConfigUpdate(configEnvelope.lastUpdate as common.Envelope);
  const configMap = await authorizeUpdate(bundle, updateEnvelope, bundle.options.logger);

  let produced;
  try {
    produced = configMapToGroup(configMap, ROOT_GROUP);
  } catch (err) {
    throw wrap('could not turn configMap back to channelGroup', err);
  }
  const supplied = config.channelGroup;
  if (
    supplied === null ||
    supplied === undefined ||
    !groupsEqual(produced, treeFromGroup(supplied))
  ) {
    fail('CONFIG_MISMATCH', 'ConfigEnvelope LastUpdate did not produce the supplied config result');
  }
}

/**
 * Fabric's configtx `ProposeConfigUpdate` (what an orderer does with a CONFIG_UPDATE envelope):
 * authorises the update against `bundle` as {@link validateConfigEnvelope} does and returns the
 * `ConfigEnvelope` of the config it produces, at sequence current + 1, with `envelope` as its
 * `last_update`. Throws a {@link ChannelConfigError} (Fabric's messages, prefixed as Fabric's
 * `error converting envelope to config update` / `error authorizing update`).
 */
export async function proposeConfigUpdate(
  bundle: ChannelConfigBundle,
  envelope: common.Envelope,
): Promise<common.ConfigEnvelope> {
  let updateEnvelope: common.ConfigUpdateEnvelope;
  try {
    updateEnvelope = envelopeToConfigUpdate(envelope);
  } catch (err) {
    throw wrap('error converting envelope to config update', err);
  }
  let configMap: Map<string, ConfigElement>;
  try {
    configMap = await authorizeUpdate(bundle, updateEnvelope, bundle.options.logger);
  } catch (err) {
    throw wrap('error authorizing update', err);
  }
  let channelGroup;
  try {
    channelGroup = configMapToGroup(configMap, ROOT_GROUP);
  } catch (err) {
    throw wrap('could not turn configMap back to channelGroup', err);
  }
  // Encoded and decoded again so that every nested message is a real protobufjs instance.
  const bytes = common.ConfigEnvelope.encode({
    config: {
      sequence: Long.fromString((bundle.sequence + 1n).toString(), true),
      channelGroup: groupFromTree(channelGroup),
    },
    lastUpdate: envelope,
  }).finish();
  return common.ConfigEnvelope.decode(bytes);
}

/** Fabric's Bundle.ValidateNew: what may not change between two configs. */
export function validateTransition(current: ChannelConfigBundle, next: ChannelConfigBundle): void {
  const bad = (message: string): never => fail('CONFIG_TRANSITION_INVALID', message);
  if (current.orderer !== undefined) {
    const nextOrderer = next.orderer;
    if (nextOrderer === undefined)
      bad('current config has orderer section, but new config does not');
    else {
      if (
        !current.channel.capabilities.consensusTypeMigration &&
        current.orderer.consensusType !== nextOrderer.consensusType
      ) {
        bad(
          `attempted to change consensus type from ${current.orderer.consensusType} to ${nextOrderer.consensusType}`,
        );
      }
      for (const name of sortedKeys(current.orderer.organizations.keys())) {
        const org = current.orderer.organizations.get(name);
        const nextOrg = nextOrderer.organizations.get(name);
        if (org === undefined || nextOrg === undefined) continue;
        if (org.mspId !== nextOrg.mspId) {
          bad(
            `orderer org ${name} attempted to change MSP ID from ${org.mspId} to ${nextOrg.mspId}`,
          );
        }
      }
      if (
        !current.channel.capabilities.consensusTypeBFT &&
        next.channel.capabilities.consensusTypeBFT
      ) {
        for (const name of sortedKeys(nextOrderer.organizations.keys())) {
          const org = nextOrderer.organizations.get(name);
          if (org !== undefined && org.endpoints.length === 0) {
            bad(`illegal orderer config update detected: endpoints of org ${name} are missing`);
          }
        }
      }
    }
  }
  if (current.application !== undefined) {
    const nextApp = next.application;
    if (nextApp === undefined)
      bad('current config has application section, but new config does not');
    else {
      for (const name of sortedKeys(current.application.organizations.keys())) {
        const org = current.application.organizations.get(name);
        const nextOrg = nextApp.organizations.get(name);
        if (org === undefined || nextOrg === undefined) continue;
        if (org.mspId !== nextOrg.mspId) {
          bad(
            `application org ${name} attempted to change MSP ID from ${org.mspId} to ${nextOrg.mspId}`,
          );
        }
      }
    }
  }
  if (current.consortiums !== undefined) {
    const nextConsortiums = next.consortiums;
    if (nextConsortiums === undefined) {
      bad('current config has consortiums section, but new config does not');
    } else {
      for (const cname of sortedKeys(current.consortiums.consortiums.keys())) {
        const consortium = current.consortiums.consortiums.get(cname);
        const nextConsortium = nextConsortiums.consortiums.get(cname);
        if (consortium === undefined || nextConsortium === undefined) continue;
        for (const name of sortedKeys(consortium.organizations.keys())) {
          const org = consortium.organizations.get(name);
          const nextOrg = nextConsortium.organizations.get(name);
          if (org === undefined || nextOrg === undefined) continue;
          if (org.mspId !== nextOrg.mspId) {
            bad(
              `consortium ${cname} org ${name} attempted to change MSP ID from ${org.mspId} to ${nextOrg.mspId}`,
            );
          }
        }
      }
    }
  } else if (next.consortiums !== undefined) {
    bad('current config has no consortiums section, but new config does');
  }
}

/**
 * The peer's Channel.Apply: validates `configEnvelope` against `current`, builds the bundle of its
 * config, checks the transition and that this peer supports the new capabilities, and returns the
 * new bundle. On any error `current` is untouched and stays the channel's configuration.
 */
export async function applyConfigEnvelope(
  current: ChannelConfigBundle,
  configEnvelope: common.ConfigEnvelope,
): Promise<ChannelConfigBundle> {
  await validateConfigEnvelope(current, configEnvelope);
  const next = await bundleFromConfig(
    configEnvelope.config as common.Config,
    current.channelId,
    current.options,
  );
  validateTransition(current, next);
  next.assertPeerSupport();
  return next;
}

/**
 * Applies the config transaction of a config block (its only envelope, of type CONFIG) to
 * `current`; see {@link applyConfigEnvelope}.
 */
export async function applyConfigBlock(
  current: ChannelConfigBundle,
  block: common.Block | Uint8Array,
): Promise<ChannelConfigBundle> {
  const envelope = firstEnvelope(block);
  let payload: common.Payload;
  try {
    payload = common.Payload.decode(envelope.payload);
  } catch (err) {
    fail('CONFIG_MALFORMED', `error unmarshalling Payload: ${messageOf(err)}`, undefined, err);
  }
  if (payload.header === null || payload.header === undefined) {
    fail('CONFIG_MALFORMED', 'envelope must have a Header');
  }
  let channelHeader: common.ChannelHeader;
  try {
    channelHeader = common.ChannelHeader.decode(bytesOf(payload.header.channelHeader));
  } catch (err) {
    fail(
      'CONFIG_MALFORMED',
      `error unmarshalling ChannelHeader: ${messageOf(err)}`,
      undefined,
      err,
    );
  }
  if (channelHeader.type !== (common.HeaderType.CONFIG as number)) {
    fail('CONFIG_MALFORMED', `invalid type ${headerTypeName(channelHeader.type)}, expected CONFIG`);
  }
  let configEnvelope: common.ConfigEnvelope;
  try {
    configEnvelope = common.ConfigEnvelope.decode(payload.data);
  } catch (err) {
    fail(
      'CONFIG_MALFORMED',
      `error unmarshalling message for type CONFIG: ${messageOf(err)}`,
      undefined,
      err,
    );
  }
  return applyConfigEnvelope(current, configEnvelope);
}
