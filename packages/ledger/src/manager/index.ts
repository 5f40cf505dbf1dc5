/** The ledger manager. */
export {
  channelIdFromBlock,
  ledgersDataPath,
  openLedgerManager,
  type LedgerManager,
  type LedgerManagerOptions,
} from './ledger-manager.js';
export { LedgerStatus } from './id-store.js';
export { ledgerConfig, type LedgerConfig } from './config.js';
export { fileBlockStoreFactory, type FileBlockStoreFactoryOptions } from './block-stores.js';
export type { BlockStoreFactory, BlockStoreLocation } from './types.js';
