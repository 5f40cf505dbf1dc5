/**
 * `@fabric-peer/statedb-couchdb`: the built-in `CouchDB` state database
 * (`ledger.state.stateDatabase: CouchDB`), Fabric's statecouchdb over nano, and the `couchdb`
 * health checker. The peer loads this plugin only when CouchDB is the state database.
 *
 * @packageDocumentation
 */
import { definePlugin } from '@fabric-peer/api';
import { CouchDbHealthChecker } from './health.js';
import { CouchDbStateProvider } from './provider.js';

export { CouchDbHealthChecker, CouchDbStateProvider };
export { CouchDbError, type CouchDbErrorCode } from './errors.js';
export { readCouchDbSettings, type CouchDbSettings } from './settings.js';
export { metadataDbName, namespaceDbName, mapAndValidateDbName, escapeUpperCase } from './names.js';
export { keyValueProblem } from './codec.js';

export default definePlugin({
  name: 'statedb-couchdb',
  version: '0.1.0',
  description: "Fabric's CouchDB state database (rich queries, indexes) over nano",
  contributes: {
    stateDatabase: { CouchDB: CouchDbStateProvider },
    healthChecker: { couchdb: CouchDbHealthChecker },
  },
});
