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
