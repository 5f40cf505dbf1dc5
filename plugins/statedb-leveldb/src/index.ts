/**
 * `@fabric-peer/statedb-leveldb`: the built-in state database `goleveldb`
 * (`ledger.state.stateDatabase: goleveldb`), Fabric's versioned world state on LevelDB through
 * classic-level, in `<peer.fileSystemPath>/ledgersData/stateLeveldb`.
 *
 * @packageDocumentation
 */
import { definePlugin } from '@fabric-peer/api';
import { LevelDbStateProvider } from './provider.js';

export { LevelDbStateProvider, stateLevelDbPath } from './provider.js';
export { StateDatabaseError, type StateDatabaseErrorCode } from './errors.js';

export default definePlugin({
  name: 'statedb-leveldb',
  version: '0.1.0',
  description: "Fabric's goleveldb state database, on LevelDB (classic-level)",
  contributes: {
    stateDatabase: { goleveldb: LevelDbStateProvider },
  },
});
