/**
 * CouchDB indexes shipped in a chaincode package (`META-INF/statedb/couchdb/...`) are created when
 * the chaincode becomes runnable through `_lifecycle`, whichever comes last of install and
 * definition commit, and again when the peer starts, as Fabric's peer does; for lscc chaincode,
 * when it is deployed and installed. A real peer, a real CouchDB-protocol server
 * (pouchdb-server), the asset-transfer test chaincode on the in-process runtime. Transactions are
 * committed straight to the ledger by the harness (no orderer here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChaincodePackage, packageId } from '@fabric-peer/chaincode-packages';
import { ChaincodeService } from '@fabric-peer/node';
import type { protos } from '@fabric-peer/protos';
import { common } from '@fabric-peer/protos';
import { signedByNOutOfGivenRole } from '@fabric-peer/scc';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';
import {
  ASSET_CHAINCODE_DIR,
  defineWithLifecycle,
  deployAssetChaincode,
  installWithLifecycle,
} from '../helpers/asset-suite.js';
import { PeerHarness, expectOk } from '../helpers/peer-harness.js';

const OWNER_INDEX = {
  index: { fields: ['Owner'] },
  ddoc: 'indexOwnerDoc',
  name: 'indexOwner',
  type: 'json',
};
const COLLECTION_INDEX = {
  index: { fields: ['secret'] },
  ddoc: 'indexSecretDoc',
  name: 'indexSecret',
  type: 'json',
};

/** The asset-transfer chaincode with two indexes, one of them for collection `owners`. */
function assetPackage(label: string): Promise<Buffer> {
  return createChaincodePackage({
    label,
    type: 'node',
    codeDir: ASSET_CHAINCODE_DIR,
    files: {
      'META-INF/statedb/couchdb/indexes/indexOwner.json': JSON.stringify(OWNER_INDEX),
      'META-INF/statedb/couchdb/indexes/indexBroken.json': '{"index":',
      'META-INF/statedb/couchdb/collections/owners/indexes/indexSecret.json':
        JSON.stringify(COLLECTION_INDEX),
    },
  });
}

const COLLECTIONS: protos.ICollectionConfigPackage = {
  config: [
    {
      staticCollectionConfig: {
        name: 'owners',
        memberOrgsPolicy: {
          signaturePolicy: signedByNOutOfGivenRole(1, common.MSPRole.MSPRoleType.MEMBER, [
            'Org1MSP',
          ]),
        },
        requiredPeerCount: 0,
        maximumPeerCount: 1,
      },
    },
  ],
};

/** The names of the JSON indexes of a namespace's database (none when it does not exist). */
async function jsonIndexes(
  couch: TestCouchServer,
  peer: PeerHarness,
  namespace: string,
): Promise<string[]> {
  const db = encodeURIComponent(`${peer.net.channelId}_${namespace}`);
  const res = await fetch(`${couch.url}/${db}/_index`);
  if (res.status === 404) return [];
  assert.equal(res.status, 200, `GET ${db}/_index`);
  const body = (await res.json()) as { indexes: { name: string; type: string }[] };
  return body.indexes
    .filter((i) => i.type === 'json')
    .map((i) => i.name)
    .sort();
}

describe('CouchDB indexes from chaincode packages', { timeout: 300_000 }, () => {
  let couch: TestCouchServer;
  let peer: PeerHarness;

  before(async () => {
    couch = await startPouchDbServer();
    peer = await PeerHarness.start({
      couchDbAddress: couch.address,
      applicationCapabilities: ['V2_0'],
      logSpec: 'warning',
    });
    await peer.joinChannel();
  });

  after(async () => {
    await peer?.stop();
    await couch?.stop();
  });

  const indexes = () => peer.node.kernel.container.get(ChaincodeService).indexes;

  const couchIndexes = (namespace: string) => jsonIndexes(couch, peer, namespace);

  const install = (pkg: Uint8Array) => installWithLifecycle(peer, pkg);
  const define = (name: string, id: string) => defineWithLifecycle(peer, name, id, COLLECTIONS);

  async function invoke(name: string, fn: string, args: string[]) {
    const { built, response } = await peer.propose({
      channelId: peer.net.channelId,
      chaincode: name,
      args: [fn, ...args],
    });
    return { built, response };
  }

  it('creates them when the package is installed after the definition is committed', async () => {
    const pkg = await assetPackage('assets_1');
    await define('assets', packageId('assets_1', pkg));
    await indexes().idle();
    assert.deepEqual(await couchIndexes('assets'), [], 'not runnable yet: not installed');

    await install(pkg);
    await indexes().idle();
    assert.deepEqual(await couchIndexes('assets'), ['indexOwner']);
    assert.deepEqual(await couchIndexes('assets$$powners'), ['indexSecret']);
    // The broken file is reported and the deployment goes on.
    const errors = peer.records().filter((r) => r['level'] === 'error');
    assert.ok(
      errors.some((r) => JSON.stringify(r).includes('indexBroken.json')),
      JSON.stringify(errors),
    );

    // The chaincode runs, and a query that sorts on Owner (which CouchDB serves only from an
    // index) answers in the index's order.
    for (const [id, who] of [
      ['a1', 'zoe'],
      ['a2', 'bob'],
      ['a3', 'mia'],
    ] as const) {
      const created = await invoke('assets', 'CreateAsset', [id, 'blue', '5', who, '100']);
      expectOk(created.response, `CreateAsset ${id}`);
      await peer.commit([
        await PeerHarness.envelopeOf(created.built, created.response, peer.net.identities.admin),
      ]);
    }
    const query = JSON.stringify({
      selector: { Owner: { $gt: null } },
      sort: [{ Owner: 'asc' }],
      use_index: ['_design/indexOwnerDoc', 'indexOwner'],
    });
    const found = await invoke('assets', 'QueryAssets', [query]);
    expectOk(found.response, 'QueryAssets sorted by Owner');
    const owners = (
      JSON.parse(Buffer.from(found.response.response!.payload!).toString()) as {
        Record: { Owner: string };
      }[]
    ).map((r) => r.Record.Owner);
    assert.deepEqual(owners, ['bob', 'mia', 'zoe']);
  });

  it('creates them when the definition is committed after the package is installed', async () => {
    const pkg = await assetPackage('assets2_1');
    await install(pkg);
    await indexes().idle();
    assert.deepEqual(await couchIndexes('assets2'), [], 'not defined yet');

    const deployed: string[] = [];
    const stopListening = indexes().onDeployed((e) => deployed.push(e.chaincode.name));
    await define('assets2', packageId('assets2_1', pkg));
    await indexes().idle();
    stopListening();
    assert.deepEqual(deployed, ['assets2'], 'once, for the chaincode that became runnable');
    assert.deepEqual(await couchIndexes('assets2'), ['indexOwner']);
    assert.deepEqual(await couchIndexes('assets2$$powners'), ['indexSecret']);
  });

  it('creates them again when the peer starts', async () => {
    // An operator (or a CouchDB restore) removed an index.
    const db = encodeURIComponent(`${peer.net.channelId}_assets2`);
    const ddoc = encodeURIComponent('_design/indexOwnerDoc');
    const removed = await fetch(`${couch.url}/${db}/_index/${ddoc}/json/indexOwner`, {
      method: 'DELETE',
    });
    assert.equal(removed.status, 200, await removed.text());
    assert.deepEqual(await couchIndexes('assets2'), []);

    peer = await peer.restart();
    await peer.node.kernel.container.get(ChaincodeService).lifecycle.ready();
    await indexes().idle();
    assert.deepEqual(await couchIndexes('assets2'), ['indexOwner']);
    assert.deepEqual(await couchIndexes('assets'), ['indexOwner']);
  });
});

describe('CouchDB indexes from legacy (lscc) chaincode packages', { timeout: 300_000 }, () => {
  let couch: TestCouchServer;
  let peer: PeerHarness;

  before(async () => {
    couch = await startPouchDbServer();
    // A V1_4_2 channel: lscc deploys there.
    peer = await PeerHarness.start({ couchDbAddress: couch.address });
    await peer.joinChannel();
  });

  after(async () => {
    await peer?.stop();
    await couch?.stop();
  });

  it('creates them when an installed chaincode is deployed', async () => {
    await deployAssetChaincode(peer, 'legacyassets', {
      'META-INF/statedb/couchdb/indexes/indexOwner.json': JSON.stringify(OWNER_INDEX),
    });
    await peer.node.kernel.container.get(ChaincodeService).indexes.idle();
    assert.deepEqual(await jsonIndexes(couch, peer, 'legacyassets'), ['indexOwner']);
  });
});
