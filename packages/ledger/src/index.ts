/**
 * `@fabric-peer/ledger`: the block store, the kvledger of each channel (transaction simulation with
 * Fabric's read-write sets, MVCC, commit and recovery), history, private data and its
 * block-to-live expiry, and the ledger manager.
 */
export * from './blockstore/index.js';
export * from './txmgmt/index.js';
export * from './history/index.js';
export * from './pvtdatastore/index.js';
export * from './expiry/index.js';
export * from './kvledger/index.js';
export * from './manager/index.js';
