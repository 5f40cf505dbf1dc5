/**
 * `@fabric-peer/vm-inprocess`: the built-in chaincode runtime `inprocess` (`vm.providers`), which
 * runs Node.js chaincode with the real fabric-shim in child processes on the peer's machine,
 * without Docker. See the README.
 *
 * @packageDocumentation
 */
import { definePlugin } from '@fabric-peer/api';
import { InprocessVmProvider } from './provider.js';

export { InprocessVmProvider, type InprocessRuntimeOptions } from './provider.js';
export { InprocessInstance } from './instance.js';
export { InprocessRuntimeError, type InprocessErrorCode } from './errors.js';
export {
  BUILD_MARKER,
  parseStartScript,
  sanitizeChaincodeId,
  type Build,
  type StartCommand,
} from './build.js';

export default definePlugin({
  name: 'vm-inprocess',
  version: '0.1.0',
  description: 'Node.js chaincode run by the real fabric-shim in child processes, without Docker',
  contributes: {
    vmProvider: { inprocess: InprocessVmProvider },
  },
});
