/**
 * PEM as Go's encoding/pem reads it. Fabric decodes identities with `pem.Decode` and keeps the
 * first block whatever its type, so the rules here (where a block may start, what may follow the
 * END line, which base64 is accepted) decide which serialized identities deserialize at all.
 */

/** One decoded block. */
export interface PemBlock {
  /** The word(s) after `BEGIN`, e.g. `CERTIFICATE`. */
  readonly type: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: Buffer;
  /** Everything after the block's END line. */
  readonly rest: Buffer;
}

const BEGIN = Buffer.from('\n-----BEGIN ');
const END = Buffer.from('\n-----END ');
const DASHES = Buffer.from('-----');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The line at the start of `data` (CR LF or LF, trailing spaces and tabs dropped) and the rest. */
function getLine(data: Buffer): [line: Buffer, rest: Buffer] {
  let i = data.indexOf(0x0a);
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === 0x0d) i--;
  }
  let end = i;
  while (end > 0 && (data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  return [data.subarray(0, end), data.subarray(j)];
}

function hasPrefix(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

function hasSuffix(data: Buffer, suffix: Buffer): boolean {
  return data.length >= suffix.length && data.subarray(data.length - suffix.length).equals(suffix);
}

/** Go's base64.StdEncoding after removing spaces and tabs: padding required, CR and LF ignored. */
function decodeBase64(body: Buffer): Buffer | undefined {
  let text = '';
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a) continue;
    text += String.fromCharCode(byte);
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * The first PEM block in `input`, or undefined when there is none (Go's `pem.Decode`): text
 * before the block is skipped, a malformed block is skipped in favour of a later one.
 */
export function decodePem(input: Uint8Array): PemBlock | undefined {
  const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let rest = data;
  for (;;) {
    if (hasPrefix(rest, BEGIN.subarray(1))) {
      rest = rest.subarray(BEGIN.length - 1);
    } else {
      const at = rest.indexOf(BEGIN);
      if (at < 0) return undefined;
      rest = rest.subarray(at + BEGIN.length);
    }
    let typeLine: Buffer;
    [typeLine, rest] = getLine(rest);
    if (!hasSuffix(typeLine, DASHES)) continue;
    typeLine = typeLine.subarray(0, typeLine.length - DASHES.length);

    const headers: Record<string, string> = {};
    let sawHeader = false;
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(0x3a);
      if (colon < 0) break;
      headers[line.subarray(0, colon).toString('latin1').trim()] = line
        .subarray(colon + 1)
        .toString('latin1')
        .trim();
      sawHeader = true;
      rest = next;
    }
    if (truncated) return undefined;

    let endIndex: number;
    let endTrailerIndex: number;
    if (!sawHeader && hasPrefix(rest, END.subarray(1))) {
      endIndex = 0;
      endTrailerIndex = END.length - 1;
    } else {
      endIndex = rest.indexOf(END);
      endTrailerIndex = endIndex + END.length;
    }
    if (endIndex < 0) continue;

    let endTrailer = rest.subarray(endTrailerIndex);
    const trailerLength = typeLine.length + DASHES.length;
    if (endTrailer.length < trailerLength) continue;
    const restOfEndLine = endTrailer.subarray(trailerLength);
    endTrailer = endTrailer.subarray(0, trailerLength);
    if (!hasPrefix(endTrailer, typeLine) || !hasSuffix(endTrailer, DASHES)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;

    const bytes = decodeBase64(rest.subarray(0, endIndex));
    if (bytes === undefined) continue;
    const after = getLine(rest.subarray(endIndex + END.length - 1))[1];
    return { type: typeLine.toString('latin1'), headers, bytes, rest: after };
  }
}

/** PEM text of DER bytes, 64 base64 characters per line, as Go's `pem.EncodeToMemory` writes it. */
export function encodePem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}-----END ${type}-----\n`;
}
