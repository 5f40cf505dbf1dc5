/**
 * `@fabric-peer/config`: the core.yaml schema (convict), loading it the way Fabric does (file
 * search, case-insensitive keys, `CORE_*` environment overrides, paths relative to the config
 * folder), and errors that name every bad key at once.
 */

export { builtins, type ExtensionPoint } from './builtins.js';
export { parseDuration } from './duration.js';
export { splitHostPort, type HostPort } from './formats.js';
export {
  loadConfig,
  REDACTED,
  type ConfigKey,
  type ConfigSource,
  type ConfigValue,
  type DurationKey,
  type LoadedConfig,
  type LoadOptions,
  type PrintOptions,
} from './load.js';
export {
  CONFIG_FILE_NAME,
  OFFICIAL_CONFIG_DIR,
  resolveConfigPath,
  type ResolveOptions,
} from './locate.js';
export { isEnabledValue, type ExternalBuilder } from './schema/chaincode.js';
export { envNameOf } from './schema/define.js';
export type { PluginRef } from './schema/handlers.js';
export { coreSchema, type CoreConfig, type CoreSchema } from './schema/index.js';
export type { AddressOverride, KeyIdMapping } from './schema/peer.js';
export type { PluginEntry } from './schema/plugins.js';
