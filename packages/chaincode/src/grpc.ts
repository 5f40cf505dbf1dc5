/**
 * The `protos.ChaincodeSupport` service (bidi stream Register) for a grpc-js server: each call
 * runs a handler over the call's stream. With TLS, the client certificate of the call is checked
 * against the chaincode id on REGISTER.
 */
import * as grpc from '@grpc/grpc-js';
import { ChaincodeSupportService } from '@fabric-peer/protos';
import { grpcChaincodeStream, type ChaincodeStream } from './stream.js';
import type { ChaincodeAuthenticator } from './tls/authenticator.js';

type RegisterCall = grpc.ServerDuplexStream<unknown, unknown>;

function statusError(err: Error): Error {
  return Object.assign(new Error(err.message), { code: grpc.status.UNKNOWN, details: err.message });
}

/**
 * The `[service, implementation]` pair for `grpc.Server.addService`; `serve` runs a handler over
 * each Register stream.
 */
export function chaincodeSupportGrpcService(
  serve: (stream: ChaincodeStream) => void,
  authenticator?: ChaincodeAuthenticator,
): [grpc.ServiceDefinition, grpc.UntypedServiceImplementation] {
  const implementation: grpc.UntypedServiceImplementation = {
    register: (call: RegisterCall) => {
      const options: Parameters<typeof grpcChaincodeStream>[1] = {
        abort: (err) => call.emit('error', statusError(err)),
      };
      if (authenticator !== undefined) {
        options.authenticate = (chaincodeId) => {
          const raw = call.getAuthContext?.()?.sslPeerCertificate?.raw;
          authenticator.authenticate(
            chaincodeId,
            raw === undefined ? undefined : new Uint8Array(raw),
          );
        };
      }
      serve(grpcChaincodeStream(call, options));
    },
  };
  return [ChaincodeSupportService, implementation];
}
