/**
 * ChaincodeIndexes over `_lifecycle`'s runnable chaincodes: which get their package's indexes
 * deployed, and when. The lifecycle cache, the channels and the ledger are fakes here (the
 * lifecycle cache's own suite covers `invocable` and `onChange`, legacy-runnable the lscc source;
 * test/suites/couchdb-indexes runs the whole path on a real peer and CouchDB).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createChaincodePackage } from '@fabric-peer/chaincode-packages';
import type { KvLedger } from '@fabric-peer/ledger';
import { recordingLoggers } from '@fabric-peer/testkit';
import { ChaincodeIndexes, lifecycleRunnable, type InvocableChaincode } from '../src/index.js';
import { MemoryPackageStore } from '../test-support/lifecycle-stub.js';

const CHANNEL = 'mychannel';
const INDEX = 'META-INF/statedb/couchdb/indexes/indexOwner.json';

function indexedPackage(label: string): Promise<Buffer> {
  return createChaincodePackage({
    label,
    type: 'node',
    files: { 'src/index.js': 'module.exports = {};', [INDEX]: '{"index":{"fields":["owner"]}}' },
  });
}

/** A lifecycle cache, channel registry and ledger that the test drives by hand. */
function fixture(options: { indexType?: string } = {}) {
  const store = new MemoryPackageStore();
  let runnable: InvocableChaincode[] = [];
  let notify: ((channelId: string) => void) | undefined;
  /** deployChaincodeIndexes calls: the chaincode, its collections and the artifact paths. */
  const deployments: { chaincode: string; collections: readonly string[]; files: string[] }[] = [];
  let gate: Promise<void> = Promise.resolve();
  const ledger = {
    indexType: 'indexType' in options ? options.indexType : 'couchdb',
    async deployChaincodeIndexes(
      chaincode: { name: string; collections: readonly string[] },
      artifacts: ReadonlyMap<string, Uint8Array>,
    ) {
      await gate;
      deployments.push({
        chaincode: chaincode.name,
        collections: chaincode.collections,
        files: [...artifacts.keys()],
      });
      return { applied: [{ namespace: chaincode.name, files: [...artifacts.keys()] }], failed: [] };
    },
  } as unknown as KvLedger;
  const logs = recordingLoggers();
  const definitions = {
    onChange: (listener: (channelId: string) => void) => {
      notify = listener;
      return () => {
        notify = undefined;
      };
    },
    invocable: (channelId: string) => Promise.resolve(channelId === CHANNEL ? runnable : []),
  };
  const indexes = new ChaincodeIndexes({
    sources: [lifecycleRunnable(definitions, store)],
    channels: { get: (id) => (id === CHANNEL ? ({ ledger } as never) : undefined) },
    logger: logs.logger,
  });
  return {
    store,
    indexes,
    deployments,
    logs,
    set runnable(list: InvocableChaincode[]) {
      runnable = list;
    },
    change: (channelId = CHANNEL) => notify?.(channelId),
    /** Holds every deployment until the returned function is called. */
    hold(): () => void {
      let release: () => void = () => undefined;
      gate = new Promise((r) => (release = r));
      return release;
    },
  };
}

const runnable = (name: string, packageId: string, sequence = 1n): InvocableChaincode => ({
  name,
  version: '1.0',
  sequence,
  packageId,
  collections: ['owners'],
});

describe('ChaincodeIndexes', () => {
  it('deploys a runnable chaincode once per package and sequence', async () => {
    const f = fixture();
    const { packageId } = await f.store.install(await indexedPackage('assets_1'));
    f.indexes.start();
    f.runnable = [runnable('assets', packageId)];
    f.change();
    await f.indexes.idle();
    assert.deepEqual(f.deployments, [
      { chaincode: 'assets', collections: ['owners'], files: [INDEX] },
    ]);

    f.change(); // e.g. a block that approved something else
    await f.indexes.idle();
    assert.equal(f.deployments.length, 1, 'nothing new to deploy');

    f.runnable = [runnable('assets', packageId, 2n)];
    f.change();
    await f.indexes.idle();
    assert.equal(f.deployments.length, 2, 'a new sequence deploys again (Fabric does)');
    await f.indexes.stop();
  });

  it('runs one pass at a time per channel, and one more for changes seen meanwhile', async () => {
    const f = fixture();
    const a = await f.store.install(await indexedPackage('a_1'));
    const b = await f.store.install(await indexedPackage('b_1'));
    f.indexes.start();
    f.runnable = [runnable('a', a.packageId)];
    const release = f.hold();
    f.change();
    f.runnable = [runnable('a', a.packageId), runnable('b', b.packageId)];
    f.change();
    f.change();
    release();
    await f.indexes.idle();
    assert.deepEqual(
      f.deployments.map((d) => d.chaincode),
      ['a', 'b'],
    );
    await f.indexes.stop();
  });

  it('reads no package when the state database takes no indexes', async () => {
    const f = fixture({ indexType: undefined });
    let loads = 0;
    const load = f.store.load.bind(f.store);
    f.store.load = (id) => {
      loads++;
      return load(id);
    };
    const { packageId } = await f.store.install(await indexedPackage('assets_1'));
    f.indexes.start();
    f.runnable = [runnable('assets', packageId)];
    f.change();
    await f.indexes.idle();
    assert.equal(loads, 0);
    assert.deepEqual(f.deployments, []);
  });

  it('logs a package it cannot read and goes on with the others', async () => {
    const f = fixture();
    const good = await f.store.install(await indexedPackage('good_1'));
    f.indexes.start();
    f.store.packages.set('bad_1:00', {
      info: { packageId: 'bad_1:00', label: 'bad_1' },
      bytes: Buffer.from('not a package'),
    });
    f.runnable = [runnable('bad', 'bad_1:00'), runnable('good', good.packageId)];
    f.change();
    await f.indexes.idle();
    assert.deepEqual(
      f.deployments.map((d) => d.chaincode),
      ['good'],
    );
    const errors = f.logs.records.filter((r) => r.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.fields?.['deployment'], 'bad_1:00#1');
  });

  it('follows no change after stop', async () => {
    const f = fixture();
    const { packageId } = await f.store.install(await indexedPackage('assets_1'));
    f.indexes.start();
    await f.indexes.stop();
    f.runnable = [runnable('assets', packageId)];
    f.change();
    await f.indexes.idle();
    assert.deepEqual(f.deployments, []);
  });
});
