// The generated gRPC service definitions: the same services, paths and streaming flags as
// fabric-protos, and real calls through @grpc/grpc-js.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ClientReadableStream,
  type ClientDuplexStream,
  type ServiceError,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import Long from 'long';
import {
  ChaincodeSupportService,
  HealthService,
  grpc as grpcNs,
  protos,
  serviceDefinitions,
  timestampFromMillis,
  type ChaincodeSupportServer,
  type HealthServer,
} from '../src/index.js';
import { jspbGrpcMethods } from '../test-support/reference.js';

const { HealthCheckRequest, HealthCheckResponse } = grpcNs.health.v1;
const { ServingStatus } = HealthCheckResponse;

type Methods = Record<string, { path: string; requestStream: boolean; responseStream: boolean }>;

function summary(methods: Iterable<{ path: string; requestStream: boolean; responseStream: boolean }>) {
  return [...methods]
    .map((m) => `${m.path} ${m.requestStream ? 'stream' : 'unary'}→${m.responseStream ? 'stream' : 'unary'}`)
    .sort();
}

void describe('service definitions', () => {
  const ours = Object.entries(serviceDefinitions as unknown as Record<string, Methods>).filter(
    ([name]) => name !== 'grpc.health.v1.Health',
  );

  void test('same methods, paths and streaming flags as fabric-protos', () => {
    const reference = summary(jspbGrpcMethods());
    assert.ok(reference.length >= 15, `only ${reference.length} reference methods`);
    assert.deepEqual(summary(ours.flatMap(([, methods]) => Object.values(methods))), reference);
  });

  void test('same services as fabric-protos', () => {
    const service = (path: string): string => path.split('/')[1] ?? '';
    const reference = [...new Set(jspbGrpcMethods().map((m) => service(m.path)))].sort();
    assert.deepEqual(
      ours.map(([name]) => name).sort(),
      reference,
    );
  });

  void test('each definition is complete: path under its service, original name, codecs', () => {
    for (const [name, methods] of Object.entries(serviceDefinitions as unknown as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [key, m] of Object.entries(methods)) {
        assert.equal(m['path'], `/${name}/${String(m['originalName'])}`);
        assert.equal(key, String(m['originalName']).charAt(0).toLowerCase() + String(m['originalName']).slice(1));
        for (const fn of ['requestSerialize', 'requestDeserialize', 'responseSerialize', 'responseDeserialize']) {
          assert.equal(typeof m[fn], 'function', `${name}.${key}.${fn}`);
        }
      }
    }
  });

  void test('serializers use the static module: bytes out, decoded instances in', () => {
    const m = serviceDefinitions['protos.Endorser'].processProposal;
    const bytes = m.requestSerialize({ proposalBytes: Buffer.from('abc'), signature: Buffer.from([1, 2]) });
    assert.ok(Buffer.isBuffer(bytes));
    assert.deepEqual([...bytes], [0x0a, 3, 0x61, 0x62, 0x63, 0x12, 2, 1, 2]);
    const back = m.requestDeserialize(bytes);
    assert.ok(back instanceof protos.SignedProposal);
    assert.ok(Buffer.isBuffer(back.proposalBytes));
    assert.equal(Buffer.from(back.proposalBytes).toString(), 'abc');
  });
});

void describe('a real round trip through @grpc/grpc-js', () => {
  const server = new Server();
  let address = '';
  const seen: string[] = [];

  const health: HealthServer = {
    check(call: ServerUnaryCall<grpcNs.health.v1.HealthCheckRequest, unknown>, callback: sendUnaryData<grpcNs.health.v1.HealthCheckResponse.$Properties>) {
      assert.ok(call.request instanceof HealthCheckRequest);
      seen.push(call.request.service);
      if (call.request.service === 'missing') {
        callback({ code: 5, details: 'unknown service' });
        return;
      }
      callback(null, { status: ServingStatus.SERVING });
    },
    watch(call: ServerWritableStream<grpcNs.health.v1.HealthCheckRequest, grpcNs.health.v1.HealthCheckResponse.$Properties>) {
      call.write({ status: ServingStatus.NOT_SERVING });
      call.write({ status: ServingStatus.SERVING });
      call.write({ status: ServingStatus.SERVICE_UNKNOWN });
      call.end();
    },
  };

  const chaincodeSupport: ChaincodeSupportServer = {
    register(call: ServerDuplexStream<protos.ChaincodeMessage, protos.ChaincodeMessage.$Properties>) {
      call.on('data', (msg: protos.ChaincodeMessage) => {
        // Echo as RESPONSE, keeping payload, txid, channel and timestamp.
        call.write({ ...msg, type: protos.ChaincodeMessage.Type.RESPONSE });
      });
      call.on('end', () => call.end());
    },
  };

  before(async () => {
    server.addService(HealthService, health);
    server.addService(ChaincodeSupportService, chaincodeSupport);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  void test('Health.Check (unary) and its error path', async () => {
    const HealthClient = makeGenericClientConstructor(HealthService, 'Health');
    const client = new HealthClient(address, credentials.createInsecure()) as unknown as Client & {
      check(req: object, cb: (err: ServiceError | null, res?: grpcNs.health.v1.HealthCheckResponse) => void): void;
    };
    try {
      const res = await new Promise<grpcNs.health.v1.HealthCheckResponse | undefined>((resolve, reject) =>
        client.check({ service: 'protos.Endorser ✓' }, (err, r) => (err ? reject(err) : resolve(r))),
      );
      assert.ok(res instanceof HealthCheckResponse);
      assert.equal(res.status, ServingStatus.SERVING);
      assert.ok(seen.includes('protos.Endorser ✓'), 'the server decoded the request');

      const err = await new Promise<ServiceError | null>((resolve) =>
        client.check(HealthCheckRequest.create({ service: 'missing' }), (e) => resolve(e)),
      );
      assert.equal(err?.code, 5);
      assert.match(err?.details ?? '', /unknown service/);
    } finally {
      client.close();
    }
  });

  void test('Health.Watch (server streaming)', async () => {
    const HealthClient = makeGenericClientConstructor(HealthService, 'Health');
    const client = new HealthClient(address, credentials.createInsecure()) as unknown as Client & {
      watch(req: object): ClientReadableStream<grpcNs.health.v1.HealthCheckResponse>;
    };
    try {
      const statuses: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = client.watch({ service: '' });
        stream.on('data', (r: grpcNs.health.v1.HealthCheckResponse) => statuses.push(r.status));
        stream.on('error', reject);
        stream.on('end', () => resolve());
      });
      assert.deepEqual(statuses, [ServingStatus.NOT_SERVING, ServingStatus.SERVING, ServingStatus.SERVICE_UNKNOWN]);
    } finally {
      client.close();
    }
  });

  void test('ChaincodeSupport.Register (bidirectional streaming) keeps every field', async () => {
    const Client = makeGenericClientConstructor(ChaincodeSupportService, 'ChaincodeSupport');
    const client = new Client(address, credentials.createInsecure()) as unknown as Client & {
      register(): ClientDuplexStream<protos.ChaincodeMessage.$Properties, protos.ChaincodeMessage>;
    };
    try {
      const replies: protos.ChaincodeMessage[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = client.register();
        stream.on('data', (m: protos.ChaincodeMessage) => {
          replies.push(m);
          if (replies.length === 2) stream.end();
        });
        stream.on('error', reject);
        stream.on('end', () => resolve());
        stream.write({
          type: protos.ChaincodeMessage.Type.GET_STATE,
          txid: 'tx-1',
          channelId: 'mychannel',
          payload: protos.GetState.encode({ key: 'asset001' }).finish(),
          timestamp: timestampFromMillis(1_700_000_000_123),
        });
        stream.write({ type: protos.ChaincodeMessage.Type.KEEPALIVE, txid: 'tx-2' });
      });
      assert.equal(replies[0]?.type, protos.ChaincodeMessage.Type.RESPONSE);
      assert.equal(replies[0]?.txid, 'tx-1');
      assert.equal(replies[0]?.channelId, 'mychannel');
      assert.equal(protos.GetState.decode(replies[0]?.payload ?? new Uint8Array()).key, 'asset001');
      assert.ok(Long.isLong(replies[0]?.timestamp?.seconds));
      assert.equal(String(replies[0]?.timestamp?.seconds), '1700000000');
      assert.equal(replies[0]?.timestamp?.nanos, 123_000_000);
      assert.equal(replies[1]?.txid, 'tx-2');
    } finally {
      client.close();
    }
  });
});
