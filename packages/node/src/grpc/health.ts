/**
 * The standard gRPC health service (grpc.health.v1) on the peer's listeners, so load balancers and
 * `grpc_health_probe` can ask whether the peer is serving. Fabric serves it on the chaincode
 * listener; serving it on the peer listener too costs nothing and helps operators.
 */
import * as grpcJs from '@grpc/grpc-js';
import { grpc, HealthService, type HealthServer } from '@fabric-peer/protos';

const { ServingStatus } = grpc.health.v1.HealthCheckResponse;

/** Whether the peer is serving: NOT_SERVING until every service has started, and again on stop. */
export class HealthStatusBoard {
  #serving = false;
  readonly #watchers = new Set<(serving: boolean) => void>();

  get serving(): boolean {
    return this.#serving;
  }

  setServing(serving: boolean): void {
    if (serving === this.#serving) return;
    this.#serving = serving;
    for (const w of this.#watchers) w(serving);
  }

  watch(listener: (serving: boolean) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }
}

/** Identifier of the {@link HealthStatusBoard} in the peer's container. */
export const HealthStatusBoardId: unique symbol = Symbol.for('@fabric-peer/node/HealthStatusBoard');

/** `addService` arguments for the health service of one listener. */
export function healthService(board: HealthStatusBoard): [typeof HealthService, HealthServer] {
  const status = (service: string, serving: boolean) => {
    // The empty name is the server as a whole; this listener's services are all the peer's.
    if (service !== '' && !/^(protos|gateway|discovery|gossip|grpc\.health\.v1)\./.test(service)) {
      return ServingStatus.SERVICE_UNKNOWN;
    }
    return serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const impl: HealthServer = {
    check(call, callback) {
      const s = status(call.request.service ?? '', board.serving);
      if (s === ServingStatus.SERVICE_UNKNOWN) {
        callback({
          code: grpcJs.status.NOT_FOUND,
          details: `unknown service ${call.request.service}`,
        });
        return;
      }
      callback(null, { status: s });
    },
    watch(call) {
      const service = call.request.service ?? '';
      const send = (serving: boolean) => call.write({ status: status(service, serving) });
      send(board.serving);
      const unwatch = board.watch(send);
      call.on('cancelled', unwatch);
      call.on('close', unwatch);
    },
  };
  return [HealthService, impl];
}
