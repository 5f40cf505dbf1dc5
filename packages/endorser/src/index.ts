/**
 * `@fabric-peer/endorser`: the Endorser service (Fabric's core/endorser): proposal checks,
 * simulation through chaincode support, the lscc deploy special case, endorsement plugins,
 * decorators, the auth-filter chain and the gRPC service. See the README.
 *
 * @packageDocumentation
 */
export { Endorser, type EndorserOptions, type PrivateDataDistributor } from './endorser.js';
export { chainAuthFilters } from './auth.js';
export { endorserGrpcService } from './grpc.js';
export { EndorserError, type EndorserErrorCode } from './errors.js';
export { unpackProposal, validateProposal, type UnpackedProposal } from './unpack.js';
