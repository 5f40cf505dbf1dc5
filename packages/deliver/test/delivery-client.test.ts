import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openTestChannels, type TestChannels } from '@fabric-peer/channel/test-support';
import { common } from '@fabric-peer/protos';
import { ChainBuilder, freePort } from '@fabric-peer/testkit';
import { createDeliveryClient } from '../src/delivery-client.js';
import { DeliverError } from '../src/errors.js';
import { deliverySettings } from '../src/settings.js';
import {
  FakeOrderer,
  endorserTxWithEvent,
  makeOrdererNetwork,
  waitUntil,
  type OrdererNetwork,
} from '../test-support/index.js';

describe('delivery client', () => {
  let net: OrdererNetwork;
  let channels: TestChannels;
  let orderer: FakeOrderer;
  let builder: ChainBuilder;
  before(async () => {
    const port = await freePort();
    net = await makeOrdererNetwork({ addresses: [`127.0.0.1:${port}`] });
    channels = await openTestChannels(net);
    const genesis = common.Block.decode(net.genesis);
    builder = ChainBuilder.after(genesis);
    orderer = await FakeOrderer.start({
      port,
      blocks: [genesis, builder.block([endorserTxWithEvent({ channelId: net.channelId })])],
    });
  });
  after(async () => {
    await orderer.stop();
    await channels.close();
    await net.dispose();
  });

  it('runs one puller per channel feeding that channel committer, and stops them', async () => {
    const channel = channels.channels.get(net.channelId)!;
    const committedBy: string[] = [];
    const client = createDeliveryClient({
      signer: net.identities.peer,
      settings: deliverySettings({ connTimeoutMs: 300, initialRetryDelayMs: 10 }),
      committer: (ch) => async (block) => {
        committedBy.push(`${ch.id}:${Number(block.header?.number)}`);
        await ch.ledger.commit(block);
      },
    });
    client.startDeliverForChannel(channel);
    assert.deepEqual(client.channels(), [net.channelId]);
    assert.throws(
      () => client.startDeliverForChannel(channel),
      (err: unknown) =>
        err instanceof DeliverError &&
        err.code === 'DELIVERY_STATE' &&
        err.message ===
          `Delivery service - block provider already exists for ${net.channelId} found, can't start delivery`,
    );
    await waitUntil(() => committedBy.length === 1, 'block 1');
    await client.stopDeliverForChannel(net.channelId);
    assert.deepEqual(client.channels(), []);
    await assert.rejects(
      client.stopDeliverForChannel(net.channelId),
      /no block provider for mychannel found, can't stop delivery/,
    );
    // Started again, it goes on from the ledger height.
    client.startDeliverForChannel(channel);
    orderer.append(builder.block([]));
    await waitUntil(() => committedBy.length === 2, 'block 2');
    assert.deepEqual(committedBy, [`${net.channelId}:1`, `${net.channelId}:2`]);
    assert.deepEqual(
      orderer.seeks.map((r) => Number(r.seekInfo.start?.specified?.number)),
      [1, 2],
    );
    await client.stop();
    assert.throws(
      () => client.startDeliverForChannel(channel),
      /Delivery service is stopping cannot join a new channel mychannel/,
    );
  });
});
