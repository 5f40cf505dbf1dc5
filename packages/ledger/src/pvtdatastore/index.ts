/** The private data store (Fabric v2.5 pvtdatastorage). */
export {
  openPvtDataStoreProvider,
  type PvtDataEntry,
  type PvtDataStore,
  type PvtDataStoreProvider,
  type PvtDataStoreProviderOptions,
  type PurgedWrite,
  type PvtNsCollFilter,
  type TxPvtData,
} from './store.js';
export type { PurgeMarker } from './purge.js';
