/**
 * Test helpers of the committer (`@fabric-peer/committer/test-support`), for tests only: signed
 * transactions and orderer-signed blocks, a `_lifecycle` reader, a committer on the channel test
 * network, and the Fabric corpus.
 */
export * from './chain.js';
export * from './lifecycle.js';
export * from './network.js';
export * from './corpus.js';
export * from './config-update.js';
export * from './two-orgs.js';
export * from './bench-workload.js';
