/**
 * `@fabric-peer/chaincode-packages`: chaincode package formats and the installed-package stores.
 * See the README.
 *
 * @packageDocumentation
 */
export * from './types.js';
export { PackageError, type PackageErrorCode } from './errors.js';
export {
  CODE_PACKAGE_FILE,
  LABEL_PATTERN,
  METADATA_FILE,
  createCcaasPackage,
  createChaincodePackage,
  createCodeArchive,
  packageId,
  parseChaincodePackage,
  toChaincodePackage,
  validateLabel,
  type CcaasConnection,
  type ChaincodePackageMetadata,
  type CreatePackageOptions,
  type ParsedChaincodePackage,
} from './package.js';
export {
  FileChaincodePackageStore,
  lifecycleChaincodesPath,
  packageFileName,
  parsePackageId,
  type FileChaincodePackageStoreOptions,
} from './store.js';
export {
  FileLegacyChaincodeStore,
  LEGACY_NAME_PATTERN,
  LEGACY_VERSION_PATTERN,
  createLegacyPackage,
  legacyChaincodesPath,
  parseLegacyPackage,
  validateLegacyNameVersion,
  type CreateLegacyPackageOptions,
  type FileLegacyChaincodeStoreOptions,
  type ParsedLegacyPackage,
} from './legacy.js';
export {
  InstalledChaincodesImpl,
  type InstalledChaincodeLookup,
  type InstalledChaincodesOptions,
} from './installed.js';
export {
  TarFormatError,
  gunzip,
  isGzip,
  readTar,
  readTarGz,
  writeTar,
  writeTarGz,
  type TarEntry,
  type TarEntryType,
  type TarInput,
} from './tar.js';
export { STATEDB_ARTIFACTS_DIR, statedbArtifacts } from './statedb-artifacts.js';
export { fileSystemPathOf } from './config.js';
