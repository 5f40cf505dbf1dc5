#!/usr/bin/env node
// Validate + commit throughput of the committer, on LevelDB and on CouchDB: the measurement of
// packages/committer/test-support/bench-validate.ts (which does LevelDB), with the state database
// chosen and reached as the peer reaches it (config/core.yaml's keys → the statedb-leveldb or
// statedb-couchdb plugin; CouchDB is a real CouchDB-protocol server, pouchdb-server in memory,
// started here on a free port for each run and stopped after it).
//
// A two-organization channel (committer test-support `openTwoOrgNetwork`: Org1MSP, Org2MSP, the
// Endorsement policy MAJORITY of the orgs, so a transaction needs both peers), chaincode `bench`
// defined through `_lifecycle` with `/Channel/Application/Endorsement`. Blocks of --txs
// transactions, each created by User1@org1 and endorsed by peer0.org1 and peer0.org2 (two
// endorsements: 3 ECDSA signatures to verify per transaction, plus the orderer's per block), reading
// one key that does not exist and writing two new keys. Blocks are built and signed before the clock
// starts; one warm-up block is not measured. Each measured block goes through
// `Committer.commitBlock`: the orderer's signature, validation (creator signature, DefaultValidation
// with the endorsement policy), MVCC and the commit (block store, state, history). Every transaction
// must be VALID.
//
// Figures per run: tx/s of the median block, tx/s overall, CPU µs per transaction of this process
// (all threads: process.cpuUsage()), of its main thread (/proc/self/task/<pid>/stat) and, for
// CouchDB, of the pouchdb-server process (/proc/<pid>/stat). Each configuration runs --runs times,
// each time on a new network (and server); the summary gives the medians.
//
// Usage (after `npm run build`):
//   node bench/commit/run.mjs --db goleveldb,CouchDB --blocks 10 --txs 500 --runs 3
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ValidatorPool } from '@fabric-peer/committer';
import { openTwoOrgNetwork, prepareBenchBlocks } from '@fabric-peer/committer/test-support';
import { lifecycleBlockToLive } from '@fabric-peer/scc';
import { loadConfig } from '@fabric-peer/config';
import { CouchDbStateProvider } from '@fabric-peer/statedb-couchdb';
import { LevelDbStateProvider } from '@fabric-peer/statedb-leveldb';
import { silentLoggers, startPouchDbServer } from '@fabric-peer/testkit';
import { calibrate } from '../calibrate.mjs';
import { childrenOf, median, statCpuMs } from '../proc-stats.mjs';
import { summarizeProfile } from '../profile-summary.mjs';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'goleveldb,CouchDB' },
    blocks: { type: 'string', default: '10' },
    txs: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    // Validator worker threads (0: none, as the peer runs today; see the committer's README).
    pool: { type: 'string', default: '0' },
    'max-load': { type: 'string', default: '1.5' },
    'load-wait': { type: 'string', default: '300' },
    // Writes a V8 CPU profile of this process's main thread over the measured blocks of each run
    // (FILE.<db>.<run>.cpuprofile) and prints where its time goes.
    profile: { type: 'string' },
  },
});
const DBS = values.db.split(',');
const BLOCKS = Number(values.blocks);
const TXS = Number(values.txs);
const RUNS = Number(values.runs);
const POOL = Number(values.pool);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const command =
  `node bench/commit/run.mjs --db ${values.db} --blocks ${BLOCKS} --txs ${TXS} --runs ${RUNS}` +
  (POOL > 0 ? ` --pool ${POOL}` : '');
for (const db of DBS) {
  if (db !== 'goleveldb' && db !== 'CouchDB') {
    console.error(`unknown --db ${db}: goleveldb or CouchDB (core.yaml's names)`);
    process.exit(2);
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const load1 = () => Number(loadavg()[0].toFixed(2));
/** CPU µs of a process or thread from its /proc stat file; NaN when unreadable. */
const cpuMicrosOf = (statPath) => (statCpuMs(statPath) ?? Number.NaN) * 1000;
const children = () => childrenOf(process.pid);

const ownCpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** The state database as core.yaml makes it, under `dir`, for `db`. */
function providerFor(db, couchAddress) {
  return (dir) => {
    const env = {
      CORE_PEER_FILESYSTEMPATH: join(dir, 'production'),
      CORE_LEDGER_STATE_STATEDATABASE: db,
      ...(couchAddress !== undefined
        ? { CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS: couchAddress }
        : {}),
    };
    const config = loadConfig({ path: join(root, 'config/core.yaml'), env });
    return db === 'CouchDB'
      ? new CouchDbStateProvider(config, silentLoggers)
      : new LevelDbStateProvider(config, silentLoggers);
  };
}

/** One run: a new network (and CouchDB server), BLOCKS measured blocks. */
async function run(db, r) {
  const before = new Set(children());
  const couch = db === 'CouchDB' ? await startPouchDbServer() : undefined;
  const serverPid = couch !== undefined ? children().find((p) => !before.has(p)) : undefined;
  const pool = POOL > 0 ? new ValidatorPool({ size: POOL }) : undefined;
  let net;
  try {
    net = await openTwoOrgNetwork({
      provider: providerFor(db, couch?.address),
      // As the peer: private data expiry on (these blocks have none; it costs a read per block).
      blockToLive: lifecycleBlockToLive,
      ...(pool !== undefined ? { committer: { pool } } : {}),
    });
    const measured = await prepareBenchBlocks(net, BLOCKS, TXS);

    let session;
    if (values.profile !== undefined) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const loadAtStart = load1();
    const times = [];
    const server0 = serverPid !== undefined ? cpuMicrosOf(`/proc/${serverPid}/stat`) : 0;
    const main0 = cpuMicrosOf(`/proc/self/task/${process.pid}/stat`);
    const cpu0 = ownCpuMicros();
    const t0 = performance.now();
    for (const block of measured) {
      const t = performance.now();
      const result = await net.committer.commitBlock(block);
      times.push(performance.now() - t);
      const invalid = result.validationCodes.filter((c) => c !== 0).length;
      if (invalid > 0) throw new Error(`${invalid} transactions of a measured block are invalid`);
    }
    const totalMs = performance.now() - t0;
    const cpu = ownCpuMicros() - cpu0;
    const mainCpu = cpuMicrosOf(`/proc/self/task/${process.pid}/stat`) - main0;
    const serverCpu =
      serverPid !== undefined ? cpuMicrosOf(`/proc/${serverPid}/stat`) - server0 : Number.NaN;
    let profile;
    if (session !== undefined) {
      const { profile: taken } = await session.post('Profiler.stop');
      session.disconnect();
      const file = `${values.profile}.${db}.${r}.cpuprofile`;
      writeFileSync(file, JSON.stringify(taken));
      profile = { file, ...summarizeProfile(taken, undefined, { functions: 25, packages: 15 }) };
    }
    const height = Number(net.channel.ledger.getBlockchainInfo().height.toString());
    if (height !== BLOCKS + 3) throw new Error(`ledger height ${height}, expected ${BLOCKS + 3}`);
    const n = TXS * BLOCKS;
    const med = median(times);
    return {
      loadAtStart,
      medianBlockMs: med,
      perSecondMedianBlock: (TXS / med) * 1000,
      perSecondOverall: (n / totalMs) * 1000,
      cpuMicrosPerTx: cpu / n,
      mainThreadCpuMicrosPerTx: mainCpu / n,
      serverCpuMicrosPerTx: serverCpu / n,
      ...(profile !== undefined ? { profile } : {}),
    };
  } finally {
    await net?.close();
    await pool?.close();
    await couch?.stop();
  }
}

// A shared machine: start when the others' load allows, and say what it was.
const waitStart = Date.now();
while (load1() > Number(values['max-load'])) {
  if (Date.now() - waitStart > Number(values['load-wait']) * 1000) break;
  await sleep(5000);
}
const startLoad = load1();
// How fast the (shared) machine was: CPU µs per P-256 signature (bench/calibrate.mjs).
const signMicros = calibrate();
console.error(
  `machine: ${signMicros} µs of CPU per P-256 signature; load average ${startLoad} at start (waited ${Math.round((Date.now() - waitStart) / 1000)} s)`,
);

const rows = [];
for (const db of DBS) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const x = await run(db, r);
    runs.push(x);
    console.error(
      `${db} run ${r + 1}: median block ${x.medianBlockMs.toFixed(1)} ms, ` +
        `${Math.round(x.perSecondMedianBlock)} tx/s (median block), ${Math.round(x.perSecondOverall)} overall, ` +
        `CPU ${x.cpuMicrosPerTx.toFixed(0)} µs/tx (main thread ${x.mainThreadCpuMicrosPerTx.toFixed(0)}` +
        `${Number.isNaN(x.serverCpuMicrosPerTx) ? '' : `, pouchdb-server ${x.serverCpuMicrosPerTx.toFixed(0)}`}), load ${x.loadAtStart}`,
    );
    if (x.profile !== undefined) {
      console.error(`profile ${x.profile.file}: busy ${x.profile.busyPct} %`);
      for (const p of x.profile.byPackage) console.error(`  ${p.pctOfBusy} %  ${p.what}`);
      for (const f of x.profile.byFunction.slice(0, 15))
        console.error(`  ${f.pctOfBusy} %  ${f.what}`);
    }
  }
  const m = (f) => median(runs.map(f));
  rows.push({
    db,
    runs,
    median: {
      medianBlockMs: Number(m((x) => x.medianBlockMs).toFixed(1)),
      perSecondMedianBlock: Math.round(m((x) => x.perSecondMedianBlock)),
      perSecondOverall: Math.round(m((x) => x.perSecondOverall)),
      cpuMicrosPerTx: Math.round(m((x) => x.cpuMicrosPerTx)),
      mainThreadCpuMicrosPerTx: Math.round(m((x) => x.mainThreadCpuMicrosPerTx)),
      serverCpuMicrosPerTx: db === 'CouchDB' ? Math.round(m((x) => x.serverCpuMicrosPerTx)) : NaN,
    },
  });
}

const date = new Date().toISOString();
console.log(
  JSON.stringify(
    {
      date,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      loadAverageAtStart: startLoad,
      signMicros,
      command,
      txsPerBlock: TXS,
      blocksPerRun: BLOCKS,
      validatorPool: POOL,
      rows: rows.map((row) => ({
        ...row,
        runs: row.runs.map(({ profile, ...x }) => ({
          ...x,
          ...(profile !== undefined ? { profile: profile.file } : {}),
        })),
      })),
    },
    null,
    2,
  ),
);
// Markdown rows for RESULTS.md.
for (const row of rows) {
  const x = row.median;
  console.log(
    `| ${date.slice(0, 16).replace('T', ' ')} | ${row.db} | ${row.runs.map((r) => r.loadAtStart).join(' / ')} | ${x.medianBlockMs} | **${x.perSecondMedianBlock.toLocaleString('en')}** | ${x.perSecondOverall.toLocaleString('en')} | ${x.cpuMicrosPerTx} | ${x.mainThreadCpuMicrosPerTx} | ${Number.isNaN(x.serverCpuMicrosPerTx) ? '–' : x.serverCpuMicrosPerTx} | ${row.runs.map((r) => Math.round(r.perSecondMedianBlock).toLocaleString('en')).join(' / ')} |`,
  );
}
