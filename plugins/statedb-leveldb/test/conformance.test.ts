import { runStateDbConformance } from '@fabric-peer/statedb-testkit';
import { providerFor, removeDir, tempPeerDir } from '../test-support/support.js';

runStateDbConformance(
  'goleveldb (classic-level)',
  async () => {
    const dir = await tempPeerDir();
    return {
      open: () => Promise.resolve(providerFor(dir)),
      cleanup: () => removeDir(dir),
    };
  },
  { capabilities: { bytesKeys: true, bulkVersions: true, richQueries: false, indexes: false } },
);
