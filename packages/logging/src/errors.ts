/**
 * Errors raised by the logging system, on the peer's common error base (code, details, cause).
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Base class of the errors this package raises. */
export class LoggingError extends FabricPeerError {}

/**
 * A logging spec (`FABRIC_LOGGING_SPEC`, `PUT /logspec`, {@link LoggingSystem.activate}) could not be
 * parsed. The message quotes the whole spec and names the term that is wrong.
 */
export class LogSpecError extends LoggingError {
  /** The whole spec as given. */
  readonly spec: string;
  /** The `:`-separated term that is wrong. */
  readonly term: string;

  constructor(spec: string, term: string, problem: string, options: { source?: string } = {}) {
    const where = options.source !== undefined ? `${options.source}: ` : '';
    super(
      'LOG_SPEC_INVALID',
      `${where}invalid logging spec ${JSON.stringify(spec)}: ${problem} in term ${JSON.stringify(term)}`,
      {
        details: {
          spec,
          term,
          problem,
          ...(options.source !== undefined ? { source: options.source } : {}),
        },
      },
    );
    this.spec = spec;
    this.term = term;
  }
}

/**
 * A log format (`FABRIC_LOGGING_FORMAT`, {@link LoggingSystem.setFormat}) could not be used. The
 * message quotes the format and names the directive that is wrong.
 */
export class LogFormatError extends LoggingError {
  /** The whole format as given. */
  readonly format: string;

  constructor(format: string, problem: string, options: { source?: string } = {}) {
    const where = options.source !== undefined ? `${options.source}: ` : '';
    super(
      'LOG_FORMAT_INVALID',
      `${where}invalid log format ${JSON.stringify(format)}: ${problem}`,
      {
        details: {
          format,
          problem,
          ...(options.source !== undefined ? { source: options.source } : {}),
        },
      },
    );
    this.format = format;
  }
}

/**
 * A logger was requested with a name Fabric would not accept: names are dot-separated segments of
 * letters, digits, `_`, `#`, `:` and `-`, with no empty segment.
 */
export class LoggerNameError extends LoggingError {
  /** The rejected name. */
  readonly loggerName: string;

  constructor(loggerName: string) {
    super(
      'LOGGER_NAME_INVALID',
      `invalid logger name ${JSON.stringify(loggerName)}: use dot-separated segments of letters, digits, '_', '#', ':' and '-' (e.g. "gossip.comm")`,
      { details: { loggerName } },
    );
    this.loggerName = loggerName;
  }
}
