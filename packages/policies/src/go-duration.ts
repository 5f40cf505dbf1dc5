/**
 * Go's `time.ParseDuration`, which Fabric uses for `BatchTimeout`: whether a timeout is accepted,
 * and its value in nanoseconds, must match Fabric exactly (the channel's config is consensus).
 */

const MAX = 1n << 63n;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** A duration string Go refuses, with Go's message. */
export class GoDurationError extends Error {}

function fail(message: string, orig: string): never {
  throw new GoDurationError(`time: ${message} ${JSON.stringify(orig)}`);
}

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

/**
 * Parses `text` as Go does ("300ms", "1.5h", "2h45m", "-1s", "0") and returns nanoseconds. Throws a
 * {@link GoDurationError} with Go's message (`time: invalid duration "x"`, `time: missing unit in
 * duration "1"`, `time: unknown unit "d" in duration "1d"`).
 */
export function parseGoDuration(text: string): bigint {
  // Go works on the UTF-8 bytes of the string.
  const bytes = Buffer.from(text, 'utf8');
  let pos = 0;
  let neg = false;
  let total = 0n;
  if (bytes.length > 0 && (bytes[0] === 0x2d || bytes[0] === 0x2b)) {
    neg = bytes[0] === 0x2d;
    pos = 1;
  }
  const rest = bytes.subarray(pos);
  if (rest.length === 1 && rest[0] === 0x30) return 0n;
  if (rest.length === 0) fail('invalid duration', text);

  while (pos < bytes.length) {
    const c0 = bytes[pos] as number;
    if (!(c0 === 0x2e || isDigit(c0))) fail('invalid duration', text);

    // [0-9]*
    let v = 0n;
    const intStart = pos;
    while (pos < bytes.length && isDigit(bytes[pos] as number)) {
      if (v > MAX / 10n) fail('invalid duration', text);
      v = v * 10n + BigInt((bytes[pos] as number) - 0x30);
      if (v > MAX) fail('invalid duration', text);
      pos++;
    }
    const pre = pos !== intStart;

    // (\.[0-9]*)?
    let f = 0n;
    let scale = 1;
    let post = false;
    if (pos < bytes.length && bytes[pos] === 0x2e) {
      pos++;
      const fracStart = pos;
      let overflow = false;
      while (pos < bytes.length && isDigit(bytes[pos] as number)) {
        const digit = BigInt((bytes[pos] as number) - 0x30);
        pos++;
        if (overflow) continue;
        if (f > (MAX - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + digit;
        if (y > MAX) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = pos !== fracStart;
    }
    if (!pre && !post) fail('invalid duration', text);

    // unit: everything up to the next '.' or digit
    const unitStart = pos;
    while (pos < bytes.length) {
      const c = bytes[pos] as number;
      if (c === 0x2e || isDigit(c)) break;
      pos++;
    }
    if (pos === unitStart) fail('missing unit in duration', text);
    const unitText = bytes.subarray(unitStart, pos).toString('utf8');
    const unit = UNITS.get(unitText);
    if (unit === undefined) fail(`unknown unit ${JSON.stringify(unitText)} in duration`, text);
    if (v > MAX / unit) fail('invalid duration', text);
    v *= unit;
    if (f > 0n) {
      // float64 arithmetic, exactly as Go does it
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX) fail('invalid duration', text);
    }
    total += v;
    if (total > MAX) fail('invalid duration', text);
  }
  if (neg) return -total;
  if (total > MAX - 1n) fail('invalid duration', text);
  return total;
}
