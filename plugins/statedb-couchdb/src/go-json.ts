/**
 * JSON as Go's encoding/json treats it, where Fabric's CouchDB state database depends on it:
 * whether a value is a JSON object (`json.Unmarshal` into a `map[string]any`) and how a document is
 * written back (`json.Marshal` of a map: members sorted by their UTF-8 bytes, `<`, `>`, `&`,
 * U+2028 and U+2029 escaped, numbers in their shortest form).
 */
import { compareKeys } from '@fabric-peer/api';

// Go's decoder refuses a byte order mark, so it must reach JSON.parse.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** A JSON object as parsed. */
export type JsonObject = Record<string, unknown>;

/** The text of UTF-8 bytes; malformed sequences become U+FFFD, as Go's decoder does. */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * The object a value holds when Go's `json.Unmarshal` into a map would succeed with a non-nil map;
 * undefined for anything else (not JSON, `null`, arrays, scalars, numbers Go cannot hold in a
 * float64, nesting deeper than Go allows).
 */
export function jsonObjectOf(value: Uint8Array): JsonObject | undefined {
  let i = 0;
  while (i < value.length && isJsonSpace(value[i] ?? 0)) i++;
  if (value[i] !== 0x7b) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Text(value));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return fitsGo(parsed, 0) ? (parsed as JsonObject) : undefined;
}

/** Go refuses numbers beyond float64 (they parse to Infinity here) and nesting beyond 10000. */
function fitsGo(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return true;
  if (depth >= 10000) return false;
  const items = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
  return items.every((x) => fitsGo(x, depth + 1));
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** `json.Marshal` of a decoded JSON value, as Go writes a `map[string]any`. */
export function goMarshal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return goString(v);
    case 'number':
      // Go writes the shortest float64 form; -0 keeps its sign.
      return Object.is(v, -0) ? '-0' : JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
      const obj = v as Record<string, unknown>;
      const members = Object.keys(obj).map((k) => [wellFormed(k), obj[k]] as const);
      members.sort((a, b) => compareKeys(a[0], b[0]));
      return `{${members.map(([k, x]) => `${goString(k)}:${goMarshal(x)}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** Go decodes an escaped lone surrogate (`"\\ud800"`) as U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
}

/** Go's string encoding with HTML escaping. */
function goString(s: string): string {
  return JSON.stringify(wellFormed(s)).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
