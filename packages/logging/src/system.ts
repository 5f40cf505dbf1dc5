/**
 * The logging system: one per peer, built at start-up and passed to whatever logs. It holds the
 * active spec, the format and the writer; loggers keep a reference to a per-module level that
 * `activate` recomputes, so a disabled call costs one comparison.
 */

import { LoggerNameError } from './errors.js';
import type { Fields } from './fields.js';
import { compileFormat, DEFAULT_FORMAT, type Encoder } from './formats.js';
import type { TimeZoneMode } from './golayout.js';
import { LEVEL_CAPITALS, SEVERITY, type LogLevel } from './levels.js';
import { formatLogSpec, isValidLoggerName, levelFor, parseLogSpec, type LogSpec } from './spec.js';

/** Where formatted records go: `process.stderr`, a file stream, or a test's buffer. */
export interface LogWriter {
  /** Receives one record at a time, each ending in a newline. */
  write(chunk: string): unknown;
  /** Colour codes are written only when this is `true` (unless {@link LoggingOptions.color} says). */
  readonly isTTY?: boolean;
}

/** How to build a {@link LoggingSystem}. Every option has a default. */
export interface LoggingOptions {
  /** The initial logging spec. Default `info`. An invalid spec throws {@link LogSpecError}. */
  readonly spec?: string;
  /** The initial format: `json`, `logfmt` or a text format. Default {@link DEFAULT_FORMAT}. */
  readonly format?: string;
  /** Where records go. Default `process.stderr`. */
  readonly writer?: LogWriter;
  /** The time source for records. Default `() => new Date()`. */
  readonly clock?: () => Date;
  /** Whether `%{time}` prints local time (default, as Fabric does) or UTC. JSON and logfmt always print UTC. */
  readonly timeZone?: TimeZoneMode;
  /** Forces colour on or off in text formats. Default: on when the writer is a TTY. */
  readonly color?: boolean;
}

/** A logger for one module. Obtain one from {@link LoggingSystem.logger}. */
export interface Logger {
  /** The dotted module name, e.g. `gossip.comm`. */
  readonly module: string;
  /** Logs at `debug`. */
  debug(message: string, fields?: Fields): void;
  /** Logs at `info`. */
  info(message: string, fields?: Fields): void;
  /** Logs at `warn`. */
  warn(message: string, fields?: Fields): void;
  /** Logs at `error`. */
  error(message: string, fields?: Fields): void;
  /**
   * Logs at any level. `dpanic`, `panic` and `fatal` are only written, as Fabric writes them; this
   * logger neither throws nor exits.
   */
  log(level: LogLevel, message: string, fields?: Fields): void;
  /** Whether a record at `level` would be written under the active spec. */
  isEnabled(level: LogLevel): boolean;
  /** A logger for the sub-module `<module>.<subModule>`, with the same bound fields. */
  child(subModule: string): Logger;
  /** A logger for the same module that adds `fields` to every record (call fields win on a clash). */
  with(fields: Fields): Logger;
}

/** The level state every logger of one module shares. */
interface ModuleState {
  readonly name: string;
  /** Severity below which records are dropped. */
  threshold: number;
}

/** What loggers need from their system. */
interface Sink {
  emit(state: ModuleState, level: LogLevel, message: string, fields: Fields): void;
  logger(name: string, bound: Fields | undefined): Logger;
}

const DEBUG = SEVERITY.debug;

class LoggerImpl implements Logger {
  readonly #sink: Sink;
  readonly #state: ModuleState;
  readonly #bound: Fields | undefined;

  constructor(sink: Sink, state: ModuleState, bound: Fields | undefined) {
    this.#sink = sink;
    this.#state = state;
    this.#bound = bound;
  }

  get module(): string {
    return this.#state.name;
  }

  debug(message: string, fields?: Fields): void {
    if (DEBUG >= this.#state.threshold) this.#emit('debug', message, fields);
  }

  info(message: string, fields?: Fields): void {
    if (SEVERITY.info >= this.#state.threshold) this.#emit('info', message, fields);
  }

  warn(message: string, fields?: Fields): void {
    if (SEVERITY.warn >= this.#state.threshold) this.#emit('warn', message, fields);
  }

  error(message: string, fields?: Fields): void {
    if (SEVERITY.error >= this.#state.threshold) this.#emit('error', message, fields);
  }

  log(level: LogLevel, message: string, fields?: Fields): void {
    // An unknown level (from untyped callers) compares false and is dropped.
    if (SEVERITY[level] >= this.#state.threshold) this.#emit(level, message, fields);
  }

  isEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= this.#state.threshold;
  }

  child(subModule: string): Logger {
    return this.#sink.logger(`${this.#state.name}.${subModule}`, this.#bound);
  }

  with(fields: Fields): Logger {
    return new LoggerImpl(this.#sink, this.#state, { ...this.#bound, ...fields });
  }

  #emit(level: LogLevel, message: string, fields: Fields | undefined): void {
    const merged =
      this.#bound === undefined
        ? (fields ?? {})
        : fields === undefined
          ? this.#bound
          : { ...this.#bound, ...fields };
    this.#sink.emit(this.#state, level, message, merged);
  }
}

/**
 * The peer's logging system: per-module levels set by a Fabric logging spec, one format, one writer.
 * Build one at start-up and pass it (or loggers from it) to what needs to log; there is no global.
 *
 * @example
 * ```ts
 * const logging = new LoggingSystem(fromEnvironment(process.env));
 * const log = logging.logger('gossip.comm');
 * log.info('connected', { peer: 'peer1.org1:7051' });
 * logging.activate('info:gossip=debug'); // PUT /logspec
 * ```
 */
export class LoggingSystem {
  #specText: string;
  #spec: LogSpec;
  #formatText: string;
  #encoder: Encoder;
  #writer: LogWriter;
  readonly #clock: () => Date;
  readonly #timeZone: TimeZoneMode;
  readonly #color: boolean | undefined;
  readonly #modules = new Map<string, ModuleState>();
  #sequence = 0;
  readonly #sink: Sink;

  /** Throws {@link LogSpecError} or {@link LogFormatError} if `options.spec` or `options.format` is invalid. */
  constructor(options: LoggingOptions = {}) {
    this.#specText = options.spec ?? 'info';
    this.#spec = parseLogSpec(this.#specText);
    this.#timeZone = options.timeZone ?? 'local';
    this.#formatText = options.format ?? DEFAULT_FORMAT;
    this.#encoder = compileFormat(this.#formatText, this.#timeZone);
    this.#writer = options.writer ?? process.stderr;
    this.#clock = options.clock ?? (() => new Date());
    this.#color = options.color;
    this.#sink = {
      emit: (state, level, message, fields) => this.#write(state, level, message, fields),
      logger: (name, bound) => this.#logger(name, bound),
    };
  }

  /**
   * The logger for a module. Names are dotted (`core.plugins`, `node.grpc`); each segment holds
   * letters, digits, `_`, `#`, `:` or `-`. Throws {@link LoggerNameError} for any other name.
   */
  logger(module: string): Logger {
    return this.#logger(module, undefined);
  }

  /**
   * Makes `spec` the active logging spec; every existing logger follows it at once. On an invalid
   * spec this throws {@link LogSpecError} naming the bad term and leaves the active spec as it was.
   */
  activate(spec: string): void {
    const parsed = parseLogSpec(spec);
    this.#spec = parsed;
    this.#specText = spec;
    for (const state of this.#modules.values()) {
      state.threshold = SEVERITY[levelFor(parsed, state.name)];
    }
  }

  /** The active spec exactly as it was activated (what `GET /logspec` returns). */
  spec(): string {
    return this.#specText;
  }

  /**
   * The active spec in Fabric's normalized form: module terms sorted, then the default level
   * (`gossip=debug:msp=warn:info`). Fabric's own `GET /logspec` returns this form.
   */
  normalizedSpec(): string {
    return formatLogSpec(this.#spec);
  }

  /** The level that applies to `module` under the active spec. */
  levelOf(module: string): LogLevel {
    return levelFor(this.#spec, module);
  }

  /**
   * Sets the format of the records written from now on: `json`, `logfmt`, or a text format with
   * `%{...}` verbs; empty means {@link DEFAULT_FORMAT}. Throws {@link LogFormatError} and keeps the
   * current format if the format cannot be used.
   */
  setFormat(format: string): void {
    this.#encoder = compileFormat(format, this.#timeZone);
    this.#formatText = format === '' ? DEFAULT_FORMAT : format;
  }

  /** The active format. */
  format(): string {
    return this.#formatText;
  }

  /** Sends records written from now on to `writer`. */
  setWriter(writer: LogWriter): void {
    this.#writer = writer;
  }

  #logger(name: string, bound: Fields | undefined): Logger {
    let state = this.#modules.get(name);
    if (state === undefined) {
      if (!isValidLoggerName(name)) throw new LoggerNameError(name);
      state = { name, threshold: SEVERITY[levelFor(this.#spec, name)] };
      this.#modules.set(name, state);
    }
    return new LoggerImpl(this.#sink, state, bound);
  }

  #write(state: ModuleState, level: LogLevel, message: string, fields: Fields): void {
    const record = {
      time: this.#clock(),
      level,
      module: state.name,
      message: String(message),
      fields,
      id: ++this.#sequence,
      withStack: DEBUG >= state.threshold,
    };
    const color = this.#color ?? this.#writer.isTTY === true;
    let line: string;
    try {
      line = this.#encoder(record, color);
    } catch (err) {
      // A field that defeats the encoder must not lose the record or reach the caller.
      const reason = err instanceof Error ? err.message : String(err);
      line = `${record.time.toISOString()} [${record.module}] ${LEVEL_CAPITALS[level]} ${record.message} (record could not be formatted: ${reason})\n`;
    }
    this.#writer.write(line);
  }
}
