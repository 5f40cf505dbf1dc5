#!/usr/bin/env node
// Commit throughput of the kvledger: 500-transaction blocks, each transaction reading 2 keys (at
// their committed versions, so all are valid) and writing 2, on a ledger that already holds
// --keys keys. Measured: ledger.commit(block) = MVCC (bulk version load) + block store append and
// fsync + state batch + history; block construction and signature checks are outside.
// Usage (after `npm run build`):
//   node bench/ledger-commit/run.mjs --db goleveldb --keys 10000 --blocks 40
//   node bench/ledger-commit/run.mjs --db CouchDB --keys 10000 --blocks 20   (starts pouchdb-server)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '@fabric-peer/config';
import { ledgerConfig, openLedgerManager } from '@fabric-peer/ledger';
import { LoggingSystem } from '@fabric-peer/logging';
import { createKernel } from '@fabric-peer/node';
import {
  ChainBuilder,
  configTx,
  endorserTx,
  rwsetBytes,
  startPouchDbServer,
  utf8,
} from '@fabric-peer/testkit';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'goleveldb' },
    keys: { type: 'string', default: '10000' },
    blocks: { type: 'string', default: '40' },
    txs: { type: 'string', default: '500' },
  },
});
const DB = values.db;
const KEYS = Number(values.keys);
const BLOCKS = Number(values.blocks);
const TXS = Number(values.txs);
const CHANNEL = 'benchchannel';
const NS = 'bench';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const fs = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
const env = { CORE_PEER_FILESYSTEMPATH: fs, CORE_LEDGER_STATE_STATEDATABASE: DB };
const couch = DB === 'CouchDB' ? await startPouchDbServer() : undefined;
if (couch) env.CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS = couch.address;
const config = loadConfig({ path: join(root, 'config/core.yaml'), env });
const logging = new LoggingSystem({ spec: 'error' });
const kernel = await createKernel({
  config,
  loggerFactory: (m) => logging.logger(m),
  logSpec: logging,
  build: { Version: 'bench', CommitSHA: 'bench' },
});
const provider = kernel.registry.get('stateDatabase', DB);
const manager = await openLedgerManager({
  ...ledgerConfig(config),
  stateDatabaseProvider: provider,
});

const key = (i) => `key${String(i).padStart(8, '0')}`;
const versions = new Map(); // key -> { blockNum, txNum }
let chain = new ChainBuilder();
const ledger = await manager.createFromGenesisBlock(
  chain.block([configTx(undefined, CHANNEL)], Uint8Array.of(0)),
);
let height = 1;
let txCounter = 0;
const tx = (reads, writes) =>
  endorserTx(rwsetBytes({ namespace: NS, kv: { reads, writes } }), {
    txId: `bench-${txCounter++}`,
    channelId: CHANNEL,
    chaincode: NS,
    time: 1_700_000_000_000,
  });

// Load the keys: blocks of TXS transactions writing 4 keys each.
const loadStart = process.hrtime.bigint();
for (let next = 0; next < KEYS;) {
  const envelopes = [];
  for (let t = 0; t < TXS && next < KEYS; t++) {
    const writes = [];
    for (let w = 0; w < 4 && next < KEYS; w++, next++) {
      writes.push({ key: key(next), value: utf8(`{"v":${next}}`) });
      versions.set(key(next), { blockNum: height, txNum: t });
    }
    envelopes.push(tx([], writes));
  }
  await ledger.commit(chain.block(envelopes));
  height++;
}
const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;

// The measured blocks, built first: each transaction reads 2 keys at their committed versions and
// writes 2 others; no key is touched twice in a block, so every transaction is valid.
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const blocks = [];
for (let b = 0; b < BLOCKS; b++) {
  const used = new Set();
  const pick = () => {
    for (;;) {
      const k = key(Math.floor(random() * KEYS));
      if (!used.has(k)) return (used.add(k), k);
    }
  };
  const envelopes = [];
  const blockNum = height + b;
  for (let t = 0; t < TXS; t++) {
    const reads = [pick(), pick()].map((k) => {
      const v = versions.get(k);
      return { key: k, version: { blockNum: v.blockNum, txNum: v.txNum } };
    });
    const writes = [pick(), pick()].map((k) => {
      versions.set(k, { blockNum, txNum: t });
      return { key: k, value: utf8(`{"b":${blockNum},"t":${t}}`) };
    });
    envelopes.push(tx(reads, writes));
  }
  blocks.push(chain.block(envelopes));
}

const perBlock = [];
for (const block of blocks) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await ledger.commit(block);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  if (result.validationCodes.some((c) => c !== 0))
    throw new Error('a measured transaction was invalid');
  perBlock.push({ ms, cpuMs: (cpu.user + cpu.system) / 1000 });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const totalMs = perBlock.reduce((s, x) => s + x.ms, 0);
console.log(
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      command: `node bench/ledger-commit/run.mjs --db ${DB} --keys ${KEYS} --blocks ${BLOCKS} --txs ${TXS}`,
      stateDatabase: DB,
      keysInState: KEYS,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      blocks: BLOCKS,
      txPerBlock: TXS,
      medianBlockMs: Number(median(perBlock.map((x) => x.ms)).toFixed(1)),
      txPerSecondMedianBlock: Math.round((TXS * 1000) / median(perBlock.map((x) => x.ms))),
      txPerSecondOverall: Math.round((TXS * BLOCKS * 1000) / totalMs),
      medianCpuMsPerBlock: Number(median(perBlock.map((x) => x.cpuMs)).toFixed(1)),
      cpuMicrosPerTx: Number(((median(perBlock.map((x) => x.cpuMs)) * 1000) / TXS).toFixed(1)),
    },
    null,
    2,
  ),
);
await manager.close();
await provider.close();
await couch?.stop();
rmSync(fs, { recursive: true, force: true });
