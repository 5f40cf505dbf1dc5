/**
 * The block store of one channel, as the kvledger uses it. Blocks are appended in order with their
 * final metadata (TRANSACTIONS_FILTER, COMMIT_HASH) and never change; everything else in the ledger
 * (state, history) can be rebuilt from them.
 */
import type { common } from '@fabric-peer/protos';

/** Height and hashes of the chain (Fabric's common.BlockchainInfo). */
export interface ChainInfo {
  /** Number of blocks (the next block's number). */
  readonly height: number;
  /** Hash of the last block's header (empty when there is none). */
  readonly currentBlockHash: Uint8Array;
  /** That block's previous_hash. */
  readonly previousBlockHash: Uint8Array;
}

/** Where a transaction is, and the code validation gave it. */
export interface TxLocation {
  readonly blockNum: number;
  readonly txNum: number;
  /** The peer.TxValidationCode from the block's TRANSACTIONS_FILTER. */
  readonly validationCode: number;
}

/** Blocks from a height on; waits for blocks not yet committed. */
export interface BlockIterator extends AsyncIterable<common.Block> {
  /** The next block, waiting until it is committed; undefined once closed. */
  next(): Promise<common.Block | undefined>;
  close(): void;
}

export interface BlockStore {
  readonly channelId: string;
  info(): ChainInfo;
  /**
   * Appends the next block durably. Refuses (BlockStoreError) a block whose number is not the
   * height, whose previous_hash is not the last block's hash, or whose data_hash is wrong.
   */
  addBlock(block: common.IBlock): Promise<void>;
  /** The block's bytes exactly as stored. */
  getBlockBytes(blockNum: number): Promise<Uint8Array | undefined>;
  getBlockByNumber(blockNum: number): Promise<common.Block | undefined>;
  getBlockByHash(headerHash: Uint8Array): Promise<common.Block | undefined>;
  /** Where a transaction id was first committed (Fabric indexes the first occurrence). */
  getTxLocation(txId: string): Promise<TxLocation | undefined>;
  txIdExists(txId: string): Promise<boolean>;
  getTxEnvelope(txId: string): Promise<{ envelope: Uint8Array; location: TxLocation } | undefined>;
  getBlockByTxId(txId: string): Promise<common.Block | undefined>;
  /** Blocks from `startNum` on (startNum may equal the height: the iterator then waits). */
  iterator(startNum: number): BlockIterator;
  /**
   * Fabric's blkstorage.Rollback, for offline tools: removes every block after `blockNum` (which
   * must be below the last block) from the files and the index, then closes the store.
   * `beforeChange` runs once `blockNum` is accepted, before anything is changed.
   */
  rollback?(blockNum: number, beforeChange?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}
