#!/usr/bin/env node
// Gateway evaluate and submit throughput on a two-organization TLS network, with the CPU of every
// process. The network is test/helpers' two-org network: the development orderer (orderer-solo) in
// this process, Org1's and Org2's peers as two `fabric-peer start` processes (TLS everywhere, LevelDB,
// in-process chaincode runtime: the chaincode processes are the peers' descendants), the test
// chaincode deployed through `_lifecycle` (installed on both peers, approved by both organizations,
// committed; MAJORITY endorsement, so a transaction needs both peers) and the channel's BatchTimeout
// set to --batch-timeout. The load generator (client.mjs) is a forked process using
// @hyperledger/fabric-gateway as User1 of Org1 against Org1's peer.
//
// CPU per transaction for each process over a measured run: the client's own process.cpuUsage();
// each peer's /proc/<pid>/stat (utime + stime, all its threads); its chaincode processes (every
// descendant of the peer process, summed); the orderer = this process's process.cpuUsage() minus
// what this process spends idle (measured before the runs, with the network up and nothing sent).
//
// Usage (after `npm run build`, or `cd test && npx tsc -b`):
//   node bench/gateway/run.mjs --evaluate 1,16,64 --submit 16,64 --runs 3
//   node bench/gateway/run.mjs --evaluate 64 --submit 64 --runs 1 --profile peer1 [--profiler v8]
//   node bench/gateway/run.mjs --evaluate '' --submit 64 --runs 1 --profile orderer
// (README.md lists every option.)
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { calibrate } from '../calibrate.mjs';
import { summarizeProfile } from '../profile-summary.mjs';
import { cpuMsOf, descendantsCpu, median, percentile, startOf } from '../proc-stats.mjs';

const { values } = parseArgs({
  options: {
    evaluate: { type: 'string', default: '1,16,64' },
    submit: { type: 'string', default: '16,64' },
    'evaluate-requests': { type: 'string', default: '5000' },
    'submit-requests': { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    // Untimed operations of each kind after the deploy (JIT, connections, chaincode launched):
    // evaluates at c = 16, then submits at c = 64. The submit path (gateway, orderer, committer)
    // keeps V8's optimizing compiler busy for ≈ 2,000 submits (12.6 % of peer1's CPU after 500,
    // 4.5 % after 2,000, perf, session 11): fewer would measure the warm-up, not the peer.
    warmup: { type: 'string', default: '2000' },
    'submit-warmup': { type: 'string', default: '2000' },
    // Untimed operations each client runs before its clock starts.
    'client-warmup': { type: 'string', default: '200' },
    'batch-timeout': { type: 'string', default: '250ms' },
    // The channel's BatchSize.MaxMessageCount. Below the submit concurrency, so that blocks are cut
    // by size and the run measures the network: at 500 (Fabric's sample) 64 closed-loop clients
    // all wait for the 250 ms BatchTimeout on every block, ≤ 256 tx/s whatever the peers do.
    'max-message-count': { type: 'string', default: '32' },
    'read-keys': { type: 'string', default: '100' },
    // The client's signer: native (an application's signer on node:crypto) or noble
    // (fabric-gateway's newPrivateKeySigner, pure JavaScript: ≈ 1 ms more of the shared cores'
    // CPU per submit, which the peers then do not get).
    signer: { type: 'string', default: 'native' },
    // Wait (at most --load-wait seconds) for the 1-minute load average to fall below this.
    'max-load': { type: 'string', default: '1.5' },
    'load-wait': { type: 'string', default: '300' },
    // peer1 or peer2: restarts that peer with a profiler and summarizes each configuration's runs;
    // orderer: V8's sampling profiler in this process (the development orderer).
    profile: { type: 'string' },
    // For a peer: perf = `perf record` of the peer process (all its threads, native and JIT
    // frames); v8 = V8's sampling profiler (the main thread's JavaScript, on wall-clock ticks).
    profiler: { type: 'string', default: 'perf' },
    // Where profiles go (perf.data files are large): outside the repository by default.
    'profile-dir': { type: 'string', default: join(tmpdir(), 'bench-gateway-profile') },
  },
});
const EVALUATE = values.evaluate === '' ? [] : values.evaluate.split(',').map(Number);
const SUBMIT = values.submit === '' ? [] : values.submit.split(',').map(Number);
const EVALUATE_REQUESTS = Number(values['evaluate-requests']);
const SUBMIT_REQUESTS = Number(values['submit-requests']);
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);
const SUBMIT_WARMUP = Number(values['submit-warmup']);
const CLIENT_WARMUP = Number(values['client-warmup']);
const BATCH_TIMEOUT = values['batch-timeout'];
const MAX_MESSAGE_COUNT = Number(values['max-message-count']);
const READ_KEYS = Number(values['read-keys']);
const MAX_LOAD = Number(values['max-load']);
const LOAD_WAIT_S = Number(values['load-wait']);
const PROFILE = values.profile;
if (PROFILE !== undefined && !['peer1', 'peer2', 'orderer'].includes(PROFILE)) {
  console.error(`unknown --profile ${PROFILE}: peer1, peer2 or orderer`);
  process.exit(2);
}
const SIGNER = values.signer;
if (SIGNER !== 'noble' && SIGNER !== 'native') {
  console.error(`unknown --signer ${SIGNER}: noble or native`);
  process.exit(2);
}
const PROFILER = values.profiler;
if (PROFILER !== 'perf' && PROFILER !== 'v8') {
  console.error(`unknown --profiler ${PROFILER}: perf or v8`);
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const command =
  `node bench/gateway/run.mjs --evaluate ${values.evaluate} --submit ${values.submit} ` +
  `--evaluate-requests ${EVALUATE_REQUESTS} --submit-requests ${SUBMIT_REQUESTS} --runs ${RUNS} ` +
  `--warmup ${WARMUP} --submit-warmup ${SUBMIT_WARMUP} --client-warmup ${CLIENT_WARMUP} ` +
  `--batch-timeout ${BATCH_TIMEOUT}` +
  (MAX_MESSAGE_COUNT !== 32 ? ` --max-message-count ${MAX_MESSAGE_COUNT}` : '') +
  (SIGNER !== 'native' ? ` --signer ${SIGNER}` : '') +
  (PROFILE === 'orderer' ? ' --profile orderer' : '') +
  (PROFILE?.startsWith('peer') ? ` --profile ${PROFILE} --profiler ${PROFILER}` : '');

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const load1 = () => Number(loadavg()[0].toFixed(2));

// A shared machine: start when the others' load allows, and say what it was.
const waitStart = Date.now();
while (load1() > MAX_LOAD && Date.now() - waitStart < LOAD_WAIT_S * 1000) await sleep(5000);
const startLoad = load1();
// How fast the (shared) machine was: CPU µs per P-256 signature (bench/calibrate.mjs).
const signMicros = calibrate();
const waitedS = Math.round((Date.now() - waitStart) / 1000);
console.error(
  `machine: ${signMicros} µs of CPU per P-256 signature; load average ${startLoad} at start (waited ${waitedS} s)`,
);

const { startTwoOrgNetwork, deployWithLifecycle, CHANNEL } = await import(
  join(root, 'test/dist/helpers/two-org-network.js')
);
const { ASSET_CHAINCODE_DIR } = await import(join(root, 'test/dist/helpers/asset-suite.js'));

const CHAINCODE = 'assets';
let net;
let stopping;
const stopNetwork = () => (stopping ??= net?.stop() ?? Promise.resolve());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the network`);
    void stopNetwork().finally(() => process.exit(130));
  });
}

const peerPid = (n) => net.peers[n].process.child.pid;

/** A snapshot of every process's CPU (ms). */
function cpuSnapshot() {
  const own = process.cpuUsage();
  return {
    coordinator: (own.user + own.system) / 1000,
    peers: [0, 1].map((n) => cpuMsOf(peerPid(n))),
    chaincodes: [0, 1].map((n) => descendantsCpu(peerPid(n))),
  };
}

/** CPU ms spent between two snapshots by each process group. */
function cpuDelta(a, b) {
  const cc = (n) => {
    let total = 0;
    for (const [pid, ms] of b.chaincodes[n]) total += ms - (a.chaincodes[n].get(pid) ?? 0);
    return total;
  };
  return {
    coordinator: b.coordinator - a.coordinator,
    peers: [b.peers[0] - a.peers[0], b.peers[1] - a.peers[1]],
    chaincodes: [cc(0), cc(1)],
  };
}

/** The coordinator's CPU ms per wall-clock ms with the network up and idle. */
let idleCoordinatorRate = 0;

/** One load run through a forked client; every process's CPU is read while only the client talks. */
async function load({ mode, concurrency, requests, keyPrefix, warmup, readKeys }) {
  const user = net.peers[0];
  const child = fork(
    join(here, 'client.mjs'),
    [
      JSON.stringify({
        mode,
        address: user.address,
        tlsRootCert: user.tlsRootCert.toString('utf8'),
        mspDir: user.userMspDir,
        mspId: user.mspId,
        channelId: CHANNEL,
        chaincode: CHAINCODE,
        keyPrefix,
        readKeys,
        requests,
        concurrency,
        warmup,
        signer: SIGNER,
      }),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] },
  );
  const next = () =>
    new Promise((ok, fail) => {
      const onMessage = (m) => {
        cleanup();
        if (m.type === 'error') fail(new Error(`client: ${m.message}`));
        else ok(m);
      };
      const onExit = (code) => (cleanup(), fail(new Error(`client exited with ${code}`)));
      const cleanup = () => (child.off('message', onMessage), child.off('exit', onExit));
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  try {
    if ((await next()).type !== 'ready') throw new Error('client did not get ready');
    const loadAtStart = load1();
    const before = cpuSnapshot();
    const t0 = process.hrtime.bigint();
    const done = next();
    child.send('go');
    const d = await done;
    const t1 = process.hrtime.bigint();
    const cpu = cpuDelta(before, cpuSnapshot());
    const results = next();
    child.send('results');
    const r = await results;
    child.send('exit');
    if (d.failed > 0) {
      throw new Error(
        `${d.failed} of ${requests} ${mode} operations failed, e.g. ${r.failures.join('; ')}`,
      );
    }
    const sorted = Float64Array.from(r.latencies).sort();
    const per = (ms) => ms / requests;
    return {
      window: [t0, t1],
      loadAtStart,
      perSecond: (requests * 1000) / d.wallMs,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      cpu: {
        client: per(d.cpuMs),
        peer1: per(cpu.peers[0]),
        peer2: per(cpu.peers[1]),
        chaincode1: per(cpu.chaincodes[0]),
        chaincode2: per(cpu.chaincodes[1]),
        orderer: per(Math.max(0, cpu.coordinator - idleCoordinatorRate * d.wallMs)),
      },
    };
  } finally {
    if (child.exitCode === null) await new Promise((ok) => child.once('exit', ok));
  }
}

const CPU_COLUMNS = ['client', 'peer1', 'chaincode1', 'peer2', 'chaincode2', 'orderer'];

/** Prints the top of a profile summary on stderr. */
function printProfile(title, summary) {
  console.error(`profile ${title}: ${summary.file}`);
  if (summary.mainThreadPct !== undefined) {
    console.error(`  main thread: ${summary.mainThreadPct} % of the process's CPU samples`);
  }
  for (const [name, list] of Object.entries(summary.top)) {
    console.error(`  by ${name}:`);
    for (const x of list.slice(0, 20))
      console.error(`    ${x.pct.toFixed(1).padStart(5)} %  ${x.what}`);
  }
}

/**
 * V8's sampling profiler in the peer (profiler.mjs, started and stopped by SIGUSR2), summarized
 * inside the runs' time windows.
 */
function v8Profiler(pid, dir, current) {
  return {
    start() {
      rmSync(current, { force: true });
      process.kill(pid, 'SIGUSR2');
      return Promise.resolve();
    },
    async stop(label, windows) {
      process.kill(pid, 'SIGUSR2');
      const deadline = Date.now() + 60_000;
      while (!existsSync(current)) {
        if (Date.now() > deadline) throw new Error(`the peer wrote no profile to ${current}`);
        await sleep(200);
      }
      const file = join(dir, `${label}.cpuprofile`);
      renameSync(current, file);
      const s = summarizeProfile(file, windows);
      const pct = (list) => list.map((x) => ({ what: x.what, pct: x.pctOfBusy }));
      return {
        file,
        busyPctOfWall: s.busyPct,
        top: { package: pct(s.byPackage), function: pct(s.byFunction) },
      };
    },
  };
}

/** V8's sampling profiler in this process (the orderer), summarized inside the runs' windows. */
function inProcessProfiler(dir) {
  let session;
  return {
    async start() {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 1000 });
      await session.post('Profiler.start');
    },
    async stop(label, windows) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const file = join(dir, `${label}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const s = summarizeProfile(profile, windows);
      const pct = (list) => list.map((x) => ({ what: x.what, pct: x.pctOfBusy }));
      return {
        file,
        busyPctOfWall: s.busyPct,
        top: { package: pct(s.byPackage), function: pct(s.byFunction) },
      };
    },
  };
}

/** The package (or node: module) of a JIT frame's symbol (`JS:*name file:///…/x.js:12:3`). */
function jsPackage(symbol) {
  const url = /\s(\S+):\d+(:\d+)?$/.exec(symbol)?.[1] ?? '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(packages|plugins)\/([^/]+)\//.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  return undefined;
}

/**
 * Every sample of a perf recording charged to the code that caused it: the nearest JavaScript
 * frame of a package on its call chain (so ECDSA, LevelDB, GC or a builtin called from the
 * msp package counts as the msp package's), else the nearest node: module's JavaScript, else the
 * leaf's native category (a libuv pool thread verifying a signature: OpenSSL). Also the share of
 * the main thread (tid = pid) among all the process's threads.
 */
function attributeCallchains(file, pid) {
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'tid,period,ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 2 * 1024 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const callers = new Map();
  let total = 0;
  let main = 0;
  const charge = (tid, period, frames) => {
    if (frames.length === 0) return;
    total += period;
    if (tid === pid) main += period;
    let key;
    for (const f of frames) {
      if (!f.symbol.startsWith('JS:')) continue;
      const pkg = jsPackage(f.symbol);
      if (pkg !== undefined && !pkg.startsWith('node:')) {
        key = pkg;
        break;
      }
      if (pkg !== undefined && key === undefined) key = `${pkg} (JS)`;
    }
    if (key === undefined || key.endsWith(' (JS)')) {
      // No package on the chain: a node: module's JS when there is one, else native work.
      key ??= perfCategory(frames[0].dso, frames[0].dso.includes('kernel'), frames[0].symbol);
    }
    callers.set(key, (callers.get(key) ?? 0) + period);
  };
  let tid = 0;
  let period = 0;
  let frames = [];
  for (const line of text.split('\n')) {
    const head = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (head) {
      charge(tid, period, frames);
      tid = Number(head[1]);
      period = Number(head[2]);
      frames = [];
      continue;
    }
    const frame = /^\s+[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/.exec(line);
    if (frame) frames.push({ symbol: frame[1].trim(), dso: frame[2] });
  }
  charge(tid, period, frames);
  return {
    mainThreadPct: Number(((main / total) * 100).toFixed(1)),
    caller: [...callers]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 30)
      .map(([what, p]) => ({ what, pct: Number(((p / total) * 100).toFixed(2)) })),
  };
}

/** What a perf sample's symbol belongs to, coarsely. */
function perfCategory(dso, kernel, symbol) {
  if (kernel) return 'kernel (syscalls, TCP, scheduling)';
  if (symbol.startsWith('JS:')) return `JS ${jsPackage(symbol) ?? 'other'}`;
  if (/classic-level|leveldb/i.test(dso) || /leveldb::/.test(symbol)) return 'LevelDB (native)';
  if (/libc[.-]|libpthread|libm[.-]/.test(dso)) return 'libc';
  if (
    /ecp_nistz256|ecdsa|ECDSA|^BN_|^bn_|^EC_|^ec_|sha256|SHA256|^aes|gcm|^ossl_|^EVP_|^CRYPTO_|^OPENSSL_|^ssl|^SSL_|^tls|^RSA|^ASN1|^asn1|^x509|^X509/.test(
      symbol,
    )
  )
    return 'OpenSSL (ECDSA, hashing, TLS)';
  if (/nghttp2/.test(symbol)) return 'nghttp2 (HTTP/2 framing)';
  if (
    /v8::internal::(compiler|maglev|turboshaft|Zone|Compiler|OptimizingCompile)|Zone(Allocator)?</.test(
      symbol,
    )
  )
    return 'V8 optimizing compiler (background threads)';
  if (
    /Heap::|HeapVisitor|HeapObject::Iterate|Scaveng|MarkCompact|Marking|Sweep|Evacuat|MinorMC|MemoryChunk|FreeList|BodyDescriptor|SizeFromMap|GCTracer|Remembered|SlotSet|PagedSpace|NewSpace|LargeObjectSpace|TypedSlots|Compactor/.test(
      symbol,
    ) &&
    /v8::|cppgc/.test(symbol)
  )
    return 'V8 garbage collector';
  if (/^Builtins_|^Builtin:|v8::internal::(Runtime_|Builtin_)/.test(symbol))
    return 'V8 builtins and runtime (JS execution)';
  if (/^v8::|v8::internal::|std::.*v8::/.test(symbol)) return 'V8 other (objects, ICs, API)';
  if (/^uv_|uv__/.test(symbol)) return 'libuv';
  if (/^node::/.test(symbol)) return 'Node C++ (bindings, streams, crypto glue)';
  return `other native (${dso})`;
}

/** `perf record` of every thread of the peer process, one recording per configuration. */
function perfProfiler(pid, dir) {
  let recording;
  return {
    async start(label) {
      const file = join(dir, `${label}.perf.data`);
      const child = spawn(
        'perf',
        ['record', '-e', 'cpu-clock', '-F', '499', '-g', '-p', String(pid), '-o', file],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (b) => (err = (err + b.toString()).slice(-2000)));
      const exited = new Promise((ok) => child.once('exit', ok));
      recording = { child, file, exited, err: () => err };
      // Let it attach to the peer's threads before the load starts.
      await sleep(500);
      if (child.exitCode !== null) throw new Error(`perf record failed: ${err}`);
    },
    async stop() {
      const { child, file, exited } = recording;
      child.kill('SIGINT');
      await exited;
      const { mainThreadPct, caller } = attributeCallchains(file, pid);
      const text = execFileSync(
        'perf',
        ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '--stdio', '-g', 'none'],
        { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const symbols = [];
      const categories = new Map();
      for (const line of text.split('\n')) {
        const m = /^\s+([\d.]+)%\s+(.+?)\s+\[([.k])\]\s+(.*)$/.exec(line);
        if (!m) continue;
        const pct = Number(m[1]);
        const symbol = m[4].trim();
        symbols.push({ what: `${symbol} [${m[2].trim()}]`, pct });
        const cat = perfCategory(m[2], m[3] === 'k', symbol);
        categories.set(cat, (categories.get(cat) ?? 0) + pct);
      }
      return {
        file,
        mainThreadPct,
        top: {
          caller,
          category: [...categories]
            .sort((a, b) => b[1] - a[1])
            .map(([what, pct]) => ({ what, pct: Number(pct.toFixed(2)) })),
          symbol: symbols.slice(0, 40),
        },
      };
    },
    /**
     * What --perf-basic-prof made the peer write: the JIT symbol map, and V8's code-event log in
     * its working folder (the repository root) — this peer's only, found by its pid.
     */
    cleanup() {
      rmSync(`/tmp/perf-${pid}.map`, { force: true });
      for (const f of readdirSync(root)) {
        if (/^isolate-0x[0-9a-f]+-(\d+)-v8\.log$/.exec(f)?.[1] === String(pid)) {
          rmSync(join(root, f), { force: true });
        }
      }
    },
  };
}

/** The profiler of `--profile`, when one is asked for. */
let profiler;
try {
  const t0 = Date.now();
  net = await startTwoOrgNetwork({
    vmProviders: ['inprocess'],
    processPeers: [1, 2],
    batchTimeout: BATCH_TIMEOUT,
    maxMessageCount: MAX_MESSAGE_COUNT,
    logSpec: 'warning',
    // The chaincodes log at warning too (fabric-shim otherwise writes a line per transaction).
    set: { 'chaincode.logging.level': 'warning' },
  });
  if (!net.tls) throw new Error('the network runs without TLS');
  await deployWithLifecycle(net, {
    name: CHAINCODE,
    label: `${CHAINCODE}_1.0`,
    codeDir: ASSET_CHAINCODE_DIR,
  });
  const setupMs = Date.now() - t0;

  // The assets that evaluate reads, created through the gateway (and committed VALID).
  const readKeys = Array.from({ length: READ_KEYS }, (_, i) => `read-${i}`);
  await load({
    mode: 'submit',
    concurrency: Math.min(64, READ_KEYS),
    requests: READ_KEYS,
    keyPrefix: 'read-',
    warmup: 0,
    readKeys,
  });

  if (PROFILE === 'orderer') {
    const profileDir = resolve(values['profile-dir']);
    mkdirSync(profileDir, { recursive: true });
    profiler = inProcessProfiler(profileDir);
  } else if (PROFILE !== undefined) {
    // Only that peer runs with the profiler's flags: it is started again (same ledger and
    // configuration) with NODE_OPTIONS set for its spawn alone.
    const profileDir = resolve(values['profile-dir']);
    mkdirSync(profileDir, { recursive: true });
    const n = PROFILE === 'peer1' ? 0 : 1;
    const v8File = join(profileDir, `${PROFILE}.current.cpuprofile`);
    process.env.NODE_OPTIONS =
      PROFILER === 'v8'
        ? `--import=${pathToFileURL(join(here, 'profiler.mjs')).href}`
        : '--perf-basic-prof';
    process.env.BENCH_PROFILE_FILE = v8File;
    try {
      // A graceful stop first: the peer stops its chaincode processes (a SIGKILLed peer's
      // chaincode would live on, orphaned); whatever of them is left is ended by pid.
      const leftovers = [...descendantsCpu(peerPid(n)).keys()].map((pid) => [pid, startOf(pid)]);
      await net.peers[n].process.terminate();
      for (const [pid, started] of leftovers) {
        // Only that very process (same start time), never a process that reused its pid.
        if (started === undefined || startOf(pid) !== started) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await net.peers[n].restart();
    } finally {
      delete process.env.NODE_OPTIONS;
      delete process.env.BENCH_PROFILE_FILE;
    }
    await net.waitForHeight(await net.peers[n === 0 ? 1 : 0].chainHeight(), 60_000);
    profiler =
      PROFILER === 'v8'
        ? v8Profiler(peerPid(n), profileDir, v8File)
        : perfProfiler(peerPid(n), profileDir);
  }

  // Warm the JIT, the connections and both chaincodes before anything is measured.
  if (EVALUATE.length > 0) {
    const w = { requests: WARMUP, warmup: 0, readKeys };
    await load({ mode: 'evaluate', concurrency: 16, keyPrefix: 'warm-e-', ...w });
  }
  if (SUBMIT.length > 0) {
    const w = { requests: SUBMIT_WARMUP, warmup: 0, readKeys };
    await load({ mode: 'submit', concurrency: 64, keyPrefix: 'warm-s-', ...w });
  }

  // What this process (the orderer's host) spends with the network up and nothing sent.
  await sleep(2000);
  const idle0 = cpuSnapshot();
  const idleStart = performance.now();
  await sleep(5000);
  const idle = cpuDelta(idle0, cpuSnapshot());
  const idleWallMs = performance.now() - idleStart;
  idleCoordinatorRate = idle.coordinator / idleWallMs;
  const idleRates = {
    coordinator: +((idle.coordinator / idleWallMs) * 1000).toFixed(1),
    peer1: +((idle.peers[0] / idleWallMs) * 1000).toFixed(1),
    peer2: +((idle.peers[1] / idleWallMs) * 1000).toFixed(1),
    chaincode1: +((idle.chaincodes[0] / idleWallMs) * 1000).toFixed(1),
    chaincode2: +((idle.chaincodes[1] / idleWallMs) * 1000).toFixed(1),
  };
  console.error(`idle CPU ms per second: ${JSON.stringify(idleRates)}`);

  const rows = [];
  const profiles = [];
  const configs = [
    ...EVALUATE.map((c) => ({ mode: 'evaluate', c, requests: EVALUATE_REQUESTS })),
    ...SUBMIT.map((c) => ({ mode: 'submit', c, requests: SUBMIT_REQUESTS })),
  ];
  for (const { mode, c, requests } of configs) {
    const runs = [];
    const label = `${PROFILE}.${mode}-c${c}`;
    await profiler?.start(label);
    for (let r = 0; r < RUNS; r++) {
      const x = await load({
        mode,
        concurrency: c,
        requests,
        keyPrefix: `${mode[0]}-c${c}-r${r}-`,
        warmup: Math.min(CLIENT_WARMUP, requests),
        readKeys,
      });
      runs.push(x);
      console.error(
        `${mode} c=${c} run ${r + 1}: ${Math.round(x.perSecond)}/s p50 ${x.p50.toFixed(1)} ` +
          `p99 ${x.p99.toFixed(1)} cpu ${JSON.stringify(Object.fromEntries(CPU_COLUMNS.map((k) => [k, +x.cpu[k].toFixed(3)])))}`,
      );
    }
    if (profiler !== undefined) {
      const summary = await profiler.stop(
        label,
        runs.map((x) => x.window),
      );
      profiles.push({ mode, concurrency: c, ...summary });
      printProfile(`${label} (${PROFILE === 'orderer' ? 'v8' : PROFILER})`, summary);
    }
    const round = (v, d) => Number(v.toFixed(d));
    rows.push({
      mode,
      concurrency: c,
      requests,
      runs: runs.map((x) => ({
        loadAtStart: x.loadAtStart,
        perSecond: Math.round(x.perSecond),
        p50: round(x.p50, 1),
        p99: round(x.p99, 1),
        cpuMsPerTx: Object.fromEntries(CPU_COLUMNS.map((k) => [k, round(x.cpu[k], 3)])),
      })),
      median: {
        perSecond: Math.round(median(runs.map((x) => x.perSecond))),
        p50: round(median(runs.map((x) => x.p50)), 1),
        p99: round(median(runs.map((x) => x.p99)), 1),
        cpuMsPerTx: Object.fromEntries(
          CPU_COLUMNS.map((k) => [k, round(median(runs.map((x) => x.cpu[k])), 3)]),
        ),
      },
    });
  }

  // Every submitted transaction was reported VALID by the gateway's CommitStatus; both peers must
  // also hold the same chain height once the last block is delivered.
  const h1 = await net.peers[0].chainHeight();
  await net.waitForHeight(h1, 60_000);
  const heights = await Promise.all(net.peers.map((p) => p.chainHeight()));

  await stopNetwork();

  const date = new Date().toISOString();
  const report = {
    date,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    loadAverageAtStart: startLoad,
    signMicros,
    command,
    setupMs,
    batchTimeout: BATCH_TIMEOUT,
    maxMessageCount: MAX_MESSAGE_COUNT,
    signer: SIGNER,
    chainHeight: heights,
    idleCpuMsPerSecond: idleRates,
    rows,
    ...(profiles.length > 0 ? { profiles } : {}),
  };
  console.log(JSON.stringify(report, null, 2));
  // Markdown rows for RESULTS.md.
  for (const row of rows) {
    const m = row.median;
    const cpu = CPU_COLUMNS.map((k) => m.cpuMsPerTx[k]);
    const sum = cpu.reduce((a, b) => a + b, 0);
    console.log(
      `| ${date.slice(0, 16).replace('T', ' ')} | ${row.mode} | ${row.concurrency} | **${m.perSecond.toLocaleString('en')}** | ${m.p50} | ${m.p99} | ${cpu.join(' | ')} | ${sum.toFixed(2)} | ${row.runs.map((x) => x.perSecond).join(' / ')} |`,
    );
  }
} finally {
  await stopNetwork();
  profiler?.cleanup?.();
}
