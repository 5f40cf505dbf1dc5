/**
 * The `gateway.Gateway` gRPC service over the gateway's handlers. A GatewayError becomes its gRPC
 * status, with its error details as Fabric sends them: a `google.rpc.Status` holding one
 * `gateway.ErrorDetail` per endpoint in the `grpc-status-details-bin` trailer, which is where the
 * fabric-gateway client reads them. The client's cancellation and deadline abort the request.
 */
import * as grpc from '@grpc/grpc-js';
import {
  GatewayService,
  gateway,
  google,
  type GatewayServer as GatewayImpl,
} from '@fabric-peer/protos';
import { GatewayError, messageOf } from './errors.js';

/** What the service calls; GatewayServer implements it. */
export interface GatewayHandlers {
  evaluate(
    request: gateway.EvaluateRequest,
    ctx: { signal: AbortSignal },
  ): Promise<gateway.EvaluateResponse.$Properties>;
  endorse(
    request: gateway.EndorseRequest,
    ctx: { signal: AbortSignal },
  ): Promise<gateway.EndorseResponse.$Properties>;
  submit(
    request: gateway.SubmitRequest,
    ctx: { signal: AbortSignal },
  ): Promise<gateway.SubmitResponse.$Properties>;
  commitStatus(
    request: gateway.SignedCommitStatusRequest,
    ctx: { signal: AbortSignal },
  ): Promise<gateway.CommitStatusResponse.$Properties>;
  chaincodeEvents(
    request: gateway.SignedChaincodeEventsRequest,
    ctx: { signal: AbortSignal },
    send: (response: gateway.ChaincodeEventsResponse.$Properties) => Promise<void>,
  ): Promise<void>;
}

const ERROR_DETAIL_TYPE = 'type.googleapis.com/gateway.ErrorDetail';
/** setTimeout's limit; a later deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The ServiceError grpc-js sends for an error a handler threw. */
export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (!(err instanceof GatewayError)) {
    return { code: grpc.status.UNKNOWN, details: messageOf(err), message: messageOf(err) };
  }
  const metadata = new grpc.Metadata();
  if (err.errorDetails.length > 0) {
    const statusBytes = google.rpc.Status.encode({
      code: err.grpcCode,
      message: err.message,
      details: err.errorDetails.map((d) => ({
        type_url: ERROR_DETAIL_TYPE,
        value: gateway.ErrorDetail.encode({
          address: d.address,
          mspId: d.mspId,
          message: d.message,
        }).finish(),
      })),
    }).finish();
    metadata.set('grpc-status-details-bin', Buffer.from(statusBytes));
  }
  return { code: err.grpcCode, details: err.message, message: err.message, metadata };
}

interface CallLike {
  getDeadline(): grpc.Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/**
 * A signal for one call: aborted with reason 'deadline' when the client's deadline passes, or
 * 'cancelled' when the client cancels. `done()` stops watching (grpc-js reports every call as
 * cancelled once its stream closes, answered or not).
 */
function callContext(call: CallLike): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onCancelled = (): void => controller.abort('cancelled');
  call.once('cancelled', onCancelled);
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(at) && at - Date.now() < MAX_TIMER_MS) {
    timer = setTimeout(() => controller.abort('deadline'), Math.max(0, at - Date.now()));
  }
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      call.off('cancelled', onCancelled);
    },
  };
}

function unary<Req, Res>(
  handler: (request: Req, ctx: { signal: AbortSignal }) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const ctx = callContext(call);
    let answer: Promise<Res>;
    try {
      answer = handler(call.request, { signal: ctx.signal });
    } catch (err) {
      answer = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    answer
      .finally(() => ctx.done())
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toServiceError(err)),
      );
  };
}

/** The service definition and implementation for `grpc.Server.addService`. */
export function gatewayGrpcService(
  handlers: GatewayHandlers,
): [grpc.ServiceDefinition, grpc.UntypedServiceImplementation] {
  const chaincodeEvents: GatewayImpl['chaincodeEvents'] = (call) => {
    const ctx = callContext(call);
    const send = (response: gateway.ChaincodeEventsResponse.$Properties): Promise<void> =>
      new Promise<void>((resolve) => {
        if (call.write(response)) {
          resolve();
          return;
        }
        // Backpressure: wait for the client to read, unless it goes away first.
        const onDrain = (): void => {
          ctx.signal.removeEventListener('abort', onDrain);
          call.off('drain', onDrain);
          resolve();
        };
        call.on('drain', onDrain);
        ctx.signal.addEventListener('abort', onDrain, { once: true });
      });
    let streaming: Promise<void>;
    try {
      streaming = handlers.chaincodeEvents(call.request, { signal: ctx.signal }, send);
    } catch (err) {
      streaming = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    streaming
      .finally(() => ctx.done())
      .then(
        () => call.end(),
        (err: unknown) => call.emit('error', toServiceError(err)),
      );
  };
  const implementation: GatewayImpl = {
    evaluate: unary((request: gateway.EvaluateRequest, ctx) => handlers.evaluate(request, ctx)),
    endorse: unary((request: gateway.EndorseRequest, ctx) => handlers.endorse(request, ctx)),
    submit: unary((request: gateway.SubmitRequest, ctx) => handlers.submit(request, ctx)),
    commitStatus: unary((request: gateway.SignedCommitStatusRequest, ctx) =>
      handlers.commitStatus(request, ctx),
    ),
    chaincodeEvents,
  };
  return [GatewayService, implementation];
}
