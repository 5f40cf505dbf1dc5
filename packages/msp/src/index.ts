/**
 * `@fabric-peer/msp`: Fabric's X.509 ("bccsp") MSP. Channel MSPs from their FabricMSPConfig
 * ({@link createMsp}), a channel's MSPs by id ({@link createMspManager}), MSP folders as
 * cryptogen and fabric-ca write them ({@link loadMspFolder}), the peer's local MSP from core.yaml
 * ({@link loadLocalMsp}), and the MSP version a channel's capabilities ask for
 * ({@link mspVersionForCapabilities}). Identities implement the api's `Identity` and
 * `SigningIdentity`.
 *
 * @packageDocumentation
 */
export {
  createMsp,
  DEFAULT_CACHE_SIZES,
  type Msp,
  type MspCacheSizes,
  type MspOptions,
  type MspStats,
  type NodeOU,
  type NodeOUs,
} from './msp.js';
export type { X509Identity, X509SigningIdentity } from './identity.js';
export { createMspManager, type MspManager, type MspManagerOptions } from './manager.js';
export {
  loadMspFolder,
  MSP_FOLDER_LAYOUT,
  MspFolderError,
  type MspFolderOptions,
} from './folder.js';
export { loadLocalMsp, LOCAL_MSP_KEYS, type LocalMsp, type LocalMspOptions } from './local.js';
export { fileKeyStore, keyStoreSki, type KeyStore } from './keys.js';
export {
  mspVersionAtLeast,
  mspVersionForCapabilities,
  MSP_VERSIONS,
  type MspVersion,
} from './version.js';
export { MspError, type MspErrorCode } from './errors.js';
export { Lru } from './lru.js';
