/**
 * Chaincode definitions as `_lifecycle` stores them (Fabric's lifecycle.go and
 * deployedcc_infoprovider.go): the Go structs ChaincodeDefinition, ChaincodeParameters and
 * ChaincodeLocalPackage in the serializer's terms, their comparison, the channel's default
 * policies, and the implicit collection names.
 */
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common, lifecycle, protos } from '@fabric-peer/protos';
import { LifecycleError, messageOf, refused } from './errors.js';
import {
  NAMESPACES,
  deserializeFieldAsInt64,
  deserializeFieldAsProto,
  deserializeFieldAsString,
  deserializeMetadata,
  type ReadableState,
  type Serializable,
} from './serializer.js';

/** The namespace `_lifecycle` keeps its state in (and its own name). */
export const LIFECYCLE_NAMESPACE = '_lifecycle';

export const CHAINCODE_DEFINITION_TYPE = 'ChaincodeDefinition';
export const CHAINCODE_PARAMETERS_TYPE = 'ChaincodeParameters';
export const CHAINCODE_LOCAL_PACKAGE_TYPE = 'ChaincodeLocalPackage';
/** What QueryChaincodeDefinitions and the namespace listing call a chaincode definition. */
export const FRIENDLY_CHAINCODE_DEFINITION_TYPE = 'Chaincode';

export const DEFAULT_ENDORSEMENT_POLICY_REF = '/Channel/Application/Endorsement';
export const LIFECYCLE_ENDORSEMENT_POLICY_REF = '/Channel/Application/LifecycleEndorsement';

const IMPLICIT_PREFIX = '_implicit_org_';

/** Fabric's implicitcollection.NameForOrg. */
export function implicitCollectionForOrg(mspId: string): string {
  return IMPLICIT_PREFIX + mspId;
}

/** Fabric's MspIDIfImplicitCollection: the org of an implicit collection name, or undefined. */
export function mspIdOfImplicitCollection(collection: string): string | undefined {
  return collection.startsWith(IMPLICIT_PREFIX)
    ? collection.slice(IMPLICIT_PREFIX.length)
    : undefined;
}

/** The private name of a definition at a sequence: `<name>#<sequence>`. */
export function privateName(name: string, sequence: bigint): string {
  return `${name}#${sequence.toString()}`;
}

/** Fabric's ChaincodeParameters: what an org approves besides the sequence. */
export interface ChaincodeParameters {
  readonly endorsementInfo: lifecycle.IChaincodeEndorsementInfo;
  readonly validationInfo: lifecycle.IChaincodeValidationInfo;
  /** Go's nil pointer is null. */
  readonly collections: protos.ICollectionConfigPackage | null;
}

/** Fabric's ChaincodeDefinition. */
export interface ChaincodeDefinition extends ChaincodeParameters {
  readonly sequence: bigint;
}

const EMPTY = new Uint8Array(0);

function marshalEndorsementInfo(v: lifecycle.IChaincodeEndorsementInfo): Uint8Array {
  return lifecycle.ChaincodeEndorsementInfo.encode(v).finish();
}

function marshalValidationInfo(v: lifecycle.IChaincodeValidationInfo): Uint8Array {
  return lifecycle.ChaincodeValidationInfo.encode(v).finish();
}

/** A collection package as Go marshals it (nil → no bytes). */
export function marshalCollections(v: protos.ICollectionConfigPackage | null): Uint8Array {
  return v === null ? EMPTY : protos.CollectionConfigPackage.encode(v).finish();
}

/** ChaincodeParameters in the serializer's terms. */
export function parametersStruct(p: ChaincodeParameters): Serializable {
  return {
    typeName: CHAINCODE_PARAMETERS_TYPE,
    fields: [
      ['EndorsementInfo', { kind: 'bytes', value: marshalEndorsementInfo(p.endorsementInfo) }],
      ['ValidationInfo', { kind: 'bytes', value: marshalValidationInfo(p.validationInfo) }],
      ['Collections', { kind: 'bytes', value: marshalCollections(p.collections) }],
    ],
  };
}

/** ChaincodeDefinition in the serializer's terms. */
export function definitionStruct(d: ChaincodeDefinition): Serializable {
  return {
    typeName: CHAINCODE_DEFINITION_TYPE,
    fields: [['Sequence', { kind: 'int64', value: d.sequence }], ...parametersStruct(d).fields],
  };
}

/** ChaincodeLocalPackage in the serializer's terms. */
export function localPackageStruct(packageId: string): Serializable {
  return {
    typeName: CHAINCODE_LOCAL_PACKAGE_TYPE,
    fields: [['PackageID', { kind: 'string', value: packageId }]],
  };
}

function hex(b: Uint8Array | null | undefined): string {
  return Buffer.from(b ?? EMPTY).toString('hex');
}

/**
 * Fabric's ChaincodeParameters.Equal: why `expected` (stored) and `passed` differ, or undefined
 * when they are equal. Collections compare as proto.Equal does (an absent package equals only an
 * absent one; otherwise by content, which the canonical encoding gives).
 */
export function parametersMismatch(
  expected: ChaincodeParameters,
  passed: ChaincodeParameters,
): string | undefined {
  const e = expected.endorsementInfo;
  const p = passed.endorsementInfo;
  if ((e.version ?? '') !== (p.version ?? '')) {
    return `expected Version '${e.version ?? ''}' does not match passed Version '${p.version ?? ''}'`;
  }
  if ((e.endorsementPlugin ?? '') !== (p.endorsementPlugin ?? '')) {
    return `expected EndorsementPlugin '${e.endorsementPlugin ?? ''}' does not match passed EndorsementPlugin '${p.endorsementPlugin ?? ''}'`;
  }
  if ((e.initRequired ?? false) !== (p.initRequired ?? false)) {
    return `expected InitRequired '${String(e.initRequired ?? false)}' does not match passed InitRequired '${String(p.initRequired ?? false)}'`;
  }
  const ev = expected.validationInfo;
  const pv = passed.validationInfo;
  if ((ev.validationPlugin ?? '') !== (pv.validationPlugin ?? '')) {
    return `expected ValidationPlugin '${ev.validationPlugin ?? ''}' does not match passed ValidationPlugin '${pv.validationPlugin ?? ''}'`;
  }
  if (hex(ev.validationParameter) !== hex(pv.validationParameter)) {
    return `expected ValidationParameter '${hex(ev.validationParameter)}' does not match passed ValidationParameter '${hex(pv.validationParameter)}'`;
  }
  const ec = expected.collections;
  const pc = passed.collections;
  if (
    (ec === null) !== (pc === null) ||
    (ec !== null && pc !== null && hex(marshalCollections(ec)) !== hex(marshalCollections(pc)))
  ) {
    return 'Collections do not match';
  }
  return undefined;
}

/** Reads the parameter fields (EndorsementInfo, ValidationInfo, Collections) of a struct. */
async function readParameters(
  namespace: string,
  name: string,
  state: ReadableState,
): Promise<ChaincodeParameters> {
  const endorsementInfo = await deserializeFieldAsProto(
    namespace,
    name,
    'EndorsementInfo',
    state,
    (b) => lifecycle.ChaincodeEndorsementInfo.decode(b),
    '*lifecycle.ChaincodeEndorsementInfo',
  );
  const validationInfo = await deserializeFieldAsProto(
    namespace,
    name,
    'ValidationInfo',
    state,
    (b) => lifecycle.ChaincodeValidationInfo.decode(b),
    '*lifecycle.ChaincodeValidationInfo',
  );
  const collections = await deserializeFieldAsProto(
    namespace,
    name,
    'Collections',
    state,
    (b) => protos.CollectionConfigPackage.decode(b),
    '*peer.CollectionConfigPackage',
  );
  return { endorsementInfo, validationInfo, collections };
}

function checkType(expected: string, metadata: lifecycle.StateMetadata): void {
  if (expected !== metadata.datatype) {
    throw refused(`type name mismatch '${expected}' != '${metadata.datatype}'`);
  }
}

/** Fabric's Deserialize into a ChaincodeDefinition. */
export async function deserializeDefinition(
  namespace: string,
  name: string,
  metadata: lifecycle.StateMetadata,
  state: ReadableState,
): Promise<ChaincodeDefinition> {
  checkType(CHAINCODE_DEFINITION_TYPE, metadata);
  const sequence = await deserializeFieldAsInt64(namespace, name, 'Sequence', state);
  return { sequence, ...(await readParameters(namespace, name, state)) };
}

/** Fabric's Deserialize into ChaincodeParameters. */
export async function deserializeParameters(
  namespace: string,
  name: string,
  metadata: lifecycle.StateMetadata,
  state: ReadableState,
): Promise<ChaincodeParameters> {
  checkType(CHAINCODE_PARAMETERS_TYPE, metadata);
  return readParameters(namespace, name, state);
}

/** Fabric's Deserialize into a ChaincodeLocalPackage: its package id. */
export async function deserializeLocalPackage(
  namespace: string,
  name: string,
  metadata: lifecycle.StateMetadata,
  state: ReadableState,
): Promise<string> {
  checkType(CHAINCODE_LOCAL_PACKAGE_TYPE, metadata);
  return deserializeFieldAsString(namespace, name, 'PackageID', state);
}

/**
 * Fabric's Resources.ChaincodeDefinitionIfDefined: the committed definition of `name` read from
 * public `_lifecycle` state, or undefined when there is none. `_lifecycle` itself is always
 * defined (with empty info, read nothing).
 */
export async function chaincodeDefinitionIfDefined(
  name: string,
  state: ReadableState,
): Promise<ChaincodeDefinition | undefined> {
  if (name === LIFECYCLE_NAMESPACE) {
    return {
      sequence: 0n,
      endorsementInfo: {},
      validationInfo: {},
      collections: null,
    };
  }
  let metadata: lifecycle.StateMetadata | undefined;
  try {
    metadata = await deserializeMetadata(NAMESPACES, name, state);
  } catch (err) {
    throw refused(`could not deserialize metadata for chaincode ${name}: ${messageOf(err)}`);
  }
  if (metadata === undefined) return undefined;
  if (metadata.datatype !== CHAINCODE_DEFINITION_TYPE) {
    throw refused(`not a chaincode type: ${metadata.datatype}`);
  }
  try {
    return await deserializeDefinition(NAMESPACES, name, metadata, state);
  } catch (err) {
    throw refused(
      `could not deserialize chaincode definition for chaincode ${name}: ${messageOf(err)}`,
    );
  }
}

/** A marshaled ApplicationPolicy naming a channel config policy. */
export function policyReference(ref: string): Uint8Array {
  return protos.ApplicationPolicy.encode({ channelConfigPolicyReference: ref }).finish();
}

/**
 * policydsl.SignedByNOutOfGivenRole marshaled as Go does: the ids sorted, one ROLE principal each
 * (MEMBER and the ROLE classification are 0, which Go leaves out), NOutOf(n, SignedBy(i)...).
 */
export function signedByNOutOfGivenRole(
  n: number,
  role: common.MSPRole.MSPRoleType,
  ids: readonly string[],
): common.ISignaturePolicyEnvelope {
  const sorted = [...ids].sort();
  return {
    rule: { nOutOf: { n, rules: sorted.map((_, i) => ({ signedBy: i })) } },
    identities: sorted.map((id) => {
      const r: common.IMSPRole = { mspIdentifier: id };
      if (role !== common.MSPRole.MSPRoleType.MEMBER) r.role = role;
      return { principal: common.MSPRole.encode(r).finish() };
    }),
  };
}

/** The application orgs' MSP ids (Fabric's ac.Organizations() → MSPID()). */
export function applicationMspIds(bundle: ChannelConfigBundle): string[] {
  return [...(bundle.application?.organizations.values() ?? [])].map((o) => o.mspId);
}

/**
 * Fabric's DefaultEndorsementPolicyAsBytes: a reference to `/Channel/Application/Endorsement`,
 * which the channel must define.
 */
export function defaultEndorsementPolicyBytes(
  channelId: string,
  bundle: ChannelConfigBundle | undefined,
): Uint8Array {
  if (bundle === undefined) {
    throw refused(`could not get channel config for channel '${channelId}'`);
  }
  if (bundle.policyManager.getPolicy(DEFAULT_ENDORSEMENT_POLICY_REF) !== undefined) {
    return policyReference(DEFAULT_ENDORSEMENT_POLICY_REF);
  }
  throw refused(
    `policy '${DEFAULT_ENDORSEMENT_POLICY_REF}' must be defined for channel '${channelId}' before chaincode operations can be attempted`,
  );
}

/**
 * Fabric's LifecycleEndorsementPolicyAsBytes: a reference to
 * `/Channel/Application/LifecycleEndorsement` when the channel defines it, else a majority of the
 * application orgs' members.
 */
export function lifecycleEndorsementPolicyBytes(
  channelId: string,
  bundle: ChannelConfigBundle | undefined,
): Uint8Array {
  if (bundle === undefined) {
    throw new LifecycleError(
      'DEFINITION_UNREADABLE',
      `could not get channel config for channel '${channelId}'`,
    );
  }
  if (bundle.policyManager.getPolicy(LIFECYCLE_ENDORSEMENT_POLICY_REF) !== undefined) {
    return policyReference(LIFECYCLE_ENDORSEMENT_POLICY_REF);
  }
  if (bundle.application === undefined) {
    throw new LifecycleError(
      'DEFINITION_UNREADABLE',
      `could not get application config for channel '${channelId}'`,
    );
  }
  const ids = applicationMspIds(bundle);
  return protos.ApplicationPolicy.encode({
    signaturePolicy: signedByNOutOfGivenRole(
      Math.floor(ids.length / 2) + 1,
      common.MSPRole.MSPRoleType.MEMBER,
      ids,
    ),
  }).finish();
}

/** Fabric's SetChaincodeDefinitionDefaults: escc, vscc and the channel's endorsement policy. */
export function withDefaults(
  channelId: string,
  bundle: ChannelConfigBundle | undefined,
  d: ChaincodeDefinition,
): ChaincodeDefinition {
  const ei = { ...plainEndorsementInfo(d.endorsementInfo) };
  const vi = { ...plainValidationInfo(d.validationInfo) };
  if ((ei.endorsementPlugin ?? '') === '') ei.endorsementPlugin = 'escc';
  if ((vi.validationPlugin ?? '') === '') vi.validationPlugin = 'vscc';
  if ((vi.validationParameter ?? EMPTY).length === 0) {
    vi.validationParameter = defaultEndorsementPolicyBytes(channelId, bundle);
  }
  return { ...d, endorsementInfo: ei, validationInfo: vi };
}

/** The fields of an endorsement info as a plain object (Go builds these structs anew). */
function plainEndorsementInfo(
  v: lifecycle.IChaincodeEndorsementInfo,
): lifecycle.IChaincodeEndorsementInfo {
  const out: lifecycle.IChaincodeEndorsementInfo = {};
  if (v.version) out.version = v.version;
  if (v.initRequired) out.initRequired = true;
  if (v.endorsementPlugin) out.endorsementPlugin = v.endorsementPlugin;
  return out;
}

function plainValidationInfo(
  v: lifecycle.IChaincodeValidationInfo,
): lifecycle.IChaincodeValidationInfo {
  const out: lifecycle.IChaincodeValidationInfo = {};
  if (v.validationPlugin) out.validationPlugin = v.validationPlugin;
  if (v.validationParameter && v.validationParameter.length > 0) {
    out.validationParameter = v.validationParameter;
  }
  return out;
}
