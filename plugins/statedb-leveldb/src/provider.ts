/**
 * The `goleveldb` state database provider: one LevelDB (classic-level) in
 * `<peer.fileSystemPath>/ledgersData/stateLeveldb` for the whole peer, each channel under its own
 * key prefix, as Fabric's leveldbhelper.Provider.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  ConfigError,
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type Logger,
  type StateDatabaseProvider,
  type VersionedDB,
} from '@fabric-peer/api';
import { ClassicLevel } from 'classic-level';
import { channelRange, DATA_FORMAT, FORMAT_KEY } from './encoding.js';
import { openError, operationError, StateDatabaseError } from './errors.js';
import { LevelVersionedDB } from './versioned-db.js';

type Level = ClassicLevel<Buffer, Buffer>;

/** The folder of the state database under `peer.fileSystemPath`, as Fabric lays it out. */
export function stateLevelDbPath(fileSystemPath: string): string {
  return join(fileSystemPath, 'ledgersData', 'stateLeveldb');
}

function checkChannel(channelId: string): void {
  // `_` is the internal database (the format record); U+0000 would break the key prefixes.
  if (channelId === '' || channelId === '_' || channelId.includes('\u0000')) {
    throw new TypeError(`invalid channel name ${JSON.stringify(channelId)} for the state database`);
  }
}

/** Opens (creating if needed) the database in `path` and checks its data format. */
async function openLevel(path: string, log: Logger): Promise<Level> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw openError(err, path);
  }
  const db: Level = new ClassicLevel<Buffer, Buffer>(path, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  try {
    await db.open();
  } catch (err) {
    throw openError(err, path);
  }
  try {
    const format = await db.get(FORMAT_KEY);
    if (format === undefined) {
      const [first] = await db.keys({ limit: 1 }).all();
      if (first !== undefined) throw formatError(path, '');
      await db.put(FORMAT_KEY, Buffer.from(DATA_FORMAT), { sync: true });
      log.info('created the state database', { path, format: DATA_FORMAT });
    } else if (format.toString('utf8') !== DATA_FORMAT) {
      throw formatError(path, format.toString('utf8'));
    } else {
      log.debug('opened the state database', { path });
    }
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err instanceof StateDatabaseError ? err : openError(err, path);
  }
  return db;
}

function formatError(path: string, found: string): StateDatabaseError {
  return new StateDatabaseError(
    'STATEDB_FORMAT',
    `the state database in ${path} holds data in format ${JSON.stringify(found)}, ` +
      `expected ${JSON.stringify(DATA_FORMAT)}; move it away, or point peer.fileSystemPath elsewhere`,
    { details: { path, found, expected: DATA_FORMAT } },
  );
}

/**
 * The built-in `goleveldb` state database. The container builds one per peer; it opens LevelDB on
 * first use, and again after `close()` when asked for a channel.
 */
@injectable()
export class LevelDbStateProvider implements StateDatabaseProvider {
  readonly name = 'goleveldb';
  /** The LevelDB folder: `<peer.fileSystemPath>/ledgersData/stateLeveldb`. */
  readonly path: string;
  readonly #log: Logger;
  #db: Promise<Level> | undefined;
  readonly #open = new Set<LevelVersionedDB>();

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    const fsPath = config.get('peer.fileSystemPath');
    if (typeof fsPath !== 'string' || fsPath.trim() === '') {
      throw new ConfigError([
        {
          key: 'peer.fileSystemPath',
          value: fsPath,
          problem: 'is needed by the goleveldb state database',
          allowed: 'the folder where the peer keeps its ledgers',
        },
      ]);
    }
    this.path = stateLevelDbPath(resolve(config.dir, fsPath));
    this.#log = loggers('stateleveldb');
  }

  #level(): Promise<Level> {
    if (!this.#db) {
      const opening = openLevel(this.path, this.#log);
      this.#db = opening;
      // A failed open is not remembered: the next call tries again.
      opening.catch(() => {
        if (this.#db === opening) this.#db = undefined;
      });
    }
    return this.#db;
  }

  async open(channelId: string): Promise<VersionedDB> {
    checkChannel(channelId);
    const level = await this.#level();
    const db = new LevelVersionedDB(level, channelId, this.path, (closed) =>
      this.#open.delete(closed),
    );
    this.#open.add(db);
    return db;
  }

  async drop(channelId: string): Promise<void> {
    checkChannel(channelId);
    const level = await this.#level();
    try {
      await level.clear(channelRange(channelId));
    } catch (err) {
      throw operationError(err, this.path, `dropping the state of channel ${channelId}`);
    }
    this.#log.info('dropped the state of a channel', { channel: channelId, path: this.path });
  }

  async close(): Promise<void> {
    const opening = this.#db;
    this.#db = undefined;
    await Promise.all([...this.#open].map((db) => db.close()));
    const level = await opening?.catch(() => undefined);
    if (level) {
      try {
        await level.close();
      } catch (err) {
        throw operationError(err, this.path, 'closing the state database');
      }
    }
  }
}
