/**
 * The `CouchDB` state database provider (Fabric's statecouchdb `VersionedDBProvider`): one
 * connection to the configured CouchDB, made at the first open, shared by the channels.
 */
import {
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type Logger,
  type StateDatabaseProvider,
  type VersionedDB,
} from '@fabric-peer/api';
import { CouchDbError } from './errors.js';
import { CouchInstance } from './instance.js';
import { readCouchDbSettings, type CouchDbSettings } from './settings.js';
import { dropChannel, openChannel } from './versioned-db.js';

/** Logger module of the state database (Fabric's `statecouchdb`). */
export const LOGGER_MODULE = 'statecouchdb';

/** Opens channel state databases on CouchDB. */
@injectable()
export class CouchDbStateProvider implements StateDatabaseProvider {
  readonly name = 'CouchDB';
  readonly #settings: CouchDbSettings;
  readonly #log: Logger;
  #instance: Promise<CouchInstance> | undefined;
  #closed = false;

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#settings = readCouchDbSettings(config);
    this.#log = loggers(LOGGER_MODULE);
  }

  /** The server, contacted (and checked) on first use; a failed contact is retried next time. */
  #server(): Promise<CouchInstance> {
    if (this.#closed) {
      return Promise.reject(
        new CouchDbError('COUCHDB_CLOSED', 'the CouchDB state database provider is closed'),
      );
    }
    if (this.#instance === undefined) {
      const inst = new CouchInstance(this.#settings, this.#log);
      const started = inst.start().then(() => inst);
      this.#instance = started;
      started.catch(() => {
        inst.conn.close();
        if (this.#instance === started) this.#instance = undefined;
      });
    }
    return this.#instance;
  }

  async open(channelId: string): Promise<VersionedDB> {
    const inst = await this.#server();
    return openChannel(inst, channelId);
  }

  async drop(channelId: string): Promise<void> {
    const inst = await this.#server();
    await dropChannel(inst, channelId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#instance;
    this.#instance = undefined;
    if (pending === undefined) return;
    try {
      (await pending).conn.close();
    } catch {
      // It never started: nothing to close.
    }
  }
}
