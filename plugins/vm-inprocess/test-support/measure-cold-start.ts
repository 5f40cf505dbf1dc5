/**
 * Measures the inprocess runtime's cold start: from `build` (a package never built before) and
 * `start` to the chaincode's REGISTER at a fake peer, with and without the pre-warmed process.
 * Run by hand: `node dist/test-support/measure-cold-start.js [runs]`. Not a test: timings are
 * recorded, not asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLoggers } from '@fabric-peer/testkit';
import { InprocessVmProvider } from '../src/index.js';
import { CONTRACT_CHAINCODE, SHIM_CHAINCODE, nodePackage } from './chaincodes.js';
import { FakePeer } from './fake-peer.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function measure(prewarm: boolean, files: Record<string, string>, runs: number) {
  const dir = await mkdtemp(join(tmpdir(), 'inprocess-bench-'));
  const peer = await FakePeer.start();
  const provider = InprocessVmProvider.create(
    { fileSystemPath: dir, prewarm, stopGraceMs: 2000 },
    silentLoggers,
  );
  const times: number[] = [];
  try {
    // Let the pre-warmed process get ready, as it is on a peer that has been up a moment.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < runs; i++) {
      const pkg = await nodePackage(`bench${i}`, { ...files, 'src/run.txt': String(i) });
      const registered = peer.nextRegistration();
      const t0 = performance.now();
      const instance = await provider.build(pkg.packageId, pkg);
      await instance.start({ address: peer.address });
      const reg = await registered;
      times.push(reg.at - t0);
      if (reg.chaincodeId !== pkg.packageId) throw new Error(`wrong id ${reg.chaincodeId}`);
      await instance.stop();
      // Give the replacement pre-warmed process time to load, as between two launches on a peer.
      await new Promise((r) => setTimeout(r, 1500));
    }
  } finally {
    await provider.close();
    await peer.close();
    await rm(dir, { recursive: true, force: true });
  }
  return times;
}

const runs = Number(process.argv[2] ?? 7);
for (const [name, files] of [
  ['fabric-shim chaincode (node index.js)', SHIM_CHAINCODE],
  ['fabric-contract-api chaincode (fabric-chaincode-node start)', CONTRACT_CHAINCODE],
] as const) {
  for (const prewarm of [true, false]) {
    const times = await measure(prewarm, files, runs);
    process.stdout.write(
      `${name}, prewarm ${prewarm}: median ${median(times).toFixed(1)} ms over ${runs} ` +
        `[${times.map((t) => t.toFixed(0)).join(', ')}]\n`,
    );
  }
}
