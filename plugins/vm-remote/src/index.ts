/**
 * `@fabric-peer/vm-remote`: the built-in chaincode runtime `remote` (`vm.providers`), chaincode as
 * a service: the peer dials the address a package's connection.json gives. See the README.
 *
 * @packageDocumentation
 */
import { definePlugin } from '@fabric-peer/api';
import { RemoteVmProvider } from './provider.js';

export {
  BUILDER_CONFIG_ENV,
  REMOTE_TYPES,
  RemoteChaincodeInstance,
  RemoteVmProvider,
  type RemoteRuntimeOptions,
} from './provider.js';
export { DEFAULT_DIAL_TIMEOUT_MS, parseConnection } from './connection.js';
export { parseGoDuration } from './duration.js';
export { RemoteRuntimeError, type RemoteErrorCode } from './errors.js';

export default definePlugin({
  name: 'vm-remote',
  version: '0.1.0',
  description: 'chaincode as a service: the peer dials the address in connection.json',
  contributes: {
    vmProvider: { remote: RemoteVmProvider },
  },
});
