/**
 * The block store: blocks of a channel in append-only block files, indexed in LevelDB by number,
 * header hash and txid. See README.md in this folder.
 */
export * from './types.js';
export { BlockStoreError, type BlockStoreErrorCode } from './errors.js';
export {
  DEFAULT_CACHE_BYTES,
  DEFAULT_MAX_FILE_SIZE,
  openBlockIndexDb,
  openBlockStore,
  type BlockIndexDb,
  type BlockStoreOptions,
} from './store.js';
