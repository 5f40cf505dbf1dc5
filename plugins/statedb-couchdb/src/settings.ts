/**
 * The core.yaml keys this plugin reads: `ledger.state.couchDBConfig.*` and
 * `ledger.state.totalQueryLimit`, with Fabric's defaults where a key is empty.
 */
import { ConfigError, type ConfigIssue, type PeerConfig } from '@fabric-peer/api';

/** Settings of the CouchDB state database. */
export interface CouchDbSettings {
  /** `couchDBAddress`: host:port. */
  readonly address: string;
  readonly username?: string;
  readonly password?: string;
  readonly maxRetries: number;
  readonly maxRetriesOnStartup: number;
  /** `requestTimeout` in milliseconds. */
  readonly requestTimeoutMs: number;
  readonly internalQueryLimit: number;
  /** 0: one bulk update per namespace, however large. */
  readonly maxBatchUpdateSize: number;
  readonly createGlobalChangesDB: boolean;
  /** `cacheSize` in MB (0: no cache for user namespaces). */
  readonly cacheSizeMb: number;
  /** `ledger.state.totalQueryLimit`. */
  readonly totalQueryLimit: number;
}

const PREFIX = 'ledger.state.couchDBConfig';

/** Fabric's defaults (sampleconfig/core.yaml and internal/peer/node/config.go). */
const DEFAULTS = {
  maxRetries: 3,
  maxRetriesOnStartup: 10,
  requestTimeoutMs: 35_000,
  internalQueryLimit: 1000,
  maxBatchUpdateSize: 500,
  cacheSizeMb: 64,
  totalQueryLimit: 10_000,
};

/** Reads and checks the settings; throws a ConfigError listing every bad key. */
export function readCouchDbSettings(config: PeerConfig): CouchDbSettings {
  const issues: ConfigIssue[] = [];

  const str = (key: string, sensitive = false): string | undefined => {
    const v = config.get(key);
    if (v === null || v === undefined || v === '') return undefined;
    if (typeof v !== 'string') {
      // A password is never repeated in a message.
      issues.push(
        sensitive
          ? { key, problem: 'must be a string' }
          : { key, value: v, problem: 'must be a string' },
      );
      return undefined;
    }
    return v;
  };
  const int = (key: string, fallback: number, min = 0): number => {
    const v = config.get(key);
    if (v === null || v === undefined || v === '') return fallback;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
      issues.push({ key, value: v, problem: 'must be a whole number', allowed: `>= ${min}` });
      return fallback;
    }
    return n;
  };

  const addressKey = `${PREFIX}.couchDBAddress`;
  const address = str(addressKey);
  if (address === undefined) {
    issues.push({
      key: addressKey,
      problem: 'is required when ledger.state.stateDatabase is CouchDB',
      allowed: 'host:port, e.g. 127.0.0.1:5984',
    });
  } else if (address.includes('@')) {
    // Not repeated: it holds credentials.
    issues.push({
      key: addressKey,
      problem: 'must not hold credentials',
      allowed: 'host:port, with username and password in their own keys',
    });
  } else if (!/^(https?:\/\/)?[^\s/:@]+(:\d{1,5})?\/?$/i.test(address)) {
    issues.push({ key: addressKey, value: address, problem: 'is not a host:port address' });
  }

  const timeoutKey = `${PREFIX}.requestTimeout`;
  let requestTimeoutMs = DEFAULTS.requestTimeoutMs;
  try {
    const ms = config.durationMs(timeoutKey);
    if (ms !== null) {
      if (ms <= 0) {
        issues.push({ key: timeoutKey, value: ms, problem: 'must be a positive duration' });
      } else {
        requestTimeoutMs = ms;
      }
    }
  } catch (err) {
    issues.push({ key: timeoutKey, problem: (err as Error).message });
  }

  const createKey = `${PREFIX}.createGlobalChangesDB`;
  const create = config.get(createKey);
  if (create !== null && create !== undefined && typeof create !== 'boolean') {
    issues.push({ key: createKey, value: create, problem: 'must be true or false' });
  }

  const username = str(`${PREFIX}.username`);
  const password = str(`${PREFIX}.password`, true);
  const settings: CouchDbSettings = {
    address: address ?? '',
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    maxRetries: int(`${PREFIX}.maxRetries`, DEFAULTS.maxRetries),
    maxRetriesOnStartup: int(`${PREFIX}.maxRetriesOnStartup`, DEFAULTS.maxRetriesOnStartup),
    requestTimeoutMs,
    internalQueryLimit: int(`${PREFIX}.internalQueryLimit`, DEFAULTS.internalQueryLimit, 1),
    maxBatchUpdateSize: int(`${PREFIX}.maxBatchUpdateSize`, DEFAULTS.maxBatchUpdateSize),
    createGlobalChangesDB: create === true,
    cacheSizeMb: int(`${PREFIX}.cacheSize`, DEFAULTS.cacheSizeMb),
    totalQueryLimit: int('ledger.state.totalQueryLimit', DEFAULTS.totalQueryLimit, 1),
  };
  if (issues.length > 0) throw new ConfigError(issues);
  return settings;
}
