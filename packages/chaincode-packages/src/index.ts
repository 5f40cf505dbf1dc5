/**
 * `@fabric-peer/chaincode-packages`: chaincode package formats and the installed-package stores.
 * See the README.
 *
 * @packageDocumentation
 */
export * from './types.js';
