// Where a V8 CPU profile (.cpuprofile: `--cpu-prof`, or the inspector's Profiler) spends its
// samples: self time by package and by function, as percentages of the busy (non-idle) time,
// optionally only inside given windows of the monotonic clock. Used by the benchmarks' --profile.
import { readFileSync } from 'node:fs';

/** The package (or node: module, or V8 pseudo-frame) a call frame belongs to. */
function packageOf(callFrame) {
  const url = callFrame.url ?? '';
  if (url === '')
    return callFrame.functionName.startsWith('(') ? callFrame.functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(packages|plugins|test|bench)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

/**
 * Summarizes `file` (or a parsed profile). `windows`: [startNs, endNs] pairs of
 * process.hrtime.bigint() (V8's profile timestamps are microseconds of the same CLOCK_MONOTONIC);
 * omitted: the whole profile.
 */
export function summarizeProfile(file, windows, { functions = 40, packages = 25 } = {}) {
  const profile = typeof file === 'string' ? JSON.parse(readFileSync(file, 'utf8')) : file;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // A sample stands for the time until the next one.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    if (windows !== undefined) {
      const ns = BigInt(Math.round(t)) * 1000n;
      if (!windows.some(([a, b]) => ns >= a && ns <= b)) continue;
    }
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    total += delta;
  }
  const fns = new Map();
  const pkgs = new Map();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const where = (cf.url ?? '').split('/').slice(-2).join('/');
    const name = `${cf.functionName || '(anonymous)'}${where ? ` ${where}:${cf.lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    const pkg = packageOf(cf);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([what, us]) => ({
        what,
        ms: Math.round(us / 1000),
        pctOfBusy: Number(((us / busy) * 100).toFixed(1)),
      }));
  return {
    windowMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    busyPct: Number(((busy / total) * 100).toFixed(1)),
    byPackage: top(pkgs, packages),
    byFunction: top(fns, functions),
  };
}
