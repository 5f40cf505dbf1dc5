/** The ledger of one channel. */
export {
  openKvLedger,
  type BlockCommitEvent,
  type BlockCommitListener,
  type CommitOptions,
  type CommitResult,
  type KvLedger,
  type KvLedgerOptions,
} from './kv-ledger.js';
export {
  deployChaincodeIndexes,
  type IndexDeployment,
  type IndexedChaincode,
} from './chaincode-indexes.js';
