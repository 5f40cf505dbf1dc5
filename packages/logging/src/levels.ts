/**
 * Log levels, with Fabric's (zap's) names and ordering. `payload` is Fabric's level below `debug`;
 * `notice` and `critical` are accepted in specs as Fabric accepts them (as `info` and `error`).
 */

/** A log level, from the most verbose (`payload`) to the most severe (`fatal`). */
export type LogLevel =
  'payload' | 'debug' | 'info' | 'warn' | 'error' | 'dpanic' | 'panic' | 'fatal';

/** Every level, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = [
  'payload',
  'debug',
  'info',
  'warn',
  'error',
  'dpanic',
  'panic',
  'fatal',
];

/** Severity of each level, as zap numbers them (info = 0). Higher is more severe. */
export const SEVERITY: Readonly<Record<LogLevel, number>> = {
  payload: -2,
  debug: -1,
  info: 0,
  warn: 1,
  error: 2,
  dpanic: 3,
  panic: 4,
  fatal: 5,
};

/** The name as text formats print it (`%{level}`), as zap's `CapitalString` does. */
export const LEVEL_CAPITALS: Readonly<Record<LogLevel, string>> = {
  payload: 'PAYLOAD',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  dpanic: 'DPANIC',
  panic: 'PANIC',
  fatal: 'FATAL',
};

const ALIASES: Readonly<Record<string, LogLevel>> = {
  payload: 'payload',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  dpanic: 'dpanic',
  panic: 'panic',
  fatal: 'fatal',
};

/**
 * The level a name stands for, case-insensitively (`WARNING` → `warn`), or `undefined` if the name is
 * not a level.
 */
export function parseLevel(name: string): LogLevel | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

/** Whether `value` is one of the canonical level names. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(SEVERITY, value);
}
