/**
 * The plugin packages shipped with the peer, and which of them a configuration needs: Fabric's
 * handlers always, and the state database that `ledger.state.stateDatabase` names (unless
 * `ledger.state.library` names a third party's). Loading only the chosen database means, for
 * example, that the CouchDB health checker exists only when CouchDB is configured, as in Fabric.
 */
import type { PeerConfig } from '@fabric-peer/api';

/** Built-in state databases by their `ledger.state.stateDatabase` name. */
export const BUILTIN_STATE_DATABASES: Readonly<Record<string, string>> = {
  goleveldb: '@fabric-peer/statedb-leveldb',
  CouchDB: '@fabric-peer/statedb-couchdb',
};

/** Packages every peer loads. */
export const ALWAYS_LOADED: readonly string[] = ['@fabric-peer/handlers-default'];

/** The built-in packages `config` needs. */
export function builtinPackages(config: PeerConfig): string[] {
  const packages = [...ALWAYS_LOADED];
  const library = config.get('ledger.state.library');
  const database = BUILTIN_STATE_DATABASES[String(config.get('ledger.state.stateDatabase'))];
  if ((typeof library !== 'string' || library === '') && database !== undefined) {
    packages.push(database);
  }
  return packages;
}
