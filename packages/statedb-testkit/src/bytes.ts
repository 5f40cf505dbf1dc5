/**
 * Byte helpers shared by the suite and the memory implementation: UTF-8 encoding, Fabric's key
 * order, and whether a value is a JSON object in the sense of Go's `json.Unmarshal` into a map.
 */

const encoder = new TextEncoder();
// Go's json.Unmarshal refuses a byte order mark, so it must not be stripped before parsing.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Compares byte arrays as LevelDB's default comparator does (memcmp, then length). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Compares two keys by their UTF-8 bytes (computed, independently of the api's compareKeys). */
export function compareUtf8(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}

/** True when both arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** A copy that shares no memory with `b` (a plain Uint8Array, whatever `b` is). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/**
 * The top-level object of a value when it is a JSON object, as Go's `json.Unmarshal` into a
 * `map[string]any` would accept it (so `null`, arrays, numbers, strings and text with a byte order
 * mark are not objects); undefined otherwise. This is the test Fabric's CouchDB state database
 * applies to decide whether a value is stored as a JSON document or as an attachment.
 */
export function jsonObjectOf(value: Uint8Array): Record<string, unknown> | undefined {
  // Cheap refusal first: a JSON object starts with '{' after optional JSON whitespace.
  let i = 0;
  while (i < value.length && isJsonSpace(value[i] ?? 0)) i++;
  if (value[i] !== 0x7b) return undefined;
  try {
    const parsed: unknown = JSON.parse(decoder.decode(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** True when `s` has no unpaired surrogate, i.e. it encodes to UTF-8 without loss. */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}
