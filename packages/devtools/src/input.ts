/**
 * Strict reading of YAML (or plain-object) input: every value is reached through a cursor that
 * knows the file and the dotted field path, so each problem becomes one line naming the field.
 * Unknown keys are errors, `null` (an empty YAML value) counts as absent.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { DevtoolsError, invalidSpec } from './errors.js';

/** A value and where it came from. */
export interface Cursor {
  /** The file (or `spec` for an object given in code). */
  readonly where: string;
  /** Dotted path inside it, with `[i]` for list items; empty at the top. */
  readonly path: string;
  readonly value: unknown;
}

/** The top of a document. */
export function root(where: string, value: unknown): Cursor {
  return { where, path: '', value };
}

/** Throws the one-line error for this cursor. */
export function fail(c: Cursor, problem: string): never {
  throw invalidSpec(c.where, c.path, problem);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Whether the cursor holds nothing (absent key or YAML null). */
export function absent(c: Cursor): boolean {
  return c.value === undefined || c.value === null;
}

/**
 * Reads a mapping whose keys must be among `allowed`; returns a cursor per allowed key (absent keys
 * give cursors holding `undefined`). `required` keys must be present.
 */
export function mapping<K extends string>(
  c: Cursor,
  allowed: readonly K[],
  required: readonly K[] = [],
): Record<K, Cursor> {
  const v = absent(c) ? {} : c.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    fail(c, `expected a mapping, got ${describe(v)}`);
  }
  const obj = v as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(allowed as readonly string[]).includes(key)) {
      fail({ ...c, path: join(c.path, key) }, `unknown key (allowed here: ${allowed.join(', ')})`);
    }
  }
  const out = {} as Record<K, Cursor>;
  for (const key of allowed) {
    const child: Cursor = { where: c.where, path: join(c.path, key), value: obj[key] };
    if (required.includes(key) && absent(child)) fail(child, 'is required');
    out[key] = child;
  }
  return out;
}

/** Reads a mapping with free keys (names chosen by the user); returns its entries in order. */
export function entries(c: Cursor): [string, Cursor][] {
  if (absent(c)) return [];
  const v = c.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    fail(c, `expected a mapping, got ${describe(v)}`);
  }
  return Object.entries(v as Record<string, unknown>).map(([k, value]) => [
    k,
    { where: c.where, path: join(c.path, k), value },
  ]);
}

/** Reads a list (absent: empty). */
export function list(c: Cursor): Cursor[] {
  if (absent(c)) return [];
  if (!Array.isArray(c.value)) fail(c, `expected a list, got ${describe(c.value)}`);
  return (c.value as unknown[]).map((value, i) => ({
    where: c.where,
    path: `${c.path}[${i}]`,
    value,
  }));
}

/** Reads a string; numbers and booleans are not taken for strings. */
export function optString(c: Cursor): string | undefined {
  if (absent(c)) return undefined;
  if (typeof c.value !== 'string') fail(c, `expected a string, got ${describe(c.value)}`);
  return c.value;
}

/** Reads a required, non-empty string. */
export function reqString(c: Cursor): string {
  const s = optString(c);
  if (s === undefined || s === '') fail(c, 'is required (a non-empty string)');
  return s;
}

/** Reads an integer within [min, max]. */
export function optInt(c: Cursor, min: number, max: number): number | undefined {
  if (absent(c)) return undefined;
  const v = c.value;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    fail(c, `expected an integer, got ${describe(v)}`);
  }
  if (v < min || v > max) fail(c, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** Reads a boolean. */
export function optBool(c: Cursor): boolean | undefined {
  if (absent(c)) return undefined;
  if (typeof c.value !== 'boolean') fail(c, `expected true or false, got ${describe(c.value)}`);
  return c.value;
}

/** Reads a list of strings. */
export function stringList(c: Cursor): string[] {
  return list(c).map((item) => {
    const s = optString(item);
    if (s === undefined) fail(item, 'expected a string, got nothing');
    return s;
  });
}

/**
 * Parses YAML text (YAML 1.1 merge keys allowed, as Fabric's tools read them). Malformed YAML and
 * duplicate keys are one-line errors naming the file and position.
 */
export function parseYaml(text: string, where: string): unknown {
  const doc = parseDocument(text, { merge: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.linePos?.[0];
    const at = pos !== undefined ? ` at line ${pos.line}, column ${pos.col}` : '';
    const msg = first.message.split('\n')[0] ?? first.message;
    throw invalidSpec(
      where,
      '',
      `not valid YAML${at}: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  return doc.toJS({ maxAliasCount: 1000 }) as unknown;
}

/** Reads and parses a YAML file; a missing file is a DEVTOOLS_INPUT_MISSING error. */
export async function readYamlFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DevtoolsError('DEVTOOLS_INPUT_MISSING', `${path}: cannot read: ${reason(err)}`, {
      cause: err,
    });
  }
  return parseYaml(text, path);
}

/** The short reason of a file-system error (`ENOENT: no such file or directory`). */
export function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file or directory';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EEXIST') return 'already exists';
    if (code === 'ENOTDIR') return 'not a directory';
    return err.message.split('\n')[0] ?? err.message;
  }
  return String(err);
}
