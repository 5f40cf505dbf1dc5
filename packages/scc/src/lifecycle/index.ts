/** `_lifecycle`: the system chaincode, its definition source and its state layout. */
export {
  Lifecycle,
  queryNamespaceDefinitions,
  type InstalledPackageTracker,
  type LifecycleOptions,
  type PackageReferences,
} from './scc.js';
export {
  LifecycleDefinitions,
  packageIdHash,
  type InvocableChaincode,
  type LifecycleDefinitionsOptions,
} from './definitions.js';
export {
  createValidationInfoSource,
  type ValidationInfoSourcesOptions,
} from './validation-info.js';
export {
  LifecycleCollections,
  chaincodeInfo,
  implicitCollectionConfig,
  legacyChaincodeInfo,
  lifecycleBlockToLive,
  type DeployedChaincodeInfo,
  type ImplicitCollectionDissemination,
  type LifecycleCollectionsOptions,
  type StateReader,
} from './deployed.js';
export {
  CHAINCODE_DEFINITION_TYPE,
  CHAINCODE_LOCAL_PACKAGE_TYPE,
  CHAINCODE_PARAMETERS_TYPE,
  DEFAULT_ENDORSEMENT_POLICY_REF,
  LIFECYCLE_ENDORSEMENT_POLICY_REF,
  LIFECYCLE_NAMESPACE,
  chaincodeDefinitionIfDefined,
  definitionStruct,
  implicitCollectionForOrg,
  lifecycleEndorsementPolicyBytes,
  localPackageStruct,
  mspIdOfImplicitCollection,
  parametersStruct,
  policyReference,
  privateName,
  signedByNOutOfGivenRole,
  type ChaincodeDefinition,
  type ChaincodeParameters,
} from './definition.js';
export {
  CHAINCODE_SOURCES,
  NAMESPACES,
  encodeStateData,
  fieldKey,
  metadataKey,
  type FieldValue,
  type Serializable,
} from './serializer.js';
export { COLLECTION_NAME_PATTERN, RESERVED_CHAINCODE_NAMES } from './validate.js';
export {
  CollectionStore,
  proposalSignedData,
  type CollectionInfoProvider,
  type CollectionStoreOptions,
  type ReadWritePermission,
} from './collection-access.js';
export {
  CollectionAccessError,
  LifecycleError,
  type CollectionAccessErrorCode,
  type LifecycleErrorCode,
} from './errors.js';
