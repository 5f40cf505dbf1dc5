/**
 * `_lifecycle` deployed as the peer deploys it: in process over the chaincode handler (the
 * in-memory stream, GET_STATE/PUT_STATE with collections, GET_PRIVATE_DATA_HASH, range queries,
 * the transaction's own simulator for lscc's state). Its read-write sets must be those of the same
 * calls made straight on a simulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChaincodeSupportImpl,
  DEFAULT_CHAINCODE_SETTINGS,
  createChaincodeDefinitions,
} from '@fabric-peer/chaincode';
import { buildProposal } from '@fabric-peer/channel/test-support';
import type { TxSimulationResults } from '@fabric-peer/ledger';
import { lifecycle } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import { LegacyDefinitions, Lifecycle } from '../src/index.js';
import { approveArgs, commitArgs, nodePackage } from '../test-support/lifecycle-args.js';
import { openLifecycleNetwork, type LifecycleNetwork } from '../test-support/lifecycle-network.js';
import {
  LifecycleStub,
  MemoryPackageStore,
  commitCall,
  type LifecycleCall,
} from '../test-support/lifecycle-stub.js';

const enc = new TextEncoder();
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

describe('_lifecycle in process', () => {
  let net: LifecycleNetwork;
  let support: ChaincodeSupportImpl;
  let scc: Lifecycle;
  let packageId = '';

  before(async () => {
    net = await openLifecycleNetwork();
    const store = new MemoryPackageStore();
    packageId = (await store.install(await nodePackage('mycc_1'))).packageId;
    const logger = silentLoggers('lifecycle');
    support = new ChaincodeSupportImpl({
      definitions: createChaincodeDefinitions({
        systemChaincodes: new Set(['_lifecycle']),
        legacy: new LegacyDefinitions(),
      }),
      installed: { get: () => Promise.resolve(undefined) },
      channels: net.channels,
      acl: net.orgs.Org1MSP.acl,
      runtimes: () => [],
      settings: DEFAULT_CHAINCODE_SETTINGS,
      logger,
    });
    scc = new Lifecycle({
      channels: net.channels,
      acl: net.orgs.Org1MSP.acl,
      store,
      localMspId: 'Org1MSP',
      logger,
    });
    await support.deploySystemChaincode(scc);
  });

  after(async () => {
    await support?.stop();
    await net?.close();
  });

  /** The call through chaincode support, and the same call straight on a simulator. */
  const both = async (
    fn: string,
    args: Uint8Array,
  ): Promise<{ handler: LifecycleCall; direct: LifecycleCall }> => {
    const built = await buildProposal({
      signer: net.orgs.Org1MSP.admin,
      channelId: net.channelId,
      chaincode: '_lifecycle',
      args: [fn, args],
    });
    const ledger = net.channels.get(net.channelId)!.ledger;
    const run = async (
      f: (
        sim: Awaited<ReturnType<typeof ledger.newTxSimulator>>,
      ) => Promise<LifecycleCall['response']>,
    ): Promise<LifecycleCall> => {
      const sim = await ledger.newTxSimulator(built.txId);
      let results: TxSimulationResults;
      let response;
      try {
        response = await f(sim);
        results = await sim.getTxSimulationResults();
      } finally {
        sim.done();
      }
      return { response, txId: built.txId, results };
    };
    const handler = await run(async (sim) => {
      const out = await support.execute(
        {
          txId: built.txId,
          channelId: net.channelId,
          namespaceId: '_lifecycle',
          signedProposal: built.signed,
          proposal: built.proposal,
          txSimulator: sim,
        },
        '_lifecycle',
        { args: [enc.encode(fn), args] },
      );
      return {
        status: out.response.status,
        message: out.response.message,
        payload: out.response.payload,
      };
    });
    const direct = await run((sim) =>
      scc.invoke(
        new LifecycleStub([enc.encode(fn), args], built.signed, net.channelId, built.txId, sim),
      ),
    );
    return { handler, direct };
  };

  const same = (c: { handler: LifecycleCall; direct: LifecycleCall }, what: string): void => {
    assert.equal(c.handler.response.status, 200, `${what}: ${c.handler.response.message}`);
    assert.equal(c.direct.response.status, 200, `${what}: ${c.direct.response.message}`);
    assert.equal(hex(c.handler.results?.publicRwset), hex(c.direct.results?.publicRwset), what);
    assert.equal(hex(c.handler.results?.privateRwset), hex(c.direct.results?.privateRwset), what);
    assert.equal(hex(c.handler.response.payload), hex(c.direct.response.payload), what);
  };

  it('approves, checks, commits and queries with the read-write sets of a direct call', async () => {
    const approve = await both(
      'ApproveChaincodeDefinitionForMyOrg',
      approveArgs({ name: 'mycc', sequence: 1, packageId }),
    );
    same(approve, 'approve');
    assert.ok(approve.handler.results?.privateRwset, 'the approval is private data');
    await commitCall(net.channels, net.channelId, approve.handler);

    const ready = await both(
      'CheckCommitReadiness',
      lifecycle.CheckCommitReadinessArgs.encode({
        name: 'mycc',
        sequence: 1,
        version: '1.0',
      }).finish(),
    );
    same(ready, 'readiness');
    assert.deepEqual(
      { ...lifecycle.CheckCommitReadinessResult.decode(ready.handler.response.payload!).approvals },
      { Org1MSP: true, Org2MSP: false },
    );

    const commit = await both(
      'CommitChaincodeDefinition',
      commitArgs({ name: 'mycc', sequence: 1 }),
    );
    same(commit, 'commit');
    await commitCall(net.channels, net.channelId, commit.handler);

    const list = await both('QueryChaincodeDefinitions', new Uint8Array(0));
    same(list, 'list');
    assert.deepEqual(
      lifecycle.QueryChaincodeDefinitionsResult.decode(
        list.handler.response.payload!,
      ).chaincodeDefinitions.map((d) => d.name),
      ['mycc'],
    );
  });

  it("answers _lifecycle's errors as the chaincode's response", async () => {
    const res = await both(
      'ApproveChaincodeDefinitionForMyOrg',
      approveArgs({ name: 'mycc', sequence: 0 }),
    );
    assert.equal(res.handler.response.status, 500);
    assert.equal(res.handler.response.message, res.direct.response.message);
    assert.equal(
      res.handler.response.message,
      "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': currently defined sequence 1 is larger than requested sequence 0",
    );
  });
});
