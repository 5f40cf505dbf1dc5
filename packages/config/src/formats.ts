/**
 * Value formats: how each kind of core.yaml value is read from the YAML file and from a `CORE_*`
 * environment variable, what is allowed (in words, for error messages), and which parts are file
 * paths. A format never throws: it returns the value or every problem it found, so that the loader
 * can report all of them at once.
 *
 * The rules follow what Fabric's viper/cast calls accept where that is sensible (numbers written as
 * strings, a single string where a list is expected), and are stricter where Fabric silently
 * misreads (a bare number as a duration is nanoseconds in Go; an unknown metrics provider is
 * "disabled"; a typo in `chaincode.system` disables the system chaincode).
 */

import { parse as parseYaml } from 'yaml';

import { DURATION_ALLOWED, tryParseDuration } from './duration.js';
import { closest } from './suggest.js';

/** One problem inside a value. */
export interface ValueProblem {
  /** Where inside the value, appended to the key (`[1].name`, `.cscc`); absent for the value itself. */
  readonly at?: string;
  /** What is wrong, in words. */
  readonly problem: string;
  /** What is allowed instead, in words. */
  readonly allowed?: string;
  /** The offending value. */
  readonly value?: unknown;
}

/** A note about an accepted value (a deprecated spelling, for example). */
export interface ValueNote {
  readonly at?: string;
  readonly message: string;
}

/** The result of reading a value. */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T; readonly notes?: readonly ValueNote[] }
  | { readonly ok: false; readonly problems: readonly ValueProblem[] };

/**
 * How a key may be set from the environment:
 * - `scalar`: the variable's text is the value;
 * - `list`: the text is split into a list of strings (spaces or commas, or a JSON array);
 * - `entries`: one variable per map entry (`CORE_CHAINCODE_SYSTEM__LIFECYCLE` → `_lifecycle`);
 * - `none`: lists of maps and the like, which only the YAML file can express.
 */
export type EnvSupport = 'scalar' | 'list' | 'entries' | 'none';

/** How one kind of value is read, validated and path-resolved. */
export interface ValueFormat<T, K extends string = string> {
  /** The kind of value (`duration`, `address`, `boolean`, ...), also visible to the type system. */
  readonly kind: K;
  /** What is accepted, in words. */
  readonly allowed: string;
  /** Whether null (an empty YAML value) is accepted. */
  readonly nullable: boolean;
  /** How the value may come from a `CORE_*` variable. */
  readonly env: EnvSupport;
  /** Reads a value taken from the YAML file (plain JavaScript data). */
  read(this: void, value: unknown): Parsed<T>;
  /** Reads the text of an environment variable (for `scalar` and `list`). */
  readEnv?(this: void, text: string): Parsed<T>;
  /** For `env: 'none'`: why only the YAML file can set the value. */
  readonly yamlOnly?: string;
  /** The format of each entry (for `entries`). */
  readonly entry?: ValueFormat<string>;
  /** Resolves the file paths inside a value; absent when the value holds no path. */
  mapPaths?(this: void, value: T, resolve: (path: string) => string): T;
}

function ok<T>(value: T, notes?: readonly ValueNote[]): Parsed<T> {
  return notes !== undefined && notes.length > 0 ? { ok: true, value, notes } : { ok: true, value };
}

function fail<T>(problem: string, allowed: string, value: unknown, at?: string): Parsed<T> {
  const p: ValueProblem = { problem, allowed, ...(value !== undefined ? { value } : {}) };
  return { ok: false, problems: [at !== undefined ? { at, ...p } : p] };
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A scalar as text, the way viper's GetString renders numbers and booleans. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty value';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  return typeof value;
}

function emptyValue<T>(allowed: string): Parsed<T> {
  return fail('empty value', allowed, undefined);
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** Options of {@link str}. */
export interface StrOptions {
  /** Refuse the empty string. */
  readonly required?: boolean;
  /** Replaces the default description of what is allowed. */
  readonly allowed?: string;
}

/** A string. Numbers and booleans are accepted and kept as text, as viper's GetString does. */
export function str(options: StrOptions = {}): ValueFormat<string, 'string'> {
  const allowed = options.allowed ?? (options.required ? 'a non-empty string' : 'a string');
  const check = (text: string, raw: unknown): Parsed<string> =>
    options.required && text.trim() === '' ? fail('empty value', allowed, raw) : ok(text);
  return {
    kind: 'string',
    allowed,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (value === null || value === undefined) return emptyValue(allowed);
      const text = scalarText(value);
      if (text === undefined) return fail(`a ${kindOf(value)} is not a string`, allowed, value);
      return check(text, value);
    },
    readEnv: (text) => check(text, text),
  };
}

/** What an address may look like, in words. */
export const ADDRESS_ALLOWED =
  'host:port with a non-empty host and a port from 0 to 65535, e.g. 127.0.0.1:7051 or [::1]:7051';

/** A `host:port` address split into its parts. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits `host:port` as Go's `net.SplitHostPort` does (IPv6 hosts in brackets), and also requires a
 * non-empty host and a numeric port from 0 to 65535. Returns the reason when the text is not one.
 */
export function splitHostPort(text: string): HostPort | { readonly reason: string } {
  if (/\s/.test(text)) return { reason: 'contains white space' };
  if (text.includes('://')) return { reason: 'a URL is not an address; give host:port only' };
  let host: string;
  let port: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return { reason: 'missing "]" after an IPv6 host' };
    host = text.slice(1, end);
    const after = text.slice(end + 1);
    if (!after.startsWith(':')) return { reason: 'no port' };
    port = after.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return { reason: 'no port' };
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (host.includes(':')) return { reason: 'an IPv6 host must be in brackets, e.g. [::1]:7051' };
  }
  if (host === '') return { reason: 'empty host' };
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    return { reason: 'the port must be a number from 0 to 65535' };
  }
  return { host, port: Number(port) };
}

/** Joins a host and a port back into an address, bracketing IPv6 hosts. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function readAddress(text: string, raw: unknown): Parsed<string> {
  const r = splitHostPort(text);
  if ('reason' in r) return fail(`not a host:port address: ${r.reason}`, ADDRESS_ALLOWED, raw);
  return ok(text);
}

/** A `host:port` address. */
export function address(): ValueFormat<string, 'address'> {
  return {
    kind: 'address',
    allowed: ADDRESS_ALLOWED,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (value === null || value === undefined) return emptyValue(ADDRESS_ALLOWED);
      const text = scalarText(value);
      if (text === undefined) {
        return fail(`a ${kindOf(value)} is not a host:port address`, ADDRESS_ALLOWED, value);
      }
      return readAddress(text, value);
    },
    readEnv: (text) => readAddress(text, text),
  };
}

function readDuration(text: string, raw: unknown): Parsed<string> {
  const s = text.trim();
  if (tryParseDuration(s) !== undefined) return ok(s);
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) {
    return fail('a bare number is not a duration: add a unit', DURATION_ALLOWED, raw);
  }
  if (s.startsWith('-')) return fail('negative durations are not allowed', DURATION_ALLOWED, raw);
  return fail('not a duration', DURATION_ALLOWED, raw);
}

/** A Go duration, kept as text (`"300s"`); convert with `parseDuration`. */
export function duration(): ValueFormat<string, 'duration'> {
  return {
    kind: 'duration',
    allowed: DURATION_ALLOWED,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (value === null || value === undefined) return emptyValue(DURATION_ALLOWED);
      if (value === 0) return ok('0');
      const text = typeof value === 'number' ? String(value) : scalarText(value);
      if (text === undefined || typeof value === 'boolean') {
        return fail(`a ${kindOf(value)} is not a duration`, DURATION_ALLOWED, value);
      }
      return readDuration(text, value);
    },
    readEnv: (text) => readDuration(text, text),
  };
}

// Go's strconv.ParseBool, which viper applies to environment text; the YAML file also gets the
// YAML 1.1 words (yes/no/on/off) because Fabric's YAML parser reads those as booleans.
const ENV_TRUE = ['true', 't', '1'];
const ENV_FALSE = ['false', 'f', '0'];
const YAML_TRUE = [...ENV_TRUE, 'yes', 'on'];
const YAML_FALSE = [...ENV_FALSE, 'no', 'off'];

/** What a boolean may look like in the YAML file. */
export const BOOL_ALLOWED = 'true or false';
/** What a boolean may look like in an environment variable. */
export const ENV_BOOL_ALLOWED = 'true, false, 1, 0, t or f (any case)';

/** A boolean. */
export function bool(): ValueFormat<boolean, 'boolean'> {
  return {
    kind: 'boolean',
    allowed: BOOL_ALLOWED,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (typeof value === 'boolean') return ok(value);
      if (value === null || value === undefined) return emptyValue(BOOL_ALLOWED);
      if (value === 1 || value === 0) return ok(value === 1);
      if (typeof value === 'string') {
        const word = value.trim().toLowerCase();
        if (YAML_TRUE.includes(word)) return ok(true);
        if (YAML_FALSE.includes(word)) return ok(false);
      }
      return fail('not a boolean', BOOL_ALLOWED, value);
    },
    readEnv(text) {
      const word = text.trim().toLowerCase();
      if (ENV_TRUE.includes(word)) return ok(true);
      if (ENV_FALSE.includes(word)) return ok(false);
      return fail('not a boolean', ENV_BOOL_ALLOWED, text);
    },
  };
}

/** Bounds of a number. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
}

function rangeText(what: string, range: Range): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  if (min !== undefined) return `${what} of at least ${min}`;
  if (max !== undefined) return `${what} of at most ${max}`;
  return what;
}

function numberFormat<K extends 'integer' | 'number'>(
  kind: K,
  range: Range,
): ValueFormat<number, K> {
  const integer = kind === 'integer';
  const what = integer ? 'an integer' : 'a number';
  const allowed = rangeText(what, range);
  const pattern = integer ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const check = (n: number, raw: unknown): Parsed<number> => {
    if (integer && !Number.isSafeInteger(n)) return fail(`not ${what}`, allowed, raw);
    if (!Number.isFinite(n)) return fail(`not ${what}`, allowed, raw);
    if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
      return fail('out of range', allowed, raw);
    }
    return ok(n);
  };
  const fromText = (text: string, raw: unknown): Parsed<number> =>
    pattern.test(text.trim()) ? check(Number(text.trim()), raw) : fail(`not ${what}`, allowed, raw);
  return {
    kind,
    allowed,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (value === null || value === undefined) return emptyValue(allowed);
      if (typeof value === 'number') return check(value, value);
      if (typeof value === 'string') return fromText(value, value);
      return fail(`not ${what}`, allowed, value);
    },
    readEnv: (text) => fromText(text, text),
  };
}

/** An integer (also written as a numeric string, which viper accepts). */
export function int(range: Range = {}): ValueFormat<number, 'integer'> {
  return numberFormat('integer', range);
}

/** A number, possibly fractional. */
export function float(range: Range = {}): ValueFormat<number, 'number'> {
  return numberFormat('number', range);
}

/**
 * One of a fixed set of words, matched without regard to case and stored in the spelling given
 * here (so `couchdb` becomes `CouchDB`).
 */
export function oneOf<const W extends string>(words: readonly W[]): ValueFormat<W, 'enum'> {
  const allowed = `one of: ${words.join(', ')}`;
  const pick = (text: string, raw: unknown): Parsed<W> => {
    const word = words.find((w) => w.toLowerCase() === text.trim().toLowerCase());
    if (word !== undefined) return ok(word);
    const near = closest(text, words);
    const hint = near !== undefined ? `; did you mean ${near}?` : '';
    return fail(`not an allowed value${hint}`, allowed, raw);
  };
  return {
    kind: 'enum',
    allowed,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (value === null || value === undefined) return emptyValue(allowed);
      const text = scalarText(value);
      return text === undefined ? fail('not an allowed value', allowed, value) : pick(text, value);
    },
    readEnv: (text) => pick(text, text),
  };
}

/** One of a few integers (`256` or `384`). */
export function intOneOf(values: readonly number[]): ValueFormat<number, 'enum'> {
  const base = int();
  const allowed = `one of: ${values.join(', ')}`;
  const pick = (r: Parsed<number>, raw: unknown): Parsed<number> =>
    r.ok && values.includes(r.value) ? r : fail('not an allowed value', allowed, raw);
  return {
    ...base,
    kind: 'enum',
    allowed,
    read: (value) => pick(base.read(value), value),
    readEnv: (text) => pick(base.readEnv?.(text) ?? base.read(text), text),
  };
}

/** Accepts null (an empty YAML value) and the empty string, both stored as null. */
export function nullable<T, K extends string>(format: ValueFormat<T, K>): ValueFormat<T | null, K> {
  const allowed = `${format.allowed}; or empty`;
  const result: ValueFormat<T | null, K> = {
    ...format,
    allowed,
    nullable: true,
    read(value) {
      if (value === null || value === undefined || value === '') return ok(null);
      return format.read(value);
    },
  };
  const { readEnv, mapPaths } = format;
  if (readEnv !== undefined) result.readEnv = (text) => readEnv(text);
  if (mapPaths !== undefined) {
    result.mapPaths = (value, resolve) => (value === null ? null : mapPaths(value, resolve));
  }
  return result;
}

/** Marks a string or list-of-strings format as holding file paths, resolved against a folder. */
export function asPath<T extends string | readonly string[], K extends string>(
  format: ValueFormat<T, K>,
): ValueFormat<T, K> {
  return {
    ...format,
    mapPaths(value, resolve) {
      if (typeof value === 'string') return (value === '' ? value : resolve(value)) as T;
      const list: readonly string[] = value;
      return list.map((p) => (p === '' ? p : resolve(p))) as unknown as T;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Lists and maps

/** Splits environment text into a list: a JSON array, or words separated by spaces or commas. */
export function splitEnvList(text: string): Parsed<string[]> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return fail('not a JSON array', 'a JSON array of strings', text);
    }
    if (!Array.isArray(parsed) || parsed.some((e) => scalarText(e) === undefined)) {
      return fail('not a JSON array of strings', 'a JSON array of strings', text);
    }
    return ok(parsed.map((e) => scalarText(e) ?? ''));
  }
  return ok(trimmed.split(/[\s,]+/).filter((w) => w !== ''));
}

function prefix(at: string, problems: readonly ValueProblem[]): ValueProblem[] {
  return problems.map((p) => ({ ...p, at: `${at}${p.at ?? ''}` }));
}

function prefixNotes(at: string, notes: readonly ValueNote[] | undefined): ValueNote[] {
  return (notes ?? []).map((n) => ({ ...n, at: `${at}${n.at ?? ''}` }));
}

/**
 * A list of strings. Like viper's GetStringSlice, a single string in the YAML file is split on
 * white space; an empty value is an empty list. From the environment: words separated by spaces
 * or commas, or a JSON array.
 */
export function stringList(item: ValueFormat<string> = str()): ValueFormat<string[], 'list'> {
  const allowed = `a list of strings, or one string of words separated by spaces (each: ${item.allowed})`;
  const readItems = (items: readonly unknown[], fromEnv: boolean): Parsed<string[]> => {
    const values: string[] = [];
    const problems: ValueProblem[] = [];
    items.forEach((element, i) => {
      const r = fromEnv && item.readEnv ? item.readEnv(String(element)) : item.read(element);
      if (r.ok) values.push(r.value);
      else problems.push(...prefix(`[${i}]`, r.problems));
    });
    return problems.length > 0 ? { ok: false, problems } : ok(values);
  };
  return {
    kind: 'list',
    allowed,
    nullable: false,
    env: 'list',
    read(value) {
      if (value === null || value === undefined) return ok([]);
      if (Array.isArray(value)) return readItems(value, false);
      if (typeof value === 'string') return readItems(value.split(/\s+/).filter(Boolean), false);
      return fail(`a ${kindOf(value)} is not a list`, allowed, value);
    },
    readEnv(text) {
      const words = splitEnvList(text);
      return words.ok ? readItems(words.value, true) : words;
    },
  };
}

/** Options of {@link stringMap}. */
export interface StringMapOptions {
  /** Format of each value (default: any string). */
  readonly entry?: ValueFormat<string>;
  /** Whether single entries may be set from the environment (`CORE_<MAP>_<KEY>`). */
  readonly envEntries?: boolean;
  /** Replaces the default description of what is allowed. */
  readonly allowed?: string;
}

/**
 * A free-form map of names to strings; keys are kept as written. Keys may not contain `.`, which
 * viper (and this loader's key paths) use as the separator.
 */
export function stringMap(
  options: StringMapOptions = {},
): ValueFormat<Record<string, string>, 'map'> {
  const entry = options.entry ?? str();
  const allowed = options.allowed ?? `a map of names to values (each: ${entry.allowed})`;
  return {
    kind: 'map',
    allowed,
    nullable: false,
    env: options.envEntries ? 'entries' : 'none',
    ...(options.envEntries ? {} : { yamlOnly: 'it is a map' }),
    entry,
    read(value) {
      if (value === null || value === undefined) return ok({});
      if (!isPlainMap(value)) return fail(`a ${kindOf(value)} is not a map`, allowed, value);
      const out: Record<string, string> = {};
      const problems: ValueProblem[] = [];
      for (const [key, v] of Object.entries(value)) {
        if (key.includes('.')) {
          problems.push({ at: `.${key}`, problem: 'a key here may not contain "."', allowed });
          continue;
        }
        const r = entry.read(v);
        if (r.ok) out[key] = r.value;
        else problems.push(...prefix(`.${key}`, r.problems));
      }
      return problems.length > 0 ? { ok: false, problems } : ok(out);
    },
  };
}

/** A free-form map of anything (a plugin's own options); an empty value is an empty map. */
export function anyMap(): ValueFormat<Record<string, unknown>, 'map'> {
  const allowed = 'a map (its keys and values are up to the plugin)';
  return {
    kind: 'map',
    allowed,
    nullable: false,
    env: 'none',
    yamlOnly: 'it is a map',
    read(value) {
      if (value === null || value === undefined) return ok({});
      return isPlainMap(value)
        ? ok(value)
        : fail(`a ${kindOf(value)} is not a map`, allowed, value);
    },
  };
}

/** A section Fabric keeps empty and never reads (`ledger.blockchain`). */
export function emptySection(): ValueFormat<null, 'empty'> {
  const allowed = 'nothing (Fabric reads no key here)';
  return {
    kind: 'empty',
    allowed,
    nullable: true,
    env: 'none',
    yamlOnly: 'Fabric reads nothing here',
    read(value) {
      if (value === null || value === undefined) return ok(null);
      if (isPlainMap(value) && Object.keys(value).length === 0) return ok(null);
      return fail('must be empty', allowed, value);
    },
  };
}

/** One field of a {@link record}. */
export interface FieldSpec<V> {
  readonly format: ValueFormat<V>;
  /** Refuse a record without this field. */
  readonly required?: boolean;
  /** Value of the field when it is absent (required unless `required` is set). */
  readonly fallback?: V;
  /** The field holds a file path (or a list of them), resolved against the config's folder. */
  readonly path?: boolean;
}

/** A map with known fields. */
export interface RecordSpec<T> {
  /** The fields, spelled as stored; matched without regard to case, like mapstructure does. */
  readonly fields: { readonly [K in keyof T]: FieldSpec<T[K]> };
  /** Old spellings: read into the named field when that field is absent, with a note. */
  readonly aliases?: Readonly<Record<string, { readonly field: keyof T; readonly note: string }>>;
  /** Checks across fields, run once every field is valid. */
  check?(value: T): ValueProblem[];
}

/** A map with known fields, such as `{ name, library }`. Unknown fields are refused. */
export function record<T extends object>(spec: RecordSpec<T>): ValueFormat<T, 'record'> {
  const fieldNames = Object.keys(spec.fields) as (keyof T & string)[];
  const aliasNames = Object.keys(spec.aliases ?? {});
  const allowed = `a map with keys: ${fieldNames.join(', ')}`;
  const fieldOf = (key: string): FieldSpec<unknown> | undefined =>
    (spec.fields as Record<string, FieldSpec<unknown>>)[key];
  const result: ValueFormat<T, 'record'> = {
    kind: 'record',
    allowed,
    nullable: false,
    env: 'none',
    yamlOnly: 'it is a map',
    read(value) {
      if (!isPlainMap(value)) return fail(`a ${kindOf(value)} is not a map`, allowed, value);
      const problems: ValueProblem[] = [];
      const notes: ValueNote[] = [];
      const given = new Map<string, { key: string; value: unknown }>();
      for (const [key, v] of Object.entries(value)) {
        const canonical =
          fieldNames.find((f) => f.toLowerCase() === key.toLowerCase()) ??
          aliasNames.find((a) => a.toLowerCase() === key.toLowerCase());
        if (canonical === undefined) {
          const near = closest(key, fieldNames);
          const hint = near !== undefined ? `; did you mean ${near}?` : '';
          problems.push({ at: `.${key}`, problem: `unknown key${hint}`, allowed });
          continue;
        }
        const earlier = given.get(canonical);
        if (earlier !== undefined) {
          problems.push({
            at: `.${key}`,
            problem: `given twice (as ${JSON.stringify(earlier.key)} and ${JSON.stringify(key)}; keys are case-insensitive)`,
          });
          continue;
        }
        given.set(canonical, { key, value: v });
      }
      for (const [alias, { field, note }] of Object.entries(spec.aliases ?? {})) {
        const a = given.get(alias);
        given.delete(alias);
        if (a === undefined) continue;
        notes.push({ at: `.${a.key}`, message: note });
        if (!given.has(field as string)) given.set(field as string, a);
      }
      const out: Record<string, unknown> = {};
      for (const name of fieldNames) {
        const field = fieldOf(name);
        if (field === undefined) continue;
        const g = given.get(name);
        if (g === undefined || g.value === undefined) {
          if (field.required) {
            problems.push({ at: `.${name}`, problem: 'missing', allowed: field.format.allowed });
          } else {
            out[name] = structuredClone(field.fallback);
          }
          continue;
        }
        const r = field.format.read(g.value);
        if (r.ok) out[name] = r.value;
        else problems.push(...prefix(`.${g.key}`, r.problems));
      }
      if (problems.length > 0) return { ok: false, problems };
      const rec = out as T;
      const more = spec.check?.(rec) ?? [];
      return more.length > 0 ? { ok: false, problems: more } : ok(rec, notes);
    },
  };
  const pathFields = fieldNames.filter((name) => fieldOf(name)?.path === true);
  if (pathFields.length > 0) {
    result.mapPaths = (value, resolve) => {
      const out = { ...value } as Record<string, unknown>;
      for (const name of pathFields) {
        const v = out[name];
        if (typeof v === 'string') out[name] = v === '' ? v : resolve(v);
        else if (Array.isArray(v)) out[name] = v.map((p: string) => (p === '' ? p : resolve(p)));
      }
      return out as T;
    };
  }
  return result;
}

/** A list of items of one format (used for lists of maps); an empty value is an empty list. */
export function listOf<T>(
  item: ValueFormat<T>,
  options: { readonly yamlFromEnv?: boolean } = {},
): ValueFormat<T[], 'records'> {
  const allowed = `a list, each item ${item.allowed}`;
  const result: ValueFormat<T[], 'records'> = {
    kind: 'records',
    allowed,
    nullable: false,
    env: options.yamlFromEnv ? 'scalar' : 'none',
    yamlOnly: 'it is a list of maps',
    read(value) {
      if (value === null || value === undefined) return ok([]);
      if (!Array.isArray(value)) return fail(`a ${kindOf(value)} is not a list`, allowed, value);
      const out: T[] = [];
      const problems: ValueProblem[] = [];
      const notes: ValueNote[] = [];
      value.forEach((element, i) => {
        const r = item.read(element);
        if (r.ok) {
          out.push(r.value);
          notes.push(...prefixNotes(`[${i}]`, r.notes));
        } else problems.push(...prefix(`[${i}]`, r.problems));
      });
      return problems.length > 0 ? { ok: false, problems } : ok(out, notes);
    },
  };
  if (options.yamlFromEnv) {
    // Fabric decodes these variables as YAML (`[{name: x, path: /b}]`), through viper's hooks.
    result.readEnv = (text) => {
      let value: unknown;
      try {
        value = parseYaml(text);
      } catch (err) {
        return fail(
          `not YAML: ${(err as Error).message.split('\n')[0]}`,
          `YAML for ${allowed}`,
          text,
        );
      }
      return result.read(value);
    };
  }
  const { mapPaths } = item;
  if (mapPaths !== undefined) result.mapPaths = (v, resolve) => v.map((e) => mapPaths(e, resolve));
  return result;
}

/** A map of names to items of one format (the key is the plugin's name, as in `endorsers.escc`). */
export function mapOf<T>(item: ValueFormat<T>): ValueFormat<Record<string, T>, 'records'> {
  const allowed = `a map of names, each to ${item.allowed}`;
  return {
    kind: 'records',
    allowed,
    nullable: false,
    env: 'none',
    yamlOnly: 'it is a map of maps',
    read(value) {
      if (value === null || value === undefined) return ok({});
      if (!isPlainMap(value)) return fail(`a ${kindOf(value)} is not a map`, allowed, value);
      const out: Record<string, T> = {};
      const problems: ValueProblem[] = [];
      const notes: ValueNote[] = [];
      for (const [key, element] of Object.entries(value)) {
        if (key.includes('.')) {
          problems.push({ at: `.${key}`, problem: 'a name here may not contain "."', allowed });
          continue;
        }
        const r = item.read(element);
        if (r.ok) {
          out[key] = r.value;
          notes.push(...prefixNotes(`.${key}`, r.notes));
        } else problems.push(...prefix(`.${key}`, r.problems));
      }
      return problems.length > 0 ? { ok: false, problems } : ok(out, notes);
    },
  };
}

/** The same format, but settable only in the YAML file (`reason` says why). */
export function yamlOnly<T, K extends string>(
  format: ValueFormat<T, K>,
  reason: string,
): ValueFormat<T, K> {
  const { readEnv: _readEnv, ...rest } = format;
  return { ...rest, env: 'none', yamlOnly: reason };
}

/** A Docker engine endpoint URL. */
export function dockerEndpoint(): ValueFormat<string, 'url'> {
  const allowed =
    'a Docker endpoint URL: unix:///path/to/docker.sock, tcp://host:port, http(s)://host:port or npipe://...';
  const check = (text: string, raw: unknown): Parsed<string> =>
    /^(unix|tcp|http|https|npipe):\/\/\S+$/.test(text)
      ? ok(text)
      : fail('not a Docker endpoint URL', allowed, raw);
  return {
    kind: 'url',
    allowed,
    nullable: false,
    env: 'scalar',
    read(value) {
      if (value === null || value === undefined) return emptyValue(allowed);
      const text = scalarText(value);
      return text === undefined
        ? fail('not a Docker endpoint URL', allowed, value)
        : check(text, value);
    },
    readEnv: (text) => check(text, text),
  };
}
