/**
 * Values written the way Fabric's Go tools read and print them: Go durations (`time.ParseDuration`,
 * `Duration.String`) and viper byte sizes (`10 MB`).
 */

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = (1n << 63n) - 1n;

/**
 * Parses a Go duration (`250ms`, `2s`, `1h30m`, `1.5s`, `-2s`, `0`) to nanoseconds. Returns
 * undefined when the text is not one (the caller names the field).
 */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== '') {
    const m = re.exec(s);
    if (m === null) return undefined;
    const [all, int = '', frac = '', unitName = ''] = m;
    if (int === '' && frac === '') return undefined;
    const unit = UNITS[unitName];
    if (unit === undefined) return undefined;
    total += BigInt(int === '' ? '0' : int) * unit;
    if (frac !== '') total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    if (total > MAX_INT64) return undefined;
    s = s.slice(all.length);
  }
  return negative ? -total : total;
}

/** Go's fmtFrac: `.` and the fraction of v / 10^prec without trailing zeros (nothing if zero). */
function fraction(v: bigint, prec: number): { rest: bigint; text: string } {
  const scale = 10n ** BigInt(prec);
  const digits = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return { rest: v / scale, text: digits === '' ? '' : `.${digits}` };
}

/** Formats nanoseconds as Go's `time.Duration.String()` does (`250ms`, `2s`, `1m0s`, `1h0m0s`). */
export function formatGoDuration(ns: bigint): string {
  const negative = ns < 0n;
  let u = negative ? -ns : ns;
  let out: string;
  if (u === 0n) return '0s';
  if (u < 1_000_000_000n) {
    const [prec, unit] = u < 1_000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const f = fraction(u, prec);
    out = `${f.rest}${f.text}${unit}`;
  } else {
    const f = fraction(u, 9);
    u = f.rest;
    out = `${u % 60n}${f.text}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/**
 * Parses a byte size as Fabric's configuration reader does: a plain integer, or an integer with
 * `K`, `M` or `G` (optionally followed by `B`, any case, spaces allowed before it) meaning 2^10,
 * 2^20, 2^30. Returns undefined when the value is not one.
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+)\s*(?:([kmgKMG])[bB]?)?$/.exec(value.trim());
  if (m === null) return undefined;
  const shift = { k: 10, m: 20, g: 30 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 0;
  return Number(m[1]) * 2 ** shift;
}
