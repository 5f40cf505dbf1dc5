/**
 * `@fabric-peer/chaincode`: chaincode support. See the README.
 *
 * @packageDocumentation
 */
export * from './types.js';
export { ChaincodeError, type ChaincodeErrorCode } from './errors.js';
