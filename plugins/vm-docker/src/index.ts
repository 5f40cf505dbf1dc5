/**
 * `@fabric-peer/vm-docker`: the built-in `docker` chaincode runtime (`vm.providers: [docker]`),
 * Fabric's dockercontroller over dockerode, and the `docker` health checker. The peer loads this
 * plugin only when `vm.providers` names `docker`.
 *
 * @packageDocumentation
 */
import { definePlugin } from '@fabric-peer/api';
import { DockerHealthChecker } from './health.js';
import { DockerVmProvider } from './provider.js';

export { DockerHealthChecker, DockerVmProvider };
export type { DockerVmProviderOptions } from './provider.js';
export type { DockerChaincodeInstance } from './instance.js';
export { DockerRuntimeError, type DockerRuntimeErrorCode } from './errors.js';
export {
  readDockerSettings,
  expandImageName,
  type DockerEndpoint,
  type DockerSettings,
} from './settings.js';
export { createDockerClient } from './client.js';
export { containerName, imageName, type NameScope } from './names.js';
export { collectVendoredModules, VENDORED_ROOTS, type VendoredModules } from './vendor.js';
export { tarStream, tarBuffer, type TarEntry } from './tar.js';
export {
  defaultNodeBaseImage,
  ensureNodeBaseImage,
  sharedLibraries,
  type BaseImageResult,
} from './base-image.js';

export default definePlugin({
  name: 'vm-docker',
  version: '0.1.0',
  description: "Fabric's Docker chaincode runtime (Node.js chaincode) over dockerode",
  contributes: {
    vmProvider: { docker: DockerVmProvider },
    healthChecker: { docker: DockerHealthChecker },
  },
});
