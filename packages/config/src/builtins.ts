/**
 * The names each extension point knows without a `library:`. The core binds its built-in
 * implementations under these same names, so the config check and the container agree.
 */

/** Extension point → the names that need no `library:`. */
export const builtins = {
  /** `peer.handlers.authFilters[].name` (Fabric's `core/handlers/library`; TimeWindowCheck is v3). */
  authFilters: ['DefaultAuth', 'ExpirationCheck', 'TimeWindowCheck'],
  /** `peer.handlers.decorators[].name`. */
  decorators: ['DefaultDecorator'],
  /** `peer.handlers.endorsers.<key>.name`. */
  endorsers: ['DefaultEndorsement'],
  /** `peer.handlers.validators.<key>.name`. */
  validators: ['DefaultValidation'],
  /** `vm.providers[].name`: the chaincode runtimes this project ships. */
  vmProviders: ['inprocess', 'docker', 'remote'],
  /** `ledger.state.stateDatabase` without `ledger.state.library` (any case is accepted). */
  stateDatabases: ['goleveldb', 'CouchDB'],
} as const;

/** An extension point that has built-in names. */
export type ExtensionPoint = keyof typeof builtins;
