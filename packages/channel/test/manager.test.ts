import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider, MemoryStateStore } from '@fabric-peer/statedb-testkit';
import { ChannelError } from '../src/errors.js';
import { checkJoinBlock } from '../src/manager.js';
import type { Channel } from '../src/types.js';
import { makeTestNetwork, openTestChannels, type TestNetwork } from '../test-support/network.js';

function codeOf(err: unknown): string {
  return err instanceof ChannelError ? err.code : `not a ChannelError: ${String(err)}`;
}

void describe('ChannelManager', () => {
  let net: TestNetwork;
  before(async () => {
    net = await makeTestNetwork();
  });
  after(() => net.dispose());

  void it('joins a channel from its genesis block: ledger at height 1, bundle of the config', async () => {
    const store = new MemoryStateStore();
    const opened = await openTestChannels(net, {
      provider: memoryStateDatabaseProvider({ store }),
    });
    try {
      const channel = opened.channels.get(net.channelId);
      assert.ok(channel);
      assert.equal(Number(channel.ledger.getBlockchainInfo().height), 1);
      assert.equal(channel.bundle().channelId, net.channelId);
      assert.ok(channel.bundle().capabilities.application?.lifecycleV20);
      assert.deepEqual(opened.channels.ids(), [net.channelId]);
      await assert.rejects(opened.channels.join(common.Block.decode(net.genesis)), (err) => {
        assert.equal(codeOf(err), 'CHANNEL_EXISTS');
        assert.match((err as Error).message, /ledger \[mychannel\] already exists/);
        return true;
      });
    } finally {
      await opened.close();
    }
    // A restart finds the channel again, bundle rebuilt from the stored config.
    const again = await openTestChannels(net, {
      provider: memoryStateDatabaseProvider({ store }),
      join: false,
    });
    try {
      const seen: Channel[] = [];
      again.channels.onChannel((c) => seen.push(c));
      assert.deepEqual(
        seen.map((c) => c.id),
        [net.channelId],
      );
      assert.equal(seen[0]!.bundle().sequence, 0n);
    } finally {
      await again.close();
    }
  });

  void it("refuses blocks that are not config blocks, with Fabric's messages", () => {
    assert.throws(() => checkJoinBlock(new common.Block()), /no envelope/);
    const block = common.Block.decode(net.genesis);
    const env = common.Envelope.decode(block.data!.data![0]!);
    const payload = common.Payload.decode(env.payload);
    const chdr = common.ChannelHeader.decode(payload.header!.channelHeader!);
    chdr.type = common.HeaderType.ENDORSER_TRANSACTION;
    payload.header!.channelHeader = common.ChannelHeader.encode(chdr).finish();
    env.payload = common.Payload.encode(payload).finish();
    block.data!.data![0] = common.Envelope.encode(env).finish();
    assert.throws(
      () => checkJoinBlock(block),
      (err) =>
        codeOf(err) === 'INVALID_CONFIG_BLOCK' && /Bad configuration envelope/.test(String(err)),
    );
  });
});
