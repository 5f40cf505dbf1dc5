/**
 * Transaction management: read-write sets (builder, Go-compatible decoding, Fabric's encodings),
 * query executors and transaction simulators, MVCC validation and the update batch, the commit hash.
 */
export { LedgerError, InvalidTxError, type LedgerErrorCode } from './errors.js';
export {
  decodeOrderedVarUint64,
  encodeOrderedVarUint64,
  heightFromBytes,
  heightToBytes,
  sameVersion,
  type RwVersion,
} from './height.js';
export {
  decodeKVRWSet,
  decodeTxPvtRwSet,
  decodeTxRwSet,
  encodeHashedRWSet,
  encodeKVRWSet,
  encodeTxPvtRwSet,
  encodeTxRwSet,
  isKVWriteDelete,
  WireError,
  type CollHashedRwSet,
  type CollPvtRwSet,
  type HashedRWSet,
  type KVMetadataEntry,
  type KVMetadataWrite,
  type KVMetadataWriteHash,
  type KVRead,
  type KVReadHash,
  type KVRWSet,
  type KVWrite,
  type KVWriteHash,
  type MerkleSummary,
  type NsPvtRwSet,
  type NsRwSet,
  type RangeQueryInfo,
  type TxPvtRwSet,
  type TxRwSet,
} from './rwset.js';
export {
  newRWSetBuilder,
  type MetadataInput,
  type RWSetBuilder,
  type TxSimulationResults,
} from './rwset-builder.js';
export {
  MAX_DEGREE_QUERY_READS_HASHING,
  QUERY_READS_HASHING_ENABLED,
  RangeQueryResultsHelper,
  type HashFunc,
} from './range-query-helper.js';
export { deserializeMetadata, serializeMetadata, type KeyMetadata } from './metadata.js';
export {
  hashedDataNamespace,
  isPrivateOrHashedNamespace,
  keyHashToDbKey,
  privateDataNamespace,
} from './privacy.js';
export { DEFAULT_TOTAL_QUERY_LIMIT, totalReturnLimit } from './query-executor.js';
export {
  CHANNEL_CONFIG_KEY,
  CHANNEL_CONFIG_NAMESPACE,
  configTxProcessor,
  defaultCustomTxProcessors,
  type CustomTxProcessor,
} from './custom-tx.js';
export {
  chaincodeActionFromEnvelope,
  validateAndPrepareBatch,
  type BlockToValidate,
  type BlockValidationResult,
  type ValidatedTx,
  type ValidationContext,
} from './validation.js';
export { commitHashMetadata, computeCommitHash, deterministicUpdateBytes } from './commit-hash.js';
export {
  publicStateUpdates,
  toStateUpdates,
  type BatchValue,
  type HashedBatchValue,
  type UpdateBatch,
} from './update-batch.js';
export type {
  CollectionConfigProvider,
  HistoryIterator,
  HistoryQueryExecutor,
  KeyModification,
  QueryExecutor,
  QueryPage,
  QueryResultKV,
  QueryResultsIterator,
  SimpleQueryExecutor,
  TxSimulator,
} from './types.js';
