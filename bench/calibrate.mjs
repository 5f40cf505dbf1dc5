// A fixed piece of CPU work, timed at the start of a benchmark: on a shared virtual machine the
// same code can need 25–50 % more CPU time per operation when the host is busy (no steal time is
// reported), so each result records how fast the machine was when it ran. It runs in a fresh
// `node` so that nothing else of the benchmark's process (module compilation, GC threads) counts.
import { execFileSync } from 'node:child_process';

const WORK = `
const { generateKeyPairSync, sign } = require('node:crypto');
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = Buffer.alloc(2500, 7);
for (let i = 0; i < 300; i++) sign('sha256', message, privateKey);
const t0 = process.cpuUsage();
for (let i = 0; i < 3000; i++) sign('sha256', message, privateKey);
const t = process.cpuUsage(t0);
process.stdout.write(String((t.user + t.system) / 3000));
`;

/** CPU µs per ECDSA P-256 signature of a 2.5 KB message (SHA-256, node:crypto); ≈ 29 when idle. */
export function calibrate() {
  const out = execFileSync(process.execPath, ['-e', WORK], { encoding: 'utf8' });
  return Number(Number(out).toFixed(1));
}
