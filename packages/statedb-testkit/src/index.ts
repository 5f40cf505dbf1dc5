/**
 * `@fabric-peer/statedb-testkit`: the conformance suite of the state database extension point
 * (`runStateDbConformance`), which every implementation runs against itself, and an in-memory
 * reference implementation that passes it (`memoryStateDatabaseProvider`, `MemoryVersionedDB`),
 * for the unit tests of the ledger.
 *
 * @packageDocumentation
 */
export { runStateDbConformance, LARGE_VALUE_BYTES } from './conformance.js';
export type {
  ConformanceOptions,
  StateDbCapabilities,
  StateDbFactory,
  StateDbStorage,
} from './harness.js';
export {
  MemoryStateStore,
  MemoryVersionedDB,
  memoryStateDatabaseProvider,
  type MemoryProviderOptions,
  type MemoryStateOptions,
} from './memory.js';
export { couchDbKeyValueProblem } from './couchdb-rules.js';
export { compareUtf8 } from './bytes.js';
