/**
 * The test chaincode (fabric-contract-api, unmodified) passes the same suite of calls on each
 * chaincode runtime: in-process (a child process running the real fabric-shim), Docker (a real
 * Docker engine and a base image this test builds locally: no registry is reachable) and remote
 * (chaincode as a service: fabric-shim's server mode, dialled by the peer). The first two are
 * deployed with lscc on a V1_4_2 channel, the remote one through `_lifecycle` on a V2_0 channel
 * (chaincode-as-a-service packages exist only in the 2.x lifecycle). The peer's state database is
 * CouchDB (a pouchdb-server the test starts) so that rich queries work.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import Docker from 'dockerode';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';
import { ensureNodeBaseImage } from '@fabric-peer/vm-docker/test-support';
import { createCcaasPackage, packageId } from '@fabric-peer/chaincode-packages';
import { freePort } from '@fabric-peer/testkit';
import {
  ASSET_CHAINCODE_DIR,
  assetSuite,
  deployAssetChaincode,
  deployWithLifecycle,
  userClient,
} from '../helpers/asset-suite.js';
import { startChaincodeServer, type ChaincodeProcess } from '../helpers/chaincode-process.js';
import type { FabricClient } from '../helpers/fabric-client.js';
import { PeerHarness, type PeerHarnessOptions } from '../helpers/peer-harness.js';

const NODE_IMAGE = 'fabric-peer/node-runtime:test';

/** How a runtime's chaincode gets deployed as `assets` and `other`. */
type Deploy = (peer: PeerHarness, servers: ChaincodeProcess[]) => Promise<void>;

const lscc: Deploy = async (peer) => {
  await deployAssetChaincode(peer, 'assets');
  await deployAssetChaincode(peer, 'other');
};

/** Starts each chaincode as a server and deploys its CCaaS package through _lifecycle. */
const asAService: Deploy = async (peer, servers) => {
  for (const name of ['assets', 'other']) {
    const address = `127.0.0.1:${await freePort()}`;
    const label = `${name}_1.0`;
    const pkg = await createCcaasPackage({ label, connection: { address, dial_timeout: '10s' } });
    const server = startChaincodeServer({
      address,
      chaincodeId: packageId(label, pkg),
      dir: ASSET_CHAINCODE_DIR,
    });
    servers.push(server);
    assert.equal(await deployWithLifecycle(peer, name, pkg), packageId(label, pkg));
  }
};

const runtimes: {
  name: string;
  options: () => Promise<PeerHarnessOptions>;
  deploy: Deploy;
}[] = [
  {
    name: 'inprocess',
    options: () => Promise.resolve({ vmProviders: [{ name: 'inprocess' }] }),
    deploy: lscc,
  },
  {
    name: 'docker',
    options: async () => {
      await ensureNodeBaseImage(new Docker({ socketPath: '/var/run/docker.sock' }), NODE_IMAGE);
      return {
        vmProviders: [{ name: 'docker' }],
        set: { 'vm.endpoint': 'unix:///var/run/docker.sock', 'chaincode.node.runtime': NODE_IMAGE },
      };
    },
    deploy: lscc,
  },
  {
    name: 'remote',
    options: () =>
      Promise.resolve({ vmProviders: [{ name: 'remote' }], applicationCapabilities: ['V2_0'] }),
    deploy: asAService,
  },
];

for (const runtime of runtimes) {
  describe(`the test chaincode on the ${runtime.name} runtime`, { timeout: 300_000 }, () => {
    const ctx: { peer?: PeerHarness; client?: FabricClient } = {};
    let couch: TestCouchServer | undefined;
    const servers: ChaincodeProcess[] = [];

    before(async () => {
      couch = await startPouchDbServer();
      ctx.peer = await PeerHarness.start({
        ...(await runtime.options()),
        couchDbAddress: couch.address,
      });
      await ctx.peer.joinChannel();
      await runtime.deploy(ctx.peer, servers);
      ctx.client = await userClient(ctx.peer);
    });

    after(async () => {
      ctx.client?.close();
      await ctx.peer?.stop();
      for (const server of servers) await server.stop();
      await couch?.stop();
    });

    assetSuite(ctx);
  });
}
