/**
 * `@fabric-peer/api`: the extension points of fabric-peer. Plugins depend on this package (as a peer
 * dependency) and on nothing internal; import inversify's decorators from here so that one copy of
 * the container library is loaded.
 */
import 'reflect-metadata';

export * from './errors.js';
export * from './version.js';
export * from './identity.js';
export * from './plugin.js';
export * from './extension-points/config.js';
export * from './extension-points/lifecycle.js';
export * from './extension-points/health.js';
export * from './extension-points/observability.js';
export * from './extension-points/handlers.js';
export * from './extension-points/state.js';
export * from './extension-points/vm.js';
export * from './extension-points/system-chaincode.js';
export * from './extension-points/network.js';

export {
  ContainerModule,
  decorate,
  inject,
  injectable,
  multiInject,
  named,
  optional,
  postConstruct,
  preDestroy,
} from 'inversify';
export { Container } from 'inversify';
export type { ContainerModuleLoadOptions } from 'inversify';
