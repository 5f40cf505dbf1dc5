/**
 * Reading `_all_docs` in Fabric's key order (the UTF-8 bytes of the keys, which is code point
 * order) whatever order the server keeps.
 *
 * Apache CouchDB orders `_all_docs` by raw UTF-8 bytes, so a range is one `_all_docs` query
 * (`startkey`, `endkey`, `inclusive_end=false`), as Fabric does. pouchdb-server orders document ids
 * as JavaScript strings (UTF-16 code units): a character above U+FFFF (a surrogate pair, units
 * D800–DFFF) sorts there before U+E000–U+FFFF, and an `_all_docs` without `endkey` stops at ids
 * beginning with U+00FF or above. On such a server the range is read as code-unit ranges that cover
 * it, filtered, and put back in code point order with a small buffer (see {@link Utf16RangeSource}).
 */
import { compareKeys } from '@fabric-peer/api';

/** How a server orders `_all_docs`. */
export type ServerKeyOrder = 'utf8' | 'utf16';

/** One row of `_all_docs?include_docs=true`. */
export interface DocRow {
  readonly id: string;
  readonly doc: Record<string, unknown>;
}

/** Reads `_all_docs` between two ids, `limit` rows at most, in the server's order. */
export type AllDocsReader = (q: {
  startkey?: string;
  endkey?: string;
  inclusiveEnd: boolean;
  limit: number;
}) => Promise<DocRow[]>;

/** Rows of a key range in Fabric's order, fetched in batches. */
export interface RangeSource {
  /** Up to `n` rows (fewer only when the range is exhausted), removing them. */
  take(n: number): Promise<DocRow[]>;
  /** The key of the next row, or undefined when there is none. */
  peekKey(): Promise<string | undefined>;
}

/** An upper bound above every key a peer writes in a code-unit ordered store. */
const SENTINEL = '\uffff'.repeat(32);

/** CouchDB's reserved ids (design documents) are not state. */
function isInternal(id: string): boolean {
  return id.startsWith('_');
}

/**
 * One code-unit range, read in `limit + 1` batches: the extra row becomes the start of the next
 * batch (as Fabric's `readDocRange` does), so no row is read twice.
 */
class CodeUnitRange {
  #cursor: string | undefined;
  #done = false;
  #last: string | undefined;

  constructor(
    private readonly read: AllDocsReader,
    start: string | undefined,
    private readonly end: string | undefined,
    private readonly inclusiveEnd: boolean,
  ) {
    this.#cursor = start;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Marks the range as read to its end. */
  finish(): void {
    this.#done = true;
  }

  /** The last id read (the furthest position of this range so far). */
  get last(): string | undefined {
    return this.#last;
  }

  async fetch(n: number): Promise<DocRow[]> {
    if (this.#done) return [];
    const rows = await this.read({
      ...(this.#cursor !== undefined ? { startkey: this.#cursor } : {}),
      ...(this.end !== undefined ? { endkey: this.end } : {}),
      inclusiveEnd: this.inclusiveEnd,
      limit: n + 1,
    });
    if (rows.length <= n) {
      this.#done = true;
      if (rows.length > 0) this.#last = rows[rows.length - 1]?.id;
      return rows;
    }
    const next = rows[n];
    this.#cursor = next?.id;
    this.#last = rows[n - 1]?.id;
    return rows.slice(0, n);
  }
}

/** The range `[start, end)` (empty bounds: open) on a server that orders ids by UTF-8 bytes. */
export class Utf8RangeSource implements RangeSource {
  readonly #range: CodeUnitRange;
  #buffer: DocRow[] = [];

  constructor(read: AllDocsReader, start: string, end: string) {
    this.#range = new CodeUnitRange(read, start || undefined, end || undefined, false);
    // CouchDB refuses a startkey after the endkey; the range is empty.
    if (start !== '' && end !== '' && compareKeys(start, end) >= 0) this.#range.finish();
  }

  async #fill(n: number): Promise<void> {
    while (this.#buffer.length < n && !this.#range.done) {
      const rows = await this.#range.fetch(Math.max(n - this.#buffer.length, 1));
      for (const r of rows) if (!isInternal(r.id)) this.#buffer.push(r);
    }
  }

  async take(n: number): Promise<DocRow[]> {
    await this.#fill(n);
    return this.#buffer.splice(0, n);
  }

  async peekKey(): Promise<string | undefined> {
    await this.#fill(1);
    return this.#buffer[0]?.id;
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** The part of `s` before its first code unit at or above U+D800. */
function beforeHighUnits(s: string): { prefix: string; cut: boolean } {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0xd800) return { prefix: s.slice(0, i), cut: true };
  }
  return { prefix: s, cut: false };
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * The range `[start, end)` in code point order, on a server that orders ids by UTF-16 code units.
 *
 * The two orders differ only where two ids share a prefix and then one continues with a surrogate
 * (a character above U+FFFF) and the other with a unit in U+E000–U+FFFF. So:
 *  1. the range is widened to code-unit bounds that contain it (cut before any unit ≥ U+D800), and
 *     rows outside it are dropped;
 *  2. the ids sharing the bounds' common prefix P are read as three code-unit ranges, by the class
 *     of the unit after P, in code point order: below U+D800, then U+E000–U+FFFF, then surrogates;
 *  3. within each, rows are held in a buffer sorted by code point, and the first one is released
 *     once no row still to come can sort before it: a row still to come sorts before a held row
 *     only if it shares with it a prefix ending just before a high surrogate of the held row,
 *     deeper than P, which the last row read must then share too.
 * Only rows in such a clash wait in the buffer; every other row passes straight through.
 */
export class Utf16RangeSource implements RangeSource {
  readonly #ranges: CodeUnitRange[] = [];
  readonly #prefixLength: number;
  #held: DocRow[] = [];

  constructor(
    read: AllDocsReader,
    private readonly start: string,
    private readonly end: string,
    private readonly batch: number,
  ) {
    const lo = beforeHighUnits(start).prefix;
    let hi: string;
    if (end === '') {
      hi = SENTINEL;
    } else {
      const cut = beforeHighUnits(end);
      hi = cut.cut ? cut.prefix + SENTINEL : end;
    }
    const p = lo.slice(0, commonPrefixLength(lo, hi));
    this.#prefixLength = p.length;
    if (start !== '' && end !== '' && compareKeys(start, end) >= 0) return;
    // Classes of the unit after P, in code point order, as inclusive code-unit bounds.
    const classes: [string, string][] = [
      [p, `${p}\ud7ff${SENTINEL}`],
      [`${p}\ue000`, `${p}\uffff${SENTINEL}`],
      [`${p}\ud800`, `${p}\udbff${SENTINEL}`],
    ];
    for (const [cLo, cHi] of classes) {
      const from = cLo > lo ? cLo : lo;
      const to = cHi < hi ? cHi : hi;
      if (from > to) continue;
      this.#ranges.push(new CodeUnitRange(read, from === '' ? undefined : from, to, true));
    }
  }

  #inRange(id: string): boolean {
    if (isInternal(id)) return false;
    if (this.start !== '' && compareKeys(id, this.start) < 0) return false;
    return this.end === '' || compareKeys(id, this.end) < 0;
  }

  /** Whether a row still to come in the current range could sort before `key`. */
  #mayBePreceded(key: string, range: CodeUnitRange): boolean {
    if (range.done) return false;
    const last = range.last;
    if (last === undefined) return true;
    const lcp = commonPrefixLength(key, last);
    const upTo = Math.min(lcp, key.length - 1);
    for (let d = this.#prefixLength + 1; d <= upTo; d++) {
      if (isHighSurrogate(key.charCodeAt(d))) return true;
    }
    return false;
  }

  /** Makes at least `n` rows releasable, or all that remain. Returns how many are. */
  async #ready(n: number): Promise<number> {
    for (;;) {
      const range = this.#ranges[0];
      if (range === undefined) return this.#held.length;
      let releasable = 0;
      while (
        releasable < this.#held.length &&
        !this.#mayBePreceded(this.#held[releasable]?.id ?? '', range)
      ) {
        releasable++;
      }
      if (releasable >= n || (range.done && releasable > 0)) return releasable;
      if (range.done) {
        // Nothing held: the next class of ids.
        this.#ranges.shift();
        continue;
      }
      const rows = await range.fetch(Math.max(this.batch, n));
      for (const r of rows) if (this.#inRange(r.id)) this.#held.push(r);
      this.#held.sort((a, b) => compareKeys(a.id, b.id));
    }
  }

  async take(n: number): Promise<DocRow[]> {
    const out: DocRow[] = [];
    while (out.length < n) {
      const ready = await this.#ready(n - out.length);
      if (ready === 0) break;
      out.push(...this.#held.splice(0, Math.min(ready, n - out.length)));
    }
    return out;
  }

  async peekKey(): Promise<string | undefined> {
    const ready = await this.#ready(1);
    return ready > 0 ? this.#held[0]?.id : undefined;
  }
}
