/**
 * Health checker `couchdb` (Fabric's `couchInstance.healthCheck`): the configured CouchDB answers
 * `GET /`, once, within requestTimeout.
 */
import {
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type HealthChecker,
} from '@fabric-peer/api';
import { CouchConnection } from './connection.js';
import { readCouchDbSettings } from './settings.js';

/** Reports whether CouchDB answers. */
@injectable()
export class CouchDbHealthChecker implements HealthChecker {
  readonly component = 'couchdb';
  readonly #conn: CouchConnection;

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    const s = readCouchDbSettings(config);
    this.#conn = new CouchConnection(
      {
        address: s.address,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.password !== undefined ? { password: s.password } : {}),
        maxRetries: 0,
        requestTimeoutMs: s.requestTimeoutMs,
      },
      loggers('couchdb'),
    );
  }

  async check(): Promise<void> {
    try {
      await this.#conn.request({
        method: 'GET',
        path: [],
        operation: 'health check (GET /)',
        retries: 0,
      });
    } catch (err) {
      throw new Error(
        `failed to connect to couch db at ${this.#conn.address}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
