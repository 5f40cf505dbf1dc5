/**
 * The test chaincode (fabric-contract-api, unmodified) passes the same suite of calls on each
 * chaincode runtime: in-process (a child process running the real fabric-shim) and Docker (a real
 * Docker engine and a base image this test builds locally: no registry is reachable). The peer's
 * state database is CouchDB (a pouchdb-server the test starts) so that rich queries work.
 */
import { after, before, describe } from 'node:test';
import Docker from 'dockerode';
import { startPouchDbServer, type TestCouchServer } from '@fabric-peer/testkit';
import { ensureNodeBaseImage } from '@fabric-peer/vm-docker/test-support';
import { assetSuite, deployAssetChaincode, userClient } from '../helpers/asset-suite.js';
import type { FabricClient } from '../helpers/fabric-client.js';
import { PeerHarness, type PeerHarnessOptions } from '../helpers/peer-harness.js';

const NODE_IMAGE = 'fabric-peer/node-runtime:test';

const runtimes: { name: string; options: () => Promise<PeerHarnessOptions> }[] = [
  { name: 'inprocess', options: () => Promise.resolve({ vmProviders: [{ name: 'inprocess' }] }) },
  {
    name: 'docker',
    options: async () => {
      await ensureNodeBaseImage(new Docker({ socketPath: '/var/run/docker.sock' }), NODE_IMAGE);
      return {
        vmProviders: [{ name: 'docker' }],
        set: { 'vm.endpoint': 'unix:///var/run/docker.sock', 'chaincode.node.runtime': NODE_IMAGE },
      };
    },
  },
];

for (const runtime of runtimes) {
  describe(`the test chaincode on the ${runtime.name} runtime`, { timeout: 300_000 }, () => {
    const ctx: { peer?: PeerHarness; client?: FabricClient } = {};
    let couch: TestCouchServer | undefined;

    before(async () => {
      couch = await startPouchDbServer();
      ctx.peer = await PeerHarness.start({
        ...(await runtime.options()),
        couchDbAddress: couch.address,
      });
      await ctx.peer.joinChannel();
      await deployAssetChaincode(ctx.peer, 'assets');
      await deployAssetChaincode(ctx.peer, 'other');
      ctx.client = await userClient(ctx.peer);
    });

    after(async () => {
      ctx.client?.close();
      await ctx.peer?.stop();
      await couch?.stop();
    });

    assetSuite(ctx);
  });
}
