/**
 * Go durations, as `time.ParseDuration` reads them: one or more `<number><unit>` terms
 * (`300s`, `1h30m`, `1.5h`, `1500ms`), or a bare `0`. Fabric reads every timeout in core.yaml this
 * way, so the config keeps the text as written and callers convert with {@link parseDuration}.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 MICRO SIGN
  μs: 1e-3, // U+03BC GREEK SMALL LETTER MU
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// A number (`5`, `1.5`, `.5`, `5.`) followed by a unit; the longest units come first so that `ms`
// is not read as `m` followed by garbage.
const TERM = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|h|m|s)/;

/** What a duration may look like, in words (used in error messages). */
export const DURATION_ALLOWED =
  'a Go duration: numbers with units h, m, s, ms, us or ns, e.g. 300s, 2m, 1500ms, 1h30m; or 0';

/**
 * Milliseconds in a duration text, or `undefined` if the text is not a non-negative Go duration.
 * A bare number other than `0` is refused: Go would read it as nanoseconds, which is never what a
 * person writing `timeout: 30` meant.
 */
export function tryParseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0' || s === '+0') return 0;
  let rest = s.startsWith('+') ? s.slice(1) : s;
  if (rest === '') return undefined;
  let total = 0;
  while (rest.length > 0) {
    const m = TERM.exec(rest);
    if (m === null) return undefined;
    const [whole, amount, unit] = m as unknown as [string, string, string];
    const factor = UNIT_MS[unit];
    if (factor === undefined) return undefined;
    total += Number(amount) * factor;
    rest = rest.slice(whole.length);
  }
  return total;
}

/**
 * Converts a Go duration text (`"300s"`, `"2m"`, `"1500ms"`, `"1h30m"`, `"0"`) to milliseconds.
 *
 * @throws TypeError if the text is not a non-negative Go duration with units (a bare number other
 *   than `0` is refused).
 */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new TypeError(`${JSON.stringify(text)} is not a duration (allowed: ${DURATION_ALLOWED})`);
  }
  return ms;
}
