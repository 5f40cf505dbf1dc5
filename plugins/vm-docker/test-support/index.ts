/**
 * Test support of `@fabric-peer/vm-docker`, for its own suite and for other suites that run
 * chaincode in Docker: the Node.js base image builder, chaincode packages, a ChaincodeSupport
 * test double, proposals and configuration.
 */
export {
  defaultNodeBaseImage,
  ensureNodeBaseImage,
  type BaseImageResult,
} from '../src/base-image.js';
export {
  ChaincodeSupportDouble,
  startChaincodeSupportDouble,
  type DoubleTls,
  type InvokeResult,
  type Registration,
} from './chaincode-support.js';
export {
  contractChaincode,
  crashingChaincode,
  makeChaincodePackage,
  readChaincodePackage,
  shimChaincode,
  writeChaincodePackage,
  type PackageSpec,
} from './packages.js';
export { testProposal } from './proposal.js';
export { dockerTestConfig, dockerTestValues } from './config.js';
