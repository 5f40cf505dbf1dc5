import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpcJs from '@grpc/grpc-js';
import type { Counter, Histogram, MetricLabels, MetricsProvider } from '@fabric-peer/api';
import { recordingLoggers } from '@fabric-peer/testkit';
import { healthService, HealthStatusBoard } from '../src/grpc/health.js';
import { codeName, metricsInterceptor, serviceMethod } from '../src/grpc/metrics.js';
import { GrpcServer } from '../src/grpc/server.js';
import { PrometheusProvider } from '../src/metrics/prometheus.js';
import { grpcCode, healthClient, ServingStatus, waitFor } from '../test-support/index.js';

/** A bidirectional echo service with raw-byte messages: `/test.Echo/Chat` and `/test.Echo/Fail`. */
const raw = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
const EchoService = {
  chat: { path: '/test.Echo/Chat', requestStream: true, responseStream: true, ...raw },
  fail: { path: '/test.Echo/Fail', requestStream: false, responseStream: false, ...raw },
  hang: { path: '/test.Echo/Hang', requestStream: false, responseStream: false, ...raw },
} satisfies grpcJs.ServiceDefinition;
const EchoClient = grpcJs.makeGenericClientConstructor(EchoService, 'Echo');

const echoImpl: grpcJs.UntypedServiceImplementation = {
  chat(call: grpcJs.ServerDuplexStream<Buffer, Buffer>) {
    call.on('data', (m: Buffer) => {
      call.write(m);
      call.write(m);
    });
    call.on('end', () => call.end());
  },
  fail(_call: grpcJs.ServerUnaryCall<Buffer, Buffer>, callback: grpcJs.sendUnaryData<Buffer>) {
    callback({ code: grpcJs.status.PERMISSION_DENIED, details: 'access denied' });
  },
  hang() {
    // Never answers: the client's deadline or cancellation ends the call.
  },
};

type HangFn = (
  req: Buffer,
  metadata: grpcJs.Metadata,
  options: grpcJs.CallOptions,
  cb: (err: unknown) => void,
) => grpcJs.ClientUnaryCall;

async function instrumented(provider: MetricsProvider, board = new HealthStatusBoard()) {
  const server = new GrpcServer({
    name: 'peer-listener',
    configKey: 'peer.listenAddress',
    address: '127.0.0.1:0',
    keepalive: { intervalMs: 7_200_000, timeoutMs: 20_000 },
    maxRecvMsgSize: 4 * 1024 * 1024,
    maxSendMsgSize: 4 * 1024 * 1024,
    interceptors: [metricsInterceptor(provider)],
    logger: recordingLoggers().logger,
  });
  server.addService(...healthService(board));
  server.addService(EchoService, echoImpl);
  await server.start();
  return server;
}

/** The value of one sample line in a Prometheus exposition, or undefined when absent. */
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of body.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').sort();
    if (have.join(',') === want.join(',')) return Number(m[3]);
  }
  return undefined;
}

describe('codeName', () => {
  it('gives Go names for every gRPC status code', () => {
    const expected: [number, string][] = [
      [grpcJs.status.OK, 'OK'],
      [grpcJs.status.CANCELLED, 'Canceled'],
      [grpcJs.status.UNKNOWN, 'Unknown'],
      [grpcJs.status.INVALID_ARGUMENT, 'InvalidArgument'],
      [grpcJs.status.DEADLINE_EXCEEDED, 'DeadlineExceeded'],
      [grpcJs.status.NOT_FOUND, 'NotFound'],
      [grpcJs.status.ALREADY_EXISTS, 'AlreadyExists'],
      [grpcJs.status.PERMISSION_DENIED, 'PermissionDenied'],
      [grpcJs.status.RESOURCE_EXHAUSTED, 'ResourceExhausted'],
      [grpcJs.status.FAILED_PRECONDITION, 'FailedPrecondition'],
      [grpcJs.status.ABORTED, 'Aborted'],
      [grpcJs.status.OUT_OF_RANGE, 'OutOfRange'],
      [grpcJs.status.UNIMPLEMENTED, 'Unimplemented'],
      [grpcJs.status.INTERNAL, 'Internal'],
      [grpcJs.status.UNAVAILABLE, 'Unavailable'],
      [grpcJs.status.DATA_LOSS, 'DataLoss'],
      [grpcJs.status.UNAUTHENTICATED, 'Unauthenticated'],
    ];
    for (const [code, name] of expected) assert.equal(codeName(code), name, `code ${code}`);
  });

  it('names an unknown code as Go does', () => {
    assert.equal(codeName(42), 'Code(42)');
  });
});

describe('serviceMethod', () => {
  it('splits a gRPC path into Fabric labels, dots as underscores', () => {
    assert.deepEqual(serviceMethod('/protos.Endorser/ProcessProposal'), {
      service: 'protos_Endorser',
      method: 'ProcessProposal',
    });
    assert.deepEqual(serviceMethod('/grpc.health.v1.Health/Check'), {
      service: 'grpc_health_v1_Health',
      method: 'Check',
    });
    assert.deepEqual(serviceMethod('/gateway.Gateway/Evaluate'), {
      service: 'gateway_Gateway',
      method: 'Evaluate',
    });
  });
});

describe('metricsInterceptor', { timeout: 30_000 }, () => {
  it('creates Fabric’s eight gRPC server metrics with Fabric’s labels and statsd formats', () => {
    const made: { kind: string; name: string; labels: string; statsd: string }[] = [];
    const provider: MetricsProvider = {
      newCounter(o): Counter {
        made.push({
          kind: 'counter',
          name: `${o.namespace}_${o.subsystem}_${o.name}`,
          labels: (o.labelNames ?? []).join(','),
          statsd: o.statsdFormat ?? '',
        });
        return { add: () => undefined };
      },
      newGauge() {
        throw new Error('no gauges expected');
      },
      newHistogram(o): Histogram {
        made.push({
          kind: 'histogram',
          name: `${o.namespace}_${o.subsystem}_${o.name}`,
          labels: (o.labelNames ?? []).join(','),
          statsd: o.statsdFormat ?? '',
        });
        return { observe: () => undefined };
      },
    };
    metricsInterceptor(provider);
    const sm = '%{#fqname}.%{service}.%{method}';
    const smc = '%{#fqname}.%{service}.%{method}.%{code}';
    assert.deepEqual(
      made.sort((a, b) => a.name.localeCompare(b.name)),
      [
        {
          kind: 'counter',
          name: 'grpc_server_stream_messages_received',
          labels: 'service,method',
          statsd: sm,
        },
        {
          kind: 'counter',
          name: 'grpc_server_stream_messages_sent',
          labels: 'service,method',
          statsd: sm,
        },
        {
          kind: 'histogram',
          name: 'grpc_server_stream_request_duration',
          labels: 'service,method,code',
          statsd: smc,
        },
        {
          kind: 'counter',
          name: 'grpc_server_stream_requests_completed',
          labels: 'service,method,code',
          statsd: smc,
        },
        {
          kind: 'counter',
          name: 'grpc_server_stream_requests_received',
          labels: 'service,method',
          statsd: sm,
        },
        {
          kind: 'histogram',
          name: 'grpc_server_unary_request_duration',
          labels: 'service,method,code',
          statsd: smc,
        },
        {
          kind: 'counter',
          name: 'grpc_server_unary_requests_completed',
          labels: 'service,method,code',
          statsd: smc,
        },
        {
          kind: 'counter',
          name: 'grpc_server_unary_requests_received',
          labels: 'service,method',
          statsd: sm,
        },
      ],
    );
  });

  it('records a unary call: received, completed with its code, and its duration', async () => {
    const provider = new PrometheusProvider();
    const board = new HealthStatusBoard();
    board.setServing(true);
    const server = await instrumented(provider, board);
    const client = healthClient(server.port);
    try {
      assert.equal((await client.check('')).status, ServingStatus.SERVING);
      const { body } = await provider.exposition();
      const sm = { service: 'grpc_health_v1_Health', method: 'Check' };
      const smc = { ...sm, code: 'OK' };
      assert.equal(sample(body, 'grpc_server_unary_requests_received', sm), 1);
      assert.equal(sample(body, 'grpc_server_unary_requests_completed', smc), 1);
      assert.equal(sample(body, 'grpc_server_unary_request_duration_count', smc), 1);
      const sum = sample(body, 'grpc_server_unary_request_duration_sum', smc);
      assert.ok(sum !== undefined && sum >= 0 && sum < 5, `duration sum in seconds: ${sum}`);
      assert.equal(
        sample(body, 'grpc_server_unary_request_duration_bucket', { ...smc, le: '+Inf' }),
        1,
      );
      assert.match(body, /^# TYPE grpc_server_unary_request_duration histogram$/m);
      // Exactly Fabric's line for the first counter.
      assert.match(
        body,
        /^grpc_server_unary_requests_received\{service="grpc_health_v1_Health",method="Check"\} 1$/m,
      );
      // A unary call records no stream metrics.
      assert.equal(sample(body, 'grpc_server_stream_requests_received', sm), undefined);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('records the Go name of an error code (NotFound, PermissionDenied)', async () => {
    const provider = new PrometheusProvider();
    const server = await instrumented(provider);
    const health = healthClient(server.port);
    const echo = new EchoClient(`127.0.0.1:${server.port}`, grpcJs.credentials.createInsecure());
    try {
      await assert.rejects(health.check('acme.Unknown'));
      await assert.rejects(health.check('acme.Unknown'));
      const err = await new Promise<unknown>((resolve) => {
        (
          echo as unknown as {
            fail: (req: Buffer, cb: (err: unknown) => void) => void;
          }
        ).fail(Buffer.from('x'), resolve);
      });
      assert.equal(grpcCode(err), grpcJs.status.PERMISSION_DENIED);
      const { body } = await provider.exposition();
      const health_ = { service: 'grpc_health_v1_Health', method: 'Check' };
      assert.equal(sample(body, 'grpc_server_unary_requests_received', health_), 2);
      assert.equal(
        sample(body, 'grpc_server_unary_requests_completed', { ...health_, code: 'NotFound' }),
        2,
      );
      assert.equal(
        sample(body, 'grpc_server_unary_requests_completed', { ...health_, code: 'OK' }),
        undefined,
      );
      assert.equal(
        sample(body, 'grpc_server_unary_requests_completed', {
          service: 'test_Echo',
          method: 'Fail',
          code: 'PermissionDenied',
        }),
        1,
      );
    } finally {
      health.close();
      echo.close();
      await server.stop();
    }
  });

  it('records DeadlineExceeded when the deadline passes, Canceled when the client cancels', async () => {
    const provider = new PrometheusProvider();
    const server = await instrumented(provider);
    const echo = new EchoClient(`127.0.0.1:${server.port}`, grpcJs.credentials.createInsecure());
    const hang = (echo as unknown as { hang: HangFn }).hang.bind(echo);
    try {
      const late = await new Promise<unknown>((resolve) => {
        hang(Buffer.from('x'), new grpcJs.Metadata(), { deadline: Date.now() + 100 }, resolve);
      });
      assert.equal(grpcCode(late), grpcJs.status.DEADLINE_EXCEEDED);
      const cancelled = await new Promise<unknown>((resolve) => {
        const call = hang(Buffer.from('x'), new grpcJs.Metadata(), {}, resolve);
        setTimeout(() => call.cancel(), 50);
      });
      assert.equal(grpcCode(cancelled), grpcJs.status.CANCELLED);
      const sm = { service: 'test_Echo', method: 'Hang' };
      let body = '';
      await waitFor(async () => {
        body = (await provider.exposition()).body;
        return (
          sample(body, 'grpc_server_unary_requests_completed', { ...sm, code: 'Canceled' }) === 1
        );
      }, 'the cancelled call to be recorded');
      assert.equal(sample(body, 'grpc_server_unary_requests_received', sm), 2);
      assert.equal(
        sample(body, 'grpc_server_unary_requests_completed', { ...sm, code: 'DeadlineExceeded' }),
        1,
      );
    } finally {
      echo.close();
      await server.stop();
    }
  });

  it('records a server-streaming call: messages sent, and Canceled when the client cancels', async () => {
    const provider = new PrometheusProvider();
    const board = new HealthStatusBoard();
    const server = await instrumented(provider, board);
    const client = healthClient(server.port);
    try {
      const watch = client.watch('');
      await waitFor(() => watch.seen.length === 1, 'the first Watch answer');
      board.setServing(true);
      board.setServing(false);
      await waitFor(() => watch.seen.length === 3, 'three Watch answers');
      const sm = { service: 'grpc_health_v1_Health', method: 'Watch' };
      let { body } = await provider.exposition();
      assert.equal(sample(body, 'grpc_server_stream_requests_received', sm), 1);
      assert.equal(sample(body, 'grpc_server_stream_messages_received', sm), 1);
      assert.equal(sample(body, 'grpc_server_stream_messages_sent', sm), 3);
      // Not completed while the stream is open.
      assert.equal(
        sample(body, 'grpc_server_stream_requests_completed', { ...sm, code: 'Canceled' }),
        undefined,
      );
      assert.equal(sample(body, 'grpc_server_unary_requests_received', sm), undefined);

      watch.cancel();
      await watch.ended;
      await waitFor(async () => {
        body = (await provider.exposition()).body;
        return (
          sample(body, 'grpc_server_stream_requests_completed', { ...sm, code: 'Canceled' }) === 1
        );
      }, 'the cancelled stream to be recorded');
      assert.equal(
        sample(body, 'grpc_server_stream_request_duration_count', { ...sm, code: 'Canceled' }),
        1,
      );
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('records a bidirectional stream: messages each way, completed OK', async () => {
    const provider = new PrometheusProvider();
    const server = await instrumented(provider);
    const echo = new EchoClient(`127.0.0.1:${server.port}`, grpcJs.credentials.createInsecure());
    try {
      const call = (
        echo as unknown as { chat: () => grpcJs.ClientDuplexStream<Buffer, Buffer> }
      ).chat();
      const replies: string[] = [];
      call.on('data', (m: Buffer) => replies.push(m.toString()));
      const status = new Promise<grpcJs.StatusObject>((resolve) => call.on('status', resolve));
      for (const word of ['a', 'b', 'c']) call.write(Buffer.from(word));
      call.end();
      assert.equal((await status).code, grpcJs.status.OK);
      assert.deepEqual(replies, ['a', 'a', 'b', 'b', 'c', 'c']);
      const { body } = await provider.exposition();
      const sm = { service: 'test_Echo', method: 'Chat' };
      assert.equal(sample(body, 'grpc_server_stream_requests_received', sm), 1);
      assert.equal(sample(body, 'grpc_server_stream_messages_received', sm), 3);
      assert.equal(sample(body, 'grpc_server_stream_messages_sent', sm), 6);
      assert.equal(sample(body, 'grpc_server_stream_requests_completed', { ...sm, code: 'OK' }), 1);
      assert.equal(
        sample(body, 'grpc_server_stream_request_duration_count', { ...sm, code: 'OK' }),
        1,
      );
    } finally {
      echo.close();
      await server.stop();
    }
  });

  it('records each call once into any provider', async () => {
    const adds: { name: string; labels: MetricLabels | undefined }[] = [];
    const provider: MetricsProvider = {
      newCounter: (o) => ({ add: (_d, labels) => void adds.push({ name: o.name, labels }) }),
      newGauge: () => ({ set: () => undefined, add: () => undefined }),
      newHistogram: (o) => ({
        observe: (_v, labels) => void adds.push({ name: o.name, labels }),
      }),
    };
    const board = new HealthStatusBoard();
    const server = await instrumented(provider, board);
    const client = healthClient(server.port);
    try {
      await client.check('');
      await waitFor(() => adds.length === 3, 'three recordings');
      assert.deepEqual(adds, [
        {
          name: 'unary_requests_received',
          labels: { service: 'grpc_health_v1_Health', method: 'Check' },
        },
        {
          name: 'unary_requests_completed',
          labels: { service: 'grpc_health_v1_Health', method: 'Check', code: 'OK' },
        },
        {
          name: 'unary_request_duration',
          labels: { service: 'grpc_health_v1_Health', method: 'Check', code: 'OK' },
        },
      ]);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
