/** What the ledger manager needs from block stores. */
import type { BlockStore } from '../blockstore/types.js';

/** Where a channel's block store lives and what it is called. */
export interface BlockStoreLocation {
  /** `<ledgersData>/chains`. */
  readonly chainsDir: string;
  readonly channelId: string;
}

/** Opens (creating) and removes block stores. */
export interface BlockStoreFactory {
  open(location: BlockStoreLocation): Promise<BlockStore>;
  /** Removes a channel's blocks (used to clean up a ledger whose creation did not finish). */
  drop?(location: BlockStoreLocation): Promise<void>;
  /**
   * Removes the blocks after `blockNum` (Fabric's blkstorage.Rollback); `validated` runs once the
   * store has accepted `blockNum` and before anything changes. Refuses a block number that is not
   * below the last block.
   */
  rollback?(
    location: BlockStoreLocation,
    blockNum: number,
    validated: () => Promise<void>,
  ): Promise<void>;
  /** Called when the manager closes, after its ledgers. */
  close?(): Promise<void>;
}
