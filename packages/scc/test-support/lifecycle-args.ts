/** Builders of `_lifecycle` arguments and collection configurations for the tests. */
import { createChaincodePackage } from '@fabric-peer/chaincode-packages';
import type { protos } from '@fabric-peer/protos';
import { Long, common, lifecycle } from '@fabric-peer/protos';
import { signedByNOutOfGivenRole } from '../src/index.js';

/** The fields approve, check and commit share. */
export interface DefinitionSpec {
  readonly name: string;
  readonly sequence: number;
  readonly version?: string;
  readonly endorsementPlugin?: string;
  readonly validationPlugin?: string;
  readonly validationParameter?: Uint8Array;
  readonly collections?: protos.ICollectionConfigPackage;
  readonly initRequired?: boolean;
}

function definitionFields(spec: DefinitionSpec) {
  return {
    sequence: Long.fromNumber(spec.sequence),
    name: spec.name,
    version: spec.version ?? '1.0',
    ...(spec.endorsementPlugin !== undefined ? { endorsementPlugin: spec.endorsementPlugin } : {}),
    ...(spec.validationPlugin !== undefined ? { validationPlugin: spec.validationPlugin } : {}),
    ...(spec.validationParameter !== undefined
      ? { validationParameter: spec.validationParameter }
      : {}),
    ...(spec.collections !== undefined ? { collections: spec.collections } : {}),
    ...(spec.initRequired !== undefined ? { initRequired: spec.initRequired } : {}),
  };
}

/** ApproveChaincodeDefinitionForMyOrgArgs; `packageId` undefined: source unavailable. */
export function approveArgs(spec: DefinitionSpec & { readonly packageId?: string }): Uint8Array {
  return lifecycle.ApproveChaincodeDefinitionForMyOrgArgs.encode({
    ...definitionFields(spec),
    source:
      spec.packageId !== undefined
        ? { localPackage: { packageId: spec.packageId } }
        : { unavailable: {} },
  }).finish();
}

export function commitArgs(spec: DefinitionSpec): Uint8Array {
  return lifecycle.CommitChaincodeDefinitionArgs.encode(definitionFields(spec)).finish();
}

export function readinessArgs(spec: DefinitionSpec): Uint8Array {
  return lifecycle.CheckCommitReadinessArgs.encode(definitionFields(spec)).finish();
}

/** A static collection whose members are any member of `orgs`. */
export function collection(
  name: string,
  options: {
    readonly orgs?: readonly string[];
    readonly n?: number;
    readonly required?: number;
    readonly max?: number;
    readonly blockToLive?: number;
    readonly policy?: common.ISignaturePolicyEnvelope | null;
    /** The collection's own endorsement policy (a channel policy reference). */
    readonly endorsementPolicyRef?: string;
  } = {},
): protos.ICollectionConfig {
  const policy =
    options.policy === undefined
      ? signedByNOutOfGivenRole(
          options.n ?? 1,
          common.MSPRole.MSPRoleType.MEMBER,
          options.orgs ?? ['Org1MSP', 'Org2MSP'],
        )
      : options.policy;
  return {
    staticCollectionConfig: {
      name,
      ...(policy !== null ? { memberOrgsPolicy: { signaturePolicy: policy } } : {}),
      requiredPeerCount: options.required ?? 0,
      maximumPeerCount: options.max ?? 1,
      blockToLive: Long.fromNumber(options.blockToLive ?? 0, true),
      ...(options.endorsementPolicyRef !== undefined
        ? { endorsementPolicy: { channelConfigPolicyReference: options.endorsementPolicyRef } }
        : {}),
    },
  };
}

/** A Fabric 2.x Node chaincode package. */
export function nodePackage(label: string, code = 'module.exports = {};'): Promise<Buffer> {
  return createChaincodePackage({ label, type: 'node', files: { 'src/index.js': code } });
}
