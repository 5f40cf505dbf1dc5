#!/usr/bin/env node
// Endorsements per second of a get + put chaincode function (GetPut of the test chaincode: one
// GET_STATE, one PUT_STATE) through the whole peer: gRPC Endorser → proposal checks → `peer/Propose`
// ACL → chaincode launch/handler → simulation → endorsement (escc signature). The peer runs in this
// process (test/helpers PeerHarness: core.yaml, LevelDB, logs at warning), so process.cpuUsage()
// around a measured run is the peer's CPU; the chaincode runs in its own process (inprocess runtime;
// remote: a fabric-shim chaincode server this script starts, deployed through _lifecycle on a V2_0
// channel) or container (docker), and the load generator (client.mjs) is a child process whose
// proposals are built and signed before the clock starts; it speaks gRPC over node:http2 itself
// (--client http2, the default) or through grpc-js (--client grpc-js). Also measured: the first
// call's latency when the chaincode is not running (after its Crash function ended it), per runtime.
//
// Usage (after `npm run build`, or `npx tsc -b test`):
//   node bench/endorse/run.mjs --runtime inprocess --concurrency 1,16,64 --requests 5000 --runs 3
//   node bench/endorse/run.mjs --runtime docker ...       (skipped when `docker info` fails)
//   node bench/endorse/run.mjs --runtime remote ...
import { execFileSync, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { descendantsCpu, machineTicks, median, percentile, statCpuMs } from '../proc-stats.mjs';

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'inprocess' },
    concurrency: { type: 'string', default: '1,16,64' },
    requests: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2000' },
    cold: { type: 'string', default: '5' },
    // Extra core.yaml keys as JSON, e.g. '{"peer.handlers.authFilters":[{"name":"DefaultAuth"}]}'.
    set: { type: 'string', default: '{}' },
    // inprocess and docker: deploy through _lifecycle on a V2_0 channel instead of lscc on V1_4_2.
    lifecycle: { type: 'boolean', default: false },
    // Proposals each load generator sends before it is measured (its own JIT warm-up).
    'client-warmup': { type: 'string', default: '1000' },
    // The load generator's gRPC transport: http2 (gRPC over node:http2) or grpc-js.
    client: { type: 'string', default: 'http2' },
    // Writes a V8 CPU profile of the peer (this process) over the measured runs only.
    profile: { type: 'string' },
    // Writes V8 CPU profiles of the load generator (one file per run) into this folder.
    'client-profile': { type: 'string' },
  },
});
const RUNTIME = values.runtime;
const CONCURRENCY = values.concurrency.split(',').map(Number);
const REQUESTS = Number(values.requests);
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);
const COLD = Number(values.cold);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const SET = JSON.parse(values.set);
const CLIENT = values.client;
// remote is always deployed through _lifecycle (chaincode as a service exists only there).
const LIFECYCLE = values.lifecycle || values.runtime === 'remote';
const CLIENT_WARMUP = Number(values['client-warmup']);
const CLIENT_PROFILE = values['client-profile'];
const command =
  `node bench/endorse/run.mjs --runtime ${RUNTIME} --concurrency ${values.concurrency} ` +
  `--requests ${REQUESTS} --runs ${RUNS} --warmup ${WARMUP} --cold ${COLD} --client ${CLIENT} --client-warmup ${CLIENT_WARMUP}` +
  (values.lifecycle ? ' --lifecycle' : '') +
  (values.set !== '{}' ? ` --set '${values.set}'` : '');

if (!['inprocess', 'docker', 'remote'].includes(RUNTIME)) {
  console.error(`unknown --runtime ${RUNTIME}: inprocess, docker or remote`);
  process.exit(2);
}
if (!['http2', 'grpc-js'].includes(CLIENT)) {
  console.error(`unknown --client ${CLIENT}: http2 or grpc-js`);
  process.exit(2);
}

const NODE_IMAGE = 'fabric-peer/node-runtime:test';
let harnessOptions = { vmProviders: [{ name: 'inprocess' }] };
if (RUNTIME === 'remote') harnessOptions = { vmProviders: [{ name: 'remote' }] };
if (RUNTIME === 'docker') {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
  } catch {
    console.log('docker runtime skipped: `docker info` failed (no Docker engine is reachable)');
    process.exit(0);
  }
  const { default: Docker } = await import('dockerode');
  const { ensureNodeBaseImage } = await import('@fabric-peer/vm-docker/test-support');
  await ensureNodeBaseImage(new Docker({ socketPath: '/var/run/docker.sock' }), NODE_IMAGE);
  harnessOptions = {
    vmProviders: [{ name: 'docker' }],
    set: { 'vm.endpoint': 'unix:///var/run/docker.sock', 'chaincode.node.runtime': NODE_IMAGE },
  };
}
// `_lifecycle` needs the V2_0 application capability.
if (LIFECYCLE) harnessOptions = { ...harnessOptions, applicationCapabilities: ['V2_0'] };

const { PeerHarness, expectOk } = await import(join(root, 'test/dist/helpers/peer-harness.js'));
const { ASSET_CHAINCODE_DIR, deployAssetChaincode, deployWithLifecycle } = await import(
  join(root, 'test/dist/helpers/asset-suite.js')
);
const { startChaincodeServer } = await import(join(root, 'test/dist/helpers/chaincode-process.js'));
const { createCcaasPackage, createChaincodePackage, packageId } =
  await import('@fabric-peer/chaincode-packages');
const { freePort } = await import('@fabric-peer/testkit');
const { buildProposal } = await import('@fabric-peer/channel/test-support');

const CHAINCODE = 'bench';
// The chaincode logs at warning as the peer does (fabric-shim otherwise writes a line per
// transaction, which the peer reads and drops).
const CHAINCODE_LOG_LEVEL = 'warning';
const peer = await PeerHarness.start({
  ...harnessOptions,
  set: { 'chaincode.logging.level': CHAINCODE_LOG_LEVEL, ...harnessOptions.set, ...SET },
  logSpec: 'warning',
});
// An interrupted run still stops the peer, and with it the chaincode it launched.
let stopping;
/** The remote runtime's chaincode server (started here, as its operator would). */
let server;
const stopPeer = () => (stopping ??= peer.stop().finally(() => server?.stop()));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the peer`);
    void stopPeer().finally(() => process.exit(130));
  });
}
const userMsp = join(
  peer.net.dir,
  'crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp',
);
/**
 * CPU seconds of the processes the peer started (the in-process runtime's chaincode processes),
 * the load generator excepted; a Docker chaincode runs outside this tree and is not counted.
 */
function chaincodeCpuSeconds(clientPid) {
  let totalMs = 0;
  for (const ms of descendantsCpu(process.pid, clientPid).values()) totalMs += ms;
  return totalMs / 1000;
}

/**
 * CPU ms of the peer's main thread (its JavaScript): the one thread every endorsement passes
 * through, so the bound on endorsements per second however many cores there are.
 */
const mainThreadMs = () => statCpuMs(`/proc/self/task/${process.pid}/stat`) ?? NaN;

/** One load run through a forked client; the peer's CPU is read while only the client talks. */
async function load(concurrency, requests, keyPrefix) {
  const child = fork(
    join(here, 'client.mjs'),
    [
      JSON.stringify({
        address: peer.address,
        mspDir: userMsp,
        mspId: 'Org1MSP',
        channelId: peer.net.channelId,
        chaincode: CHAINCODE,
        fn: 'GetPut',
        keyPrefix,
        requests,
        concurrency,
        transport: CLIENT,
        warmup: CLIENT_WARMUP,
      }),
    ],
    // Not this process's flags (--cpu-prof of the peer must not profile the client too).
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv:
        CLIENT_PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${CLIENT_PROFILE}`],
    },
  );
  const next = () =>
    new Promise((ok, fail) => {
      const onMessage = (m) => (cleanup(), ok(m));
      const onExit = (code) => (cleanup(), fail(new Error(`client exited with ${code}`)));
      const cleanup = () => (child.off('message', onMessage), child.off('exit', onExit));
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  try {
    if ((await next()).type !== 'ready') throw new Error('client did not get ready');
    const cc0 = chaincodeCpuSeconds(child.pid);
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadMs();
    const machine0 = machineTicks();
    const done = next();
    child.send('go');
    const d = await done;
    const cpu = process.cpuUsage(cpu0);
    const mainMs = mainThreadMs() - main0;
    const machine1 = machineTicks();
    const ccMs = (chaincodeCpuSeconds(child.pid) - cc0) * 1000;
    const results = next();
    child.send('results');
    const r = await results;
    child.send('exit');
    if (d.failed > 0) {
      throw new Error(`${d.failed} of ${requests} proposals failed, e.g. ${r.failures.join('; ')}`);
    }
    const sorted = Float64Array.from(r.latencies).sort();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      perSecond: (requests * 1000) / d.wallMs,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      cpuMsPerEndorsement: cpuMs / requests,
      mainThreadMs: mainMs / requests,
      idlePct: (100 * (machine1.idle - machine0.idle)) / (machine1.total - machine0.total),
      chaincodeCpuMs: RUNTIME === 'docker' ? NaN : ccMs / requests,
      clientCpuMs: d.cpuMs / requests,
    };
  } finally {
    if (child.exitCode === null) await new Promise((ok) => child.once('exit', ok));
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The remote runtime: a chaincode server and its CCaaS package installed and defined. */
let remote;
function startServer() {
  server = startChaincodeServer({
    address: remote.address,
    chaincodeId: remote.packageId,
    dir: ASSET_CHAINCODE_DIR,
    logLevel: CHAINCODE_LOG_LEVEL,
  });
}
async function deployRemote() {
  const address = `127.0.0.1:${await freePort()}`;
  const label = `${CHAINCODE}_1.0`;
  const pkg = await createCcaasPackage({ label, connection: { address, dial_timeout: '10s' } });
  remote = { address, packageId: packageId(label, pkg) };
  startServer();
  await deployWithLifecycle(peer, CHAINCODE, pkg);
}

/** Resolves once something accepts connections at host:port. */
async function listening(address) {
  const [host, port] = address.split(':');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ host, port: Number(port) }, () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens at ${address}`);
    await sleep(20);
  }
}

/** First-call latency with the chaincode not running: its Crash function ends it first. */
async function coldStart(round) {
  const crash = await peer.propose({
    signer: peer.net.identities.user,
    channelId: peer.net.channelId,
    chaincode: CHAINCODE,
    args: ['Crash'],
  });
  if ((crash.response.response?.status ?? 0) === 200) throw new Error('Crash did not crash');
  // Let the runtime notice the exit and clean up (process reaped, container removed).
  await sleep(RUNTIME === 'docker' ? 3000 : 1000);
  if (RUNTIME === 'remote') {
    // Nobody launches a chaincode server but its operator: start it again, listening, unconnected.
    await server.stop();
    startServer();
    await listening(remote.address);
    await sleep(1000);
  }
  const built = await buildProposal({
    signer: peer.net.identities.user,
    channelId: peer.net.channelId,
    chaincode: CHAINCODE,
    args: ['GetPut', `cold-${round}`, 'v'],
  });
  const t0 = performance.now();
  const response = await peer.processProposal(built.signed);
  const ms = performance.now() - t0;
  expectOk(response, 'first call after the chaincode ended');
  return ms;
}

try {
  await peer.joinChannel();
  const deployStart = performance.now();
  if (RUNTIME === 'remote') await deployRemote();
  else if (LIFECYCLE) {
    const pkg = await createChaincodePackage({
      label: `${CHAINCODE}_1.0`,
      type: 'node',
      codeDir: ASSET_CHAINCODE_DIR,
    });
    await deployWithLifecycle(peer, CHAINCODE, pkg);
  } else await deployAssetChaincode(peer, CHAINCODE);
  const deployMs = performance.now() - deployStart;

  // Warm the JIT, the connections and the chaincode before anything is measured.
  await load(16, WARMUP, 'warm-');

  let session;
  if (values.profile !== undefined) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const rows = [];
  for (const c of CONCURRENCY) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await load(c, REQUESTS, `c${c}-r${r}-`));
    const row = {
      concurrency: c,
      runs: runs.map((x) => ({
        perSecond: Math.round(x.perSecond),
        p50: Number(x.p50.toFixed(2)),
        p99: Number(x.p99.toFixed(2)),
        cpuMsPerEndorsement: Number(x.cpuMsPerEndorsement.toFixed(3)),
        mainThreadMs: Number(x.mainThreadMs.toFixed(3)),
        idlePct: Number(x.idlePct.toFixed(1)),
        chaincodeCpuMs: Number(x.chaincodeCpuMs.toFixed(3)),
        clientCpuMs: Number(x.clientCpuMs.toFixed(3)),
      })),
      median: {
        perSecond: Math.round(median(runs.map((x) => x.perSecond))),
        p50: Number(median(runs.map((x) => x.p50)).toFixed(2)),
        p99: Number(median(runs.map((x) => x.p99)).toFixed(2)),
        cpuMsPerEndorsement: Number(median(runs.map((x) => x.cpuMsPerEndorsement)).toFixed(3)),
        mainThreadMs: Number(median(runs.map((x) => x.mainThreadMs)).toFixed(3)),
        idlePct: Number(median(runs.map((x) => x.idlePct)).toFixed(1)),
        chaincodeCpuMs: Number(median(runs.map((x) => x.chaincodeCpuMs)).toFixed(3)),
        clientCpuMs: Number(median(runs.map((x) => x.clientCpuMs)).toFixed(3)),
      },
    };
    rows.push(row);
    console.error(`c=${c}: ${JSON.stringify(row.median)}`);
  }

  if (session !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.profile, JSON.stringify(profile));
    session.disconnect();
  }

  const cold = [];
  for (let i = 0; i < COLD; i++) cold.push(await coldStart(i));

  const date = new Date().toISOString();
  console.log(
    JSON.stringify(
      {
        date,
        machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
        command,
        runtime: RUNTIME,
        requestsPerRun: REQUESTS,
        deployMs: Math.round(deployMs),
        rows,
        coldStartMs: {
          runs: cold.map((x) => Math.round(x)),
          median: Math.round(median(cold)),
        },
      },
      null,
      2,
    ),
  );
  // Markdown rows for RESULTS.md.
  for (const row of rows) {
    const m = row.median;
    console.log(
      `| ${date.slice(0, 16).replace('T', ' ')} | ${RUNTIME} | ${CLIENT} | ${row.concurrency} | **${m.perSecond.toLocaleString('en')}** | ${m.p50} | ${m.p99} | **${m.cpuMsPerEndorsement}** | ${m.mainThreadMs} | ${Number.isNaN(m.chaincodeCpuMs) ? 'n/a' : m.chaincodeCpuMs} | ${m.clientCpuMs} | ${m.idlePct} | ${row.runs.map((x) => x.perSecond).join(' / ')} |`,
    );
  }
  if (cold.length > 0) {
    console.log(
      `| ${RUNTIME} | ${Math.round(median(cold))} | ${cold.map((x) => Math.round(x)).join(', ')} |`,
    );
  }
} finally {
  await stopPeer();
}
