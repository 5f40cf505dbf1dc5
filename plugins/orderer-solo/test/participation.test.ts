import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import {
  applyConfigBlock,
  blockSignaturesSignedData,
  bundleFromBlock,
  PolicyPaths,
} from '@fabric-peer/policies';
import { blockHeaderHash, common } from '@fabric-peer/protos';
import { occupyPort } from '@fabric-peer/testkit';
import { lastConfigIndex, OrdererError, SoloOrderer } from '../src/index.js';
import {
  broadcast,
  broadcastOne,
  connect,
  deliverOnce,
  DeliverStream,
  MAX_UINT64,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { batchSizeUpdate, configUpdateEnvelope } from '../test-support/config-update.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { ordererOptions, startOrderer } from '../test-support/orderer.js';

const { Status } = common;

function isOrdererError(code: string): (err: unknown) => boolean {
  return (err: unknown) => err instanceof OrdererError && err.code === code;
}

describe('Channel participation', () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net);
  });

  after(async () => {
    await orderer?.stop();
    await net?.dispose();
  });

  it('joins channels from their genesis block and lists them', async () => {
    assert.deepEqual(orderer.channels(), []);
    assert.deepEqual(await orderer.joinChannel(await net.genesis('beta')), {
      channelId: 'beta',
      height: 1,
    });
    await orderer.joinChannel(
      common.Block.decode(await net.genesis('alpha', { maxMessageCount: 1 })),
    );
    assert.deepEqual(orderer.channels(), [
      { channelId: 'alpha', height: 1 },
      { channelId: 'beta', height: 1 },
    ]);
  });

  it('refuses a channel it already has', async () => {
    await assert.rejects(
      orderer.joinChannel(await net.genesis('beta')),
      isOrdererError('CHANNEL_EXISTS'),
    );
  });

  it('refuses blocks that cannot start a channel', async () => {
    await assert.rejects(
      orderer.joinChannel(Buffer.from([0xff, 0x01])),
      isOrdererError('JOIN_BLOCK_INVALID'),
    );
    // A block of transactions.
    const client = connect(orderer.address);
    try {
      await broadcastOne(client, await signedEnvelope(net.identities.user, 'alpha'));
      const r = await deliverOnce(
        client,
        await seekEnvelope(net.identities.user, 'alpha', {
          start: position.specified(1),
          stop: position.specified(1),
        }),
      );
      await assert.rejects(orderer.joinChannel(r.blocks[0]!), (err: unknown) => {
        assert.ok(err instanceof OrdererError && err.code === 'JOIN_BLOCK_INVALID');
        assert.equal(err.message, 'block is not a config block');
        return true;
      });
    } finally {
      client.close();
    }
    // A config block that is not block 0.
    const later = common.Block.decode(await net.genesis('gamma'));
    later.header!.number = 5;
    await assert.rejects(orderer.joinChannel(later), (err: unknown) => {
      assert.ok(err instanceof OrdererError && err.code === 'JOIN_BLOCK_INVALID');
      assert.match(err.message, /genesis block \(block 0\)/);
      return true;
    });
    // A genesis block whose data hash does not match its data.
    const tampered = common.Block.decode(await net.genesis('delta'));
    tampered.header!.dataHash = Buffer.alloc(32);
    await assert.rejects(orderer.joinChannel(tampered), isOrdererError('JOIN_BLOCK_INVALID'));
    assert.deepEqual(
      orderer.channels().map((c) => c.channelId),
      ['alpha', 'beta'],
    );
  });

  it("refuses a channel whose BlockValidation policy this orderer's identity cannot satisfy", async () => {
    // An orderer that signs as Org1's peer: peers would refuse its blocks.
    const impostor = await startOrderer(net, {
      mspDir: join(
        net.dir,
        'crypto/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp',
      ),
      mspId: 'Org1MSP',
    });
    try {
      await assert.rejects(impostor.joinChannel(await net.genesis('epsilon')), (err: unknown) => {
        assert.ok(err instanceof OrdererError && err.code === 'JOIN_BLOCK_INVALID');
        assert.match(err.message, /does not satisfy \/Channel\/Orderer\/BlockValidation/);
        return true;
      });
    } finally {
      await impostor.stop();
    }
  });

  it('refuses to join before start and reports a bad MSP folder at start', async () => {
    const idle = new SoloOrderer(ordererOptions(net));
    await assert.rejects(
      idle.joinChannel(await net.genesis('zeta')),
      isOrdererError('ORDERER_NOT_RUNNING'),
    );
    const broken = new SoloOrderer(ordererOptions(net, { mspDir: join(net.dir, 'nowhere') }));
    await assert.rejects(broken.start(), (err: unknown) => {
      assert.ok(err instanceof OrdererError && err.code === 'ORDERER_IDENTITY_INVALID');
      assert.match(err.message, /nowhere/);
      return true;
    });
  });

  it('reports a listen address in use, and leaves nothing open', async () => {
    const held = await occupyPort();
    const options = ordererOptions(net, { listenAddress: `127.0.0.1:${held.port}` });
    // grpc-js prints the bind failure itself; the test checks the error instead.
    setLogVerbosity(logVerbosity.NONE);
    try {
      const first = new SoloOrderer(options);
      await assert.rejects(first.start(), isOrdererError('ORDERER_LISTEN_FAILED'));
    } finally {
      setLogVerbosity(logVerbosity.ERROR);
      await held.close();
    }
    // The same folder opens again: the failed start released the block index.
    const second = new SoloOrderer({ ...options, listenAddress: '127.0.0.1:0' });
    await second.start();
    await second.stop();
  });
});

describe('Restart', () => {
  let net: OrdererTestNetwork;
  const CH = 'durable';

  before(async () => {
    net = await makeOrdererNetwork();
  });

  after(async () => {
    await net?.dispose();
  });

  it('restores chains and config at start, and deliver resumes where it was', async () => {
    const options = ordererOptions(net, { sync: true });
    const genesis = await net.genesis(CH, { maxMessageCount: 2, batchTimeout: '30s' });
    const genesisBundle = await bundleFromBlock(genesis);

    // First life: blocks 1 (two txs), 2 (config: MaxMessageCount 3), then one tx left pending.
    const first = new SoloOrderer(options);
    await first.start();
    await first.joinChannel(genesis);
    await first.joinChannel(await net.genesis('other'));
    let client = connect(first.address);
    const txs = await Promise.all([0, 1].map(() => signedEnvelope(net.identities.user, CH)));
    assert.ok((await broadcast(client, txs)).messages.every((m) => m.status === Status.SUCCESS));
    const update = await configUpdateEnvelope(
      CH,
      batchSizeUpdate(genesisBundle, {
        maxMessageCount: 3,
        absoluteMaxBytes: 1024 * 1024,
        preferredMaxBytes: 512 * 1024,
      }),
      [net.identities.ordererAdmin],
      net.identities.ordererAdmin,
    );
    assert.equal((await broadcastOne(client, update)).status, Status.SUCCESS);
    const pending = await signedEnvelope(net.identities.user, CH);
    assert.equal((await broadcastOne(client, pending)).status, Status.SUCCESS);

    // A peer waiting for blocks at the tip is told the service went away when the orderer stops.
    const waiting = new DeliverStream(client);
    waiting.send(
      await seekEnvelope(net.identities.peer, CH, {
        start: position.specified(3),
        stop: position.specified(MAX_UINT64),
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(waiting.received, [], 'block 3 is not cut yet (count 2, timeout 30 s)');
    await first.stop();
    const stopped = await waiting.answer();
    client.close();
    // Block 3 (the pending transaction, written at stop) may reach it before the stop does.
    assert.ok(stopped.blocks.length <= 1);
    assert.equal(stopped.status, Status.SERVICE_UNAVAILABLE);

    // Second life on the same folder.
    const second = new SoloOrderer(options);
    await second.start();
    try {
      assert.deepEqual(second.channels(), [
        { channelId: CH, height: 4 },
        { channelId: 'other', height: 1 },
      ]);
      client = connect(second.address);
      const all = await deliverOnce(
        client,
        await seekEnvelope(net.identities.peer, CH, {
          start: position.oldest(),
          stop: position.newest(),
        }),
      );
      assert.equal(all.status, Status.SUCCESS);
      assert.equal(all.blocks.length, 4);
      assert.deepEqual(
        Buffer.from(common.Block.encode(all.blocks[0]!).finish()),
        Buffer.from(genesis),
      );
      assert.equal(all.blocks[3]!.data!.data!.length, 1, 'the pending batch was written at stop');
      const configBundle = await applyConfigBlock(genesisBundle, all.blocks[2]!);

      // A peer resuming from its height receives the next blocks as they are cut, under the
      // restored config (MaxMessageCount 3) and pointing at the restored last config block.
      const resumed = new DeliverStream(client);
      resumed.send(
        await seekEnvelope(net.identities.peer, CH, {
          start: position.specified(4),
          stop: position.specified(MAX_UINT64),
        }),
      );
      const more = await Promise.all([0, 1, 2].map(() => signedEnvelope(net.identities.user, CH)));
      assert.ok((await broadcast(client, more)).messages.every((m) => m.status === Status.SUCCESS));
      const [b4] = await resumed.waitForBlocks(1);
      resumed.cancel();
      assert.equal(Number(b4!.header!.number), 4);
      assert.equal(b4!.data!.data!.length, 3);
      assert.deepEqual(
        Buffer.from(b4!.header!.previousHash!),
        blockHeaderHash(all.blocks[3]!.header!),
      );
      assert.equal(lastConfigIndex(b4!), 2);
      await configBundle.policyManager
        .requirePolicy(PolicyPaths.BlockValidation)
        .evaluateSignedData(blockSignaturesSignedData(b4!));

      // The config sequence was restored too: an update computed from the current config applies.
      const next = await configUpdateEnvelope(
        CH,
        batchSizeUpdate(configBundle, {
          maxMessageCount: 4,
          absoluteMaxBytes: 1024 * 1024,
          preferredMaxBytes: 512 * 1024,
        }),
        [net.identities.ordererAdmin],
        net.identities.ordererAdmin,
      );
      const answer = await broadcastOne(client, next);
      assert.equal(answer.status, Status.SUCCESS, answer.info);
      const b5 = await deliverOnce(
        client,
        await seekEnvelope(net.identities.peer, CH, {
          start: position.specified(5),
          stop: position.specified(5),
        }),
      );
      const applied = await applyConfigBlock(configBundle, b5.blocks[0]!);
      assert.equal(applied.sequence, 2n);
    } finally {
      client.close();
      await second.stop();
    }
  });

  it('refuses to share its folder with another running orderer', async () => {
    const options = ordererOptions(net);
    const a = await startOrderer(net, options);
    try {
      const b = new SoloOrderer({ ...options, listenAddress: '127.0.0.1:0' });
      await assert.rejects(b.start(), /in use/);
    } finally {
      await a.stop();
    }
  });
});
