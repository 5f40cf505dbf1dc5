// The load generator of bench/endorse/run.mjs, run as a child process (child_process.fork) so that
// its CPU is not counted as the peer's. It builds and signs every proposal first (as User1 of
// Org1), says `ready`, and on `go` sends them to the peer's Endorser over a raw grpc-js client with
// at most `concurrency` in flight, timing each call. It then says `done` (so the parent can read
// its CPU before anything else arrives) and, when asked, sends the latencies.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { buildProposal } from '@fabric-peer/channel/test-support';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { EndorserService, protos } from '@fabric-peer/protos';

const job = JSON.parse(process.argv[2]);
const { address, mspDir, mspId, channelId, chaincode, fn, keyPrefix, requests, concurrency } = job;

const signer = createMsp(loadMspFolder(mspDir, mspId, { signing: true }), {
  version: 'v1_4_3',
}).defaultSigningIdentity();

// Wire bytes of each SignedProposal, signed before the clock starts.
const wire = [];
for (let i = 0; i < requests; i++) {
  const built = await buildProposal({
    signer,
    channelId,
    chaincode,
    args: [fn, `${keyPrefix}${i}`, `value-${i}`],
  });
  wire.push(Buffer.from(protos.SignedProposal.encode(built.signed).finish()));
}

const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': 100 * 1024 * 1024,
});
await new Promise((ok, fail) =>
  client.waitForReady(Date.now() + 10_000, (err) => (err ? fail(err) : ok())),
);
const path = EndorserService.processProposal.path;
const identity = (b) => b;
const call = (bytes) =>
  new Promise((ok, fail) =>
    client.makeUnaryRequest(path, identity, identity, bytes, (err, res) =>
      err ? fail(err) : ok(res),
    ),
  );

async function run() {
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
    result = await run();
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
    client.close();
    process.disconnect();
  }
});
// The parent went away (interrupted run): nothing to report to.
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
