/**
 * Crash safety: a child process commits blocks in a loop (block files fsynced, LevelDB state,
 * history on) and is killed with SIGKILL at random moments, 30 times. After every kill the ledger
 * reopens and recovers: block height, state savepoint and history savepoint agree, every
 * committed block is there exactly once and the hash chain verifies, every block the child had
 * reported committed survived, and state and history hold exactly what those blocks wrote.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const child = join(dirname(fileURLToPath(import.meta.url)), '../helpers/ledger-crash-child.js');
const KILLS = 30;

interface Inspection {
  before: { height: number; state: number; history: number };
  after: { height: number; state: number; history: number };
  height: number;
  problems: string[];
}

function runUntilKilled(fs: string, delayMs: number): Promise<{ acked: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, 'run', fs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = -1;
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (b: Buffer) => {
      for (const m of b.toString().matchAll(/committed (\d+)/g))
        acked = Math.max(acked, Number(m[1]));
      // The clock starts at the first commit of this run, so every kill lands while committing.
      timer ??= setTimeout(() => p.kill('SIGKILL'), delayMs);
    });
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ acked });
      else reject(new Error(`the child exited by itself (${code ?? signal}): ${err}`));
    });
  });
}

function inspect(fs: string): Promise<Inspection> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, 'inspect', fs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as Inspection)
        : reject(new Error(`inspect failed (${code}): ${err}`)),
    );
  });
}

describe('ledger crash safety', () => {
  it(
    `recovers after each of ${KILLS} SIGKILLs during commits, losing and duplicating nothing`,
    { timeout: 600_000 },
    async (t) => {
      const fs = mkdtempSync(join(tmpdir(), 'ledger-crash-'));
      let seed = 20261121;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      let height = 0;
      let behind = 0;
      for (let k = 0; k < KILLS; k++) {
        const delay = 5 + Math.floor(random() * 400);
        const { acked } = await runUntilKilled(fs, delay);
        const r = await inspect(fs);
        assert.deepEqual(r.problems, [], `after kill ${k + 1} (${delay} ms)`);
        // After recovery, the three agree on the last block.
        assert.equal(r.after.state, r.height - 1, `state savepoint after kill ${k + 1}`);
        assert.equal(r.after.history, r.height - 1, `history savepoint after kill ${k + 1}`);
        // Nothing reported committed is lost; nothing goes backwards.
        assert.ok(r.height > acked, `height ${r.height} but block ${acked} was reported committed`);
        assert.ok(r.height >= height, `height went from ${height} to ${r.height}`);
        if (r.before.state < r.before.height - 1 || r.before.history < r.before.height - 1)
          behind++;
        height = r.height;
      }
      assert.ok(height > KILLS, `only ${height} blocks committed in ${KILLS} runs`);
      t.diagnostic(
        `${height} blocks committed; ${behind} of ${KILLS} kills left state or history behind the block store`,
      );
    },
  );
});
