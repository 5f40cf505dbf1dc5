/**
 * `ledger`: the state database (built-in LevelDB or CouchDB, or a plugin named by
 * `ledger.state.library`), history, private data store and snapshots.
 */

import { address, asPath, bool, duration, emptySection, int, nullable, str } from '../formats.js';
import { key } from './define.js';

const count = (value: number, doc: string) => key(int({ min: 0 }), value, doc);

/** Schema of `ledger`. */
export function ledgerSchema() {
  return {
    blockchain: key(emptySection(), null, 'Empty in Fabric; kept so that existing files load.'),
    state: {
      stateDatabase: key(
        str({ required: true }),
        'goleveldb',
        'State database: goleveldb or CouchDB (any case), or the name of the database provided by ledger.state.library.',
      ),
      library: key(
        nullable(str({ required: true })),
        null,
        'npm package or path of a plugin providing the state database named by stateDatabase.',
      ),
      totalQueryLimit: count(100000, 'Most records a chaincode query returns.'),
      couchDBConfig: {
        couchDBAddress: key(address(), '127.0.0.1:5984', 'host:port of CouchDB.'),
        username: key(
          nullable(str()),
          null,
          'CouchDB user, with read and write rights on its databases.',
        ),
        password: key(
          nullable(str()),
          null,
          'Password of the CouchDB user; better given as CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD.',
          { sensitive: true },
        ),
        maxRetries: count(3, 'Retries of a failed CouchDB request.'),
        maxRetriesOnStartup: count(
          10,
          'Retries of a failed CouchDB request at start-up (the delay doubles each time).',
        ),
        requestTimeout: key(duration(), '35s', 'Timeout of one CouchDB request.'),
        internalQueryLimit: count(1000, 'Records fetched per internal CouchDB query.'),
        maxBatchUpdateSize: count(1000, 'Documents per CouchDB bulk update.'),
        createGlobalChangesDB: key(bool(), false, 'Create the _global_changes system database.'),
        cacheSize: count(
          64,
          'MB of state cache in front of CouchDB (rounded up to a multiple of 32); 0 turns it off.',
        ),
      },
    },
    history: {
      enableHistoryDatabase: key(
        bool(),
        true,
        'Keep the history of key updates (needed by GetHistoryForKey).',
      ),
    },
    pvtdataStore: {
      collElgProcMaxDbBatchSize: count(
        5000,
        'Batch size when converting missing private data from ineligible to eligible.',
      ),
      collElgProcDbBatchesInterval: count(
        1000,
        'Milliseconds between two such conversion batches.',
      ),
      deprioritizedDataReconcilerInterval: key(
        duration(),
        '60m',
        'How often private data that could not be fetched is retried (more than reconcileSleepInterval).',
      ),
      purgeInterval: count(
        100,
        'Blocks between two removals of expired and purged private data from the store (neither is served meanwhile).',
      ),
      purgedKeyAuditLogging: key(
        bool(),
        true,
        'Log (at INFO) the keys of private data purged on request of a chaincode.',
      ),
    },
    snapshots: {
      rootDir: key(
        asPath(str({ required: true })),
        '/var/hyperledger/production/snapshots',
        'Folder where ledger snapshots are written.',
      ),
    },
  };
}
