/**
 * LegacyRunnable on a real channel and ledger, with the real lscc: which lscc chaincodes this peer
 * can run (deployed and installed under the same name and version), with their collections and
 * their package's `META-INF/statedb/` files, and when it reports a change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeTarGz } from '@fabric-peer/chaincode-packages';
import { protos } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import { LegacyRunnable, Lscc } from '../src/index.js';
import { openSccEnv, type SccEnv } from '../test-support/env.js';
import { collection } from '../test-support/lifecycle-args.js';
import { MemoryLegacyStore, deploymentSpec, invoke } from '../test-support/stub.js';

const SCCS = new Set(['lscc', 'qscc', 'cscc', '_lifecycle']);
const INDEX = 'META-INF/statedb/couchdb/indexes/indexOwner.json';

describe('LegacyRunnable', () => {
  let env: SccEnv;
  let store: MemoryLegacyStore;
  let lscc: Lscc;
  let runnable: LegacyRunnable;
  const changes: string[] = [];

  before(async () => {
    env = await openSccEnv({ applicationCapabilities: ['V1_4_2'] });
    store = new MemoryLegacyStore();
    runnable = new LegacyRunnable({ channels: env.tc.channels, store });
    runnable.onChange((id) => changes.push(id));
    runnable.start();
    lscc = new Lscc({
      channels: env.tc.channels,
      acl: env.acl,
      store,
      systemChaincodes: SCCS,
      onInstalled: () => runnable.installed(),
      logger: silentLoggers('lscc'),
    });
  });

  after(async () => {
    runnable.stop();
    await env.close();
  });

  const lsccCall = (args: (string | Uint8Array)[], channelId = env.net.channelId) =>
    invoke(lscc, env.tc.channels, { signer: env.net.identities.admin, channelId, args });

  const code = writeTarGz([
    { path: 'src/index.js', data: 'module.exports = {};' },
    { path: INDEX, data: '{"index":{"fields":["owner"]}}' },
  ]);

  it('reports the channels it follows when it starts', () => {
    assert.deepEqual(changes, [env.net.channelId]);
  });

  it('lists a deployed chaincode once it is installed, with its collections and artifacts', async () => {
    const cds = deploymentSpec('marbles', '1.0', { code });
    // Deployed (the peer that endorsed the deploy had it) but not installed here yet.
    const other = new MemoryLegacyStore();
    await other.install(cds);
    const deployer = new Lscc({
      channels: env.tc.channels,
      acl: env.acl,
      store: other,
      systemChaincodes: SCCS,
      logger: silentLoggers('lscc'),
    });
    const collections = protos.CollectionConfigPackage.encode({
      config: [collection('owners', { orgs: ['Org1MSP'] })],
    }).finish();
    const deploy = await invoke(deployer, env.tc.channels, {
      signer: env.net.identities.admin,
      channelId: env.net.channelId,
      args: ['deploy', env.net.channelId, cds, '', '', '', collections],
    });
    assert.equal(deploy.response.status, 200, deploy.response.message);
    changes.length = 0;
    await env.commit(deploy.stub.getTxId(), deploy.rwset!);
    assert.deepEqual(changes, [env.net.channelId], 'a block with lscc writes is a change');
    assert.deepEqual(await runnable.runnable(env.net.channelId), [], 'not installed here');

    changes.length = 0;
    const installed = await lsccCall(['install', cds], '');
    assert.equal(installed.response.status, 200, installed.response.message);
    assert.deepEqual(changes, [env.net.channelId], 'an install is a change on every channel');
    const [found, ...rest] = await runnable.runnable(env.net.channelId);
    assert.deepEqual(rest, []);
    assert.ok(found);
    assert.equal(found.name, 'marbles');
    assert.deepEqual(found.collections, ['owners']);
    assert.match(found.deployment, /^1\.0:[0-9a-f]{64}$/);
    assert.deepEqual([...(await found.statedbArtifacts()).keys()], [INDEX]);
  });

  it('reports no change for a block without lscc writes', async () => {
    changes.length = 0;
    const sim = await env.tc.channels.get(env.net.channelId)!.ledger.newTxSimulator('plain');
    let results;
    try {
      await sim.setState('marbles', 'k', new TextEncoder().encode('v'));
      results = await sim.getTxSimulationResults();
    } finally {
      sim.done();
    }
    await env.commit('plain', results.publicRwset);
    assert.deepEqual(changes, []);
    assert.equal((await runnable.runnable(env.net.channelId)).length, 1);
  });
});
