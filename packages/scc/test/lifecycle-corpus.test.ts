/**
 * `_lifecycle` against real Fabric v2.4.9 transactions: blocks 1–3 of the corpus are
 * ApproveChaincodeDefinitionForMyOrg by Org1, by Org2, and CommitChaincodeDefinition. Each is
 * simulated again by our `_lifecycle`, as the endorsing org, over a real ledger joined from the
 * corpus genesis block holding the blocks before it; the read-write set (public reads and writes,
 * the implicit collections' hashed reads and writes, and the hash of the private write set, which
 * covers the private values the block does not carry) must equal the block's byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ChannelManager } from '@fabric-peer/channel';
import { openLedgerManager, type LedgerManager } from '@fabric-peer/ledger';
import { common, lifecycle, msp, protos } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import { silentLoggers } from '@fabric-peer/testkit';
import { Lifecycle, LifecycleCollections, LifecycleDefinitions } from '../src/index.js';
import { LifecycleStub, MemoryPackageStore } from '../test-support/lifecycle-stub.js';

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = resolve(here, '../../../../../shared/fixtures/fabric-2.4.9/corpus-basic');

function corpusBlock(n: number): common.Block {
  return common.Block.decode(readFileSync(join(CORPUS, `block-${n}.pb`)));
}

/** What a corpus transaction carries: its proposal's parts and the read-write set it was endorsed with. */
interface CorpusTx {
  readonly txId: string;
  readonly channelId: string;
  readonly creatorMsp: string;
  readonly args: Uint8Array[];
  readonly signed: protos.ISignedProposal;
  readonly results: Uint8Array;
}

function corpusTx(block: common.Block): CorpusTx {
  const env = common.Envelope.decode(block.data!.data![0]!);
  const payload = common.Payload.decode(env.payload);
  const chdr = common.ChannelHeader.decode(payload.header!.channelHeader!);
  const shdr = common.SignatureHeader.decode(payload.header!.signatureHeader!);
  const tx = protos.Transaction.decode(payload.data);
  const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]!.payload!);
  const cpp = protos.ChaincodeProposalPayload.decode(cap.chaincodeProposalPayload);
  const cis = protos.ChaincodeInvocationSpec.decode(cpp.input);
  const prp = protos.ProposalResponsePayload.decode(cap.action!.proposalResponsePayload!);
  const action = protos.ChaincodeAction.decode(prp.extension);
  // The client's signature over the proposal is not in the block; the ACL is not under test.
  const proposalBytes = protos.Proposal.encode({
    header: common.Header.encode(payload.header!).finish(),
    payload: cap.chaincodeProposalPayload,
  }).finish();
  return {
    txId: chdr.txId,
    channelId: chdr.channelId,
    creatorMsp: msp.SerializedIdentity.decode(shdr.creator).mspid,
    args: cis.chaincodeSpec!.input!.args ?? [],
    signed: { proposalBytes, signature: new Uint8Array(0) },
    results: action.results,
  };
}

const allowAll = { checkACL: () => Promise.resolve() };
const dec = new TextDecoder();

describe('_lifecycle against the Fabric v2.4.9 corpus', () => {
  let dir: string;
  let ledgers: LedgerManager;
  let channels: ChannelManager;
  const provider = memoryStateDatabaseProvider();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scc-lifecycle-corpus-'));
    // The ledger checks private data against the collections `_lifecycle` defines.
    const collections = new LifecycleCollections({
      bundles: (id) => channels.get(id)?.bundle(),
      localMspId: 'Org1MSP',
    });
    ledgers = await openLedgerManager({
      fileSystemPath: join(dir, 'production'),
      stateDatabaseProvider: provider,
      collections,
    });
    channels = new ChannelManager({ ledgers });
    await channels.restore();
    await channels.join(corpusBlock(0));
  });

  after(async () => {
    channels?.close();
    await ledgers?.close();
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('re-endorses blocks 1-3 with the read-write sets Fabric endorsed, byte for byte', async () => {
    const functions: string[] = [];
    for (const n of [1, 2, 3]) {
      const block = corpusBlock(n);
      const tx = corpusTx(block);
      const channel = channels.get(tx.channelId)!;
      const scc = new Lifecycle({
        channels,
        acl: allowAll,
        store: new MemoryPackageStore(),
        localMspId: tx.creatorMsp,
        logger: silentLoggers('lifecycle'),
      });
      const sim = await channel.ledger.newTxSimulator(tx.txId);
      let publicRwset: Uint8Array;
      try {
        const stub = new LifecycleStub(tx.args, tx.signed, tx.channelId, tx.txId, sim);
        const response = await scc.invoke(stub);
        assert.equal(response.status, 200, `block ${n}: ${response.message}`);
        publicRwset = (await sim.getTxSimulationResults()).publicRwset;
      } finally {
        sim.done();
      }
      const fn = dec.decode(tx.args[0]);
      functions.push(`${fn} by ${tx.creatorMsp}`);
      assert.equal(
        Buffer.from(publicRwset).toString('hex'),
        Buffer.from(tx.results).toString('hex'),
        `block ${n} (${fn} by ${tx.creatorMsp}): read-write set`,
      );
      await channel.ledger.commit(block);
    }
    assert.deepEqual(functions, [
      'ApproveChaincodeDefinitionForMyOrg by Org1MSP',
      'ApproveChaincodeDefinitionForMyOrg by Org2MSP',
      'CommitChaincodeDefinition by Org1MSP',
    ]);
  });

  it('reads the committed definition back as Fabric defined it', async () => {
    const channel = channels.get('mychannel')!;
    const scc = new Lifecycle({
      channels,
      acl: allowAll,
      store: new MemoryPackageStore(),
      localMspId: 'Org1MSP',
      logger: silentLoggers('lifecycle'),
    });
    const sim = await channel.ledger.newTxSimulator('query');
    try {
      const args = [
        new TextEncoder().encode('QueryChaincodeDefinition'),
        lifecycle.QueryChaincodeDefinitionArgs.encode({ name: 'basic' }).finish(),
      ];
      const signed = corpusTx(corpusBlock(3)).signed;
      const res = await scc.invoke(new LifecycleStub(args, signed, 'mychannel', 'query', sim));
      assert.equal(res.status, 200, res.message);
      const def = lifecycle.QueryChaincodeDefinitionResult.decode(res.payload!);
      assert.equal(def.sequence.toString(), '1');
      assert.equal(def.version, '1.0');
      assert.equal(def.endorsementPlugin, 'escc');
      assert.equal(def.validationPlugin, 'vscc');
      assert.equal(
        protos.ApplicationPolicy.decode(def.validationParameter).channelConfigPolicyReference,
        '/Channel/Application/Endorsement',
      );
      assert.deepEqual({ ...def.approvals }, { Org1MSP: true, Org2MSP: true });
    } finally {
      sim.done();
    }

    // The definition source reads the same definition; the corpus's package is not installed here.
    const defs = new LifecycleDefinitions({
      channels,
      localMspId: 'Org1MSP',
      store: new MemoryPackageStore(),
    });
    defs.start();
    try {
      await defs.ready();
      const qe = await channel.ledger.newQueryExecutor();
      try {
        const info = await defs.validationInfo('mychannel', 'basic', qe);
        assert.equal(info.validationPlugin, 'vscc');
        assert.equal(
          protos.ApplicationPolicy.decode(info.validationParameter).channelConfigPolicyReference,
          '/Channel/Application/Endorsement',
        );
        // The corpus channel defines LifecycleEndorsement.
        const own = await defs.validationInfo('mychannel', '_lifecycle', qe);
        assert.equal(
          protos.ApplicationPolicy.decode(own.validationParameter).channelConfigPolicyReference,
          '/Channel/Application/LifecycleEndorsement',
        );
        await assert.rejects(defs.endorsementInfo('mychannel', 'basic', qe), {
          code: 'CHAINCODE_NOT_INSTALLED',
          message: "chaincode definition for 'basic' exists, but chaincode is not installed",
        });
      } finally {
        qe.done();
      }
    } finally {
      defs.stop();
    }
  });
});
