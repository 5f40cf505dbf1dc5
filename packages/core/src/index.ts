/**
 * `@fabric-peer/core`: the container. It loads the plugins core.yaml names, binds their
 * contributions, hands them to consumers in config order, and runs services through start and stop.
 */
export { Kernel, Contributions, type KernelOptions, type InternalPlugin } from './kernel.js';
export { ContributionRegistry, ContributionError, type ContributionInfo } from './contributions.js';
export {
  LifecycleManager,
  LifecycleError,
  orderServices,
  type LifecycleOptions,
} from './lifecycle.js';
export { validatePluginExport, type LoadedPlugin } from './plugin-loader.js';
export { resolveLibrary, LibraryNotFound, type ResolvedLibrary } from './plugin-resolver.js';
export { pluginRequests, type PluginRequest } from './plugin-requests.js';
export {
  selections,
  authFilterChain,
  decorators,
  endorsementPlugin,
  validationPlugin,
  bindingsReport,
  type Selection,
  type ExtensionPointReport,
} from './selections.js';
