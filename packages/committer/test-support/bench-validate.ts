/**
 * Benchmark: validate + commit throughput of the committer on LevelDB.
 *
 * A two-org channel (MAJORITY endorsement, so both peers endorse), chaincode `bench` defined through
 * `_lifecycle` with `/Channel/Application/Endorsement`. Blocks of `--txs` transactions (default 500),
 * each created by User1@org1 and endorsed by peer0.org1 and peer0.org2 (3 ECDSA signatures to
 * verify), reading one key that does not exist and writing two new keys. Blocks are built and signed
 * before the clock starts; one warm-up block is not measured. Each measured block goes through
 * `commitBlock`: orderer signature, validation (creator signatures, DefaultValidation with the
 * endorsement policy), MVCC and the LevelDB commit.
 *
 * Figures: tx/s of the median block, tx/s overall, and process CPU (all threads) per transaction,
 * for each validator pool size in `--pool` (0 = no worker threads: ECDSA runs on libuv's pool).
 * `--msp-cache on,off` runs with and without the channel MSPs' verified-signature cache (the peer's
 * default turns it on; it serves endorsement, not validation, where every signature is new).
 * `--verify N` also measures raw ECDSA P-256 verification N times three ways: synchronous on the
 * main thread, asynchronous (libuv's thread pool), and in `worker_threads`.
 *
 * Run (after building): `node packages/committer/dist/test-support/bench-validate.js
 *   [--blocks 10] [--txs 500] [--pool 0,2] [--verify 30000] [--profile FILE]`; `--profile` writes a
 * V8 CPU profile of the main thread over the measured blocks, per pool size.
 */
import { generateKeyPairSync, sign, verify, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

import { createMsp } from '@fabric-peer/msp';
import type { ChannelMspFactory } from '@fabric-peer/policies';

import { ValidatorPool } from '../src/index.js';
import { prepareBenchBlocks } from './bench-workload.js';
import { levelDbProvider } from './network.js';
import { openTwoOrgNetwork } from './two-orgs.js';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function cpuMicros(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** The main thread's own CPU time in µs (Linux: /proc/self/task/<pid>/stat), or NaN elsewhere. */
function mainThreadCpuMicros(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (USER_HZ = 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

/** The X.509 MSP without the verified-signature cache (the peer's default keeps 512 entries). */
const uncachedMsps: ChannelMspFactory = (config, version) => {
  const msp = createMsp(config, { version });
  return {
    mspId: msp.id,
    tlsRootCerts: msp.tlsRootCerts,
    tlsIntermediateCerts: msp.tlsIntermediateCerts,
    deserializeIdentity: (serialized) => msp.deserializeIdentity(serialized),
  };
};

async function benchCommit(
  poolSize: number,
  blocks: number,
  txs: number,
  mspCache: boolean,
  profile?: string,
): Promise<string> {
  const pool = poolSize > 0 ? new ValidatorPool({ size: poolSize }) : undefined;
  const net = await openTwoOrgNetwork({
    provider: levelDbProvider,
    ...(mspCache ? {} : { mspFactory: uncachedMsps }),
    ...(pool !== undefined ? { committer: { pool } } : {}),
  });
  try {
    const measured = await prepareBenchBlocks(net, blocks, txs);

    let session: Session | undefined;
    if (profile !== undefined) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const times: number[] = [];
    const main0 = mainThreadCpuMicros();
    const cpu0 = cpuMicros();
    const t0 = performance.now();
    for (const block of measured) {
      const t = performance.now();
      const r = await net.committer.commitBlock(block);
      times.push(performance.now() - t);
      if (r.validationCodes.some((c) => c !== 0))
        throw new Error('a measured block has invalid txs');
    }
    const total = performance.now() - t0;
    const cpu = cpuMicros() - cpu0;
    const mainCpu = mainThreadCpuMicros() - main0;
    if (session !== undefined && profile !== undefined) {
      const { profile: taken } = await session.post('Profiler.stop');
      writeFileSync(`${profile}.pool${poolSize}.cpuprofile`, JSON.stringify(taken));
      session.disconnect();
    }
    const med = median(times);
    const n = txs * blocks;
    return `| ${poolSize === 0 ? '0 (libuv only)' : poolSize} | ${mspCache ? 'on' : 'off'} | ${txs} | ${blocks} | ${med.toFixed(1)} | **${Math.round((txs / med) * 1000)}** | ${Math.round((n / total) * 1000)} | ${(cpu / n).toFixed(0)} | ${(mainCpu / n).toFixed(0)} |`;
  } finally {
    await net.close();
    await pool?.close();
  }
}

// ---- raw ECDSA verification: main thread, libuv, worker_threads --------------------------------

interface VerifyItem {
  readonly k: number;
  readonly msg: Uint8Array;
  readonly sig: Uint8Array;
}

function workerMain(): void {
  const keys = new Map<number, ReturnType<typeof createPublicKey>>();
  parentPort!.on(
    'message',
    (m: { keys?: [number, Uint8Array][]; id?: number; items?: VerifyItem[] }) => {
      if (m.keys !== undefined) {
        for (const [id, der] of m.keys) {
          keys.set(id, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
        }
        return;
      }
      const out = new Uint8Array(m.items!.length);
      m.items!.forEach((it, i) => {
        out[i] = verify(
          'sha256',
          it.msg,
          { key: keys.get(it.k)!, dsaEncoding: 'ieee-p1363' },
          it.sig,
        )
          ? 1
          : 0;
      });
      parentPort!.postMessage({ id: m.id, out }, [out.buffer]);
    },
  );
}

async function benchVerify(n: number, workers: number): Promise<string[]> {
  const pairs = Array.from({ length: 8 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const items: VerifyItem[] = Array.from({ length: 1500 }, (_, i) => {
    const k = i % pairs.length;
    const msg = new Uint8Array(Buffer.alloc(2500, i % 251));
    return {
      k,
      msg,
      sig: sign('sha256', msg, { key: pairs[k]!.privateKey, dsaEncoding: 'ieee-p1363' }),
    };
  });
  const key = (k: number) => ({ key: pairs[k]!.publicKey, dsaEncoding: 'ieee-p1363' as const });
  const rounds = Math.max(1, Math.round(n / items.length));
  const rows: string[] = [];
  const run = async (name: string, once: () => Promise<unknown>) => {
    await once();
    const c = cpuMicros();
    const t = performance.now();
    for (let r = 0; r < rounds; r++) await once();
    const ms = performance.now() - t;
    const ops = rounds * items.length;
    rows.push(
      `| ${name} | ${Math.round((ops / ms) * 1000)} | ${((cpuMicros() - c) / ops).toFixed(1)} |`,
    );
  };
  await run('sync, main thread', () => {
    for (const it of items) verify('sha256', it.msg, key(it.k), it.sig);
    return Promise.resolve();
  });
  await run('async (libuv pool)', () =>
    Promise.all(
      items.map(
        (it) =>
          new Promise((res, rej) =>
            verify('sha256', it.msg, key(it.k), it.sig, (e, ok) => (e ? rej(e) : res(ok))),
          ),
      ),
    ),
  );
  const pool = Array.from({ length: workers }, () => new Worker(new URL(import.meta.url)));
  const spki = pairs.map((p, i) => [i, p.publicKey.export({ format: 'der', type: 'spki' })]);
  for (const w of pool) w.postMessage({ keys: spki });
  let seq = 0;
  const call = (w: Worker, part: VerifyItem[]) =>
    new Promise<void>((res) => {
      const id = ++seq;
      const h = (m: { id: number }) => {
        if (m.id !== id) return;
        w.off('message', h);
        res();
      };
      w.on('message', h);
      w.postMessage({ id, items: part });
    });
  await run(`worker_threads ×${workers}`, () => {
    const slices = workers * 4;
    const size = Math.ceil(items.length / slices);
    return Promise.all(
      Array.from({ length: slices }, (_, i) =>
        call(pool[i % workers]!, items.slice(i * size, (i + 1) * size)),
      ),
    );
  });
  await Promise.all(pool.map((w) => w.terminate()));
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      blocks: { type: 'string', default: '10' },
      txs: { type: 'string', default: '500' },
      pool: { type: 'string', default: `0,${availableParallelism()}` },
      verify: { type: 'string', default: '0' },
      profile: { type: 'string' },
      'msp-cache': { type: 'string', default: 'on' },
    },
  });
  const blocks = Number(values.blocks);
  const txs = Number(values.txs);
  out(
    `# committer bench: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}, Node ${process.version}, UV_THREADPOOL_SIZE=${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}`,
  );
  out('');
  out(
    '| validator pool | MSP verified-signature cache | txs/block | blocks | median block (ms) | tx/s (median block) | tx/s overall | CPU µs/tx (all threads) | main-thread CPU µs/tx |',
  );
  out('|---|---|---|---|---|---|---|---|---|');
  for (const cache of values['msp-cache'].split(',')) {
    for (const size of values.pool.split(',').map(Number)) {
      out(await benchCommit(size, blocks, txs, cache === 'on', values.profile));
    }
  }
  const n = Number(values.verify);
  if (n > 0) {
    out('');
    out('| raw ECDSA P-256 verify (2.5 KB messages) | verify/s | CPU µs/op |');
    out('|---|---|---|');
    for (const row of await benchVerify(n, availableParallelism())) out(row);
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
    process.exitCode = 1;
  });
} else {
  workerMain();
}
