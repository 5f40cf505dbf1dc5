/**
 * `@fabric-peer/scc`: the system chaincodes `_lifecycle` (the Fabric 2.x chaincode lifecycle), lscc
 * (legacy lifecycle), qscc (ledger queries) and cscc (channel configuration), and the `_lifecycle`
 * and lscc chaincode definition sources. See the README.
 *
 * @packageDocumentation
 */
export {
  CHAINCODE_NAME_PATTERN,
  CHAINCODE_VERSION_PATTERN,
  Lscc,
  collectionKey,
  type LsccOptions,
} from './lscc.js';
export { LegacyDefinitions, type LegacyDefinitionsOptions } from './legacy-definitions.js';
export { Qscc, type QsccOptions } from './qscc.js';
export { Cscc, type CsccOptions } from './cscc.js';
export {
  decodeChaincodeData,
  encodeChaincodeData,
  signedByAnyOfRole,
  type ChaincodeData,
} from './wire.js';
export * from './lifecycle/index.js';
export {
  ChaincodeIndexes,
  lifecycleRunnable,
  type ChaincodeIndexesEvent,
  type ChaincodeIndexesOptions,
  type RunnableChaincode,
  type RunnableChaincodes,
} from './chaincode-indexes.js';
export { LegacyRunnable, type LegacyRunnableOptions } from './legacy-runnable.js';
