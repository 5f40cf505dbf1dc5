import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  applyConfigBlock,
  blockSignaturesSignedData,
  bundleFromBlock,
  PolicyPaths,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';
import { lastConfigIndex, type SoloOrderer } from '../src/index.js';
import {
  broadcast,
  broadcastOne,
  channelHeader,
  connect,
  deliverOnce,
  envelopesOf,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { batchSizeUpdate, configUpdateEnvelope } from '../test-support/config-update.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { startOrderer } from '../test-support/orderer.js';

const { Status } = common;
const CH = 'cfgch';

describe('Config updates', () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;
  let client: ReturnType<typeof connect>;
  let genesisBundle: ChannelConfigBundle;

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net);
    const genesis = await net.genesis(CH, { maxMessageCount: 10, batchTimeout: '20s' });
    await orderer.joinChannel(genesis);
    genesisBundle = await bundleFromBlock(genesis);
    client = connect(orderer.address);
  });

  after(async () => {
    client?.close();
    await orderer?.stop();
    await net?.dispose();
  });

  async function blocksUpTo(n: number): Promise<common.Block[]> {
    const seek = await seekEnvelope(net.identities.peer, CH, {
      start: position.oldest(),
      stop: position.specified(n),
    });
    const r = await deliverOnce(client, seek);
    assert.equal(r.status, Status.SUCCESS);
    return r.blocks;
  }

  async function blockValidation(bundle: ChannelConfigBundle, block: common.Block): Promise<void> {
    await bundle.policyManager
      .requirePolicy(PolicyPaths.BlockValidation)
      .evaluateSignedData(blockSignaturesSignedData(block));
  }

  it('orders an authorised update in a block of its own that peers apply', async () => {
    // A pending transaction, cut before the config block.
    const tx = await signedEnvelope(net.identities.user, CH);
    assert.equal((await broadcastOne(client, tx)).status, Status.SUCCESS);

    const update = await configUpdateEnvelope(
      CH,
      batchSizeUpdate(genesisBundle, {
        maxMessageCount: 2,
        absoluteMaxBytes: 1024 * 1024,
        preferredMaxBytes: 512 * 1024,
      }),
      [net.identities.ordererAdmin],
      net.identities.user,
    );
    const answer = await broadcastOne(client, update);
    assert.equal(answer.status, Status.SUCCESS, answer.info);

    const [, b1, b2] = await blocksUpTo(2);
    assert.equal(b1!.data!.data!.length, 1, 'the pending batch was cut first');
    const configEnvs = envelopesOf(b2!);
    assert.equal(configEnvs.length, 1);
    const chdr = channelHeader(configEnvs[0]!);
    assert.equal(chdr.type, common.HeaderType.CONFIG);
    assert.equal(chdr.channelId, CH);
    // Signed by the orderer, carrying the client's update as last_update.
    const payload = common.Payload.decode(configEnvs[0]!.payload);
    const sh = common.SignatureHeader.decode(payload.header!.signatureHeader!);
    assert.deepEqual(Buffer.from(sh.creator), Buffer.from(net.identities.orderer.serialize()));
    const configEnvelope = common.ConfigEnvelope.decode(payload.data);
    assert.deepEqual(
      Buffer.from(common.Envelope.encode(configEnvelope.lastUpdate!).finish()),
      Buffer.from(common.Envelope.encode(update).finish()),
    );
    assert.equal(Number(configEnvelope.config!.sequence), 1);
    assert.equal(lastConfigIndex(b1!), 0);
    assert.equal(lastConfigIndex(b2!), 2, 'a config block is its own last config');

    // The peer: both blocks pass BlockValidation, and the config block applies.
    await blockValidation(genesisBundle, b1!);
    await blockValidation(genesisBundle, b2!);
    const next = await applyConfigBlock(genesisBundle, b2!);
    assert.equal(next.sequence, 1n);
    assert.equal(next.orderer!.batchSize.maxMessageCount, 2);

    // The orderer cuts with the new batch size, and later blocks point to the config block.
    const txs = await Promise.all([0, 1].map(() => signedEnvelope(net.identities.user, CH)));
    const r = await broadcast(client, txs);
    assert.ok(r.messages.every((m) => m.status === Status.SUCCESS));
    const blocks = await blocksUpTo(3);
    const b3 = blocks[3]!;
    assert.equal(b3.data!.data!.length, 2);
    assert.equal(lastConfigIndex(b3), 2);
    await blockValidation(next, b3);
  });

  it('refuses an update its mod policy does not allow, naming the element and policy', async () => {
    const current = await bundleFromBlock((await blocksUpTo(2))[2]!);
    const update = await configUpdateEnvelope(
      CH,
      batchSizeUpdate(current, {
        maxMessageCount: 5,
        absoluteMaxBytes: 1024 * 1024,
        preferredMaxBytes: 512 * 1024,
      }),
      [net.identities.admin], // Org1's admin is not an orderer admin
      net.identities.user,
    );
    const answer = await broadcastOne(client, update);
    assert.equal(answer.status, Status.BAD_REQUEST);
    assert.match(
      answer.info,
      /^error applying config update to existing channel 'cfgch': error authorizing update: error validating DeltaSet: policy for \[Value\] {2}\/Channel\/Orderer\/BatchSize not satisfied/,
    );
  });

  it('refuses an update computed from an old config', async () => {
    const stale = await configUpdateEnvelope(
      CH,
      batchSizeUpdate(genesisBundle, {
        maxMessageCount: 7,
        absoluteMaxBytes: 1024 * 1024,
        preferredMaxBytes: 512 * 1024,
      }),
      [net.identities.ordererAdmin],
      net.identities.user,
    );
    const answer = await broadcastOne(client, stale);
    assert.equal(answer.status, Status.BAD_REQUEST);
    assert.match(answer.info, /to version 1, but key is at version 1/);
  });

  it('refuses an update sent by a non-member with FORBIDDEN (initial checks)', async () => {
    const current = await bundleFromBlock((await blocksUpTo(2))[2]!);
    const update = await configUpdateEnvelope(
      CH,
      batchSizeUpdate(current, {
        maxMessageCount: 5,
        absoluteMaxBytes: 1024 * 1024,
        preferredMaxBytes: 512 * 1024,
      }),
      [net.identities.ordererAdmin],
      net.identities.outsider,
    );
    const answer = await broadcastOne(client, update);
    assert.equal(answer.status, Status.FORBIDDEN);
    assert.match(answer.info, /^config update for existing channel did not pass initial checks: /);
  });

  it('wrote no block for the refused updates', async () => {
    const seek = await seekEnvelope(net.identities.peer, CH, {
      start: position.newest(),
      stop: position.newest(),
    });
    const r = await deliverOnce(client, seek);
    assert.equal(Number(r.blocks[0]!.header!.number), 3);
    assert.equal(orderer.channels().find((c) => c.channelId === CH)?.height, 4);
  });
});
