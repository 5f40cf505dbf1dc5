import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  blockSignaturesSignedData,
  bundleFromBlock,
  PolicyPaths,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, common } from '@fabric-peer/protos';
import { lastConfigIndex, type SoloOrderer } from '../src/index.js';
import {
  broadcast,
  connect,
  deliverOnce,
  envelopesOf,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { startOrderer } from '../test-support/orderer.js';

const { Status, BlockMetadataIndex } = common;

describe('Blocks as a peer verifies them', () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;
  let client: ReturnType<typeof connect>;
  let genesis: Uint8Array;
  let bundle: ChannelConfigBundle;
  let chain: common.Block[];

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net);
    genesis = await net.genesis('blocks', { maxMessageCount: 2, batchTimeout: '20s' });
    await orderer.joinChannel(genesis);
    // The peer's view of the channel: the bundle of the genesis block, X.509 MSPs.
    bundle = await bundleFromBlock(genesis);
    client = connect(orderer.address);
    const txs = await Promise.all(
      [0, 1, 2, 3].map(() => signedEnvelope(net.identities.user, 'blocks')),
    );
    const r = await broadcast(client, txs);
    assert.ok(r.messages.every((m) => m.status === Status.SUCCESS));
    const seek = await seekEnvelope(net.identities.peer, 'blocks', {
      start: position.oldest(),
      stop: position.specified(2),
    });
    const answer = await deliverOnce(client, seek);
    assert.equal(answer.status, Status.SUCCESS);
    chain = answer.blocks;
  });

  after(async () => {
    client?.close();
    await orderer?.stop();
    await net?.dispose();
  });

  async function blockValidation(block: common.Block): Promise<void> {
    await bundle.policyManager
      .requirePolicy(PolicyPaths.BlockValidation)
      .evaluateSignedData(blockSignaturesSignedData(block));
  }

  it('keeps the genesis block as block 0, byte for byte', () => {
    assert.equal(chain.length, 3);
    assert.deepEqual(Buffer.from(common.Block.encode(chain[0]!).finish()), Buffer.from(genesis));
  });

  it('numbers and chains blocks with Fabric hashes (ASN.1 header hash, concatenated data hash)', () => {
    for (let i = 1; i < chain.length; i++) {
      const block = chain[i]!;
      const header = block.header!;
      assert.equal(Number(header.number), i);
      assert.deepEqual(
        Buffer.from(header.previousHash!),
        blockHeaderHash(chain[i - 1]!.header!),
        `block ${i} previous hash`,
      );
      assert.deepEqual(Buffer.from(header.dataHash!), blockDataHash(block.data), `block ${i} data`);
      // Every envelope well formed, as the peer's VerifyTransactionsAreWellFormed wants.
      for (const env of envelopesOf(block)) {
        assert.ok(env.payload.length > 0 && env.signature.length > 0);
      }
      assert.equal(block.data!.data!.length, 2);
    }
  });

  it('leaves TRANSACTIONS_FILTER, ORDERER and COMMIT_HASH empty and sets LAST_CONFIG', () => {
    for (const block of chain.slice(1)) {
      const slots = block.metadata!.metadata!;
      assert.equal(slots.length, 5);
      assert.equal(slots[BlockMetadataIndex.TRANSACTIONS_FILTER]!.length, 0);
      assert.equal(slots[BlockMetadataIndex.ORDERER]!.length, 0);
      assert.equal(slots[BlockMetadataIndex.COMMIT_HASH]!.length, 0);
      const lastConfig = common.LastConfig.decode(
        common.Metadata.decode(slots[BlockMetadataIndex.LAST_CONFIG]!).value,
      );
      assert.equal(Number(lastConfig.index), 0);
      assert.equal(lastConfigIndex(block), 0);
    }
  });

  it("signs SIGNATURES with the orderer's identity over value ‖ signature header ‖ header", async () => {
    for (const block of chain.slice(1)) {
      const metadata = common.Metadata.decode(
        block.metadata!.metadata![BlockMetadataIndex.SIGNATURES]!,
      );
      const obm = common.OrdererBlockMetadata.decode(metadata.value);
      assert.equal(Number(obm.lastConfig!.index), 0);
      assert.equal(obm.consenterMetadata.length, 0);
      assert.equal(metadata.signatures.length, 1);
      const sig = metadata.signatures[0]!;
      const sh = common.SignatureHeader.decode(sig.signatureHeader!);
      assert.deepEqual(Buffer.from(sh.creator), Buffer.from(net.identities.orderer.serialize()));
      assert.equal(sh.nonce.length, 24);
      await net.identities.orderer.verify(
        Buffer.concat([metadata.value, sig.signatureHeader!, blockHeaderBytes(block.header!)]),
        sig.signature!,
      );
    }
  });

  it('passes /Channel/Orderer/BlockValidation as the peer evaluates it', async () => {
    for (const block of chain.slice(1)) await blockValidation(block);
  });

  it('fails BlockValidation once the header is changed or another identity signs', async () => {
    const block = common.Block.decode(common.Block.encode(chain[1]!).finish());
    block.header!.dataHash = blockDataHash({ data: [Buffer.from('other')] });
    await assert.rejects(blockValidation(block));

    // Re-signed by Org1's admin, who is not a member of the orderer org.
    const copy = common.Block.decode(common.Block.encode(chain[1]!).finish());
    const metadata = common.Metadata.decode(
      copy.metadata!.metadata![BlockMetadataIndex.SIGNATURES]!,
    );
    const signatureHeader = common.SignatureHeader.encode({
      creator: net.identities.admin.serialize(),
      nonce: new Uint8Array(24),
    }).finish();
    const signature = await net.identities.admin.sign(
      Buffer.concat([metadata.value, signatureHeader, blockHeaderBytes(copy.header!)]),
    );
    copy.metadata!.metadata![BlockMetadataIndex.SIGNATURES] = common.Metadata.encode({
      value: metadata.value,
      signatures: [{ signatureHeader, signature }],
    }).finish();
    await assert.rejects(blockValidation(copy));
  });
});
