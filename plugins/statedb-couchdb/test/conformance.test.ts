/**
 * The state database conformance suite of @fabric-peer/statedb-testkit, run against this plugin
 * on a real pouchdb-server.
 */
import { after, before } from 'node:test';
import { silentLoggers } from '@fabric-peer/testkit';
import { runStateDbConformance } from '@fabric-peer/statedb-testkit';
import { CouchDbStateProvider } from '../src/index.js';
import { couchConfig } from '../test-support/config.js';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';

let server: TestCouchServer | undefined;
before(async () => {
  server = await startPouchDbServer();
});
after(async () => {
  await server?.stop();
});

runStateDbConformance(
  'CouchDB (pouchdb-server)',
  () => ({
    open: () => {
      if (server === undefined) throw new Error('pouchdb-server is not running');
      // Small batches, so that the suite's scans and queries cross batch boundaries.
      return Promise.resolve(
        new CouchDbStateProvider(
          couchConfig(server.address, { internalQueryLimit: 7, maxBatchUpdateSize: 50 }),
          silentLoggers,
        ),
      );
    },
  }),
  {
    jsonValues: 'json',
    capabilities: { bytesKeys: false, bulkVersions: true, richQueries: true, indexes: true },
  },
);
