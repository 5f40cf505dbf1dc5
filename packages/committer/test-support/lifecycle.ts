/**
 * A small `_lifecycle` reader for the committer's tests (the real one is packages/scc's): chaincode
 * definitions as Fabric's `_lifecycle` stores them in committed state, namespace `_lifecycle`:
 *
 * - `namespaces/metadata/<name>` → `lifecycle.StateMetadata{datatype: "ChaincodeDefinition"}`
 * - `namespaces/fields/<name>/ValidationInfo` → `StateData{Bytes: lifecycle.ChaincodeValidationInfo}`
 * - `namespaces/fields/<name>/Collections` → `StateData{Bytes: CollectionConfigPackage}`
 *
 * `_lifecycle` itself validates with `vscc` and `/Channel/Application/LifecycleEndorsement`; an
 * implicit collection `_implicit_org_<MSP>` with `/Channel/Application/<Org>/Endorsement` (or any
 * member of the MSP when the org has no such policy), as Fabric's ValidatorCommitter does. Also a
 * writer of such definitions, for tests that define chaincodes through blocks.
 */
import { ChaincodeError, type ValidationInfoSource } from '@fabric-peer/chaincode';
import type { CollectionConfigProvider, SimpleQueryExecutor } from '@fabric-peer/ledger';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common, lifecycle, protos } from '@fabric-peer/protos';

export const LIFECYCLE = '_lifecycle';
const IMPLICIT_PREFIX = '_implicit_org_';
const enc = new TextEncoder();

export const metadataKey = (name: string): string => `namespaces/metadata/${name}`;
export const fieldKey = (name: string, field: string): string =>
  `namespaces/fields/${name}/${field}`;

function stateBytes(bytes: Uint8Array | undefined): Uint8Array | undefined {
  if (bytes === undefined) return undefined;
  const data = lifecycle.StateData.decode(bytes);
  return data.Type === 'Bytes' ? data.Bytes : new Uint8Array(0);
}

interface Definition {
  readonly validationInfo: lifecycle.ChaincodeValidationInfo;
  readonly collections?: protos.CollectionConfigPackage;
}

async function definition(name: string, qe: SimpleQueryExecutor): Promise<Definition | undefined> {
  const metadata = await qe.getState(LIFECYCLE, metadataKey(name));
  if (metadata === undefined) return undefined;
  const md = lifecycle.StateMetadata.decode(metadata);
  if (md.datatype !== 'ChaincodeDefinition')
    throw new Error(`not a chaincode type: ${md.datatype}`);
  const vi = stateBytes(await qe.getState(LIFECYCLE, fieldKey(name, 'ValidationInfo')));
  const colls = stateBytes(await qe.getState(LIFECYCLE, fieldKey(name, 'Collections')));
  return {
    validationInfo: lifecycle.ChaincodeValidationInfo.decode(vi ?? new Uint8Array(0)),
    ...(colls !== undefined && colls.length > 0
      ? { collections: protos.CollectionConfigPackage.decode(colls) }
      : {}),
  };
}

function reference(path: string): Uint8Array {
  return protos.ApplicationPolicy.encode({ channelConfigPolicyReference: path }).finish();
}

/** `OR('<mspId>.member')` as a SignaturePolicyEnvelope. */
export function anyMemberOf(mspId: string): common.ISignaturePolicyEnvelope {
  return {
    version: 0,
    rule: { nOutOf: { n: 1, rules: [{ signedBy: 0 }] } },
    identities: [
      {
        principalClassification: common.MSPPrincipal.Classification.ROLE,
        principal: common.MSPRole.encode({
          mspIdentifier: mspId,
          role: common.MSPRole.MSPRoleType.MEMBER,
        }).finish(),
      },
    ],
  };
}

/** Fabric's ImplicitCollectionEndorsementPolicyAsBytes. */
function implicitCollectionPolicy(bundle: ChannelConfigBundle, mspId: string): Uint8Array {
  const org = [...(bundle.application?.organizations.values() ?? [])].find(
    (o) => o.mspId === mspId,
  );
  if (org === undefined) {
    throw new ChaincodeError(
      'COLLECTION_NOT_DEFINED',
      `no org found in channel with MSPID '${mspId}'`,
    );
  }
  const path = `/Channel/Application/${org.name}/Endorsement`;
  if (bundle.policyManager.getPolicy(path) !== undefined) return reference(path);
  return protos.ApplicationPolicy.encode({ signaturePolicy: anyMemberOf(mspId) }).finish();
}

/** The test ValidationInfoSource (and collection config provider) over `_lifecycle` state. */
export class LifecycleStateInfo implements ValidationInfoSource, CollectionConfigProvider {
  constructor(private readonly bundle: () => ChannelConfigBundle) {}

  async validationInfo(
    _channelId: string,
    namespace: string,
    state: SimpleQueryExecutor,
  ): Promise<{ validationPlugin: string; validationParameter: Uint8Array }> {
    if (namespace === LIFECYCLE) {
      return {
        validationPlugin: 'vscc',
        validationParameter: reference('/Channel/Application/LifecycleEndorsement'),
      };
    }
    const def = await definition(namespace, state);
    if (def === undefined) {
      throw new ChaincodeError('CHAINCODE_NOT_DEFINED', `chaincode ${namespace} not found`);
    }
    return {
      validationPlugin: def.validationInfo.validationPlugin,
      validationParameter: def.validationInfo.validationParameter,
    };
  }

  async collectionValidationInfo(
    _channelId: string,
    namespace: string,
    collection: string,
    state: SimpleQueryExecutor,
  ): Promise<Uint8Array> {
    const def =
      namespace === LIFECYCLE
        ? { validationInfo: lifecycle.ChaincodeValidationInfo.create() }
        : await definition(namespace, state);
    if (def === undefined) return new Uint8Array(0);
    if (collection.startsWith(IMPLICIT_PREFIX)) {
      return implicitCollectionPolicy(this.bundle(), collection.slice(IMPLICIT_PREFIX.length));
    }
    const found = def.collections?.config.find(
      (c) => c.staticCollectionConfig?.name === collection,
    )?.staticCollectionConfig;
    if (found === undefined || found === null) {
      throw new ChaincodeError('COLLECTION_NOT_DEFINED', `no such collection '${collection}'`);
    }
    if (found.endorsementPolicy !== null && found.endorsementPolicy !== undefined) {
      return protos.ApplicationPolicy.encode(found.endorsementPolicy).finish();
    }
    return def.validationInfo.validationParameter;
  }

  async allCollectionsConfigPkg(
    _channelId: string,
    namespace: string,
    qe: SimpleQueryExecutor,
  ): Promise<protos.CollectionConfigPackage | undefined> {
    const def = await definition(namespace, qe);
    return def?.collections;
  }
}

/** The `_lifecycle` writes that define `name` with a validation policy (and collections). */
export function definitionWrites(
  name: string,
  policy: Uint8Array,
  options: { plugin?: string; collections?: protos.ICollectionConfigPackage } = {},
): { key: string; value: Uint8Array }[] {
  const data = (bytes: Uint8Array) => lifecycle.StateData.encode({ Bytes: bytes }).finish();
  const writes = [
    {
      key: metadataKey(name),
      value: lifecycle.StateMetadata.encode({
        datatype: 'ChaincodeDefinition',
        fields: ['Collections', 'EndorsementInfo', 'Sequence', 'ValidationInfo'],
      }).finish(),
    },
    {
      key: fieldKey(name, 'Sequence'),
      value: lifecycle.StateData.encode({ Int64: 1 }).finish(),
    },
    {
      key: fieldKey(name, 'ValidationInfo'),
      value: data(
        lifecycle.ChaincodeValidationInfo.encode({
          validationPlugin: options.plugin ?? 'vscc',
          validationParameter: policy,
        }).finish(),
      ),
    },
  ];
  if (options.collections !== undefined) {
    writes.push({
      key: fieldKey(name, 'Collections'),
      value: data(protos.CollectionConfigPackage.encode(options.collections).finish()),
    });
  }
  return writes;
}

/** An ApplicationPolicy with a signature policy. */
export function signaturePolicy(envelope: common.ISignaturePolicyEnvelope): Uint8Array {
  return protos.ApplicationPolicy.encode({ signaturePolicy: envelope }).finish();
}

/** An ApplicationPolicy referring to a channel policy. */
export function policyReference(path: string): Uint8Array {
  return reference(path);
}

export { enc as utf8Encoder };
