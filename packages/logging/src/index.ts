/**
 * `@fabric-peer/logging`: one structured logger for the peer, with per-module levels set by
 * Fabric's logging spec (`FABRIC_LOGGING_SPEC`, `/logspec`) and Fabric's formats
 * (`FABRIC_LOGGING_FORMAT`: `json`, `logfmt` or a `%{verb}` text format).
 *
 * @packageDocumentation
 */

export { LoggingSystem } from './system.js';
export type { Logger, LoggingOptions, LogWriter } from './system.js';
export { fromEnvironment } from './environment.js';
export type { LoggingSettings } from './environment.js';
export { parseLogSpec, formatLogSpec, levelFor, isValidLoggerName } from './spec.js';
export type { LogSpec } from './spec.js';
export { LOG_LEVELS, parseLevel, isLogLevel } from './levels.js';
export type { LogLevel } from './levels.js';
export { DEFAULT_FORMAT, DEFAULT_TIME_LAYOUT } from './formats.js';
export type { Fields } from './fields.js';
export type { TimeZoneMode } from './golayout.js';
export { LoggingError, LogSpecError, LogFormatError, LoggerNameError } from './errors.js';
