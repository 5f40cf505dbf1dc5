/**
 * The ACL provider (Fabric's core/aclmgmt with core/policy's PolicyChecker): which policy guards
 * each resource, from the channel's `ACLs` value or Fabric's default map, and the check of a
 * request's signature against it.
 */
import type { Identity, IdentityDeserializer, Logger, SignedData } from '@fabric-peer/api';
import { common, protos } from '@fabric-peer/protos';

import type { ChannelConfigBundle } from './bundle.js';
import type { FabricLevel } from './capabilities.js';
import { AclError, messageOf } from './errors.js';
import { PolicyPaths } from './manager.js';
import {
  SignedDataError,
  envelopeAsSignedData,
  signedProposalAsSignedData,
} from './signed-data.js';

/** Fabric's ACL resource names (core/aclmgmt/resources). */
export const AclResources = {
  Lifecycle_InstallChaincode: '_lifecycle/InstallChaincode',
  Lifecycle_QueryInstalledChaincode: '_lifecycle/QueryInstalledChaincode',
  Lifecycle_GetInstalledChaincodePackage: '_lifecycle/GetInstalledChaincodePackage',
  Lifecycle_QueryInstalledChaincodes: '_lifecycle/QueryInstalledChaincodes',
  Lifecycle_ApproveChaincodeDefinitionForMyOrg: '_lifecycle/ApproveChaincodeDefinitionForMyOrg',
  Lifecycle_QueryApprovedChaincodeDefinition: '_lifecycle/QueryApprovedChaincodeDefinition',
  /** Fabric v3 only. */
  Lifecycle_QueryApprovedChaincodeDefinitions: '_lifecycle/QueryApprovedChaincodeDefinitions',
  Lifecycle_CommitChaincodeDefinition: '_lifecycle/CommitChaincodeDefinition',
  Lifecycle_QueryChaincodeDefinition: '_lifecycle/QueryChaincodeDefinition',
  Lifecycle_QueryChaincodeDefinitions: '_lifecycle/QueryChaincodeDefinitions',
  Lifecycle_CheckCommitReadiness: '_lifecycle/CheckCommitReadiness',
  Snapshot_submitrequest: 'snapshot/submitrequest',
  Snapshot_cancelrequest: 'snapshot/cancelrequest',
  Snapshot_listpending: 'snapshot/listpending',
  Lscc_Install: 'lscc/Install',
  Lscc_Deploy: 'lscc/Deploy',
  Lscc_Upgrade: 'lscc/Upgrade',
  Lscc_ChaincodeExists: 'lscc/ChaincodeExists',
  Lscc_GetDeploymentSpec: 'lscc/GetDeploymentSpec',
  Lscc_GetChaincodeData: 'lscc/GetChaincodeData',
  Lscc_GetInstantiatedChaincodes: 'lscc/GetInstantiatedChaincodes',
  Lscc_GetInstalledChaincodes: 'lscc/GetInstalledChaincodes',
  Lscc_GetCollectionsConfig: 'lscc/GetCollectionsConfig',
  Qscc_GetChainInfo: 'qscc/GetChainInfo',
  Qscc_GetBlockByNumber: 'qscc/GetBlockByNumber',
  Qscc_GetBlockByHash: 'qscc/GetBlockByHash',
  Qscc_GetTransactionByID: 'qscc/GetTransactionByID',
  Qscc_GetBlockByTxID: 'qscc/GetBlockByTxID',
  Cscc_JoinChain: 'cscc/JoinChain',
  Cscc_JoinChainBySnapshot: 'cscc/JoinChainBySnapshot',
  Cscc_JoinBySnapshotStatus: 'cscc/JoinBySnapshotStatus',
  Cscc_GetConfigBlock: 'cscc/GetConfigBlock',
  Cscc_GetChannelConfig: 'cscc/GetChannelConfig',
  Cscc_GetChannels: 'cscc/GetChannels',
  Peer_Propose: 'peer/Propose',
  Peer_ChaincodeToChaincode: 'peer/ChaincodeToChaincode',
  Event_Block: 'event/Block',
  Event_FilteredBlock: 'event/FilteredBlock',
  Gateway_CommitStatus: 'gateway/CommitStatus',
  Gateway_ChaincodeEvents: 'gateway/ChaincodeEvents',
} as const;

/** The local MSP's two policies for peer-wide resources. */
export type LocalMspPolicy = 'Admins' | 'Members';

/** Fabric's default ACL map: peer-wide (local MSP) and channel resources. */
export interface DefaultAcls {
  /** Resources checked against the local MSP, never overridable by channel config. */
  readonly local: ReadonlyMap<string, LocalMspPolicy>;
  /** Channel resources → absolute policy path; `''` means "checked elsewhere" (lscc deploy, upgrade). */
  readonly channel: ReadonlyMap<string, string>;
}

/** Fabric's default ACL map (core/aclmgmt/defaultaclprovider.go) for the given level. */
export function defaultAcls(level: FabricLevel = '2.5'): DefaultAcls {
  const R = AclResources;
  const W = PolicyPaths.ApplicationWriters;
  const Rd = PolicyPaths.ApplicationReaders;
  const local = new Map<string, LocalMspPolicy>([
    [R.Lifecycle_InstallChaincode, 'Admins'],
    [R.Lifecycle_QueryInstalledChaincode, 'Admins'],
    [R.Lifecycle_GetInstalledChaincodePackage, 'Admins'],
    [R.Lifecycle_QueryInstalledChaincodes, 'Admins'],
    [R.Lifecycle_ApproveChaincodeDefinitionForMyOrg, 'Admins'],
    [R.Lifecycle_QueryApprovedChaincodeDefinition, 'Admins'],
    [R.Snapshot_submitrequest, 'Admins'],
    [R.Snapshot_cancelrequest, 'Admins'],
    [R.Snapshot_listpending, 'Admins'],
    [R.Lscc_Install, 'Admins'],
    [R.Lscc_GetInstalledChaincodes, 'Admins'],
    [R.Cscc_JoinChain, 'Admins'],
    [R.Cscc_JoinChainBySnapshot, 'Admins'],
    [R.Cscc_JoinBySnapshotStatus, 'Admins'],
    [R.Cscc_GetChannels, 'Members'],
  ]);
  if (level === '3') local.set(R.Lifecycle_QueryApprovedChaincodeDefinitions, 'Admins');
  const channel = new Map<string, string>([
    [R.Lifecycle_CommitChaincodeDefinition, W],
    [R.Lifecycle_QueryChaincodeDefinition, W],
    [R.Lifecycle_QueryChaincodeDefinitions, W],
    [R.Lifecycle_CheckCommitReadiness, W],
    [R.Lscc_Deploy, ''],
    [R.Lscc_Upgrade, ''],
    [R.Lscc_ChaincodeExists, Rd],
    [R.Lscc_GetDeploymentSpec, Rd],
    [R.Lscc_GetChaincodeData, Rd],
    [R.Lscc_GetInstantiatedChaincodes, Rd],
    [R.Lscc_GetCollectionsConfig, Rd],
    [R.Qscc_GetChainInfo, Rd],
    [R.Qscc_GetBlockByNumber, Rd],
    [R.Qscc_GetBlockByHash, Rd],
    [R.Qscc_GetTransactionByID, Rd],
    [R.Qscc_GetBlockByTxID, Rd],
    [R.Cscc_GetConfigBlock, Rd],
    [R.Cscc_GetChannelConfig, Rd],
    [R.Peer_Propose, W],
    [R.Peer_ChaincodeToChaincode, W],
    [R.Event_Block, Rd],
    [R.Event_FilteredBlock, Rd],
    [R.Gateway_CommitStatus, Rd],
    [R.Gateway_ChaincodeEvents, Rd],
  ]);
  return { local, channel };
}

/** The peer's own MSP, as the ACL provider needs it: its id and a deserializer of its members. */
export interface LocalMsp extends IdentityDeserializer {
  readonly mspId: string;
}

/**
 * What an ACL check takes (Fabric's `idinfo`): a signed proposal (the creator's signature over
 * the proposal bytes), an envelope (the creator's signature over the payload), one signed data or
 * a list of them.
 */
export type AclRequest =
  | protos.SignedProposal.$Properties
  | common.Envelope.$Properties
  | SignedData
  | readonly SignedData[];

/** The ACL provider (Fabric's aclmgmt.ACLProvider). */
export interface AclProvider {
  /**
   * Fabric's CheckACL. Peer-wide resources (the local MSP's Admins or Members) are checked against
   * the local MSP and cannot be overridden. Other resources use the channel's `ACLs` value when it
   * names the resource, Fabric's default map otherwise. Resolves when allowed; rejects with an
   * {@link AclError} carrying Fabric's message.
   */
  checkACL(resource: string, channelId: string, request: AclRequest): Promise<void>;
  /** Fabric's CheckACLNoChannel: peer-wide resources only, against the local MSP. */
  checkACLNoChannel(resource: string, request: AclRequest): Promise<void>;
  /**
   * The policy that guards `resource` on `channelId`: `{ local: 'Admins' }` for a peer-wide
   * resource, `{ path }` for a channel resource (from the channel's ACLs or the default), undefined
   * when unmapped.
   */
  policyFor(
    resource: string,
    channelId: string,
  ): { readonly local: LocalMspPolicy } | { readonly path: string } | undefined;
}

/** What the ACL provider is built with. */
export interface AclProviderOptions {
  /** The current bundle of a channel, or undefined when this peer has not joined it. */
  readonly bundles: (channelId: string) => ChannelConfigBundle | undefined;
  readonly localMsp: LocalMsp;
  /** Default `'2.5'`; `'3'` adds the v3 default resources. */
  readonly level?: FabricLevel;
  readonly logger?: Logger;
}

type Parsed =
  | { readonly kind: 'proposal'; readonly proposal: protos.SignedProposal.$Properties }
  | { readonly kind: 'envelope'; readonly envelope: common.Envelope.$Properties }
  | { readonly kind: 'signed'; readonly signed: readonly SignedData[] }
  | { readonly kind: 'unknown' };

function classify(request: AclRequest): Parsed {
  if (Array.isArray(request)) return { kind: 'signed', signed: request as readonly SignedData[] };
  if (request instanceof protos.SignedProposal || 'proposalBytes' in request) {
    return { kind: 'proposal', proposal: request };
  }
  if (request instanceof common.Envelope || 'payload' in request) {
    return { kind: 'envelope', envelope: request };
  }
  if ('data' in request && 'identity' in request) {
    return { kind: 'signed', signed: [request] };
  }
  return { kind: 'unknown' };
}

function denied(message: string, err: unknown, details: Record<string, unknown>): AclError {
  return new AclError('ACCESS_DENIED', message, { cause: err, details });
}

function badRequest(message: string, err?: unknown): AclError {
  return new AclError('ACL_BAD_REQUEST', message, err === undefined ? {} : { cause: err });
}

class AclProviderImpl implements AclProvider {
  private readonly defaults: DefaultAcls;

  constructor(private readonly options: AclProviderOptions) {
    this.defaults = defaultAcls(options.level ?? '2.5');
  }

  policyFor(
    resource: string,
    channelId: string,
  ): { readonly local: LocalMspPolicy } | { readonly path: string } | undefined {
    const local = this.defaults.local.get(resource);
    if (local !== undefined) return { local };
    const override = this.options.bundles(channelId)?.application?.aclPolicyRefs.get(resource);
    if (override !== undefined) return { path: override };
    const path = this.defaults.channel.get(resource);
    return path === undefined || path === '' ? undefined : { path };
  }

  async checkACL(resource: string, channelId: string, request: AclRequest): Promise<void> {
    const local = this.defaults.local.get(resource);
    if (local === undefined) {
      const bundle = this.options.bundles(channelId);
      const ref = bundle?.application?.aclPolicyRefs.get(resource);
      if (bundle !== undefined && ref !== undefined) {
        return this.checkOverride(bundle, ref, request);
      }
    }
    return this.checkDefault(resource, channelId, request);
  }

  async checkACLNoChannel(resource: string, request: AclRequest): Promise<void> {
    const local = this.defaults.local.get(resource);
    if (local === undefined) {
      throw new AclError(
        'ACL_UNKNOWN_RESOURCE',
        'cannot override peer type policy for channeless ACL check',
        { details: { resource } },
      );
    }
    const parsed = classify(request);
    switch (parsed.kind) {
      case 'proposal':
        return this.checkLocalProposal(local, parsed.proposal);
      case 'envelope':
        return this.checkLocalSigned(local, this.envelopeSigned(parsed.envelope));
      case 'signed':
        return this.checkLocalSigned(local, parsed.signed);
      default:
        throw badRequest(`Unknown id on channelless checkACL ${resource}`);
    }
  }

  /** A resource the channel's ACLs value maps to `policyRef` (resourceprovider.go). */
  private async checkOverride(
    bundle: ChannelConfigBundle,
    policyRef: string,
    request: AclRequest,
  ): Promise<void> {
    const parsed = classify(request);
    let signed: readonly SignedData[];
    switch (parsed.kind) {
      case 'proposal':
        try {
          signed = [signedProposalAsSignedData(parsed.proposal)];
        } catch (err) {
          throw badRequest(
            this.proposalError(
              err,
              `check policy with policy [${policyRef}]`,
              `check policy [${policyRef}]`,
            ),
            err,
          );
        }
        break;
      case 'envelope':
        signed = this.envelopeSigned(parsed.envelope);
        break;
      case 'signed':
        signed = parsed.signed;
        break;
      default:
        throw badRequest(`Invalid id for policy [${policyRef}]`);
    }
    const policy = bundle.policyManager.getPolicy(policyRef);
    try {
      if (policy === undefined) {
        throw new Error(`policy ${policyRef} not found`);
      }
      await policy.evaluateSignedData(signed);
    } catch (err) {
      throw denied(
        `failed evaluating policy on signed data during check policy [${policyRef}]: [${messageOf(err)}]`,
        err,
        { policy: policyRef, channel: bundle.channelId },
      );
    }
  }

  /** Fabric's default provider (defaultaclprovider.go) and policy checker (core/policy). */
  private async checkDefault(
    resource: string,
    channelId: string,
    request: AclRequest,
  ): Promise<void> {
    const local = this.defaults.local.get(resource);
    let policy: string;
    if (local !== undefined) {
      policy = local;
      channelId = '';
    } else {
      policy = this.defaults.channel.get(resource) ?? '';
      if (policy === '') {
        this.options.logger?.error(`Unmapped policy for ${resource}`);
        throw new AclError('ACL_UNKNOWN_RESOURCE', `Unmapped policy for ${resource}`, {
          details: { resource },
        });
      }
    }
    const parsed = classify(request);
    switch (parsed.kind) {
      case 'proposal':
        if (channelId === '')
          return this.checkLocalProposal(policy as LocalMspPolicy, parsed.proposal);
        return this.checkChannelProposal(channelId, policy, parsed.proposal);
      case 'envelope':
        return this.checkChannelSigned(channelId, policy, this.envelopeSigned(parsed.envelope));
      case 'signed':
        return this.checkChannelSigned(channelId, policy, parsed.signed);
      default:
        throw badRequest(`Unknown id on checkACL ${resource}`);
    }
  }

  private envelopeSigned(envelope: common.Envelope.$Properties): readonly SignedData[] {
    try {
      return envelopeAsSignedData(envelope);
    } catch (err) {
      throw badRequest(messageOf(err), err);
    }
  }

  /**
   * Fabric's messages for a proposal that does not decode; `during` is the context Fabric names for
   * the proposal, `headerDuring` the one it names for the headers (they differ in one place).
   */
  private proposalError(err: unknown, during: string, headerDuring: string = during): string {
    const stage = err instanceof SignedDataError ? err.stage : 'proposal';
    const msg = messageOf(err);
    if (stage === 'proposal') return `Failing extracting proposal during ${during}: [${msg}]`;
    if (stage === 'header') return `Failing extracting header during ${headerDuring}: [${msg}]`;
    return `Invalid Proposal's SignatureHeader during ${headerDuring}: [${msg}]`;
  }

  private manager(channelId: string): ChannelConfigBundle {
    const bundle = this.options.bundles(channelId);
    if (bundle === undefined) {
      throw new AclError(
        'ACL_NO_CHANNEL',
        `Failed to get policy manager for channel [${channelId}]`,
        {
          details: { channel: channelId },
        },
      );
    }
    return bundle;
  }

  /** core/policy CheckPolicy with a channel. */
  private async checkChannelProposal(
    channelId: string,
    policy: string,
    proposal: protos.SignedProposal.$Properties,
  ): Promise<void> {
    this.manager(channelId);
    let signed: SignedData;
    try {
      signed = signedProposalAsSignedData(proposal);
    } catch (err) {
      throw badRequest(
        this.proposalError(err, `check policy on channel [${channelId}] with policy [${policy}]`),
        err,
      );
    }
    return this.checkChannelSigned(channelId, policy, [signed]);
  }

  /** core/policy CheckPolicyBySignedData. */
  private async checkChannelSigned(
    channelId: string,
    policy: string,
    signed: readonly SignedData[],
  ): Promise<void> {
    if (channelId === '') {
      throw badRequest(
        'Invalid channel ID name during check policy on signed data. Name must be different from nil.',
      );
    }
    const bundle = this.manager(channelId);
    try {
      await bundle.policyManager.policyOrReject(policy).evaluateSignedData(signed);
    } catch (err) {
      this.options.logger?.warn('Failed evaluating policy on signed data', {
        policy,
        channel: channelId,
        error: messageOf(err),
      });
      throw denied(
        `Failed evaluating policy on signed data during check policy on channel [${channelId}] with policy [${policy}]: [${messageOf(err)}]`,
        err,
        { policy, channel: channelId },
      );
    }
  }

  private principal(policy: LocalMspPolicy): common.MSPPrincipal.$Properties {
    const role =
      policy === 'Admins' ? common.MSPRole.MSPRoleType.ADMIN : common.MSPRole.MSPRoleType.MEMBER;
    return {
      principalClassification: common.MSPPrincipal.Classification.ROLE,
      principal: common.MSPRole.encode({
        mspIdentifier: this.options.localMsp.mspId,
        role,
      }).finish(),
    };
  }

  /** core/policy CheckPolicyNoChannel. */
  private async checkLocalProposal(
    policy: LocalMspPolicy,
    proposal: protos.SignedProposal.$Properties,
  ): Promise<void> {
    let signed: SignedData;
    try {
      signed = signedProposalAsSignedData(proposal);
    } catch (err) {
      throw badRequest(
        this.proposalError(err, `channelless check policy with policy [${policy}]`),
        err,
      );
    }
    let identity: Identity;
    try {
      identity = this.options.localMsp.deserializeIdentity(signed.identity);
    } catch (err) {
      throw denied(
        `Failed deserializing proposal creator during channelless check policy with policy [${policy}]: [${messageOf(err)}]`,
        err,
        { policy },
      );
    }
    try {
      identity.satisfiesPrincipal(this.principal(policy));
    } catch (err) {
      throw denied(
        `Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [${policy}]: [${messageOf(err)}]`,
        err,
        { policy, mspId: identity.mspId },
      );
    }
    try {
      await identity.verify(signed.data, signed.signature);
    } catch (err) {
      throw denied(messageOf(err), err, { policy, mspId: identity.mspId });
    }
  }

  /** core/policy CheckPolicyNoChannelBySignedData. */
  private async checkLocalSigned(
    policy: LocalMspPolicy,
    signed: readonly SignedData[],
  ): Promise<void> {
    if (signed.length === 0) {
      throw badRequest(`no signed data during channelless check policy with policy [${policy}]`);
    }
    for (const data of signed) {
      let identity: Identity;
      try {
        identity = this.options.localMsp.deserializeIdentity(data.identity);
      } catch (err) {
        throw denied(
          `failed deserializing signed data identity during channelless check policy with policy [${policy}]: [${messageOf(err)}]`,
          err,
          { policy },
        );
      }
      try {
        identity.satisfiesPrincipal(this.principal(policy));
      } catch (err) {
        throw denied(
          `failed verifying that the signed data identity satisfies local MSP principal during channelless check policy with policy [${policy}]: [${messageOf(err)}]`,
          err,
          { policy, mspId: identity.mspId },
        );
      }
      try {
        await identity.verify(data.data, data.signature);
      } catch (err) {
        throw denied(messageOf(err), err, { policy, mspId: identity.mspId });
      }
    }
  }
}

/** Builds the ACL provider. */
export function createAclProvider(options: AclProviderOptions): AclProvider {
  return new AclProviderImpl(options);
}
