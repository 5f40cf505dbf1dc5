/**
 * `@fabric-peer/scc`: the system chaincodes lscc (legacy lifecycle), qscc (ledger queries) and
 * cscc (channel configuration), and the legacy (lscc) chaincode definition source. See the README.
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
