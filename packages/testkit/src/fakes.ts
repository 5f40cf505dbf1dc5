/**
 * Stand-ins for what the peer hands its parts: a configuration over a plain map, and logger
 * factories that record or drop what is logged.
 */
import { join } from 'node:path';
import type { Logger, LoggerFactory, PeerConfig } from '@fabric-peer/api';

/** Options of {@link fakeConfig}. */
export interface FakeConfigOptions {
  /**
   * Folder of the (imaginary) core.yaml, against which relative paths resolve. Default
   * `/nonexistent`, so that a test relying on it by mistake notices.
   */
  readonly dir?: string;
  /**
   * `durationMs` answers by key (null: an empty duration). A key not here is answered from the
   * values when its value there is a number of milliseconds or null.
   */
  readonly durations?: Readonly<Record<string, number | null>>;
}

/**
 * A PeerConfig over a flat key → value map. As the real one, it throws on a key it does not have,
 * so that code reading an unexpected key fails the test.
 */
export function fakeConfig(
  values: Readonly<Record<string, unknown>>,
  options: FakeConfigOptions = {},
): PeerConfig {
  const dir = options.dir ?? '/nonexistent';
  const durations = options.durations ?? {};
  return {
    file: join(dir, 'core.yaml'),
    dir,
    get(key: string): unknown {
      if (!(key in values)) throw new Error(`fakeConfig: unknown key ${key}`);
      return values[key];
    },
    durationMs(key: string): number | null {
      if (key in durations) return durations[key] ?? null;
      if (!(key in values)) throw new Error(`fakeConfig: unknown key ${key}`);
      const v = values[key];
      if (v === null) return null;
      if (typeof v !== 'number') throw new Error(`fakeConfig: ${key} is not a duration`);
      return v;
    },
  };
}

/** One record written through {@link recordingLoggers}. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** Dotted module name of the logger, e.g. `core.plugins`. */
  readonly module: string;
  readonly msg: string;
  /** The fields, when the call passed any. */
  readonly fields?: Record<string, unknown>;
}

/**
 * A logger factory that keeps every record in order, for assertions on what was logged; `logger`
 * is its logger for the module `test`.
 */
export function recordingLoggers(): {
  readonly factory: LoggerFactory;
  readonly logger: Logger;
  readonly records: LogRecord[];
} {
  const records: LogRecord[] = [];
  const make = (module: string): Logger => {
    const at =
      (level: LogRecord['level']) =>
      (msg: string, fields?: Record<string, unknown>): void => {
        records.push({ level, module, msg, ...(fields ? { fields } : {}) });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (name) => make(`${module}.${name}`),
    };
  };
  return { factory: make, logger: make('test'), records };
}

/** A logger factory that drops everything. */
export const silentLoggers: LoggerFactory = () => {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  return logger;
};
