/**
 * Go's renderings of times and durations, so that messages read exactly as Fabric's: `time.Format`
 * with `time.RFC3339` in UTC, and `time.Duration.String`. Times are nanoseconds since the Unix
 * epoch as bigint, so that any timestamp a client sends renders instead of throwing.
 */
import type { Long } from '@fabric-peer/protos';

const NS_PER_S = 1_000_000_000n;
const S_PER_DAY = 86_400n;

/** Floor division (bigint `/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad(n: bigint, width: number): string {
  return n.toString().padStart(width, '0');
}

/**
 * Nanoseconds since the epoch of a `google.protobuf.Timestamp`'s fields, normalized as Go's
 * `time.Unix(seconds, nanos)` does (nanos outside [0, 1e9) carry into the seconds).
 */
export function toNanos(seconds: number | Long, nanos: number): bigint {
  const s = typeof seconds === 'number' ? BigInt(Math.trunc(seconds)) : BigInt(seconds.toString());
  return s * NS_PER_S + BigInt(Math.trunc(nanos));
}

/** `t.UTC().Format(time.RFC3339)`: `2006-01-02T15:04:05Z`, fractions of a second dropped. */
export function rfc3339(ns: bigint): string {
  const secs = floorDiv(ns, NS_PER_S);
  const days = floorDiv(secs, S_PER_DAY);
  const rem = secs - days * S_PER_DAY;
  // Civil date from days since 1970-01-01 (H. Hinnant's proleptic Gregorian algorithm).
  const z = days + 719_468n;
  const era = floorDiv(z, 146_097n);
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1_460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n);
  // Go writes the year with at least four digits, a minus sign before a negative one.
  const y = year < 0n ? `-${pad(-year, 4)}` : pad(year, 4);
  const hh = rem / 3_600n;
  const mm = (rem % 3_600n) / 60n;
  const ss = rem % 60n;
  return `${y}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}Z`;
}

/** The digits of `v / 10**prec` after the point, trailing zeros dropped, with the point. */
function fraction(v: bigint, prec: number): string {
  const digits = pad(v % 10n ** BigInt(prec), prec).replace(/0+$/, '');
  return digits === '' ? '' : `.${digits}`;
}

/** `time.Duration(ns).String()`: `15m0s`, `1h0m0s`, `1.5s`, `500ms`, `0s`. */
export function goDuration(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u === 0n) return '0s';
  if (u < NS_PER_S) {
    // Below a second Go picks the largest unit under it: ns, µs or ms.
    const [prec, unit] = u < 1_000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const whole = u / 10n ** BigInt(prec);
    return `${sign}${whole}${fraction(u, prec)}${unit}`;
  }
  let s = `${fraction(u, 9)}s`;
  let rest = u / NS_PER_S;
  s = `${rest % 60n}${s}`;
  rest /= 60n;
  if (rest > 0n) {
    s = `${rest % 60n}m${s}`;
    rest /= 60n;
    if (rest > 0n) s = `${rest}h${s}`;
  }
  return `${sign}${s}`;
}
