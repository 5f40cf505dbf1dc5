/**
 * fabric-shim and fabric-contract-api log through winston, which runs every message through the
 * whole format chain (timestamp, metadata, colours, padding, printf) and only then lets the
 * transport drop it for its level. The shim makes some thirty debug calls per transaction: at the
 * usual info level that is ≈ 0.1 ms of the chaincode's CPU per transaction spent on lines nobody
 * sees. Before the chaincode loads those libraries, the winston copies they resolve get loggers
 * whose level methods return at once when no transport takes the level. What is logged, and
 * later level changes (`setLevel`), are unaffected.
 */
// A CommonJS file under verbatimModuleSyntax imports with `import x = require()`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import Module = require('node:module');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import path = require('node:path');

const LIBRARIES = ['fabric-shim', 'fabric-contract-api'];

type LevelMethod = (this: unknown, ...args: unknown[]) => unknown;
interface WinstonLogger {
  levels?: Record<string, number>;
  isLevelEnabled?: (level: string) => boolean;
  [method: string]: unknown;
}
interface Winston {
  createLogger: (this: unknown, ...args: unknown[]) => WinstonLogger;
}

const done = new WeakSet<object>();

function skipDisabledLevels(logger: WinstonLogger): void {
  // winston before 3.2 has no isLevelEnabled: leave such a logger as it is.
  if (typeof logger.isLevelEnabled !== 'function' || !logger.levels) return;
  for (const level of Object.keys(logger.levels)) {
    const write = logger[level];
    if (typeof write !== 'function' || level === 'log') continue;
    logger[level] = function (this: WinstonLogger | undefined, ...args: unknown[]) {
      // Called on a child logger (Object.create of this one) as well.
      const self = this ?? logger;
      const enabled = (self.isLevelEnabled as (l: string) => boolean).call(self, level);
      return enabled ? (write as LevelMethod).apply(self, args) : self;
    };
  }
}

/**
 * Applies the above to the winston copies that fabric-shim and fabric-contract-api, as resolved
 * from `dir` (the chaincode's folder), load. A library not found there is left alone: the
 * chaincode then does not use it, or brings its own copy from elsewhere.
 */
function quietLoggersFor(dir: string): void {
  const fromDir = Module.createRequire(path.join(dir, 'index.js'));
  for (const library of LIBRARIES) {
    let winston: Winston;
    try {
      const fromLibrary = Module.createRequire(fromDir.resolve(`${library}/package.json`));
      winston = fromLibrary('winston') as Winston;
    } catch {
      continue;
    }
    if (done.has(winston) || typeof winston.createLogger !== 'function') continue;
    done.add(winston);
    const create = winston.createLogger;
    // fabric-shim calls it with `new`: a function that returns an object serves both forms.
    winston.createLogger = function (this: unknown, ...args: unknown[]) {
      const logger = create.apply(this, args);
      skipDisabledLevels(logger);
      return logger;
    };
  }
}

export = { quietLoggersFor };
