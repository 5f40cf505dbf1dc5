/**
 * `_lifecycle`, the Fabric 2.x chaincode lifecycle system chaincode (Fabric's
 * core/chaincode/lifecycle scc.go and lifecycle.go): installs packages, records each org's
 * approval of a definition in its implicit collection, and commits definitions to the channel.
 * Every argument check, sequence rule, message and ACL is Fabric's, and every write is laid out
 * as Fabric's serializer lays it out, so that the read-write sets are byte-identical to Fabric's.
 */
import type {
  ChaincodeResponse,
  Logger,
  SystemChaincode,
  SystemChaincodeStateReader,
  SystemChaincodeStub,
} from '@fabric-peer/api';
import {
  PackageError,
  type ChaincodePackageStore,
  type InstalledPackageInfo,
} from '@fabric-peer/chaincode-packages';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { AclProvider, ChannelConfigBundle } from '@fabric-peer/policies';
import { Long, lifecycle } from '@fabric-peer/protos';
import { LifecycleError, messageOf, refused, withMessage } from './errors.js';
import {
  CHAINCODE_DEFINITION_TYPE,
  FRIENDLY_CHAINCODE_DEFINITION_TYPE,
  LIFECYCLE_NAMESPACE,
  applicationMspIds,
  definitionStruct,
  deserializeDefinition,
  deserializeLocalPackage,
  deserializeParameters,
  implicitCollectionForOrg,
  localPackageStruct,
  mspIdOfImplicitCollection,
  parametersMismatch,
  parametersStruct,
  privateName,
  withDefaults,
  type ChaincodeDefinition,
} from './definition.js';
import {
  CHAINCODE_SOURCES,
  NAMESPACES,
  deserializeAllMetadata,
  deserializeFieldAsInt64,
  deserializeMetadata,
  isSerialized,
  serialize,
  type OpaqueState,
  type RangeableState,
  type ReadWritableState,
} from './serializer.js';
import { validateInput } from './validate.js';

/** The chaincodes (name, version) on each channel whose definition uses an installed package. */
export type PackageReferences = ReadonlyMap<
  string,
  readonly { readonly name: string; readonly version: string }[]
>;

/** Where `_lifecycle` learns which definitions use an installed package (Fabric's cache). */
export interface InstalledPackageTracker {
  /** Per channel, the committed definitions this org approved with `packageId`. */
  references(packageId: string): Promise<PackageReferences>;
  /** Told after each install (Fabric's InstallListener). */
  packageInstalled?(info: InstalledPackageInfo): void;
}

/** Options of {@link Lifecycle}. */
export interface LifecycleOptions {
  readonly channels: ChannelRegistry;
  readonly acl: Pick<AclProvider, 'checkACL'>;
  /** Where InstallChaincode stores packages (`<peer.fileSystemPath>/lifecycle/chaincodes`). */
  readonly store: ChaincodePackageStore;
  /** This peer's MSP id: approvals go to its org's implicit collection. */
  readonly localMspId: string;
  /** References of installed packages (a LifecycleDefinitions); without it, none are reported. */
  readonly tracker?: InstalledPackageTracker;
  /**
   * Builds an installed package as Fabric does right after install; on failure the package is
   * removed (when the store can) and the install fails. Optional.
   */
  readonly build?: (packageId: string) => Promise<void>;
  readonly logger: Logger;
}

type Handler = (input: Uint8Array, inv: Invocation) => Promise<Uint8Array>;

/** One invocation (Fabric's Invocation): the stub and the channel's configuration. */
interface Invocation {
  readonly channelId: string;
  /** The channel's configuration; undefined for channel-less invocations. */
  readonly bundle: ChannelConfigBundle | undefined;
  readonly stub: SystemChaincodeStub;
}

const EMPTY = new Uint8Array(0);

function toLong(v: bigint): Long {
  return Long.fromString(v.toString(), false);
}

function toBigInt(v: number | Long | null | undefined): bigint {
  return BigInt(Long.fromValue(v ?? 0).toString());
}

/** The stub's public state (Fabric's shim as ReadWritableState). */
function publicState(stub: SystemChaincodeStub): ReadWritableState & RangeableState {
  return {
    async getState(key) {
      const v = await stub.getState(key);
      return v.length === 0 ? undefined : v;
    },
    putState: (key, value) => stub.putState(key, value),
    delState: (key) => stub.deleteState(key),
    async getStateRange(prefix) {
      const rows = await stub.getStateByRange(prefix, `${prefix}\x7f`);
      return new Map(rows.map((r) => [r.key, r.value]));
    },
  };
}

/** An implicit collection through the stub (Fabric's ChaincodePrivateLedgerShim). */
function privateState(
  stub: SystemChaincodeStub,
  collection: string,
): ReadWritableState & OpaqueState {
  const missing = (): Error =>
    refused('the system chaincode stub has no private data calls for _lifecycle');
  return {
    collectionName: collection,
    async getState(key) {
      if (stub.getPrivateData === undefined) throw missing();
      const v = await stub.getPrivateData(collection, key);
      return v.length === 0 ? undefined : v;
    },
    async getStateHash(key) {
      if (stub.getPrivateDataHash === undefined) throw missing();
      const v = await stub.getPrivateDataHash(collection, key);
      return v.length === 0 ? undefined : v;
    },
    async putState(key, value) {
      if (stub.putPrivateData === undefined) throw missing();
      await stub.putPrivateData(collection, key, value);
    },
    async delState(key) {
      if (stub.deletePrivateData === undefined) throw missing();
      await stub.deletePrivateData(collection, key);
    },
  };
}

/** The transaction's query executor (Fabric's QueryExecutorProvider.TxQueryExecutor). */
function txQueryExecutor(stub: SystemChaincodeStub): SystemChaincodeStateReader {
  const qe = stub.getTxQueryExecutor?.();
  if (qe === undefined) {
    throw refused(
      `could not get the query executor of transaction ${stub.getTxId()} on channel '${stub.getChannelId()}'`,
    );
  }
  return qe;
}

export class Lifecycle implements SystemChaincode {
  readonly name = LIFECYCLE_NAMESPACE;
  private readonly handlers: ReadonlyMap<string, Handler>;

  constructor(private readonly options: LifecycleOptions) {
    this.handlers = new Map<string, Handler>([
      ['InstallChaincode', (b) => this.installChaincode(b)],
      ['QueryInstalledChaincode', (b) => this.queryInstalledChaincode(b)],
      ['GetInstalledChaincodePackage', (b) => this.getInstalledChaincodePackage(b)],
      ['QueryInstalledChaincodes', (b) => this.queryInstalledChaincodes(b)],
      ['ApproveChaincodeDefinitionForMyOrg', (b, i) => this.approve(b, i)],
      ['QueryApprovedChaincodeDefinition', (b, i) => this.queryApproved(b, i)],
      ['CheckCommitReadiness', (b, i) => this.checkCommitReadiness(b, i)],
      ['CommitChaincodeDefinition', (b, i) => this.commit(b, i)],
      ['QueryChaincodeDefinition', (b, i) => this.queryChaincodeDefinition(b, i)],
      ['QueryChaincodeDefinitions', (b, i) => this.queryChaincodeDefinitions(b, i)],
    ]);
  }

  init(): Promise<ChaincodeResponse> {
    return Promise.resolve({ status: 200 });
  }

  /** Fabric's SCC.Invoke. */
  async invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse> {
    const args = stub.getArgs();
    if (args.length === 0) return fail('lifecycle scc must be invoked with arguments');
    if (args.length !== 2) {
      return fail(
        `lifecycle scc operations require exactly two arguments but received ${args.length}`,
      );
    }
    const channelId = stub.getChannelId();
    let bundle: ChannelConfigBundle | undefined;
    if (channelId !== '') {
      bundle = this.options.channels.get(channelId)?.bundle();
      if (bundle === undefined) {
        return fail(`could not get channelconfig for channel '${channelId}'`);
      }
      const app = bundle.capabilities.application;
      if (bundle.application === undefined || app === undefined) {
        return fail(`could not get application config for channel '${channelId}'`);
      }
      if (!app.lifecycleV20) {
        return fail(
          `cannot use new lifecycle for channel '${channelId}' as it does not have the required capabilities enabled`,
        );
      }
    }
    const fn = new TextDecoder().decode(args[0]);
    const sp = stub.getSignedProposal();
    if (sp === undefined) {
      return fail('Failed getting signed proposal from stub: [signed proposal is nil]');
    }
    try {
      await this.options.acl.checkACL(`${LIFECYCLE_NAMESPACE}/${fn}`, channelId, sp);
    } catch (err) {
      return fail(`Failed to authorize invocation due to failed ACL check: ${messageOf(err)}`);
    }
    const handler = this.handlers.get(fn);
    try {
      if (handler === undefined) {
        throw refused(`receiver *lifecycle.Invocation.${fn} does not exist`);
      }
      const output = await handler(args[1] ?? EMPTY, { channelId, bundle, stub });
      return { status: 200, payload: output };
    } catch (err) {
      if (err instanceof LifecycleError && err.code === 'NAMESPACE_NOT_DEFINED') {
        return { status: 404, message: err.message };
      }
      if (!(err instanceof LifecycleError)) {
        this.options.logger.error('_lifecycle failed', { function: fn, error: messageOf(err) });
      }
      return fail(`failed to invoke backing implementation of '${fn}': ${messageOf(err)}`);
    }
  }

  // ---- peer-wide functions -------------------------------------------------------------------

  private async installChaincode(input: Uint8Array): Promise<Uint8Array> {
    const args = decodeArgs(input, 'InstallChaincode', (b) =>
      lifecycle.InstallChaincodeArgs.decode(b),
    );
    const { store, build, logger } = this.options;
    let installed: InstalledPackageInfo;
    try {
      installed = await store.install(args.chaincodeInstallPackage);
    } catch (err) {
      if (err instanceof PackageError && err.code === 'ALREADY_INSTALLED') {
        throw refused(err.message);
      }
      if (err instanceof PackageError && err.code === 'INVALID_PACKAGE') {
        throw refused(`could not parse as a chaincode install package: ${err.message}`);
      }
      throw refused(`could not save cc install package: ${messageOf(err)}`);
    }
    if (build !== undefined) {
      try {
        await build(installed.packageId);
      } catch (err) {
        const removable = store as ChaincodePackageStore & {
          remove?: (id: string) => Promise<boolean>;
        };
        await removable.remove?.(installed.packageId).catch(() => false);
        throw refused(`could not build chaincode: ${messageOf(err)}`);
      }
    }
    this.options.tracker?.packageInstalled?.(installed);
    logger.info(`Successfully installed chaincode with package ID '${installed.packageId}'`);
    return lifecycle.InstallChaincodeResult.encode({
      packageId: installed.packageId,
      label: installed.label,
    }).finish();
  }

  private async referencesOf(packageId: string): Promise<PackageReferences> {
    return (await this.options.tracker?.references(packageId)) ?? new Map();
  }

  private async queryInstalledChaincode(input: Uint8Array): Promise<Uint8Array> {
    const args = decodeArgs(input, 'QueryInstalledChaincode', (b) =>
      lifecycle.QueryInstalledChaincodeArgs.decode(b),
    );
    const found = (await this.listInstalled()).find((p) => p.packageId === args.packageId);
    if (found === undefined) {
      throw refused(`could not find chaincode with package id '${args.packageId}'`);
    }
    return lifecycle.QueryInstalledChaincodeResult.encode({
      packageId: found.packageId,
      label: found.label,
      references: referencesMessage(await this.referencesOf(found.packageId)),
    }).finish();
  }

  private async listInstalled(): Promise<InstalledPackageInfo[]> {
    try {
      return await this.options.store.list();
    } catch (err) {
      throw refused(`could not list installed chaincodes: ${messageOf(err)}`);
    }
  }

  private async getInstalledChaincodePackage(input: Uint8Array): Promise<Uint8Array> {
    const args = decodeArgs(input, 'GetInstalledChaincodePackage', (b) =>
      lifecycle.GetInstalledChaincodePackageArgs.decode(b),
    );
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.options.store.load(args.packageId);
    } catch (err) {
      throw refused(`could not load cc install package: ${messageOf(err)}`);
    }
    if (bytes === undefined) {
      throw refused(
        `could not load cc install package: chaincode install package '${args.packageId}' not found`,
      );
    }
    return lifecycle.GetInstalledChaincodePackageResult.encode({
      chaincodeInstallPackage: bytes,
    }).finish();
  }

  private async queryInstalledChaincodes(input: Uint8Array): Promise<Uint8Array> {
    decodeArgs(input, 'QueryInstalledChaincodes', (b) =>
      lifecycle.QueryInstalledChaincodesArgs.decode(b),
    );
    const installed: lifecycle.QueryInstalledChaincodesResult.IInstalledChaincode[] = [];
    for (const p of await this.listInstalled()) {
      installed.push({
        packageId: p.packageId,
        label: p.label,
        references: referencesMessage(await this.referencesOf(p.packageId)),
      });
    }
    return lifecycle.QueryInstalledChaincodesResult.encode({
      installedChaincodes: installed,
    }).finish();
  }

  // ---- channel functions ---------------------------------------------------------------------

  /** Fabric's createOpaqueStates: every application org's implicit collection. */
  private opaqueStates(inv: Invocation): (ReadWritableState & OpaqueState)[] {
    if (inv.bundle?.application === undefined) {
      throw refused(`no application config for channel '${inv.channelId}'`);
    }
    return applicationMspIds(inv.bundle).map((id) =>
      privateState(inv.stub, implicitCollectionForOrg(id)),
    );
  }

  private async approve(input: Uint8Array, inv: Invocation): Promise<Uint8Array> {
    const args = decodeArgs(input, 'ApproveChaincodeDefinitionForMyOrg', (b) =>
      lifecycle.ApproveChaincodeDefinitionForMyOrgArgs.decode(b),
    );
    try {
      await validateInput(
        inv.channelId,
        inv.bundle,
        args.name,
        args.version,
        args.collections,
        () => txQueryExecutor(inv.stub),
      );
    } catch (err) {
      throw withMessage(err, 'error validating chaincode definition');
    }
    const collection = implicitCollectionForOrg(this.options.localMspId);
    // As Go's type switch on the oneof: the member set last wins.
    const packageId =
      args.source?.Type === 'localPackage' ? (args.source.localPackage?.packageId ?? '') : '';
    const cd: ChaincodeDefinition = {
      sequence: toBigInt(args.sequence),
      ...parametersOf(args),
      // Go builds a new package from the configs: the package's own unknown fields are dropped.
      collections: { config: args.collections?.config ?? [] },
    };
    await this.approveForOrg(
      inv,
      args.name,
      cd,
      packageId,
      publicState(inv.stub),
      privateState(inv.stub, collection),
    );
    return lifecycle.ApproveChaincodeDefinitionForMyOrgResult.encode({}).finish();
  }

  /** Fabric's ExternalFunctions.ApproveChaincodeDefinitionForOrg. */
  private async approveForOrg(
    inv: Invocation,
    name: string,
    requested: ChaincodeDefinition,
    packageId: string,
    publicState: ReadWritableState,
    orgState: ReadWritableState,
  ): Promise<void> {
    let current: bigint;
    try {
      current = await deserializeFieldAsInt64(NAMESPACES, name, 'Sequence', publicState);
    } catch (err) {
      throw withMessage(err, 'could not get current sequence');
    }
    const seq = requested.sequence;
    if (current === seq && seq === 0n) {
      throw refused('requested sequence is 0, but first definable sequence number is 1');
    }
    if (seq < current) {
      throw refused(
        `currently defined sequence ${current} is larger than requested sequence ${seq}`,
      );
    }
    if (seq > current + 1n) {
      throw refused(
        `requested sequence ${seq} is larger than the next available sequence number ${current + 1n}`,
      );
    }
    let cd: ChaincodeDefinition;
    try {
      cd = withDefaults(inv.channelId, inv.bundle, requested);
    } catch (err) {
      throw withMessage(
        err,
        `could not set defaults for chaincode definition in channel ${inv.channelId}`,
      );
    }

    if (seq === current) {
      let metadata: lifecycle.StateMetadata | undefined;
      try {
        metadata = await deserializeMetadata(NAMESPACES, name, publicState);
      } catch (err) {
        throw withMessage(err, 'could not fetch metadata for current definition');
      }
      if (metadata === undefined) {
        throw refused(`missing metadata for currently committed sequence number (${current})`);
      }
      let defined: ChaincodeDefinition;
      try {
        defined = await deserializeDefinition(NAMESPACES, name, metadata, publicState);
      } catch (err) {
        throw withMessage(err, `could not deserialize namespace ${name} as chaincode`);
      }
      const mismatch = parametersMismatch(defined, cd);
      if (mismatch !== undefined) {
        throw refused(
          `attempted to redefine the current committed sequence (${current}) for namespace ${name} with different parameters: ${mismatch}`,
        );
      }
    }

    const pn = privateName(name, seq);
    if (seq === current + 1n) {
      let uncommitted: lifecycle.StateMetadata | undefined;
      try {
        uncommitted = await deserializeMetadata(NAMESPACES, pn, orgState);
      } catch (err) {
        throw withMessage(err, 'could not fetch uncommitted definition');
      }
      if (uncommitted !== undefined) {
        let params;
        try {
          params = await deserializeParameters(NAMESPACES, pn, uncommitted, orgState);
        } catch (err) {
          throw withMessage(err, `could not deserialize namespace ${pn} as chaincode`);
        }
        if (parametersMismatch(params, cd) === undefined) {
          let source: lifecycle.StateMetadata | undefined;
          try {
            source = await deserializeMetadata(CHAINCODE_SOURCES, pn, orgState);
          } catch (err) {
            throw withMessage(err, `could not deserialize chaincode-source metadata for ${pn}`);
          }
          if (source !== undefined) {
            let approvedPackage: string;
            try {
              approvedPackage = await deserializeLocalPackage(
                CHAINCODE_SOURCES,
                pn,
                source,
                orgState,
              );
            } catch (err) {
              throw withMessage(err, `could not deserialize chaincode package for ${pn}`);
            }
            if (approvedPackage === packageId) {
              throw refused(
                `attempted to redefine uncommitted sequence (${seq}) for namespace ${name} with unchanged content`,
              );
            }
          }
        }
      }
    }

    try {
      await serialize(NAMESPACES, pn, parametersStruct(cd), orgState);
    } catch (err) {
      throw withMessage(err, 'could not serialize chaincode parameters to state');
    }
    // The package id is set even when empty: an empty one tells this org's peers not to endorse.
    try {
      await serialize(CHAINCODE_SOURCES, pn, localPackageStruct(packageId), orgState);
    } catch (err) {
      throw withMessage(err, 'could not serialize chaincode package info to state');
    }
    this.options.logger.info(
      `Successfully endorsed chaincode approval with name '${name}', package ID '${packageId}', on channel '${inv.channelId}' with definition {${describe(cd)}}`,
    );
  }

  /** Fabric's ExternalFunctions.QueryApprovedChaincodeDefinition. */
  private async queryApproved(input: Uint8Array, inv: Invocation): Promise<Uint8Array> {
    const args = decodeArgs(input, 'QueryApprovedChaincodeDefinition', (b) =>
      lifecycle.QueryApprovedChaincodeDefinitionArgs.decode(b),
    );
    const name = args.name;
    const sequence = toBigInt(args.sequence);
    const pub = publicState(inv.stub);
    const org = privateState(inv.stub, implicitCollectionForOrg(this.options.localMspId));
    let requested = sequence;
    if (requested === 0n) {
      let current: bigint;
      try {
        current = await deserializeFieldAsInt64(NAMESPACES, name, 'Sequence', pub);
      } catch (err) {
        throw withMessage(err, 'could not get current sequence');
      }
      requested = current;
      const next = current + 1n;
      let nextMetadata;
      try {
        nextMetadata = await deserializeMetadata(NAMESPACES, privateName(name, next), org);
      } catch (err) {
        throw withMessage(
          err,
          `could not deserialize namespace metadata for next sequence ${next}`,
        );
      }
      if (nextMetadata !== undefined) requested = next;
    }
    const pn = privateName(name, requested);
    const notFound = (): LifecycleError =>
      refused(
        `could not fetch approved chaincode definition (name: '${name}', sequence: '${sequence}') on channel '${inv.channelId}'`,
      );
    let metadata: lifecycle.StateMetadata | undefined;
    try {
      metadata = await deserializeMetadata(NAMESPACES, pn, org);
    } catch (err) {
      throw withMessage(err, `could not deserialize namespace metadata for ${pn}`);
    }
    if (metadata === undefined) throw notFound();
    if (metadata.datatype !== 'ChaincodeParameters') {
      throw refused(`not a chaincode parameters type: ${metadata.datatype}`);
    }
    let params;
    try {
      params = await deserializeParameters(NAMESPACES, pn, metadata, org);
    } catch (err) {
      throw withMessage(err, `could not deserialize chaincode parameters for ${pn}`);
    }
    let source: lifecycle.StateMetadata | undefined;
    try {
      source = await deserializeMetadata(CHAINCODE_SOURCES, pn, org);
    } catch (err) {
      throw withMessage(err, `could not deserialize chaincode-source metadata for ${pn}`);
    }
    if (source === undefined) throw notFound();
    if (source.datatype !== 'ChaincodeLocalPackage') {
      throw refused(`not a chaincode local package type: ${source.datatype}`);
    }
    let packageId: string;
    try {
      packageId = await deserializeLocalPackage(CHAINCODE_SOURCES, pn, source, org);
    } catch (err) {
      throw withMessage(err, `could not deserialize chaincode package for ${pn}`);
    }
    const ei = params.endorsementInfo;
    const vi = params.validationInfo;
    return lifecycle.QueryApprovedChaincodeDefinitionResult.encode({
      sequence: toLong(requested),
      version: ei.version ?? '',
      endorsementPlugin: ei.endorsementPlugin ?? '',
      validationPlugin: vi.validationPlugin ?? '',
      validationParameter: vi.validationParameter ?? EMPTY,
      collections: params.collections ?? {},
      initRequired: ei.initRequired ?? false,
      source: packageId !== '' ? { localPackage: { packageId } } : { unavailable: {} },
    }).finish();
  }

  /** Fabric's ExternalFunctions.CheckCommitReadiness: the approvals, and the definition with defaults. */
  private async readiness(
    inv: Invocation,
    name: string,
    requested: ChaincodeDefinition,
    orgStates: readonly OpaqueState[],
  ): Promise<{ approvals: Map<string, boolean>; cd: ChaincodeDefinition }> {
    let current: bigint;
    try {
      current = await deserializeFieldAsInt64(NAMESPACES, name, 'Sequence', publicState(inv.stub));
    } catch (err) {
      throw withMessage(err, 'could not get current sequence');
    }
    if (requested.sequence !== current + 1n) {
      throw refused(
        `requested sequence is ${requested.sequence}, but new definition must be sequence ${current + 1n}`,
      );
    }
    let cd: ChaincodeDefinition;
    try {
      cd = withDefaults(inv.channelId, inv.bundle, requested);
    } catch (err) {
      throw withMessage(
        err,
        `could not set defaults for chaincode definition in channel ${inv.channelId}`,
      );
    }
    const approvals = await queryOrgApprovals(name, cd, orgStates);
    this.options.logger.info(
      `Successfully checked commit readiness of chaincode name '${name}' on channel '${inv.channelId}' with definition {${describe(cd)}}`,
    );
    return { approvals, cd };
  }

  private async checkCommitReadiness(input: Uint8Array, inv: Invocation): Promise<Uint8Array> {
    const args = decodeArgs(input, 'CheckCommitReadiness', (b) =>
      lifecycle.CheckCommitReadinessArgs.decode(b),
    );
    const orgStates = this.opaqueStates(inv);
    const cd: ChaincodeDefinition = {
      sequence: toBigInt(args.sequence),
      ...parametersOf(args),
      collections: args.collections ?? null,
    };
    const { approvals } = await this.readiness(inv, args.name, cd, orgStates);
    return lifecycle.CheckCommitReadinessResult.encode({
      approvals: sortedRecord(approvals),
    }).finish();
  }

  private async commit(input: Uint8Array, inv: Invocation): Promise<Uint8Array> {
    const args = decodeArgs(input, 'CommitChaincodeDefinition', (b) =>
      lifecycle.CommitChaincodeDefinitionArgs.decode(b),
    );
    try {
      await validateInput(
        inv.channelId,
        inv.bundle,
        args.name,
        args.version,
        args.collections,
        () => txQueryExecutor(inv.stub),
      );
    } catch (err) {
      throw withMessage(err, 'error validating chaincode definition');
    }
    if (inv.bundle?.application === undefined) {
      throw refused(`no application config for channel '${inv.channelId}'`);
    }
    const myOrg = this.options.localMspId;
    const ids = applicationMspIds(inv.bundle);
    if (!ids.includes(myOrg)) {
      throw refused(
        "impossibly, this peer's org is processing requests for a channel it is not a member of",
      );
    }
    const orgStates = ids.map((id) => privateState(inv.stub, implicitCollectionForOrg(id)));
    const requested: ChaincodeDefinition = {
      sequence: toBigInt(args.sequence),
      ...parametersOf(args),
      collections: args.collections ?? null,
    };
    const { approvals, cd } = await this.readiness(inv, args.name, requested, orgStates);
    try {
      await serialize(NAMESPACES, args.name, definitionStruct(cd), publicState(inv.stub));
    } catch (err) {
      throw withMessage(err, 'could not serialize chaincode definition');
    }
    if (approvals.get(myOrg) !== true) {
      throw refused(`chaincode definition not agreed to by this org (${myOrg})`);
    }
    this.options.logger.info(
      `Successfully endorsed commit for chaincode name '${args.name}' on channel '${inv.channelId}' with definition {${describe(cd)}}`,
    );
    return lifecycle.CommitChaincodeDefinitionResult.encode({}).finish();
  }

  private async queryChaincodeDefinition(input: Uint8Array, inv: Invocation): Promise<Uint8Array> {
    const args = decodeArgs(input, 'QueryChaincodeDefinition', (b) =>
      lifecycle.QueryChaincodeDefinitionArgs.decode(b),
    );
    const defined = await queryDefinition(args.name, publicState(inv.stub));
    const orgStates = this.opaqueStates(inv);
    const approvals = await queryOrgApprovals(args.name, defined, orgStates);
    const ei = defined.endorsementInfo;
    const vi = defined.validationInfo;
    return lifecycle.QueryChaincodeDefinitionResult.encode({
      sequence: toLong(defined.sequence),
      version: ei.version ?? '',
      endorsementPlugin: ei.endorsementPlugin ?? '',
      validationPlugin: vi.validationPlugin ?? '',
      validationParameter: vi.validationParameter ?? EMPTY,
      collections: defined.collections ?? {},
      initRequired: ei.initRequired ?? false,
      approvals: sortedRecord(approvals),
    }).finish();
  }

  private async queryChaincodeDefinitions(input: Uint8Array, inv: Invocation): Promise<Uint8Array> {
    decodeArgs(input, 'QueryChaincodeDefinitions', (b) =>
      lifecycle.QueryChaincodeDefinitionsArgs.decode(b),
    );
    const pub = publicState(inv.stub);
    const namespaces = await queryNamespaceDefinitions(pub);
    const definitions: lifecycle.QueryChaincodeDefinitionsResult.IChaincodeDefinition[] = [];
    // Sorted by name: Go's map order is random, ours is stable.
    for (const [name, type] of [...namespaces].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (type !== FRIENDLY_CHAINCODE_DEFINITION_TYPE) continue;
      const d = await queryDefinition(name, pub);
      const ei = d.endorsementInfo;
      const vi = d.validationInfo;
      definitions.push({
        name,
        sequence: toLong(d.sequence),
        version: ei.version ?? '',
        endorsementPlugin: ei.endorsementPlugin ?? '',
        validationPlugin: vi.validationPlugin ?? '',
        validationParameter: vi.validationParameter ?? EMPTY,
        collections: d.collections ?? {},
        initRequired: ei.initRequired ?? false,
      });
    }
    return lifecycle.QueryChaincodeDefinitionsResult.encode({
      chaincodeDefinitions: definitions,
    }).finish();
  }
}

/** shim.Error. */
function fail(message: string): ChaincodeResponse {
  return { status: 500, message };
}

/** Fabric's dispatcher: the function's Args message, or its decode error. */
function decodeArgs<T>(input: Uint8Array, fn: string, decode: (b: Uint8Array) => T): T {
  try {
    return decode(input);
  } catch (err) {
    throw refused(`could not decode input arg for *lifecycle.Invocation.${fn}: ${messageOf(err)}`);
  }
}

/** The endorsement and validation info the Args of approve, check and commit carry. */
function parametersOf(args: {
  version: string;
  endorsementPlugin: string;
  initRequired: boolean;
  validationPlugin: string;
  validationParameter: Uint8Array;
}): Pick<ChaincodeDefinition, 'endorsementInfo' | 'validationInfo'> {
  return {
    endorsementInfo: {
      version: args.version,
      endorsementPlugin: args.endorsementPlugin,
      initRequired: args.initRequired,
    },
    validationInfo: {
      validationPlugin: args.validationPlugin,
      validationParameter: args.validationParameter,
    },
  };
}

/** Fabric's ExternalFunctions.QueryOrgApprovals. */
async function queryOrgApprovals(
  name: string,
  cd: ChaincodeDefinition,
  orgStates: readonly OpaqueState[],
): Promise<Map<string, boolean>> {
  const approvals = new Map<string, boolean>();
  const pn = privateName(name, cd.sequence);
  const struct = parametersStruct(cd);
  for (const state of orgStates) {
    let match: boolean;
    try {
      match = await isSerialized(NAMESPACES, pn, struct, state);
    } catch (err) {
      throw withMessage(err, `serialization check failed for key ${pn}`);
    }
    approvals.set(mspIdOfImplicitCollection(state.collectionName) ?? '', match);
  }
  return approvals;
}

/** Fabric's ExternalFunctions.QueryChaincodeDefinition. */
async function queryDefinition(
  name: string,
  state: ReadWritableState,
): Promise<ChaincodeDefinition> {
  let metadata: lifecycle.StateMetadata | undefined;
  try {
    metadata = await deserializeMetadata(NAMESPACES, name, state);
  } catch (err) {
    throw withMessage(err, `could not fetch metadata for namespace ${name}`);
  }
  if (metadata === undefined) {
    throw new LifecycleError('NAMESPACE_NOT_DEFINED', `namespace ${name} is not defined`, {
      details: { namespace: name },
    });
  }
  try {
    return await deserializeDefinition(NAMESPACES, name, metadata, state);
  } catch (err) {
    throw withMessage(err, `could not deserialize namespace ${name} as chaincode`);
  }
}

/** Fabric's ExternalFunctions.QueryNamespaceDefinitions: namespace → its friendly type. */
export async function queryNamespaceDefinitions(
  state: RangeableState,
): Promise<Map<string, string>> {
  let metadatas;
  try {
    metadatas = await deserializeAllMetadata(NAMESPACES, state);
  } catch (err) {
    throw withMessage(err, 'could not query namespace metadata');
  }
  const out = new Map<string, string>();
  for (const [name, md] of metadatas) {
    out.set(
      name,
      md.datatype === CHAINCODE_DEFINITION_TYPE ? FRIENDLY_CHAINCODE_DEFINITION_TYPE : md.datatype,
    );
  }
  return out;
}

function sortedRecord(m: ReadonlyMap<string, boolean>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) ?? false;
  return out;
}

function referencesMessage(
  refs: PackageReferences,
): Record<string, lifecycle.QueryInstalledChaincodeResult.IReferences> {
  const out: Record<string, lifecycle.QueryInstalledChaincodeResult.IReferences> = {};
  for (const channel of [...refs.keys()].sort()) {
    out[channel] = {
      chaincodes: (refs.get(channel) ?? []).map((c) => ({ name: c.name, version: c.version })),
    };
  }
  return out;
}

/** Fabric's ChaincodeDefinition.String, for logs. */
function describe(cd: ChaincodeDefinition): string {
  const ei = cd.endorsementInfo;
  const vi = cd.validationInfo;
  return `sequence: ${cd.sequence}, endorsement info: (version: '${ei.version ?? ''}', plugin: '${ei.endorsementPlugin ?? ''}', init required: ${String(ei.initRequired ?? false)}), validation info: (plugin: '${vi.validationPlugin ?? ''}', policy: '${Buffer.from(vi.validationParameter ?? EMPTY).toString('hex')}')`;
}
