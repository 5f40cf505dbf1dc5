/**
 * lscc, the legacy lifecycle system chaincode (Fabric's core/scc/lscc/lscc.go): install of
 * ChaincodeDeploymentSpecs, deploy and upgrade on channels without the V2_0 application capability,
 * and the queries. Messages are Fabric's.
 */
import type {
  ChaincodeResponse,
  Logger,
  SystemChaincode,
  SystemChaincodeStub,
} from '@fabric-peer/api';
import {
  parseLegacyPackage,
  type LegacyChaincode,
  type LegacyChaincodeStore,
} from '@fabric-peer/chaincode-packages';
import type { ChannelRegistry } from '@fabric-peer/channel';
import {
  AclResources,
  createSignaturePolicy,
  signaturePolicyFromBytes,
  type AclProvider,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { common, msp, protos } from '@fabric-peer/protos';
import { failure, messageOf, proposalSignedData, success, text } from './util.js';
import {
  decodeChaincodeData,
  encodeChaincodeData,
  sameFingerprint,
  signedByAnyOfRole,
  type ChaincodeData,
} from './wire.js';

/** Fabric's lscc name and version rules (kept in step with `_lifecycle`). */
export const CHAINCODE_NAME_PATTERN = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
export const CHAINCODE_VERSION_PATTERN = /^[A-Za-z0-9_.+-]+$/;

/** The key of a chaincode's collection configuration in lscc's namespace. */
export function collectionKey(chaincodeName: string): string {
  return `${chaincodeName}~collection`;
}

export interface LsccOptions {
  readonly channels: ChannelRegistry;
  readonly acl: AclProvider;
  readonly store: LegacyChaincodeStore;
  /** Names of the system chaincodes, which cannot be installed or deployed. */
  readonly systemChaincodes: ReadonlySet<string>;
  /**
   * Builds an installed chaincode (`name:version`) as Fabric does right after install; optional
   * (runtimes that build at launch need nothing here).
   */
  readonly build?: (chaincodeId: string) => Promise<void>;
  /** Told of each install (Fabric's HandleChaincodeInstall: a deployed chaincode's indexes). */
  readonly onInstalled?: (chaincode: LegacyChaincode) => void;
  readonly logger: Logger;
}

/** A failure whose message is the chaincode's response message. */
class LsccError extends Error {}

const fail = (message: string): LsccError => new LsccError(message);
const invalidArgsLen = (n: number): string => `invalid number of arguments to lscc: ${n}`;
const notFound = (name: string): string => `could not find chaincode with name '${name}'`;

function invalidName(name: string): string {
  return `invalid chaincode name '${name}'. Names must start with an alphanumeric character and can only consist of alphanumerics, '_', and '-'`;
}
function invalidVersion(version: string): string {
  return `invalid chaincode version '${version}'. Versions must not be empty and can only consist of alphanumerics, '_',  '-', '+', and '.'`;
}

function checkNameVersion(name: string, version: string): void {
  if (!CHAINCODE_NAME_PATTERN.test(name)) throw fail(invalidName(name));
  if (!CHAINCODE_VERSION_PATTERN.test(version)) throw fail(invalidVersion(version));
}

/** ChaincodeInfo with Go's proto3 omission of empty fields. */
function chaincodeInfo(info: {
  name: string;
  version: string;
  path?: string;
  input?: string;
  escc?: string;
  vscc?: string;
  id?: Uint8Array;
}): protos.IChaincodeInfo {
  const out: protos.IChaincodeInfo = {};
  if (info.name) out.name = info.name;
  if (info.version) out.version = info.version;
  if (info.path) out.path = info.path;
  if (info.input) out.input = info.input;
  if (info.escc) out.escc = info.escc;
  if (info.vscc) out.vscc = info.vscc;
  if (info.id && info.id.length > 0) out.id = info.id;
  return out;
}

/** A ChaincodeInput in the proto text form Fabric's `Input.String()` gives. */
function inputText(input: protos.IChaincodeInput | null | undefined): string {
  if (!input) return '';
  const parts = (input.args ?? []).map((a) => `args:${JSON.stringify(text(a))}`);
  if (input.isInit) parts.push('is_init:true');
  return parts.join(' ');
}

export class Lscc implements SystemChaincode {
  readonly name = 'lscc';

  constructor(private readonly options: LsccOptions) {}

  init(): Promise<ChaincodeResponse> {
    return Promise.resolve(success());
  }

  async invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse> {
    try {
      return await this.dispatch(stub);
    } catch (err) {
      if (!(err instanceof LsccError)) {
        this.options.logger.error('lscc failed', { error: messageOf(err) });
      }
      return failure(messageOf(err));
    }
  }

  private async dispatch(stub: SystemChaincodeStub): Promise<ChaincodeResponse> {
    const args = stub.getArgs();
    if (args.length < 1) return failure(invalidArgsLen(args.length));
    const fn = text(args[0]);
    const sp = stub.getSignedProposal();
    if (sp === undefined) {
      return failure(
        `Failed retrieving signed proposal on executing ${fn} with error no signed proposal`,
      );
    }
    const acl = this.options.acl;
    switch (fn) {
      case 'install': {
        if (args.length < 2) return failure(invalidArgsLen(args.length));
        try {
          await acl.checkACL(AclResources.Lscc_Install, '', sp);
        } catch (err) {
          return failure(`access denied for [${fn}]: ${messageOf(err)}`);
        }
        await this.install(args[1] ?? new Uint8Array(0));
        return success(new TextEncoder().encode('OK'));
      }
      case 'deploy':
      case 'upgrade':
        return this.deployOrUpgrade(stub, fn, args);
      case 'getid':
      case 'ChaincodeExists':
      case 'getdepspec':
      case 'GetDeploymentSpec':
      case 'getccdata':
      case 'GetChaincodeData': {
        if (args.length !== 3) return failure(invalidArgsLen(args.length));
        const channel = text(args[1]);
        const ccname = text(args[2]);
        const resource =
          fn === 'getid' || fn === 'ChaincodeExists'
            ? AclResources.Lscc_ChaincodeExists
            : fn === 'getdepspec' || fn === 'GetDeploymentSpec'
              ? AclResources.Lscc_GetDeploymentSpec
              : AclResources.Lscc_GetChaincodeData;
        try {
          await acl.checkACL(resource, channel, sp);
        } catch (err) {
          return failure(`access denied for [${fn}][${channel}]: ${messageOf(err)}`);
        }
        const cdbytes = await this.getInstance(stub, ccname);
        if (fn === 'getccdata' || fn === 'GetChaincodeData') return success(cdbytes);
        const cd = this.chaincodeData(ccname, cdbytes);
        if (fn === 'getid' || fn === 'ChaincodeExists') {
          return success(new TextEncoder().encode(cd.name));
        }
        const installed = await this.validatedPackage(cd);
        return success(installed.deploymentSpec);
      }
      case 'getchaincodes':
      case 'GetChaincodes': {
        if (args.length !== 1) return failure(invalidArgsLen(args.length));
        const channel = stub.getChannelId();
        try {
          await acl.checkACL(AclResources.Lscc_GetInstantiatedChaincodes, channel, sp);
        } catch (err) {
          return failure(`access denied for [${fn}][${channel}]: ${messageOf(err)}`);
        }
        return success(await this.instantiated(stub));
      }
      case 'getinstalledchaincodes':
      case 'GetInstalledChaincodes': {
        if (args.length !== 1) return failure(invalidArgsLen(args.length));
        try {
          await acl.checkACL(AclResources.Lscc_GetInstalledChaincodes, '', sp);
        } catch (err) {
          return failure(`access denied for [${fn}]: ${messageOf(err)}`);
        }
        const installed = await this.options.store.list();
        return success(
          protos.ChaincodeQueryResponse.encode({
            chaincodes: installed.map((c) =>
              chaincodeInfo({ name: c.name, version: c.version, path: c.path, id: c.id }),
            ),
          }).finish(),
        );
      }
      case 'GetCollectionsConfig':
      case 'getcollectionsconfig': {
        if (args.length !== 2) return failure(invalidArgsLen(args.length));
        const ccname = text(args[1]);
        try {
          await acl.checkACL(AclResources.Lscc_GetCollectionsConfig, stub.getChannelId(), sp);
        } catch (err) {
          return failure(`access denied for [${fn}]: ${messageOf(err)}`);
        }
        const bytes = await stub.getState(collectionKey(ccname));
        if (bytes.length === 0) {
          return failure(`collections config not defined for chaincode ${ccname}`);
        }
        return success(bytes);
      }
      default:
        return failure(`invalid function to lscc: ${fn}`);
    }
  }

  /** Fabric's executeInstall. */
  private async install(bytes: Uint8Array): Promise<void> {
    let parsed: { name: string; version: string };
    try {
      parsed = parseLegacyPackage(bytes);
    } catch (err) {
      throw fail(messageOf(err));
    }
    checkNameVersion(parsed.name, parsed.version);
    if (this.options.systemChaincodes.has(parsed.name)) {
      throw fail(`cannot install: ${parsed.name} is the name of a system chaincode`);
    }
    let installed: LegacyChaincode;
    try {
      installed = await this.options.store.install(bytes);
    } catch (err) {
      throw fail(
        `error installing chaincode code ${parsed.name}:${parsed.version}(${messageOf(err)})`,
      );
    }
    const ccid = `${installed.name}:${installed.version}`;
    if (this.options.build !== undefined) {
      try {
        await this.options.build(ccid);
      } catch (err) {
        throw fail(`chaincode installed to peer but could not build chaincode: ${messageOf(err)}`);
      }
    }
    this.options.logger.info(
      `Installed Chaincode [${installed.name}] Version [${installed.version}] to peer`,
    );
    this.options.onInstalled?.(installed);
  }

  private bundle(channelId: string): ChannelConfigBundle {
    const channel = this.options.channels.get(channelId);
    if (channel === undefined) {
      throw fail(`programming error, non-existent appplication config for channel '${channelId}'`);
    }
    return channel.bundle();
  }

  /** The application org MSP ids of a channel (Fabric's GetMSPIDs). */
  private mspIds(bundle: ChannelConfigBundle): string[] {
    return [...(bundle.application?.organizations.values() ?? [])].map((o) => o.mspId);
  }

  /** Fabric's Invoke for deploy and upgrade, then executeDeployOrUpgrade. */
  private async deployOrUpgrade(
    stub: SystemChaincodeStub,
    fn: 'deploy' | 'upgrade',
    args: readonly Uint8Array[],
  ): Promise<ChaincodeResponse> {
    if (args.length < 3) return failure(invalidArgsLen(args.length));
    const channel = text(args[1]);
    if (channel === '') return failure(`invalid channel name: ${channel}`);
    const bundle = this.bundle(channel);
    const caps = bundle.capabilities.application;
    if (caps?.lifecycleV20) {
      return failure(
        `Channel '${channel}' has been migrated to the new lifecycle, LSCC is now read-only`,
      );
    }
    const pvtData = caps?.privateChannelData ?? false;
    if (!pvtData && args.length > 6) {
      return failure(
        'as V1_2 or later capability is not enabled, private channel collections and data are not available',
      );
    }
    if (pvtData && args.length > 7) return failure(invalidArgsLen(args.length));

    let cds: protos.ChaincodeDeploymentSpec;
    try {
      cds = protos.ChaincodeDeploymentSpec.decode(args[2] ?? new Uint8Array(0));
    } catch (err) {
      return failure(`error unmarshalling ChaincodeDeploymentSpec: ${messageOf(err)}`);
    }
    const arg = (i: number): Uint8Array | undefined => {
      const a = args[i];
      return a !== undefined && a.length > 0 ? a : undefined;
    };
    const policy =
      arg(3) ?? signedByAnyOfRole(common.MSPRole.MSPRoleType.MEMBER, this.mspIds(bundle));
    const escc = arg(4) !== undefined ? text(arg(4)) : 'escc';
    const vscc = arg(5) !== undefined ? text(arg(5)) : 'vscc';
    const collections = pvtData && args.length > 6 ? args[6] : undefined;

    const name = cds.chaincodeSpec?.chaincodeId?.name ?? '';
    const version = cds.chaincodeSpec?.chaincodeId?.version ?? '';
    checkNameVersion(name, version);
    const installed = await this.options.store.get(name, version);
    if (installed === undefined) {
      this.options.logger.error(`cannot get package for chaincode (${name}:${version})`);
      throw fail(`cannot get package for chaincode (${name}:${version})`);
    }
    const signed = proposalSignedData(stub.getSignedProposal() ?? {});
    const fresh = (instantiationPolicy: Uint8Array): ChaincodeData => ({
      name: installed.name,
      version: installed.version,
      escc,
      vscc,
      policy,
      data: installed.data,
      id: installed.id,
      instantiationPolicy,
    });

    let cd: ChaincodeData;
    if (fn === 'deploy') {
      const existing = await stub.getState(name);
      if (existing.length > 0) throw fail(`chaincode with name '${name}' already exists`);
      cd = fresh(this.instantiationPolicy(bundle, installed));
      await this.checkInstantiationPolicy(bundle, signed, cd.instantiationPolicy);
      await stub.putState(name, encodeChaincodeData(cd));
      await this.putCollections(stub, bundle, cd, collections);
    } else {
      const existingBytes = await stub.getState(name);
      if (existingBytes.length === 0) throw fail(notFound(name));
      const existing = this.chaincodeData(name, existingBytes);
      if (existing.version === version) {
        throw fail(`version already exists for chaincode with name '${name}'`);
      }
      if (existing.instantiationPolicy.length === 0) throw fail('instantiation policy missing');
      await this.checkInstantiationPolicy(bundle, signed, existing.instantiationPolicy);
      cd = fresh(this.instantiationPolicy(bundle, installed));
      await this.checkInstantiationPolicy(bundle, signed, cd.instantiationPolicy);
      await stub.putState(name, encodeChaincodeData(cd));
      if (caps?.collectionUpgrade) {
        await this.putCollections(stub, bundle, cd, collections);
      } else if (collections !== undefined) {
        throw fail('as V1_2 capability is not enabled, collection upgrades are not allowed');
      }
      stub.setEvent?.('upgrade', protos.LifecycleEvent.encode({ chaincodeName: name }).finish());
    }
    return success(encodeChaincodeData(cd));
  }

  /** Fabric's GetInstantiationPolicy: the signed package's, or any channel org's admin. */
  private instantiationPolicy(bundle: ChannelConfigBundle, installed: LegacyChaincode): Uint8Array {
    if (installed.instantiationPolicy !== undefined) {
      if (installed.instantiationPolicy.length === 0) {
        throw fail('instantiation policy cannot be nil for a SignedCCDeploymentSpec');
      }
      return installed.instantiationPolicy;
    }
    return signedByAnyOfRole(common.MSPRole.MSPRoleType.ADMIN, this.mspIds(bundle));
  }

  /** Fabric's CheckInstantiationPolicy against the channel's MSPs. */
  private async checkInstantiationPolicy(
    bundle: ChannelConfigBundle,
    signed: ReturnType<typeof proposalSignedData>,
    policyBytes: Uint8Array,
  ): Promise<void> {
    const policy = signaturePolicyFromBytes(policyBytes, bundle.deserializer);
    try {
      await policy.evaluateSignedData([signed]);
    } catch (err) {
      throw fail(`instantiation policy violation: ${messageOf(err)}`);
    }
  }

  /** Fabric's putChaincodeCollectionData with checkCollectionMemberPolicy. */
  private async putCollections(
    stub: SystemChaincodeStub,
    bundle: ChannelConfigBundle,
    cd: ChaincodeData,
    bytes: Uint8Array | undefined,
  ): Promise<void> {
    if (bytes === undefined || bytes.length === 0) return;
    let pkg: protos.CollectionConfigPackage;
    try {
      pkg = protos.CollectionConfigPackage.decode(bytes);
    } catch {
      throw fail(
        `invalid collection configuration supplied for chaincode ${cd.name}:${cd.version}`,
      );
    }
    for (const config of pkg.config) {
      try {
        this.checkCollectionMemberPolicy(config, bundle);
      } catch (err) {
        throw fail(`collection member policy check failed: ${messageOf(err)}`);
      }
    }
    await stub.putState(collectionKey(cd.name), bytes);
  }

  private checkCollectionMemberPolicy(
    config: protos.ICollectionConfig,
    bundle: ChannelConfigBundle,
  ): void {
    const coll = config.staticCollectionConfig;
    if (!coll) throw new Error('collection configuration is empty');
    if (!coll.memberOrgsPolicy) throw new Error('collection member policy is not set');
    const envelope = coll.memberOrgsPolicy.signaturePolicy;
    if (!envelope) throw new Error('collection member org policy is empty');
    const msps = bundle.mspManager.msps;
    for (const principal of envelope.identities ?? []) {
      const bytes = principal.principal ?? new Uint8Array(0);
      let orgId: string;
      let found: boolean;
      switch (principal.principalClassification ?? 0) {
        case common.MSPPrincipal.Classification.ROLE:
          orgId = common.MSPRole.decode(bytes).mspIdentifier ?? '';
          found = msps.has(orgId);
          break;
        case common.MSPPrincipal.Classification.ORGANIZATION_UNIT:
          orgId = common.OrganizationUnit.decode(bytes).mspIdentifier ?? '';
          found = msps.has(orgId);
          break;
        case common.MSPPrincipal.Classification.IDENTITY:
          orgId = 'identity principal';
          found = msps.has(msp.SerializedIdentity.decode(bytes).mspid ?? '');
          break;
        default:
          throw new Error(
            `collection-name: ${coll.name ?? ''} -- principal type ${principal.principalClassification ?? 0} is not supported`,
          );
      }
      if (!found) {
        this.options.logger.warn(
          `collection-name: ${coll.name ?? ''} collection member ${orgId} is not part of the channel`,
        );
      }
    }
    try {
      createSignaturePolicy(envelope, bundle.deserializer);
    } catch (err) {
      throw new Error(
        `invalid member org policy for collection '${coll.name ?? ''}': ${messageOf(err)}`,
      );
    }
  }

  /** Fabric's getCCInstance: the ChaincodeData bytes of a deployed chaincode. */
  private async getInstance(stub: SystemChaincodeStub, name: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await stub.getState(name);
    } catch (err) {
      throw fail(`transaction not found: ${messageOf(err)}`);
    }
    if (bytes.length === 0) throw fail(notFound(name));
    return bytes;
  }

  /** Fabric's getChaincodeData. */
  private chaincodeData(name: string, bytes: Uint8Array): ChaincodeData {
    let cd: ChaincodeData;
    try {
      cd = decodeChaincodeData(bytes);
    } catch {
      throw fail(`error while marshalling: ${name}`);
    }
    if (cd.name !== name) throw fail(`chaincode name mismatch: ${name}!=${cd.name}`);
    return cd;
  }

  /** Fabric's getCCCode: the installed package, which must be the one the definition names. */
  private async validatedPackage(cd: ChaincodeData): Promise<LegacyChaincode> {
    const installed = await this.options.store.get(cd.name, cd.version);
    if (installed === undefined) {
      throw fail(
        `invalid deployment spec: could not find chaincode ${cd.name}:${cd.version} on this peer`,
      );
    }
    let same: boolean;
    try {
      same = sameFingerprint(installed.data, cd.data);
    } catch (err) {
      throw fail(`chaincode fingerprint mismatch: ${messageOf(err)}`);
    }
    if (!same) throw fail('chaincode fingerprint mismatch: data mismatch');
    return installed;
  }

  /** Fabric's getChaincodes: every chaincode instantiated on the stub's channel. */
  private async instantiated(stub: SystemChaincodeStub): Promise<Uint8Array> {
    const rows = await stub.getStateByRange('', '');
    const infos: protos.IChaincodeInfo[] = [];
    for (const row of rows) {
      if (row.key.endsWith('~collection')) continue;
      let cd: ChaincodeData;
      try {
        cd = decodeChaincodeData(row.value);
      } catch (err) {
        throw fail(messageOf(err));
      }
      const installed = await this.options.store.get(cd.name, cd.version);
      let path = '';
      let input = '';
      if (installed !== undefined) {
        path = installed.path;
        try {
          input = inputText(
            protos.ChaincodeDeploymentSpec.decode(installed.deploymentSpec).chaincodeSpec?.input,
          );
        } catch {
          input = '';
        }
      }
      infos.push(
        chaincodeInfo({
          name: cd.name,
          version: cd.version,
          path,
          input,
          escc: cd.escc,
          vscc: cd.vscc,
        }),
      );
    }
    return protos.ChaincodeQueryResponse.encode({ chaincodes: infos }).finish();
  }
}
