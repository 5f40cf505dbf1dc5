/**
 * Fabric's logging spec, as `flogging.LoggerLevels.ActivateSpec` reads it:
 *
 *     [<module>[,<module>...]=]<level>[:[<module>[,<module>...]=]<level>...]
 *
 * A term without `=` sets the default level (an empty term sets `info`, as in Fabric); a term with
 * `=` sets the level of each listed module and of its dotted sub-modules. Later terms win. A module
 * written with a trailing `.` (`gossip.=debug`) names that module only, not its sub-modules.
 */

import { LogSpecError } from './errors.js';
import { parseLevel, type LogLevel } from './levels.js';

/** A parsed logging spec. */
export interface LogSpec {
  /** Level of every module no term names. */
  readonly defaultLevel: LogLevel;
  /**
   * Level per module name, in the order the modules were last set. A key ending in `.` applies to
   * that module only; any other key also applies to its dotted sub-modules.
   */
  readonly modules: ReadonlyMap<string, LogLevel>;
}

const LOGGER_NAME = /^[A-Za-z0-9_#:-]+(\.[A-Za-z0-9_#:-]+)*$/;

/**
 * Whether `name` is a valid logger (module) name: dot-separated, non-empty segments of ASCII letters,
 * digits, `_`, `#`, `:` and `-`. This is Fabric's rule.
 */
export function isValidLoggerName(name: string): boolean {
  return LOGGER_NAME.test(name);
}

const LEVEL_HINT = 'use debug, info, warn (or warning), error, dpanic, panic, fatal or payload';

/**
 * Parses a logging spec. Throws {@link LogSpecError} naming the first bad term.
 *
 * @param spec - the spec, e.g. `info:gossip,msp=debug`; empty means `info`.
 * @param source - where the spec came from (e.g. `FABRIC_LOGGING_SPEC`), for the error message.
 */
export function parseLogSpec(spec: string, source?: string): LogSpec {
  const fail = (term: string, problem: string): never => {
    throw new LogSpecError(spec, term, problem, source !== undefined ? { source } : {});
  };

  let defaultLevel: LogLevel = 'info';
  const modules = new Map<string, LogLevel>();
  for (const term of spec.split(':')) {
    const parts = term.split('=');
    if (parts.length === 1) {
      if (term === '') {
        defaultLevel = 'info';
        continue;
      }
      defaultLevel =
        parseLevel(term) ?? fail(term, `${JSON.stringify(term)} is not a level (${LEVEL_HINT})`);
      continue;
    }
    if (parts.length > 2) fail(term, 'more than one "="');
    const [names = '', levelName = ''] = parts;
    if (names === '') fail(term, 'no module named before "="');
    const level =
      parseLevel(levelName) ??
      fail(term, `${JSON.stringify(levelName)} is not a level (${LEVEL_HINT})`);
    for (const name of names.split(',')) {
      const bare = name.endsWith('.') ? name.slice(0, -1) : name;
      if (!isValidLoggerName(bare)) {
        fail(
          term,
          `${JSON.stringify(name)} is not a module name (use dot-separated segments of letters, digits, '_', '#' and '-')`,
        );
      }
      // Re-inserting moves the module to the end, so iteration order is "last set last".
      modules.delete(name);
      modules.set(name, level);
    }
  }
  return { defaultLevel, modules };
}

/**
 * The level that applies to a logger under a spec: the level of the longest module name that is the
 * logger's name or a dotted prefix of it, else the default level.
 */
export function levelFor(spec: LogSpec, loggerName: string): LogLevel {
  const exact = spec.modules.get(`${loggerName}.`);
  if (exact !== undefined) return exact;
  let candidate = loggerName;
  for (;;) {
    const level = spec.modules.get(candidate);
    if (level !== undefined) return level;
    const dot = candidate.lastIndexOf('.');
    if (dot <= 0) return spec.defaultLevel;
    candidate = candidate.slice(0, dot);
  }
}

/**
 * A spec in Fabric's normalized form (what Fabric's own `GET /logspec` returns): the module terms
 * `module=level` sorted, then the default level, joined by `:`. Parsing it gives the same levels.
 */
export function formatLogSpec(spec: LogSpec): string {
  const terms = [...spec.modules].map(([name, level]) => `${name}=${level}`).sort();
  terms.push(spec.defaultLevel);
  return terms.join(':');
}
