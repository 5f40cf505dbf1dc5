/** Reading the logging settings from the environment, as a Fabric peer does. */

import { compileFormat, DEFAULT_FORMAT } from './formats.js';
import { parseLogSpec } from './spec.js';

/** The initial spec and format, ready to pass to `new LoggingSystem(...)`. */
export interface LoggingSettings {
  /** From `FABRIC_LOGGING_SPEC`; `info` when unset or empty, as in Fabric. */
  readonly spec: string;
  /** From `FABRIC_LOGGING_FORMAT`; {@link DEFAULT_FORMAT} when unset or empty. */
  readonly format: string;
}

/**
 * Reads `FABRIC_LOGGING_SPEC` and `FABRIC_LOGGING_FORMAT` (like Fabric, it ignores
 * `CORE_LOGGING_LEVEL`). Both are checked here, so a bad value stops start-up with a
 * {@link LogSpecError} or {@link LogFormatError} whose message begins with the variable's name.
 *
 * @example
 * ```ts
 * const logging = new LoggingSystem(fromEnvironment(process.env));
 * ```
 */
export function fromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): LoggingSettings {
  const spec = env['FABRIC_LOGGING_SPEC'] || 'info';
  parseLogSpec(spec, 'FABRIC_LOGGING_SPEC');
  const format = env['FABRIC_LOGGING_FORMAT'] || DEFAULT_FORMAT;
  compileFormat(format, 'utc', 'FABRIC_LOGGING_FORMAT');
  return { spec, format };
}
