import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import quiet from '../src/quiet-loggers.cjs';

const { quietLoggersFor } = quiet;

const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface Logger {
  level: string;
  debug(msg: string): Logger;
  info(msg: string): Logger;
  child(meta: object): Logger;
}
interface Winston {
  createLogger(opts: object): Logger;
  format: ((fn: (info: { message: string }) => unknown) => () => unknown) & {
    combine(...formats: unknown[]): unknown;
    printf(fn: (info: { level: string; message: string }) => string): unknown;
  };
  transports: { Stream: new (opts: object) => unknown };
}

// The winston copy fabric-shim loads, as the chaincode process resolves it.
const fromShim = createRequire(
  createRequire(join(pluginDir, 'index.js')).resolve('fabric-shim/package.json'),
);
const winston = fromShim('winston') as Winston;

/** A logger writing to `lines`, counting how many messages went through its format. */
function counted(level: string, transportLevel?: string) {
  const seen = { formatted: 0, lines: [] as string[] };
  const count = winston.format((info) => {
    seen.formatted++;
    return info;
  });
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      seen.lines.push(chunk.toString().trim());
      done();
    },
  });
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(
      count(),
      winston.format.printf((i) => `${i.level} ${i.message}`),
    ),
    transports: [new winston.transports.Stream({ stream: out, level: transportLevel })],
  });
  return { logger, seen };
}

describe('quiet loggers', () => {
  it('stops winston formatting messages below the level, and logs the same lines', () => {
    const before = counted('info');
    before.logger.debug('dropped');
    assert.equal(before.seen.formatted, 1, 'winston formats a message it then drops');

    quietLoggersFor(pluginDir);
    quietLoggersFor(pluginDir); // once per winston copy

    const { logger, seen } = counted('info');
    logger.debug('dropped');
    logger.info('kept');
    logger.child({ tx: 1 }).debug('dropped too');
    logger.child({ tx: 1 }).info('kept too');
    assert.equal(seen.formatted, 2);
    assert.deepEqual(seen.lines, ['info kept', 'info kept too']);

    logger.level = 'debug';
    logger.debug('now kept');
    assert.deepEqual(seen.lines.at(-1), 'debug now kept');
  });

  it('keeps a message a transport with its own lower level takes', () => {
    quietLoggersFor(pluginDir);
    const { logger, seen } = counted('info', 'debug');
    logger.debug('for the transport');
    assert.deepEqual(seen.lines, ['debug for the transport']);
  });

  it('leaves a folder without the libraries alone', () => {
    assert.doesNotThrow(() => quietLoggersFor('/'));
  });
});
