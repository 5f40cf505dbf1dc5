/**
 * Fabric's checks of a chaincode definition before it is approved or committed (scc.go
 * validateInput): name and version, the collection configurations against the channel's MSPs,
 * and against the collections already committed.
 */
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { createSignaturePolicy } from '@fabric-peer/policies';
import type { protos } from '@fabric-peer/protos';
import { Long, common } from '@fabric-peer/protos';
import { CHAINCODE_NAME_PATTERN, CHAINCODE_VERSION_PATTERN } from '../lscc.js';
import { messageOf, refused } from './errors.js';
import { chaincodeInfo, type StateReader } from './deployed.js';

/** Fabric's collection name rule. */
export const COLLECTION_NAME_PATTERN = /^[A-Za-z0-9-]+([A-Za-z0-9_-]+)*$/;

/** Names user chaincode may not take (Fabric's systemChaincodeNames). */
export const RESERVED_CHAINCODE_NAMES: ReadonlySet<string> = new Set([
  'cscc',
  'escc',
  'lscc',
  'qscc',
  'vscc',
]);

function u64(v: number | Long | null | undefined): string {
  return Long.fromValue(v ?? 0)
    .toUnsigned()
    .toString();
}

/** Name and version rules. */
export function validateNameVersion(name: string, version: string): void {
  if (!CHAINCODE_NAME_PATTERN.test(name)) {
    throw refused(
      `invalid chaincode name '${name}'. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics`,
    );
  }
  if (RESERVED_CHAINCODE_NAMES.has(name)) {
    throw refused(`chaincode name '${name}' is the name of a system chaincode`);
  }
  if (!CHAINCODE_VERSION_PATTERN.test(version)) {
    throw refused(
      `invalid chaincode version '${version}'. Versions can only consist of alphanumerics, '_', '-', '+', and '.'`,
    );
  }
}

/** Fabric's extractStaticCollectionConfigs. */
export function staticCollectionConfigs(
  pkg: protos.ICollectionConfigPackage | null | undefined,
): protos.IStaticCollectionConfig[] {
  const configs = pkg?.config ?? [];
  return configs.map((c) => {
    const s = c.staticCollectionConfig;
    if (s === null || s === undefined) {
      throw refused('collection config contains unexpected payload type: <nil>');
    }
    return s;
  });
}

function classificationName(c: number): string {
  const name = (common.MSPPrincipal.Classification as unknown as Record<number, string>)[c];
  return name ?? String(c);
}

/** Fabric's validateSpOrConcat: the member policy must only OR identities together. */
function checkOrConcat(rule: common.ISignaturePolicy | null | undefined): void {
  const n = rule?.nOutOf;
  if (n === null || n === undefined) return;
  if ((n.n ?? 0) !== 1) {
    throw new Error(`signature policy is not an OR concatenation, NOutOf ${n.n ?? 0}`);
  }
  for (const r of n.rules ?? []) checkOrConcat(r);
}

/** Fabric's validateCollectionConfigMemberOrgsPolicy. */
function validateMemberOrgsPolicy(
  coll: protos.IStaticCollectionConfig,
  bundle: ChannelConfigBundle,
): void {
  const name = coll.name ?? '';
  const memberOrgs = coll.memberOrgsPolicy;
  if (memberOrgs === null || memberOrgs === undefined) {
    throw refused(`collection member policy is not set for collection '${name}'`);
  }
  const envelope = memberOrgs.signaturePolicy;
  if (envelope === null || envelope === undefined) {
    throw refused(`collection member org policy is empty for collection '${name}'`);
  }
  try {
    createSignaturePolicy(envelope, bundle.mspManager);
  } catch (err) {
    throw refused(`invalid member org policy for collection '${name}': ${messageOf(err)}`);
  }
  try {
    checkOrConcat(envelope.rule);
  } catch (err) {
    throw refused(`collection-name: ${name} -- error in member org policy: ${messageOf(err)}`);
  }
  const msps = bundle.mspManager.msps;
  for (const principal of envelope.identities ?? []) {
    const bytes = principal.principal ?? new Uint8Array(0);
    const classification = principal.principalClassification ?? 0;
    switch (classification) {
      case common.MSPPrincipal.Classification.ROLE: {
        let role: common.MSPRole;
        try {
          role = common.MSPRole.decode(bytes);
        } catch (err) {
          throw refused(
            `collection-name: ${name} -- cannot unmarshal identity bytes into MSPRole: ${messageOf(err)}`,
          );
        }
        if (!msps.has(role.mspIdentifier)) {
          throw refused(
            `collection-name: ${name} -- collection member '${role.mspIdentifier}' is not part of the channel`,
          );
        }
        break;
      }
      case common.MSPPrincipal.Classification.ORGANIZATION_UNIT: {
        let ou: common.OrganizationUnit;
        try {
          ou = common.OrganizationUnit.decode(bytes);
        } catch (err) {
          throw refused(
            `collection-name: ${name} -- cannot unmarshal identity bytes into OrganizationUnit: ${messageOf(err)}`,
          );
        }
        if (!msps.has(ou.mspIdentifier)) {
          throw refused(
            `collection-name: ${name} -- collection member '${ou.mspIdentifier}' is not part of the channel`,
          );
        }
        break;
      }
      case common.MSPPrincipal.Classification.IDENTITY:
        try {
          bundle.mspManager.deserializeIdentity(bytes);
        } catch {
          throw refused(
            `collection-name: ${name} -- contains an identity that is not part of the channel`,
          );
        }
        break;
      default:
        throw refused(
          `collection-name: ${name} -- principal type ${classificationName(classification)} is not supported`,
        );
    }
  }
}

/** Fabric's validateCollectionConfigs. */
export function validateCollectionConfigs(
  configs: readonly protos.IStaticCollectionConfig[],
  bundle: ChannelConfigBundle,
): void {
  const names = new Set<string>();
  for (const c of configs) {
    const name = c.name ?? '';
    if (!COLLECTION_NAME_PATTERN.test(name)) {
      throw refused(
        `invalid collection name '${name}'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`,
      );
    }
    if (names.has(name)) {
      throw refused(`collection-name: ${name} -- found duplicate in collection configuration`);
    }
    names.add(name);
    const max = c.maximumPeerCount ?? 0;
    const required = c.requiredPeerCount ?? 0;
    if (max < required) {
      throw refused(
        `collection-name: ${name} -- maximum peer count (${max}) cannot be less than the required peer count (${required})`,
      );
    }
    if (required < 0) {
      throw refused(
        `collection-name: ${name} -- requiredPeerCount (${required}) cannot be less than zero`,
      );
    }
    validateMemberOrgsPolicy(c, bundle);
  }
}

/** Fabric's validateCollConfigsAgainstCommittedDef. */
export function validateAgainstCommitted(
  proposed: readonly protos.IStaticCollectionConfig[],
  committed: protos.ICollectionConfigPackage | null,
): void {
  const committedConfigs = committed?.config ?? [];
  if (committedConfigs.length === 0) return;
  if (proposed.length === 0) {
    throw refused('the proposed collection config does not contain previously defined collections');
  }
  const byName = new Map<string, protos.IStaticCollectionConfig>();
  for (const c of proposed) byName.set(c.name ?? '', c);
  for (const cc of committedConfigs) {
    const old = cc.staticCollectionConfig;
    if (old === null || old === undefined) throw refused('unknown collection configuration type');
    const fresh = byName.get(old.name ?? '');
    if (fresh === undefined) {
      throw refused(
        `existing collection [${old.name ?? ''}] missing in the proposed collection configuration`,
      );
    }
    if (u64(fresh.blockToLive) !== u64(old.blockToLive)) {
      throw refused(
        `the BlockToLive in an existing collection [${old.name ?? ''}] modified. Existing value [${u64(old.blockToLive)}]`,
      );
    }
  }
}

/**
 * Fabric's validateInput for ApproveChaincodeDefinitionForMyOrg and CommitChaincodeDefinition.
 * `qe` is the transaction's own query executor: the committed definition it reads (in
 * `_lifecycle`, else lscc) is part of the transaction's read set, as in Fabric.
 */
export async function validateInput(
  channelId: string,
  bundle: ChannelConfigBundle | undefined,
  name: string,
  version: string,
  collections: protos.ICollectionConfigPackage | null | undefined,
  qe: () => StateReader,
): Promise<void> {
  validateNameVersion(name, version);
  const configs = staticCollectionConfigs(collections);
  if (bundle === undefined) {
    throw refused(`could not get channelconfig for channel '${channelId}'`);
  }
  validateCollectionConfigs(configs, bundle);
  let committed;
  try {
    committed = await chaincodeInfo(name, qe());
  } catch (err) {
    throw refused(
      `could not retrieve committed definition for chaincode '${name}': ${messageOf(err)}`,
    );
  }
  if (committed === undefined) return;
  validateAgainstCommitted(configs, committed.explicitCollections);
}
