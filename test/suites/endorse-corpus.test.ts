/**
 * Our endorsements of the corpus calls carry Fabric's read-write sets, byte for byte.
 *
 * The corpus (../shared/fixtures/fabric-2.4.9/corpus-basic) is a real Fabric v2.4.9 channel on
 * which the `basic` chaincode (Node.js, fabric-contract-api) ran a workload. Here a peer endorses
 * the same calls, made with the Node SDK's fabric-common client, and runs our test chaincode
 * (test/fixtures/chaincode/asset-transfer, written to behave as `basic`). Before each call the
 * channel's ledger holds the state Fabric's endorsers saw: the corpus blocks before it, committed
 * by the test straight to the ledger after our own genesis block (no ordering service is involved;
 * block numbers, and so the versions in read sets, match the corpus's). Blocks 1–3 are Fabric's own
 * `_lifecycle` approvals and commit of `basic`, so the peer finds the definition Fabric used.
 *
 * Fabric ran `basic` as a chaincode service from a package that is not in the corpus, so the peer
 * runs in Fabric's dev mode (`chaincode.mode: dev`): an approved chaincode that is not installed
 * runs as `basic:1.0`, started by the test with fabric-shim's own CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { common, kvrwset, protos, rwset } from '@fabric-peer/protos';
import { startDevChaincode, type ChaincodeProcess } from '../helpers/chaincode-process.js';
import { FabricClient, sdkIdentityFromMsp } from '../helpers/fabric-client.js';
import { PeerHarness } from '../helpers/peer-harness.js';
import { repoRoot, shared } from '../helpers/paths.js';

const CORPUS = join(shared, 'fixtures/fabric-2.4.9/corpus-basic');
const CHAINCODE_DIR = join(repoRoot, 'test/fixtures/chaincode/asset-transfer');

interface WorkloadStep {
  readonly type: 'submit' | 'evaluate';
  readonly fn: string;
  readonly args: string[];
  readonly txid?: string;
  readonly block?: number;
  readonly validationCode?: string;
}

function corpusBlock(n: number): common.Block {
  return common.Block.decode(readFileSync(join(CORPUS, `block-${n}.pb`)));
}

interface Endorsed {
  /** The whole TxReadWriteSet. */
  readonly results: Uint8Array;
  /** The `basic` NsReadWriteSet. */
  readonly rwset: Uint8Array;
  readonly response: protos.IResponse;
}

/** What the endorsement a transaction carries says. */
function basicOf(envelopeBytes: Uint8Array): Endorsed {
  const payload = common.Payload.decode(common.Envelope.decode(envelopeBytes).payload);
  const tx = protos.Transaction.decode(payload.data);
  const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]!.payload!);
  return fromResponsePayload(cap.action!.proposalResponsePayload!);
}

function fromResponsePayload(prpBytes: Uint8Array): Endorsed {
  const prp = protos.ProposalResponsePayload.decode(prpBytes);
  const action = protos.ChaincodeAction.decode(prp.extension);
  const txRwSet = rwset.TxReadWriteSet.decode(action.results);
  const ns = txRwSet.nsRwset.find((n) => n.namespace === 'basic');
  assert.ok(ns, 'the endorsement has a basic namespace');
  return {
    results: action.results,
    rwset: ns.rwset ?? new Uint8Array(),
    response: action.response ?? {},
  };
}

/** The block whose state Fabric's endorsers saw for this call (see the test). */
function endorsedAt(step: WorkloadStep, block: common.Block): number {
  if (step.validationCode !== 'MVCC_READ_CONFLICT') return step.block!;
  // Endorsed before an earlier block changed what it read: the state right after the newest
  // version it read.
  const kv = kvrwset.KVRWSet.decode(basicOf(block.data!.data![0]!).rwset);
  return Math.max(...kv.reads.map((r) => Number(r.version?.blockNum ?? 0))) + 1;
}

describe('endorsing the corpus calls (dev mode, fabric-common client)', () => {
  let peer: PeerHarness;
  let client: FabricClient;
  let chaincode: ChaincodeProcess | undefined;

  before(async () => {
    peer = await PeerHarness.start({
      applicationCapabilities: ['V2_0'],
      set: { 'chaincode.mode': 'dev' },
    });
    await peer.joinChannel();
    chaincode = startDevChaincode({
      peerAddress: peer.chaincodeAddress,
      chaincodeId: 'basic:1.0',
      dir: CHAINCODE_DIR,
    });
    client = await FabricClient.connect(
      `grpc://${peer.address}`,
      sdkIdentityFromMsp(
        join(
          peer.net.dir,
          'crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp',
        ),
        'Org1MSP',
      ),
    );
  });

  after(async () => {
    client?.close();
    await chaincode?.stop();
    await peer?.stop();
  });

  it(
    'gives every submitted call the whole read-write set and the response Fabric endorsed',
    { timeout: 240_000 },
    async () => {
      const workload = JSON.parse(
        readFileSync(join(CORPUS, 'workload.json'), 'utf8'),
      ) as WorkloadStep[];
      const submits = workload.filter((s) => s.type === 'submit');
      const blocks = Array.from({ length: 87 }, (_, n) => corpusBlock(n));
      const due = new Map<number, WorkloadStep[]>();
      for (const step of submits) {
        const at = endorsedAt(step, blocks[step.block!]!);
        due.set(at, [...(due.get(at) ?? []), step]);
      }

      let compared = 0;
      for (let n = 1; n < blocks.length; n++) {
        for (const step of due.get(n) ?? []) {
          const ours = await client.propose('mychannel', 'basic', step.fn, step.args);
          assert.equal(ours.status, 200, `${step.fn} ${step.args.join(',')}: ${ours.message}`);
          assert.ok(ours.responsePayload, 'endorsed');
          const mine = fromResponsePayload(ours.responsePayload);
          const fabric = basicOf(blocks[step.block!]!.data!.data![0]!);
          const what = `block ${step.block} ${step.fn}(${step.args.join(',')})`;
          // The whole read-write set: the _lifecycle read of basic's Sequence and basic's own.
          assert.equal(
            Buffer.from(mine.results).toString('hex'),
            Buffer.from(fabric.results).toString('hex'),
            `${what}: read-write set`,
          );
          assert.equal(
            Buffer.from(mine.response.payload ?? []).toString(),
            Buffer.from(fabric.response.payload ?? []).toString(),
            `${what}: response payload`,
          );
          compared++;
        }
        const block = blocks[n]!;
        const filter = block.metadata!.metadata![common.BlockMetadataIndex.TRANSACTIONS_FILTER]!;
        await peer.commit([...block.data!.data!], { filter: Uint8Array.from(filter) });
      }
      assert.equal(compared, submits.length);
      assert.equal(compared, 83);
    },
  );
});
