// The load generator of bench/endorse/run.mjs, run as a child process (child_process.fork) so that
// its CPU is not counted as the peer's. It builds and signs every proposal first (as User1 of
// Org1), says `ready`, and on `go` sends them to the peer's Endorser with at most `concurrency` in
// flight, timing each call. It then says `done` (so the parent can read its CPU before anything
// else arrives) and, when asked, sends the latencies.
//
// Two gRPC transports, chosen by `transport`:
// - `grpc-js`: a raw @grpc/grpc-js client (no generated stub), as a Node application would dial.
// - `http2`: unary gRPC spoken directly over one node:http2 session (request headers, one
//   length-prefixed message, the answer's message and its grpc-status trailer), as HTTP/2 load
//   generators such as h2load or ghz do. It costs about half the CPU per call of grpc-js, which
//   on 2 shared cores is CPU the peer and chaincode get instead.
import { connect as http2Connect } from 'node:http2';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { buildProposal } from '@fabric-peer/channel/test-support';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { EndorserService, protos } from '@fabric-peer/protos';

const job = JSON.parse(process.argv[2]);
const { address, mspDir, mspId, channelId, chaincode, fn, keyPrefix, requests, concurrency } = job;
// Proposals sent before `ready`, so that the load generator's own JIT warm-up is not measured.
const warmup = job.warmup ?? 0;
const transport = job.transport ?? 'grpc-js';

const signer = createMsp(loadMspFolder(mspDir, mspId, { signing: true }), {
  version: 'v1_4_3',
}).defaultSigningIdentity();

/** Wire bytes of `count` SignedProposals, signed before the clock starts. */
async function proposals(count, prefix) {
  const wire = [];
  for (let i = 0; i < count; i++) {
    const built = await buildProposal({
      signer,
      channelId,
      chaincode,
      args: [fn, `${prefix}${i}`, `value-${i}`],
    });
    wire.push(Buffer.from(protos.SignedProposal.encode(built.signed).finish()));
  }
  return wire;
}
const warmupWire = await proposals(warmup, `${keyPrefix}client-warmup-`);
const wire = await proposals(requests, keyPrefix);

const path = EndorserService.processProposal.path;

/** grpc-js: resolves with the answer's message bytes. */
async function grpcJsTransport() {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
  });
  await new Promise((ok, fail) =>
    client.waitForReady(Date.now() + 10_000, (err) => (err ? fail(err) : ok())),
  );
  const identity = (b) => b;
  return {
    call: (bytes) =>
      new Promise((ok, fail) =>
        client.makeUnaryRequest(path, identity, identity, bytes, (err, res) =>
          err ? fail(err) : ok(res),
        ),
      ),
    close: () => client.close(),
  };
}

/** gRPC's unary call over node:http2: resolves with the answer's message bytes. */
async function http2Transport() {
  const session = http2Connect(`http://${address}`);
  await new Promise((ok, fail) => {
    session.once('connect', ok);
    session.once('error', fail);
  });
  session.on('error', () => {}); // each call in flight fails with its stream's error
  const headers = {
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  const call = (bytes) =>
    new Promise((ok, fail) => {
      const stream = session.request(headers);
      const chunks = [];
      let grpcStatus;
      let grpcMessage;
      let httpStatus;
      // A trailers-only answer (an error) carries grpc-status in its headers.
      stream.on('response', (h) => {
        httpStatus = h[':status'];
        grpcStatus = h['grpc-status'];
        grpcMessage = h['grpc-message'];
      });
      stream.on('trailers', (t) => {
        grpcStatus = t['grpc-status'] ?? grpcStatus;
        grpcMessage = t['grpc-message'] ?? grpcMessage;
      });
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('error', fail);
      stream.on('end', () => {
        if (httpStatus !== 200 || grpcStatus !== '0') {
          fail(new Error(`HTTP ${httpStatus}, grpc-status ${grpcStatus}: ${grpcMessage ?? ''}`));
          return;
        }
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        const length = body.length >= 5 ? body.readUInt32BE(1) : -1;
        if (body[0] !== 0 || body.length !== 5 + length) {
          fail(new Error(`not one uncompressed gRPC message (${body.length} bytes)`));
          return;
        }
        ok(body.subarray(5));
      });
      const prefix = Buffer.allocUnsafe(5);
      prefix[0] = 0; // not compressed
      prefix.writeUInt32BE(bytes.length, 1);
      stream.write(prefix);
      stream.end(bytes);
    });
  return { call, close: () => session.close() };
}

const transports = { 'grpc-js': grpcJsTransport, http2: http2Transport };
if (!(transport in transports)) throw new Error(`unknown transport ${transport}`);
const { call, close } = await transports[transport]();

/** Sends `wire` with at most `concurrency` in flight, timing each call. */
async function run(wire) {
  const requests = wire.length;
  const latencies = new Array(requests);
  const failures = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const start = performance.now();
      try {
        const res = protos.ProposalResponse.decode(await call(wire[i]));
        latencies[i] = performance.now() - start;
        const status = res.response?.status ?? 0;
        if (status !== 200 || !res.endorsement) {
          failures.push(`status ${status}: ${res.response?.message ?? ''}`);
        }
      } catch (err) {
        latencies[i] = performance.now() - start;
        failures.push(String(err?.message ?? err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, latencies, failures };
}

let result;
process.on('message', async (msg) => {
  if (msg === 'go') {
    result = await run(wire);
    if (process.connected) {
      process.send({
        type: 'done',
        wallMs: result.wallMs,
        cpuMs: result.cpuMs,
        failed: result.failures.length,
      });
    }
  } else if (msg === 'results') {
    process.send({
      type: 'results',
      latencies: result.latencies,
      failures: result.failures.slice(0, 5),
    });
  } else if (msg === 'exit') {
    close();
    process.disconnect();
  }
});
// The parent went away (interrupted run): nothing to report to.
process.on('disconnect', () => process.exit(0));
if (warmup > 0) {
  const { failures } = await run(warmupWire);
  if (failures.length > 0)
    throw new Error(`warm-up: ${failures.length} failed, e.g. ${failures[0]}`);
}
process.send({ type: 'ready' });
