/**
 * Helpers of the node package's tests that are about the node: a gRPC health client, a UDP
 * collector for statsd, a polling wait and the TLS material the listeners are tested with. The
 * generic ones (ports, HTTP(S), loggers that record, a fake PeerConfig, certificates) come from
 * @fabric-peer/testkit. Kept outside `test/` so that `node --test dist/test/` does not run this file
 * as a suite.
 */
import { createSocket } from 'node:dgram';
import * as grpcJs from '@grpc/grpc-js';
import { grpc, HealthService } from '@fabric-peer/protos';
import { issue, makeCa } from '@fabric-peer/testkit';

export const { ServingStatus } = grpc.health.v1.HealthCheckResponse;

/** Polls until `condition` holds, or fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A UDP server on 127.0.0.1 that keeps every datagram it receives, as text. */
export async function udpCollector(): Promise<{
  port: number;
  packets: string[];
  close: () => Promise<void>;
}> {
  const socket = createSocket('udp4');
  const packets: string[] = [];
  socket.on('message', (msg) => packets.push(msg.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    packets,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A health answer as the client decodes it. */
export interface HealthAnswer {
  readonly status?: number | null;
}

/** A `grpc.health.v1.Health` client built with grpc-js's generic client constructor. */
export interface HealthClient {
  check(service: string, deadlineMs?: number): Promise<HealthAnswer>;
  /** Opens a Watch stream: each answer is pushed to `seen`. */
  watch(service: string): {
    seen: number[];
    ended: Promise<grpcJs.StatusObject | Error>;
    cancel: () => void;
  };
  close(): void;
}

const HealthClientCtor = grpcJs.makeGenericClientConstructor(HealthService, 'Health');

type UnaryFn = (
  request: unknown,
  metadata: grpcJs.Metadata,
  options: grpcJs.CallOptions,
  callback: (err: grpcJs.ServiceError | null, value?: HealthAnswer) => void,
) => grpcJs.ClientUnaryCall;
type StreamFn = (request: unknown) => grpcJs.ClientReadableStream<HealthAnswer>;

export function healthClient(
  port: number,
  credentials: grpcJs.ChannelCredentials = grpcJs.credentials.createInsecure(),
): HealthClient {
  const client = new HealthClientCtor(`127.0.0.1:${port}`, credentials);
  const untyped = client as unknown as { check: UnaryFn; watch: StreamFn };
  return {
    check(service, deadlineMs = 5000) {
      return new Promise((resolve, reject) => {
        untyped.check.call(
          client,
          { service },
          new grpcJs.Metadata(),
          { deadline: Date.now() + deadlineMs },
          (err, value) => (err ? reject(err) : resolve(value ?? {})),
        );
      });
    },
    watch(service) {
      const call = untyped.watch.call(client, { service });
      const seen: number[] = [];
      call.on('data', (m: HealthAnswer) => seen.push(m.status ?? 0));
      const ended = new Promise<grpcJs.StatusObject | Error>((resolve) => {
        call.on('status', resolve);
        call.on('error', resolve);
      });
      return { seen, ended, cancel: () => call.cancel() };
    },
    close() {
      client.close();
    },
  };
}

/** A grpc-js error's status code, or undefined for anything else. */
export function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number'
    ? err.code
    : undefined;
}

/** PEM material of a throwaway PKI: a CA, a server certificate for 127.0.0.1, a client certificate. */
export interface TestPki {
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** A client certificate from another CA, which the server must not trust. */
  readonly strangerCert: Buffer;
  readonly strangerKey: Buffer;
}

/**
 * Makes a {@link TestPki}: ECDSA P-256 keys, certificates valid from an hour ago to two days ahead,
 * made in memory by @fabric-peer/testkit (no `openssl` binary needed).
 */
export async function makeTestPki(): Promise<TestPki> {
  const [ca, otherCa] = await Promise.all([makeCa('ca'), makeCa('other-ca')]);
  const [server, client, stranger] = await Promise.all([
    issue(ca, 'server', { usage: 'server' }),
    issue(ca, 'client', { usage: 'client' }),
    issue(otherCa, 'stranger', { usage: 'client' }),
  ]);
  return {
    ca: Buffer.from(ca.certPem),
    serverCert: Buffer.from(server.certPem),
    serverKey: Buffer.from(server.keyPem),
    clientCert: Buffer.from(client.certPem),
    clientKey: Buffer.from(client.keyPem),
    strangerCert: Buffer.from(stranger.certPem),
    strangerKey: Buffer.from(stranger.keyPem),
  };
}
