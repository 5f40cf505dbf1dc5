/**
 * The plugin packages shipped with the peer, and which of them a configuration needs: Fabric's
 * handlers always, the state database that `ledger.state.stateDatabase` names (unless
 * `ledger.state.library` names a third party's), and the chaincode runtimes `vm.providers` lists
 * without a `library:`. Loading only what is chosen means, for example, that the CouchDB and Docker
 * health checkers exist only when CouchDB or Docker is configured, as in Fabric.
 */
import type { PeerConfig } from '@fabric-peer/api';

/** Built-in state databases by their `ledger.state.stateDatabase` name. */
export const BUILTIN_STATE_DATABASES: Readonly<Record<string, string>> = {
  goleveldb: '@fabric-peer/statedb-leveldb',
  CouchDB: '@fabric-peer/statedb-couchdb',
};

/** Built-in chaincode runtimes by their `vm.providers[].name`. */
export const BUILTIN_VM_PROVIDERS: Readonly<Record<string, string>> = {
  inprocess: '@fabric-peer/vm-inprocess',
  docker: '@fabric-peer/vm-docker',
  remote: '@fabric-peer/vm-remote',
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
  const providers = config.get('vm.providers') as readonly {
    name: string;
    library: string | null;
  }[];
  for (const { name, library: lib } of providers) {
    const builtin = BUILTIN_VM_PROVIDERS[name];
    if (lib === null && builtin !== undefined && !packages.includes(builtin))
      packages.push(builtin);
  }
  return packages;
}
