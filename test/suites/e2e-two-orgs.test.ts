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
import {
  Gateway as SdkGateway,
  Wallets,
  type BlockEvent,
  type BlockListener,
  type X509Identity,
} from 'fabric-network';
import { ChannelsService } from '@fabric-peer/node';
import { blockHeaderHash, protos } from '@fabric-peer/protos';
import { ASSET_CHAINCODE_DIR } from '../helpers/asset-suite.js';
import {
  CHANNEL,
  clientCredentials,
  deployWithLifecycle,
  startTwoOrgNetwork,
  type NetworkPeer,
  type TwoOrgNetwork,
} from '../helpers/two-org-network.js';

describe(
  'two organizations, the development orderer and fabric-gateway',
  { timeout: 300_000 },
  () => {
    let net: TwoOrgNetwork;
    let gateway: Gateway;
    let grpcClient: grpc.Client;

    before(async () => {
      net = await startTwoOrgNetwork({ vmProviders: ['inprocess'], batchTimeout: '250ms' });
      await deployWithLifecycle(net, {
        name: 'assets',
        label: 'assets_1.0',
        codeDir: ASSET_CHAINCODE_DIR,
      });

      const user = net.peers[0];
      const certPem = readFileSync(
        join(user.userMspDir, 'signcerts', readdirSync(join(user.userMspDir, 'signcerts'))[0]!),
      );
      const keyPem = readFileSync(
        join(user.userMspDir, 'keystore', readdirSync(join(user.userMspDir, 'keystore'))[0]!),
      );
      grpcClient = new grpc.Client(user.address, clientCredentials(user.tlsRootCert));
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

    it('runs over TLS only', async () => {
      assert.equal(net.tls, true);
      // A plaintext client gets no answer from the peer.
      const plain = new grpc.Client(net.peers[0].address, grpc.credentials.createInsecure());
      try {
        await assert.rejects(
          new Promise<void>((resolve, reject) =>
            plain.waitForReady(Date.now() + 1_500, (err) => (err ? reject(err) : resolve())),
          ),
        );
      } finally {
        plain.close();
      }
    });

    it('commits 200 submitted transactions on both peers with identical blocks and state, and evaluates', async () => {
      const contract = gateway.getNetwork(CHANNEL).getContract('assets');
      const start = net.peers[0].height();
      const commits = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const tx = await contract
            .newProposal('CreateAsset', {
              arguments: [`e2e${i}`, 'red', '5', 'Eve', String(100 + i)],
            })
            .endorse();
          const commit = await tx.submit();
          return { txId: tx.getTransactionId(), status: await commit.getStatus() };
        }),
      );
      assert.equal(commits.length, 200);
      for (const { txId, status } of commits) {
        assert.equal(status.code, protos.TxValidationCode.VALID, txId);
        assert.equal(status.successful, true);
        assert.equal(status.transactionId, txId);
      }
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
            const ch = p.node!.kernel.container.get(ChannelsService).registry.get(CHANNEL)!;
            const block = await ch.ledger.getBlockByNumber(n);
            return Buffer.from(blockHeaderHash(block!.header!)).toString('hex');
          }),
        );
        assert.equal(hashes[0], hashes[1], `block ${n}`);
      }
      // ... and the same world state, every key of the chaincode's namespace.
      const states = await Promise.all(net.peers.map((p) => namespaceState(p, 'assets')));
      assert.ok(states[0]!.size >= 200);
      assert.deepEqual(states[0], states[1]);
      assert.equal(
        (JSON.parse(states[1]!.get('e2e199')!) as { AppraisedValue: number }).AppraisedValue,
        299,
        'the last asset on the second peer',
      );
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
        // Concurrent submits land in several blocks; the stream gives every event once, in
        // commit order.
        const sent = await Promise.all(
          Array.from({ length: 30 }, async (_, i) => {
            const tx = await contract
              .newProposal('EmitEvent', { arguments: ['Moved', `{"n":${i}}`] })
              .endorse();
            await (await tx.submit()).getStatus();
            return tx.getTransactionId();
          }),
        );
        const seen: { txId: string; blockNumber: bigint; text: string }[] = [];
        for await (const event of events) {
          seen.push({
            txId: event.transactionId,
            blockNumber: event.blockNumber,
            text: `${event.eventName}:${Buffer.from(event.payload).toString()}`,
          });
          if (seen.length === 30) break;
        }
        assert.deepEqual(new Set(seen.map((e) => e.txId)), new Set(sent));
        assert.deepEqual(
          new Set(seen.map((e) => e.text)),
          new Set(Array.from({ length: 30 }, (_, i) => `Moved:{"n":${i}}`)),
        );
        for (let i = 1; i < seen.length; i++) {
          assert.ok(seen[i]!.blockNumber >= seen[i - 1]!.blockNumber, 'in block order');
        }
      } finally {
        events.close();
      }
    });

    it('serves the Node SDK (fabric-network): a submit through the orderer, block events through Deliver', async () => {
      const profile = connectionProfile(net);
      const wallet = await Wallets.newInMemoryWallet();
      const user = net.peers[0];
      const identity: X509Identity = {
        type: 'X.509',
        mspId: user.mspId,
        credentials: {
          certificate: readFirst(join(user.userMspDir, 'signcerts')),
          privateKey: readFirst(join(user.userMspDir, 'keystore')),
        },
      };
      await wallet.put('user1', identity);
      const sdk = new SdkGateway();
      await sdk.connect(profile, {
        wallet,
        identity: 'user1',
        discovery: { enabled: false, asLocalhost: false },
        eventHandlerOptions: { commitTimeout: 30 },
      });
      try {
        const network = await sdk.getNetwork(CHANNEL);
        // Full blocks from the next block on, through the peer's Deliver service.
        const blocks: BlockEvent[] = [];
        const startBlock = net.peers[0].height();
        const listener: BlockListener = (event) => {
          blocks.push(event);
          return Promise.resolve();
        };
        await network.addBlockListener(listener, { type: 'full', startBlock });
        const contract = network.getContract('assets');
        const transaction = contract.createTransaction('CreateAsset');
        await transaction.submit('sdk1', 'blue', '3', 'Sam', '42');
        const txId = transaction.getTransactionId();
        const read = await contract.evaluateTransaction('ReadAsset', 'sdk1');
        assert.equal((JSON.parse(read.toString()) as { Owner: string }).Owner, 'Sam');
        const deadline = Date.now() + 10_000;
        const carries = () =>
          blocks.some((b) => b.getTransactionEvents().some((t) => t.transactionId === txId));
        while (!carries() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        network.removeBlockListener(listener);
        assert.ok(carries(), `a block event carries ${txId}`);
        const event = blocks
          .flatMap((b) => b.getTransactionEvents())
          .find((t) => t.transactionId === txId)!;
        assert.equal(event.isValid, true);
        assert.equal(event.status, 'VALID');
        assert.equal(blocks[0]!.blockNumber.toNumber(), startBlock);
      } finally {
        sdk.disconnect();
      }
    });
  },
);

/** Every key → value (UTF-8) of `namespace` in the peer's world state. */
async function namespaceState(peer: NetworkPeer, namespace: string): Promise<Map<string, string>> {
  const channel = peer.node!.kernel.container.get(ChannelsService).registry.get(CHANNEL)!;
  const qe = await channel.ledger.newQueryExecutor();
  const out = new Map<string, string>();
  try {
    const it = await qe.getStateRangeScanIterator(namespace, '', '');
    for (let kv = await it.next(); kv !== undefined; kv = await it.next()) {
      out.set(kv.key, Buffer.from(kv.value).toString());
    }
    await it.close();
  } finally {
    qe.done();
  }
  return out;
}

function readFirst(dir: string): string {
  return readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
}

/** A common connection profile for the Node SDK: both peers and the orderer, with their TLS roots. */
function connectionProfile(net: TwoOrgNetwork): Record<string, unknown> {
  const scheme = net.tls ? 'grpcs' : 'grpc';
  const tlsOf = (pem: Buffer | undefined) =>
    pem === undefined ? {} : { tlsCACerts: { pem: pem.toString() } };
  const peerName = (p: NetworkPeer) => `peer0.${p.domain}`;
  const ordererRoot = net.tls
    ? readFileSync(
        join(
          net.dir,
          'crypto',
          'ordererOrganizations',
          'example.com',
          'tlsca',
          'tlsca.example.com-cert.pem',
        ),
        'utf8',
      )
    : undefined;
  return {
    name: 'e2e',
    version: '1.0.0',
    client: { organization: 'Org1MSP' },
    organizations: Object.fromEntries(
      net.peers.map((p) => [p.mspId, { mspid: p.mspId, peers: [peerName(p)] }]),
    ),
    peers: Object.fromEntries(
      net.peers.map((p) => [
        peerName(p),
        { url: `${scheme}://${p.address}`, ...tlsOf(p.tlsRootCert) },
      ]),
    ),
    orderers: {
      'orderer.example.com': {
        url: `${scheme}://${net.ordererAddress}`,
        ...(ordererRoot === undefined ? {} : { tlsCACerts: { pem: ordererRoot } }),
      },
    },
    channels: {
      [CHANNEL]: {
        orderers: ['orderer.example.com'],
        peers: Object.fromEntries(
          net.peers.map((p) => [
            peerName(p),
            { endorsingPeer: true, chaincodeQuery: true, ledgerQuery: true, eventSource: true },
          ]),
        ),
      },
    },
  };
}
