/** The core.yaml keys the committer reads. */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { fakeConfig } from '@fabric-peer/testkit';

import { committerSettings } from '../src/index.js';

describe('committer settings', () => {
  const config = (values: Record<string, unknown>) =>
    fakeConfig(
      {
        'peer.fileSystemPath': 'production',
        'peer.validatorPoolSize': null,
        'peer.gossip.pvtData.transientstoreMaxBlockRetention': 1000,
        'peer.localMspId': 'Org1MSP',
        ...values,
      },
      { dir: '/etc/peer' },
    );

  it("reads Fabric's keys, with Fabric's defaults", () => {
    assert.deepEqual(committerSettings(config({})), {
      validatorPoolSize: availableParallelism(),
      transientStorePath: '/etc/peer/production/transientstore',
      transientBlockRetention: 1000,
      localMspId: 'Org1MSP',
    });
  });

  it('takes a validator pool size and an absolute file system path as given', () => {
    const s = committerSettings(
      config({
        'peer.validatorPoolSize': 3,
        'peer.fileSystemPath': '/var/hyperledger/production',
        'peer.gossip.pvtData.transientstoreMaxBlockRetention': 20000,
      }),
    );
    assert.equal(s.validatorPoolSize, 3);
    assert.equal(s.transientStorePath, '/var/hyperledger/production/transientstore');
    assert.equal(s.transientBlockRetention, 20000);
    assert.equal(
      committerSettings(config({ 'peer.validatorPoolSize': 0 })).validatorPoolSize,
      availableParallelism(),
    );
  });
});
