/**
 * Log formats, as Fabric's `FABRIC_LOGGING_FORMAT` names them: `json`, `logfmt`, or a text format
 * with `%{verb}` and `%{verb:directive}` placeholders (Fabric's `fabenc.ParseFormat`).
 */

import { LogFormatError } from './errors.js';
import { logfmtKey, logfmtValue, textPairs, toJsonValue, type Fields } from './fields.js';
import { compileGoLayout, type TimeZoneMode } from './golayout.js';
import { compileIntegerDirective, compileStringDirective } from './gofmt.js';
import { LEVEL_CAPITALS, type LogLevel } from './levels.js';

/**
 * The default text format: Fabric peers' default up to v2.2, and what Fabric v2.5's `core.yaml`
 * still ships as `chaincode.logging.format`. (Fabric v2.4+ flogging defaults to a variant with the
 * fixed-width fields first; set it with `setFormat` or `FABRIC_LOGGING_FORMAT` if wanted.)
 */
export const DEFAULT_FORMAT =
  '%{color}%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s}%{color:reset} [%{module}] %{color:bold}%{shortfunc}%{color:reset} -> %{message}';

/** The layout `%{time}` uses without a directive (Go's RFC 3339 with trimmed milliseconds). */
export const DEFAULT_TIME_LAYOUT = '2006-01-02T15:04:05.999Z07:00';

/** One record, as the encoders see it. */
export interface LogRecord {
  readonly time: Date;
  readonly level: LogLevel;
  readonly module: string;
  readonly message: string;
  readonly fields: Fields;
  /** The system's sequence number of this record (1 for the first written). */
  readonly id: number;
  /** Whether errors in the fields carry their stacks (the module has debug enabled). */
  readonly withStack: boolean;
}

/** Renders a record as one output chunk ending in a newline. */
export type Encoder = (record: LogRecord, color: boolean) => string;

const RESERVED = new Set(['ts', 'level', 'name', 'msg']);
const fieldKey = (key: string): string => (RESERVED.has(key) ? `fields.${key}` : key);

/** SGR colours per level, as Fabric's `fabenc.ColorFormatter` picks them. */
const LEVEL_COLORS: Readonly<Record<LogLevel, number>> = {
  payload: 0,
  debug: 36,
  info: 34,
  warn: 33,
  error: 31,
  dpanic: 35,
  panic: 35,
  fatal: 35,
};

const jsonEncoder: Encoder = (r) => {
  const out: Record<string, unknown> = {
    ts: r.time.toISOString(),
    level: r.level,
    name: r.module,
    msg: r.message,
  };
  for (const [key, value] of Object.entries(r.fields)) {
    out[fieldKey(key)] = toJsonValue(value, r.withStack);
  }
  return `${JSON.stringify(out)}\n`;
};

const logfmtEncoder: Encoder = (r) => {
  let line = `ts=${r.time.toISOString()} level=${r.level} name=${logfmtValue(r.module)} msg=${logfmtValue(r.message)}`;
  for (const pair of textPairs(r.fields, r.withStack)) {
    line += ` ${logfmtKey(fieldKey(pair.key))}=${logfmtValue(pair.value)}`;
  }
  return `${line}\n`;
};

type Part = string | ((r: LogRecord, color: boolean) => string);

const VERB = /%\{(color|id|level|message|module|shortfunc|time)(?::(.*?))?\}/g;

function compileText(format: string, timeZone: TimeZoneMode, source?: string): Encoder {
  const parts: Part[] = [];
  let cursor = 0;
  for (const match of format.matchAll(VERB)) {
    const [whole, verb = '', directive = ''] = match;
    const start = match.index;
    const fail = (problem: string): never => {
      throw new LogFormatError(
        format,
        `${problem} in ${JSON.stringify(whole)}`,
        source !== undefined ? { source } : {},
      );
    };
    if (start > cursor) parts.push(format.slice(cursor, start));
    cursor = start + whole.length;
    parts.push(compileVerb(verb, directive, timeZone, fail));
  }
  if (cursor < format.length) parts.push(format.slice(cursor));

  return (r, color) => {
    let head = '';
    for (const part of parts) head += typeof part === 'string' ? part : part(r, color);
    const pairs = textPairs(r.fields, r.withStack);
    let tail = '';
    let stacks = '';
    for (const pair of pairs) {
      if (pair.stack) stacks += `${pair.value}\n`;
      else
        tail += `${tail === '' && head === '' ? '' : ' '}${logfmtKey(pair.key)}=${logfmtValue(pair.value)}`;
    }
    return `${head}${tail}\n${stacks}`;
  };
}

function compileVerb(
  verb: string,
  directive: string,
  timeZone: TimeZoneMode,
  fail: (problem: string) => never,
): Part {
  const text = (pick: (r: LogRecord) => string): Part => {
    const render = compileStringDirective(directive === '' ? 's' : directive, fail);
    return (r) => render(pick(r));
  };
  switch (verb) {
    case 'color': {
      if (directive === 'reset') return (_r, color) => (color ? '\x1b[0m' : '');
      if (directive === 'bold') {
        return (r, color) => {
          if (!color) return '';
          const code = LEVEL_COLORS[r.level];
          return code === 0 ? '\x1b[0m' : `\x1b[${code};1m`;
        };
      }
      if (directive === '') return (r, color) => (color ? `\x1b[${LEVEL_COLORS[r.level]}m` : '');
      return fail(`unknown colour option ${JSON.stringify(directive)} (use reset or bold)`);
    }
    case 'id': {
      const render = compileIntegerDirective(directive === '' ? 'd' : directive, fail);
      return (r) => render(r.id);
    }
    case 'level':
      return text((r) => LEVEL_CAPITALS[r.level]);
    case 'message':
      return text((r) => r.message.replace(/\n+$/, ''));
    case 'module':
    case 'shortfunc':
      // JavaScript has no cheap caller name; %{shortfunc} prints the module instead.
      return text((r) => r.module);
    case 'time': {
      const render = compileGoLayout(directive === '' ? DEFAULT_TIME_LAYOUT : directive, timeZone);
      return (r) => render(r.time);
    }
    default:
      return fail(`unknown verb ${JSON.stringify(verb)}`);
  }
}

/**
 * Compiles a format: `json`, `logfmt`, or a text format (empty means {@link DEFAULT_FORMAT}).
 * Throws {@link LogFormatError} for a directive it cannot apply.
 */
export function compileFormat(format: string, timeZone: TimeZoneMode, source?: string): Encoder {
  if (format === 'json') return jsonEncoder;
  if (format === 'logfmt') return logfmtEncoder;
  return compileText(format === '' ? DEFAULT_FORMAT : format, timeZone, source);
}
