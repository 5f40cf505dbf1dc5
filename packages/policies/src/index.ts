/**
 * `@fabric-peer/policies`: Fabric's signature and implicit-meta policies, the policy manager, the
 * channel configuration bundle, config updates, ACLs and the ApplicationPolicy evaluator, with
 * Fabric v2.5's semantics. The MSP is injected (see {@link ChannelMspFactory}); this package
 * parses no certificate. See the README.
 *
 * @packageDocumentation
 */
export { AclError, ChannelConfigError, PolicyError } from './errors.js';
export type { AclErrorCode, ChannelConfigErrorCode, PolicyErrorCode } from './errors.js';

export { validIdentities } from './policy.js';
export type { Policy, PolicyKind, ResolvedPolicy } from './policy.js';
export { createSignaturePolicy, signaturePolicyFromBytes } from './signature-policy.js';
export type { SignaturePolicyOptions } from './signature-policy.js';
export {
  decodeImplicitMeta,
  implicitMetaThreshold,
  type ImplicitMetaRule,
} from './implicit-meta.js';
export { PolicyPaths, ROOT_GROUP, buildPolicyManager } from './manager.js';
export type {
  PolicyDefinition,
  PolicyGroup,
  PolicyManager,
  PolicyManagerOptions,
} from './manager.js';

export {
  applicationCapabilities,
  channelCapabilities,
  ordererCapabilities,
} from './capabilities.js';
export type {
  ApplicationCapabilities,
  Capabilities,
  ChannelCapabilities,
  FabricLevel,
  MspVersion,
  OrdererCapabilities,
} from './capabilities.js';

export { MspType, createMspManager } from './msp.js';
export { x509MspFactory } from './x509.js';
export type {
  ChannelMsp,
  ChannelMspFactory,
  ChannelMspManager,
  ChannelMspManagerFactory,
} from './msp.js';

export { GroupKeys, decodeConsensusMetadata } from './channel-config.js';
export type {
  ApplicationOrgConfig,
  ApplicationSection,
  ChannelValues,
  ConsensusMetadata,
  ConsortiumConfig,
  ConsortiumsSection,
  OrdererOrgConfig,
  OrdererSection,
  OrgConfig,
} from './channel-config.js';

export {
  bundleFromBlock,
  bundleFromConfig,
  connectableOrdererEndpoints,
  encodeChannelGroup,
} from './bundle.js';
export type {
  BundleOptions,
  ChannelConfigBundle,
  OrdererEndpoint,
  OrdererEndpoints,
  OrdererOrgEndpoints,
} from './bundle.js';

export { groupFromTree, groupsEqual, treeFromGroup } from './config-tree.js';
export type { TreeGroup, TreePolicy, TreePolicyValue, TreeValue } from './config-tree.js';
export { channelIdProblem, configIdProblem, mapConfig } from './configmap.js';
export type { ConfigElement } from './configmap.js';
export {
  applyConfigBlock,
  applyConfigEnvelope,
  configUpdateSignedData,
  envelopeToConfigUpdate,
  proposeConfigUpdate,
  validateConfigEnvelope,
  validateTransition,
} from './configtx.js';

export { AclResources, createAclProvider, defaultAcls } from './acl.js';
export type {
  AclProvider,
  AclProviderOptions,
  AclRequest,
  DefaultAcls,
  LocalMsp,
  LocalMspPolicy,
} from './acl.js';

export { createApplicationPolicyEvaluator } from './application-policy.js';
export type { ApplicationPolicyEvaluatorOptions } from './application-policy.js';

export { parseGoDuration } from './go-duration.js';
export {
  blockSignaturesSignedData,
  endorsementsSignedData,
  envelopeSignedData,
} from './signed-data.js';
