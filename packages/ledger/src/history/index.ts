/** The history database (Fabric v2.5 kvledger/history). */
export { openHistoryDBProvider, type HistoryDB, type HistoryDBProvider } from './history-db.js';
export { historyDataKey, historyKeyPrefix, decodeHistoryHeight } from './keys.js';
