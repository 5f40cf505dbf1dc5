/**
 * Fabric's gRPC server metrics (common/grpcmetrics), recorded by a server interceptor so every
 * service registered on a listener is measured the same way. Labels as Fabric: `service` with dots
 * replaced by underscores (`protos_Endorser`), `method`, and `code` by its gRPC name (`OK`).
 */
import * as grpc from '@grpc/grpc-js';
import type { MetricsProvider } from '@fabric-peer/api';

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(grpc.status)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [
      v as number,
      k
        .split('_')
        .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
        .join(''),
    ]),
);
// Fabric prints codes as Go's codes.Code.String(): "OK", "Canceled", "DeadlineExceeded", ...
CODE_NAMES[grpc.status.OK] = 'OK';
CODE_NAMES[grpc.status.CANCELLED] = 'Canceled';

/** Go's name for a gRPC status code. */
export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `Code(${code})`;
}

/** Splits `/protos.Endorser/ProcessProposal` into Fabric's label values. */
export function serviceMethod(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = path.replace(/\./g, '_').split('/');
  return { service, method };
}

/** Whether the call had a deadline and it has passed. */
function deadlinePassed(call: grpc.ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  // A little slack: timers and the deadline are computed from clocks a millisecond apart.
  return Number.isFinite(ms) && ms <= Date.now() + 10;
}

/** Builds the interceptor that records Fabric's gRPC metrics. */
export function metricsInterceptor(provider: MetricsProvider): grpc.ServerInterceptor {
  const m = {
    unaryReceived: provider.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'unary_requests_received',
      help: 'The number of unary requests received.',
      labelNames: ['service', 'method'],
      statsdFormat: '%{#fqname}.%{service}.%{method}',
    }),
    unaryCompleted: provider.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'unary_requests_completed',
      help: 'The number of unary requests completed.',
      labelNames: ['service', 'method', 'code'],
      statsdFormat: '%{#fqname}.%{service}.%{method}.%{code}',
    }),
    unaryDuration: provider.newHistogram({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'unary_request_duration',
      help: 'The time to complete a unary request.',
      labelNames: ['service', 'method', 'code'],
      statsdFormat: '%{#fqname}.%{service}.%{method}.%{code}',
    }),
    streamReceived: provider.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'stream_requests_received',
      help: 'The number of stream requests received.',
      labelNames: ['service', 'method'],
      statsdFormat: '%{#fqname}.%{service}.%{method}',
    }),
    streamCompleted: provider.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'stream_requests_completed',
      help: 'The number of stream requests completed.',
      labelNames: ['service', 'method', 'code'],
      statsdFormat: '%{#fqname}.%{service}.%{method}.%{code}',
    }),
    streamDuration: provider.newHistogram({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'stream_request_duration',
      help: 'The time to complete a stream request.',
      labelNames: ['service', 'method', 'code'],
      statsdFormat: '%{#fqname}.%{service}.%{method}.%{code}',
    }),
    streamMsgsReceived: provider.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'stream_messages_received',
      help: 'The number of stream messages received.',
      labelNames: ['service', 'method'],
      statsdFormat: '%{#fqname}.%{service}.%{method}',
    }),
    streamMsgsSent: provider.newCounter({
      namespace: 'grpc',
      subsystem: 'server',
      name: 'stream_messages_sent',
      help: 'The number of stream messages sent.',
      labelNames: ['service', 'method'],
      statsdFormat: '%{#fqname}.%{service}.%{method}',
    }),
  };

  return (descriptor, call) => {
    const labels = serviceMethod(descriptor.path);
    const streaming = descriptor.requestStream || descriptor.responseStream;
    const started = process.hrtime.bigint();
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const withCode = { ...labels, code: codeName(code) };
      (streaming ? m.streamCompleted : m.unaryCompleted).add(1, withCode);
      (streaming ? m.streamDuration : m.unaryDuration).observe(seconds, withCode);
    };
    (streaming ? m.streamReceived : m.unaryReceived).add(1, labels);

    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMessage((message, next) => {
        if (streaming) m.streamMsgsReceived.add(1, labels);
        next(message);
      })
      // grpc-js ends a call whose deadline passed without going through the interceptors, so
      // this listener only sees a cancellation; Fabric records DeadlineExceeded for those.
      .withOnCancel(() =>
        finish(deadlinePassed(call) ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED),
      )
      .build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendMessage((message, next) => {
        if (streaming) m.streamMsgsSent.add(1, labels);
        next(message);
      })
      .withSendStatus((status, next) => {
        finish(status.code ?? grpc.status.UNKNOWN);
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}
