/**
 * Our endorsements of the corpus calls carry Fabric's `basic` read-write sets, byte for byte.
 *
 * The corpus (../shared/fixtures/fabric-2.4.9/corpus-basic) is a real Fabric v2.4.9 channel on
 * which the `basic` chaincode (Node.js, fabric-contract-api) ran a workload. Here a peer runs our
 * test chaincode (test/fixtures/chaincode/asset-transfer, written to behave as `basic`) with the
 * in-process runtime, and the same calls are made with the Node SDK's fabric-common client. Before
 * each call the channel's ledger holds the state Fabric's endorsers saw: the corpus blocks before
 * it, committed by the test straight to the ledger after our own genesis block (no ordering
 * service exists yet; block numbers, and so the versions in read sets, match the corpus's).
 *
 * The corpus defines `basic` through `_lifecycle`, which this peer does not serve yet; the test
 * therefore also commits, in block 3, the legacy lscc definition of `basic` (Fabric 2.x falls back
 * to lscc for chaincode `_lifecycle` does not define).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileLegacyChaincodeStore } from '@fabric-peer/chaincode-packages';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { common, kvrwset, protos, rwset } from '@fabric-peer/protos';
import { endorserTx, rwsetBytes } from '@fabric-peer/testkit';
import { nodeDeploymentSpec } from '../helpers/chaincode-packages.js';
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

/** The `basic` NsReadWriteSet bytes and the response of the endorsement a transaction carries. */
function basicOf(envelopeBytes: Uint8Array): { rwset: Uint8Array; response: protos.IResponse } {
  const payload = common.Payload.decode(common.Envelope.decode(envelopeBytes).payload);
  const tx = protos.Transaction.decode(payload.data);
  const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]!.payload!);
  return fromResponsePayload(cap.action!.proposalResponsePayload!);
}

function fromResponsePayload(prpBytes: Uint8Array): {
  rwset: Uint8Array;
  response: protos.IResponse;
} {
  const prp = protos.ProposalResponsePayload.decode(prpBytes);
  const action = protos.ChaincodeAction.decode(prp.extension);
  const txRwSet = rwset.TxReadWriteSet.decode(action.results);
  const ns = txRwSet.nsRwset.find((n) => n.namespace === 'basic');
  assert.ok(ns, 'the endorsement has a basic namespace');
  return { rwset: ns.rwset!, response: action.response ?? {} };
}

/** The block whose state Fabric's endorsers saw for this call (see the test). */
function endorsedAt(step: WorkloadStep, block: common.Block): number {
  if (step.validationCode !== 'MVCC_READ_CONFLICT') return step.block!;
  // Endorsed before an earlier block changed what it read: the state right after the newest
  // version it read.
  const kv = kvrwset.KVRWSet.decode(basicOf(block.data!.data![0]!).rwset);
  return Math.max(...kv.reads.map((r) => Number(r.version?.blockNum ?? 0))) + 1;
}

describe('endorsing the corpus calls (in-process runtime, fabric-common client)', () => {
  let peer: PeerHarness;
  let client: FabricClient;

  before(async () => {
    peer = await PeerHarness.start({ applicationCapabilities: ['V2_0'] });
    await peer.joinChannel();
    await peer.installLegacy(
      nodeDeploymentSpec({ name: 'basic', version: '1.0', dir: CHAINCODE_DIR }),
    );
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
    await peer?.stop();
  });

  it(
    'gives every submitted call the basic read-write set and response Fabric endorsed',
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

      const installed = await new FileLegacyChaincodeStore({
        fileSystemPath: join(peer.net.dir, 'production'),
      }).get('basic', '1.0');
      assert.ok(installed, 'lscc install stored basic:1.0');
      const definition = protos.ChaincodeData.encode({
        name: 'basic',
        version: '1.0',
        escc: 'escc',
        vscc: 'vscc',
        policy: signaturePolicyFromString("OR('Org1MSP.member')"),
        data: installed.data,
        id: installed.id,
      }).finish();

      let compared = 0;
      for (let n = 1; n < blocks.length; n++) {
        for (const step of due.get(n) ?? []) {
          const ours = await client.propose('mychannel', 'basic', step.fn, step.args);
          assert.equal(ours.status, 200, `${step.fn} ${step.args.join(',')}: ${ours.message}`);
          assert.ok(ours.responsePayload, 'endorsed');
          const mine = fromResponsePayload(ours.responsePayload);
          const fabric = basicOf(blocks[step.block!]!.data!.data![0]!);
          assert.deepEqual(
            Buffer.from(mine.rwset).toString('hex'),
            Buffer.from(fabric.rwset).toString('hex'),
            `block ${step.block} ${step.fn}(${step.args.join(',')}): basic read-write set`,
          );
          assert.equal(
            Buffer.from(mine.response.payload ?? []).toString(),
            Buffer.from(fabric.response.payload ?? []).toString(),
            `block ${step.block} ${step.fn}: response payload`,
          );
          compared++;
        }
        const block = blocks[n]!;
        const envelopes = [...block.data!.data!];
        const filter = Uint8Array.from(
          block.metadata!.metadata![common.BlockMetadataIndex.TRANSACTIONS_FILTER]!,
        );
        if (n === 3) {
          envelopes.push(
            endorserTx(
              rwsetBytes({
                namespace: 'lscc',
                kv: { writes: [{ key: 'basic', value: definition }] },
              }),
              {
                channelId: 'mychannel',
                chaincode: 'lscc',
              },
            ),
          );
          await peer.commit(envelopes, { filter: Uint8Array.of(...filter, 0) });
        } else {
          await peer.commit(envelopes, { filter });
        }
      }
      assert.equal(compared, submits.length);
      assert.equal(compared, 83);
    },
  );
});
