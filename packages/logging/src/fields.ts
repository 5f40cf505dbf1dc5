/**
 * How field values become text. JSON output gets a JSON-safe tree; logfmt and text formats get
 * `key=value` pairs, quoted and escaped as Fabric's logfmt encoder (sykesm/zap-logfmt) does.
 *
 * Errors render as their message and `code` (and `cause`, and the stack when asked); `Uint8Array`s
 * as hex; `Date`s as ISO 8601; bigints as decimal; `Map`s and `Set`s as objects and arrays; a value
 * met again inside itself as `"[Circular]"`. A value that throws while being read (a getter, a
 * `toJSON`) renders as `"[unserializable: <reason>]"` rather than losing the record.
 */

const MAX_DEPTH = 10;

/** Fields attached to a record or bound to a logger. */
export type Fields = Readonly<Record<string, unknown>>;

interface ErrorLike {
  readonly message: string;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly stack?: string | undefined;
}

/** The JSON form of an error: message, code and cause, and the stack if `withStack`. */
function errorToJson(
  err: Error,
  withStack: boolean,
  ancestors: unknown[],
): Record<string, unknown> {
  const e = err as Error & ErrorLike;
  const out: Record<string, unknown> = { message: e.message };
  if (e.code !== undefined) out['code'] = toJsonValue(e.code, withStack, ancestors);
  if (e.cause !== undefined) out['cause'] = toJsonValue(e.cause, withStack, ancestors);
  if (withStack && typeof e.stack === 'string') out['stack'] = e.stack;
  return out;
}

/** Converts any value into a tree `JSON.stringify` renders faithfully and never throws on. */
export function toJsonValue(
  value: unknown,
  withStack: boolean,
  ancestors: unknown[] = [],
): unknown {
  try {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'bigint':
        return value.toString();
      case 'undefined':
        return null;
      case 'symbol':
        return value.toString();
      case 'function':
        return `[function ${value.name || 'anonymous'}]`;
      default:
        break;
    }
    if (value === null) return null;
    if (value instanceof Date)
      return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof Uint8Array)
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
    if (ancestors.includes(value) || ancestors.length >= MAX_DEPTH) return '[Circular]';
    const inner = [...ancestors, value];
    if (value instanceof Error) return errorToJson(value, withStack, inner);
    if (Array.isArray(value)) return value.map((v: unknown) => toJsonValue(v, withStack, inner));
    if (value instanceof Set)
      return [...value].map((v: unknown) => toJsonValue(v, withStack, inner));
    if (value instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of value as Map<unknown, unknown>)
        out[String(k)] = toJsonValue(v, withStack, inner);
      return out;
    }
    const withToJson = value as { toJSON?: unknown };
    if (typeof withToJson.toJSON === 'function') {
      return toJsonValue((withToJson.toJSON as () => unknown)(), withStack, inner);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) out[k] = toJsonValue(v, withStack, inner);
    return out;
  } catch (err) {
    return `[unserializable: ${err instanceof Error ? err.message : String(err)}]`;
  }
}

/** Whether a logfmt value needs quotes: Fabric's rule (space, control, `=`, `"`, U+FFFD). */
function needsQuotes(text: string): boolean {
  for (const ch of text) {
    if (ch <= ' ' || ch === '=' || ch === '"' || ch === '\uFFFD') return true;
  }
  return false;
}

/** Escapes `\`, `"` and control characters as zap-logfmt does. */
function escape(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20) out += `\\u00${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** A logfmt value: escaped, and quoted when it has to be. */
export function logfmtValue(text: string): string {
  const escaped = escape(text);
  return needsQuotes(text) ? `"${escaped}"` : escaped;
}

/** A logfmt key: characters that would need quoting are dropped, as zap-logfmt drops them. */
export function logfmtKey(key: string): string {
  let out = '';
  for (const ch of key) if (!(ch <= ' ' || ch === '=' || ch === '"' || ch === '\uFFFD')) out += ch;
  return out;
}

/** A scalar rendering of a value for `key=value` output (before quoting). */
function textOf(value: unknown, withStack: boolean): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === undefined) return 'undefined';
  const json = toJsonValue(value, withStack);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

/** One `key=value` pair before quoting. */
export interface TextPair {
  readonly key: string;
  readonly value: string;
  /** Set on an error's stack, which the text format prints on lines of its own. */
  readonly stack?: true;
}

/**
 * Flattens fields into `key=value` pairs. An error under `key` becomes `key=<message>`,
 * `key.code=<code>`, `key.cause=<message of the cause>` (and so on down the cause chain), and, when
 * `withStack`, `key.stack=<stack>`.
 */
export function textPairs(fields: Fields, withStack: boolean): TextPair[] {
  const pairs: TextPair[] = [];
  const addError = (key: string, err: Error, depth: number): void => {
    const e = err as Error & ErrorLike;
    pairs.push({ key, value: e.message });
    if (e.code !== undefined) pairs.push({ key: `${key}.code`, value: textOf(e.code, false) });
    if (withStack && typeof e.stack === 'string')
      pairs.push({ key: `${key}.stack`, value: e.stack, stack: true });
    if (e.cause !== undefined) {
      if (e.cause instanceof Error && depth < 4) addError(`${key}.cause`, e.cause, depth + 1);
      else pairs.push({ key: `${key}.cause`, value: textOf(e.cause, withStack) });
    }
  };
  for (const [key, value] of Object.entries(fields)) {
    try {
      if (value instanceof Error) addError(key, value, 0);
      else pairs.push({ key, value: textOf(value, withStack) });
    } catch (err) {
      pairs.push({
        key,
        value: `[unserializable: ${err instanceof Error ? err.message : String(err)}]`,
      });
    }
  }
  return pairs;
}
