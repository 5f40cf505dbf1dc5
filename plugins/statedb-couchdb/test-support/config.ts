/**
 * core.yaml values for the tests: Fabric's CouchDB keys, with short retries and timeouts so that
 * failures show quickly.
 */
import type { PeerConfig } from '@fabric-peer/api';
import { fakeConfig } from '@fabric-peer/testkit';

/** Keys of `ledger.state.couchDBConfig` (without the prefix), plus totalQueryLimit. */
export interface CouchTestOptions {
  readonly username?: string | null;
  readonly password?: string | null;
  readonly maxRetries?: number;
  readonly maxRetriesOnStartup?: number;
  readonly requestTimeoutMs?: number;
  readonly internalQueryLimit?: number;
  readonly maxBatchUpdateSize?: number;
  readonly createGlobalChangesDB?: boolean;
  readonly cacheSize?: number;
  readonly totalQueryLimit?: number;
}

/** A PeerConfig pointing the CouchDB state database at `address`. */
export function couchConfig(address: string, o: CouchTestOptions = {}): PeerConfig {
  const p = 'ledger.state.couchDBConfig';
  return fakeConfig(
    {
      'ledger.state.stateDatabase': 'CouchDB',
      'ledger.state.totalQueryLimit': o.totalQueryLimit ?? 100000,
      [`${p}.couchDBAddress`]: address,
      [`${p}.username`]: o.username ?? null,
      [`${p}.password`]: o.password ?? null,
      [`${p}.maxRetries`]: o.maxRetries ?? 1,
      [`${p}.maxRetriesOnStartup`]: o.maxRetriesOnStartup ?? 2,
      [`${p}.requestTimeout`]: o.requestTimeoutMs ?? 10_000,
      [`${p}.internalQueryLimit`]: o.internalQueryLimit ?? 1000,
      [`${p}.maxBatchUpdateSize`]: o.maxBatchUpdateSize ?? 1000,
      [`${p}.createGlobalChangesDB`]: o.createGlobalChangesDB ?? false,
      [`${p}.cacheSize`]: o.cacheSize ?? 64,
    },
    { durations: { [`${p}.requestTimeout`]: o.requestTimeoutMs ?? 10_000 } },
  );
}
