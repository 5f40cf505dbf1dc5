import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common, orderer as ab } from '@fabric-peer/protos';
import type { SoloOrderer } from '../src/index.js';
import {
  broadcast,
  connect,
  deliverOnce,
  DeliverStream,
  MAX_UINT64,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { recordingMetrics, startOrderer } from '../test-support/orderer.js';

const { Status } = common;
const { BLOCK_UNTIL_READY, FAIL_IF_NOT_READY } = ab.SeekInfo.SeekBehavior;

describe('Deliver', () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;
  let client: ReturnType<typeof connect>;
  const metrics = recordingMetrics();
  const CH = 'deliverch';

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net, { metrics: metrics.provider });
    await orderer.joinChannel(await net.genesis(CH, { maxMessageCount: 1, batchTimeout: '20s' }));
    client = connect(orderer.address);
    // Blocks 1..4, one transaction each.
    await addBlocks(4);
  });

  after(async () => {
    client?.close();
    await orderer?.stop();
    await net?.dispose();
  });

  async function addBlocks(n: number): Promise<void> {
    const txs = await Promise.all(
      Array.from({ length: n }, () => signedEnvelope(net.identities.user, CH)),
    );
    const r = await broadcast(client, txs);
    assert.ok(r.messages.every((m) => m.status === Status.SUCCESS));
  }

  function seek(
    start: ab.SeekPosition.$Properties,
    stop: ab.SeekPosition.$Properties,
    behavior = BLOCK_UNTIL_READY,
    signer = net.identities.peer,
    channel = CH,
  ): Promise<common.Envelope> {
    return seekEnvelope(signer, channel, { start, stop, behavior });
  }

  const numbers = (blocks: common.Block[]): number[] => blocks.map((b) => Number(b.header!.number));

  it('delivers oldest to newest, then SUCCESS', async () => {
    // Wait until block 4 is written (broadcast answers before the block is).
    const wait = await deliverOnce(
      client,
      await seek(position.specified(4), position.specified(4)),
    );
    assert.equal(wait.status, Status.SUCCESS);
    const r = await deliverOnce(client, await seek(position.oldest(), position.newest()));
    assert.equal(r.status, Status.SUCCESS);
    assert.deepEqual(numbers(r.blocks), [0, 1, 2, 3, 4]);
  });

  it('delivers a specified range', async () => {
    const r = await deliverOnce(client, await seek(position.specified(1), position.specified(3)));
    assert.equal(r.status, Status.SUCCESS);
    assert.deepEqual(numbers(r.blocks), [1, 2, 3]);
  });

  it('delivers exactly one block for newest..newest', async () => {
    const r = await deliverOnce(client, await seek(position.newest(), position.newest()));
    assert.equal(r.status, Status.SUCCESS);
    assert.deepEqual(numbers(r.blocks), [4]);
  });

  it('delivers one block for a start at oldest and stop at oldest', async () => {
    const r = await deliverOnce(client, await seek(position.oldest(), position.oldest()));
    assert.deepEqual(numbers(r.blocks), [0]);
    assert.equal(r.status, Status.SUCCESS);
  });

  it('answers NOT_FOUND for a start beyond the height', async () => {
    const r = await deliverOnce(
      client,
      await seek(position.specified(99), position.specified(100)),
    );
    assert.equal(r.status, Status.NOT_FOUND);
    assert.deepEqual(r.blocks, []);
    assert.equal(r.grpcStatus?.code, 0, 'the stream ends after a status other than SUCCESS');
  });

  it('answers NOT_FOUND with FAIL_IF_NOT_READY at the first missing block', async () => {
    const r = await deliverOnce(
      client,
      await seek(position.specified(3), position.specified(10), FAIL_IF_NOT_READY),
    );
    assert.deepEqual(numbers(r.blocks), [3, 4]);
    assert.equal(r.status, Status.NOT_FOUND);
  });

  it('answers BAD_REQUEST when stop is before start', async () => {
    const r = await deliverOnce(client, await seek(position.specified(3), position.specified(1)));
    assert.equal(r.status, Status.BAD_REQUEST);
  });

  it('answers BAD_REQUEST when start or stop is missing', async () => {
    const env = await seekEnvelope(net.identities.peer, CH, { start: position.oldest() });
    const r = await deliverOnce(client, env);
    assert.equal(r.status, Status.BAD_REQUEST);
  });

  it('answers NOT_FOUND for a channel it does not serve', async () => {
    const r = await deliverOnce(
      client,
      await seek(
        position.oldest(),
        position.newest(),
        BLOCK_UNTIL_READY,
        net.identities.peer,
        'other',
      ),
    );
    assert.equal(r.status, Status.NOT_FOUND);
  });

  it('answers FORBIDDEN to a signer who is not a Reader, or a bad signature', async () => {
    const outsider = await deliverOnce(
      client,
      await seek(position.oldest(), position.newest(), BLOCK_UNTIL_READY, net.identities.outsider),
    );
    assert.equal(outsider.status, Status.FORBIDDEN);
    assert.deepEqual(outsider.blocks, []);

    const unsigned = await seekEnvelope(
      net.identities.user,
      CH,
      { start: position.oldest(), stop: position.newest() },
      { signature: new Uint8Array(0) },
    );
    assert.equal((await deliverOnce(client, unsigned)).status, Status.FORBIDDEN);
  });

  it('answers BAD_REQUEST to a seek outside the time window or without a header', async () => {
    const old = await seekEnvelope(
      net.identities.user,
      CH,
      { start: position.oldest(), stop: position.newest() },
      { timestampMs: Date.now() - 60 * 60 * 1000 },
    );
    assert.equal((await deliverOnce(client, old)).status, Status.BAD_REQUEST);

    const headerless = { payload: common.Payload.encode({ data: Buffer.from('x') }).finish() };
    assert.equal((await deliverOnce(client, headerless)).status, Status.BAD_REQUEST);

    const badSeekInfo = await signedEnvelope(net.identities.user, CH, {
      type: common.HeaderType.DELIVER_SEEK_INFO,
      data: Buffer.from([0xff, 0xff]),
    });
    assert.equal((await deliverOnce(client, badSeekInfo)).status, Status.BAD_REQUEST);
  });

  it('serves several seeks on one stream, each ended by SUCCESS', async () => {
    const stream = new DeliverStream(client);
    const a = await stream.seek(await seek(position.specified(0), position.specified(1)));
    const b = await stream.seek(await seek(position.specified(2), position.specified(2)));
    assert.deepEqual(numbers(a.blocks), [0, 1]);
    assert.equal(a.status, Status.SUCCESS);
    assert.deepEqual(numbers(b.blocks), [2]);
    assert.equal(b.status, Status.SUCCESS);
    assert.equal(b.grpcStatus, undefined, 'the stream stays open after SUCCESS');
    stream.end();
    assert.equal((await stream.ended()).code, 0);
  });

  it('answers a seek written just before the client half-closes, then ends the stream', async () => {
    const stream = new DeliverStream(client);
    stream.send(await seek(position.specified(1), position.specified(2)));
    stream.end();
    const r = await stream.answer();
    assert.deepEqual(numbers(r.blocks), [1, 2]);
    assert.equal(r.status, Status.SUCCESS);
    assert.equal((await stream.ended()).code, 0);
  });

  it("waits for new blocks with BLOCK_UNTIL_READY, as a peer's deliver client asks", async () => {
    const stream = new DeliverStream(client);
    // The peer's request: from its height to the largest number.
    const height = orderer.channels().find((c) => c.channelId === CH)!.height;
    stream.send(await seek(position.specified(height), position.specified(MAX_UINT64)));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(stream.received, [], 'nothing before the block exists');
    await addBlocks(2);
    const got = await stream.waitForBlocks(2);
    assert.deepEqual(numbers(got), [height, height + 1]);
    stream.cancel();
  });

  it('starts at the next block for next_commit', async () => {
    const height = orderer.channels().find((c) => c.channelId === CH)!.height;
    const stream = new DeliverStream(client);
    stream.send(await seek(position.nextCommit(), position.specified(height)));
    await addBlocks(1);
    const r = await stream.answer();
    assert.deepEqual(numbers(r.blocks), [height]);
    assert.equal(r.status, Status.SUCCESS);
    stream.end();
  });

  it('sends headers and signatures without data for HEADER_WITH_SIG (Fabric v3)', async () => {
    const env = await seekEnvelope(net.identities.peer, CH, {
      start: position.specified(0),
      stop: position.specified(1),
      contentType: ab.SeekInfo.SeekContentType.HEADER_WITH_SIG,
    });
    const r = await deliverOnce(client, env);
    assert.equal(r.status, Status.SUCCESS);
    assert.equal(r.blocks[0]!.data!.data!.length, 1, 'a config block is sent whole');
    assert.equal(r.blocks[1]!.data?.data?.length ?? 0, 0);
    assert.ok(r.blocks[1]!.metadata!.metadata![0]!.length > 0);
  });

  it("counts blocks sent in Fabric's deliver_blocks_sent", () => {
    const sent = metrics.records.filter((m) => m.name === 'deliver_blocks_sent');
    assert.ok(sent.length >= 15);
    assert.deepEqual(sent[0]!.labels, { channel: CH, filtered: 'false', data_type: 'block' });
    assert.ok(metrics.records.some((m) => m.name === 'deliver_streams_opened'));
    assert.ok(
      metrics.records.some(
        (m) => m.name === 'deliver_requests_completed' && m.labels.success === 'false',
      ),
    );
  });
});
