// What the benchmarks share for their figures: medians and percentiles, and the CPU time and
// children of processes as Linux's /proc reports them (the process's own accounting, all threads).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The median (the lower middle of an even count); NaN for none. */
export const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

/** The p-th percentile of an ascending array (nearest rank). */
export const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields after the command name of a /proc stat file, undefined when it cannot be read. */
function statFields(statPath) {
  try {
    const stat = readFileSync(statPath, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU ms (user + system) from a /proc stat file: `/proc/<pid>/stat` (all threads) or
 * `/proc/<pid>/task/<tid>/stat` (one thread); undefined when it cannot be read (the process is gone).
 */
export function statCpuMs(statPath) {
  const fields = statFields(statPath);
  return fields && ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** CPU ms of a process, all threads; 0 when it is gone. */
export const cpuMsOf = (pid) => statCpuMs(`/proc/${pid}/stat`) ?? 0;

/** A process's start time (field 22 of /proc/<pid>/stat), undefined when it is gone. */
export const startOf = (pid) => statFields(`/proc/${pid}/stat`)?.[19];

/** Direct children of a process (Linux /proc), or none where that cannot be read. */
export function childrenOf(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}

/** CPU ms of every descendant of `pid` by pid, leaving out the subtree of `except`. */
export function descendantsCpu(pid, except) {
  const out = new Map();
  const visit = (p) => {
    for (const child of childrenOf(p)) {
      if (child === except) continue;
      out.set(child, cpuMsOf(child));
      visit(child);
    }
  };
  visit(pid);
  return out;
}

/**
 * The machine's CPU time so far, from the first line of /proc/stat (clock ticks, all CPUs):
 * `idle` (idle + iowait) and `total`. Two readings give the share of the cores nobody used.
 */
export function machineTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    const ticks = fields.slice(1, 9).map(Number);
    return { idle: ticks[3] + ticks[4], total: ticks.reduce((a, b) => a + b, 0) };
  } catch {
    return { idle: NaN, total: NaN };
  }
}
