/**
 * `@fabric-peer/gateway`: the Gateway service (Fabric's internal/pkg/gateway) — Evaluate, Endorse,
 * Submit, CommitStatus and ChaincodeEvents — for the peer's listener. See the README.
 *
 * @packageDocumentation
 */
export { GatewayServer, type EventsSender, type RequestContext } from './server.js';
export {
  DEFAULT_GATEWAY_SETTINGS,
  type CollectionMembersSource,
  type EndorsementPolicySource,
  type GatewayServerOptions,
  type GatewaySettings,
  type RemotePeer,
} from './types.js';
export { GatewayError, type EndpointErrorDetail, type GatewayErrorCode } from './errors.js';
export { gatewayGrpcService, toServiceError, type GatewayHandlers } from './grpc.js';
