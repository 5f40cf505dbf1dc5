/**
 * A transaction end to end on a two-organization network built from this repository alone: the
 * development orderer, one peer per organization (in-process runtime, LevelDB), the test chaincode
 * deployed through `_lifecycle` (installed on both peers, approved by both organizations,
 * committed), then transactions submitted with `@hyperledger/fabric-gateway` (unmodified) through
 * Org1's peer, endorsed by both organizations, ordered, delivered to both peers, validated and
 * committed by each. Nothing is written to a ledger except by the peers' own committers.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect, signers, type Gateway } from '@hyperledger/fabric-gateway';
import { createChaincodePackage } from '@fabric-peer/chaincode-packages';
import { buildProposal } from '@fabric-peer/channel/test-support';
import { ChannelsService } from '@fabric-peer/node';
import { blockHeaderHash, common, lifecycle, protos } from '@fabric-peer/protos';
import { ASSET_CHAINCODE_DIR } from '../helpers/asset-suite.js';
import { PeerHarness } from '../helpers/peer-harness.js';
import { CHANNEL, startTwoOrgNetwork, type TwoOrgNetwork } from '../helpers/two-org-network.js';

const enc = new TextEncoder();

function expect200(response: protos.IProposalResponse, what: string): void {
  assert.equal(response.response?.status, 200, `${what}: ${response.response?.message ?? ''}`);
}

describe(
  'two organizations, the development orderer and fabric-gateway',
  { timeout: 300_000 },
  () => {
    let net: TwoOrgNetwork;
    let gateway: Gateway;
    let grpcClient: grpc.Client;

    before(async () => {
      net = await startTwoOrgNetwork({ vmProviders: ['inprocess'] });
      const pkg = await createChaincodePackage({
        label: 'assets_1.0',
        type: 'node',
        path: '',
        codeDir: ASSET_CHAINCODE_DIR,
      });
      // Install on both peers (channel-less _lifecycle InstallChaincode by each org's admin).
      let packageId = '';
      for (const peer of net.peers) {
        const installed = await buildProposal({
          signer: peer.admin,
          channelId: '',
          chaincode: '_lifecycle',
          args: [
            enc.encode('InstallChaincode'),
            lifecycle.InstallChaincodeArgs.encode({ chaincodeInstallPackage: pkg }).finish(),
          ],
        });
        const response = await peer.processProposal(installed.signed);
        expect200(response, `install on ${peer.mspId}`);
        packageId = lifecycle.InstallChaincodeResult.decode(response.response!.payload!).packageId;
      }
      // Each org approves on its own peer; the approval is ordered and committed by both peers.
      let height = net.peers[0].height();
      for (const peer of net.peers) {
        const approve = await buildProposal({
          signer: peer.admin,
          channelId: CHANNEL,
          chaincode: '_lifecycle',
          args: [
            enc.encode('ApproveChaincodeDefinitionForMyOrg'),
            lifecycle.ApproveChaincodeDefinitionForMyOrgArgs.encode({
              sequence: 1,
              name: 'assets',
              version: '1.0',
              source: { localPackage: { packageId } },
            }).finish(),
          ],
        });
        const response = await peer.processProposal(approve.signed);
        expect200(response, `approve by ${peer.mspId}`);
        const status = await net.broadcast(
          await PeerHarness.envelopeOf(approve, response, peer.admin),
        );
        assert.equal(status, 200);
        await net.waitForHeight(++height);
      }
      // The commit, endorsed by both organizations (LifecycleEndorsement: MAJORITY).
      const commit = await buildProposal({
        signer: net.peers[0].admin,
        channelId: CHANNEL,
        chaincode: '_lifecycle',
        args: [
          enc.encode('CommitChaincodeDefinition'),
          lifecycle.CommitChaincodeDefinitionArgs.encode({
            sequence: 1,
            name: 'assets',
            version: '1.0',
          }).finish(),
        ],
      });
      const responses = await Promise.all(net.peers.map((p) => p.processProposal(commit.signed)));
      for (const r of responses) expect200(r, 'commit definition');
      const envelope = await PeerHarness.envelopeOf(commit, responses[0]!, net.peers[0].admin);
      // Both endorsements in the one transaction.
      const payload = common.Payload.decode(envelope.payload);
      const tx = protos.Transaction.decode(payload.data);
      const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]!.payload!);
      cap.action!.endorsements = responses.map((r) => r.endorsement!);
      tx.actions[0]!.payload = protos.ChaincodeActionPayload.encode(cap).finish();
      payload.data = protos.Transaction.encode(tx).finish();
      const payloadBytes = common.Payload.encode(payload).finish();
      assert.equal(
        await net.broadcast({
          payload: payloadBytes,
          signature: await net.peers[0].admin.sign(payloadBytes),
        }),
        200,
      );
      await net.waitForHeight(++height);

      const user = net.peers[0];
      const certPem = readFileSync(
        join(user.userMspDir, 'signcerts', readdirSync(join(user.userMspDir, 'signcerts'))[0]!),
      );
      const keyPem = readFileSync(
        join(user.userMspDir, 'keystore', readdirSync(join(user.userMspDir, 'keystore'))[0]!),
      );
      grpcClient = new grpc.Client(user.address, grpc.credentials.createInsecure());
      gateway = connect({
        client: grpcClient,
        identity: { mspId: user.mspId, credentials: certPem },
        signer: signers.newPrivateKeySigner(createPrivateKey(keyPem)),
      });
    });

    after(async () => {
      gateway?.close();
      grpcClient?.close();
      await net?.stop();
    });

    it('commits submitted transactions on both peers with identical blocks, and evaluates', async () => {
      const contract = gateway.getNetwork(CHANNEL).getContract('assets');
      const start = net.peers[0].height();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          contract.submitTransaction('CreateAsset', `e2e${i}`, 'red', '5', 'Eve', String(100 + i)),
        ),
      );
      assert.equal(results.length, 20);
      const read = await contract.evaluateTransaction('ReadAsset', 'e2e7');
      const asset = JSON.parse(Buffer.from(read).toString()) as { AppraisedValue: number };
      assert.equal(asset.AppraisedValue, 107);

      // Both peers hold the same chain.
      const end = net.peers[0].height();
      await net.waitForHeight(end);
      assert.ok(end > start);
      for (let n = 0; n < end; n++) {
        const hashes = await Promise.all(
          net.peers.map(async (p) => {
            const ch = p.node.kernel.container.get(ChannelsService).registry.get(CHANNEL)!;
            const block = await ch.ledger.getBlockByNumber(n);
            return Buffer.from(blockHeaderHash(block!.header!)).toString('hex');
          }),
        );
        assert.equal(hashes[0], hashes[1], `block ${n}`);
      }
    });

    it('marks a transaction endorsed by one organization only ENDORSEMENT_POLICY_FAILURE', async () => {
      const contract = gateway.getNetwork(CHANNEL).getContract('assets');
      const proposal = contract.newProposal('CreateAsset', {
        arguments: ['lonely', 'grey', '1', 'Olga', '1'],
        endorsingOrganizations: ['Org1MSP'],
      });
      const transaction = await proposal.endorse();
      const commit = await transaction.submit();
      const status = await commit.getStatus();
      assert.equal(status.code, protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
      assert.equal(status.successful, false);
    });

    it('marks the second of two conflicting transactions MVCC_READ_CONFLICT', async () => {
      const contract = gateway.getNetwork(CHANNEL).getContract('assets');
      await contract.submitTransaction('CreateAsset', 'contested', 'gold', '1', 'Ann', '1');
      // Both endorsed against the same state, then submitted.
      const first = await contract
        .newProposal('TransferAsset', { arguments: ['contested', 'Bob'] })
        .endorse();
      const second = await contract
        .newProposal('TransferAsset', { arguments: ['contested', 'Cat'] })
        .endorse();
      const commits = [await first.submit(), await second.submit()];
      const codes = await Promise.all(commits.map(async (c) => (await c.getStatus()).code));
      assert.deepEqual(codes, [
        protos.TxValidationCode.VALID,
        protos.TxValidationCode.MVCC_READ_CONFLICT,
      ]);
    });

    it('streams the chaincode events of committed transactions', async () => {
      const network = gateway.getNetwork(CHANNEL);
      const contract = network.getContract('assets');
      const events = await network.getChaincodeEvents('assets');
      try {
        for (let i = 0; i < 3; i++) {
          await contract.submitTransaction('EmitEvent', 'Moved', `{"n":${i}}`);
        }
        const seen: string[] = [];
        for await (const event of events) {
          seen.push(`${event.eventName}:${Buffer.from(event.payload).toString()}`);
          if (seen.length === 3) break;
        }
        assert.deepEqual(seen, ['Moved:{"n":0}', 'Moved:{"n":1}', 'Moved:{"n":2}']);
      } finally {
        events.close();
      }
    });
  },
);
