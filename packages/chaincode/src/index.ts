/**
 * `@fabric-peer/chaincode`: chaincode support. See the README.
 *
 * @packageDocumentation
 */
export * from './types.js';
export { ChaincodeError, type ChaincodeErrorCode } from './errors.js';
export { ChaincodeSupportImpl, INITIALIZED_KEY, type ChaincodeSupportOptions } from './support.js';
export {
  chaincodeSettings,
  chaincodeEndpoint,
  DEFAULT_CHAINCODE_SETTINGS,
  type ChaincodeSettings,
} from './settings.js';
export { createChaincodeDefinitions, type ChaincodeDefinitionsOptions } from './definitions.js';
export {
  Handler,
  parseChaincodeName,
  ERROR_EXECUTION_TIMEOUT,
  ERROR_STREAM_TERMINATED,
  type ChaincodeInvoker,
  type CollectionAccess,
  type HandlerDependencies,
  type HandlerRegistration,
  type HandlerState,
} from './handler/handler.js';
export { HandlerRegistry, LaunchState } from './registry.js';
export { Launcher, type LauncherOptions } from './launch/launcher.js';
export { RuntimeRouter } from './launch/runtime-router.js';
export { connectChaincodeServer } from './launch/external.js';
export { chaincodeSupportGrpcService } from './grpc.js';
export {
  grpcChaincodeStream,
  type ChaincodeStream,
  type GrpcDuplexCall,
  type InboundMessage,
  type OutboundMessage,
  type StreamSink,
} from './stream.js';
export { inMemoryStreamPair } from './system/in-memory-stream.js';
export { SystemChaincodeShim } from './system/system-runtime.js';
export { ChaincodeCa, certificateHash, type CertKeyPair } from './tls/ca.js';
export { ChaincodeAuthenticator, CERT_BINDING_TTL_MS } from './tls/authenticator.js';
export {
  handlerMetrics,
  launchMetrics,
  type HandlerMetrics,
  type LaunchMetrics,
} from './metrics.js';
