import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import type { SoloOrderer } from '../src/index.js';
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
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { recordingMetrics, startOrderer } from '../test-support/orderer.js';

const { Status } = common;
const BLOCK_UNTIL_READY = 0;
const FAIL_IF_NOT_READY = 1;

describe('Broadcast', () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;
  let client: ReturnType<typeof connect>;
  const metrics = recordingMetrics();

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net, { metrics: metrics.provider });
    // By count: three per block, a timeout too long to matter.
    await orderer.joinChannel(
      await net.genesis('bycount', { maxMessageCount: 3, batchTimeout: '20s' }),
    );
    // By time: many per block, cut after 250 ms.
    await orderer.joinChannel(
      await net.genesis('bytime', { maxMessageCount: 100, batchTimeout: '250ms' }),
    );
    // By size: 1000 preferred bytes, 3000 at most.
    await orderer.joinChannel(
      await net.genesis('bysize', {
        maxMessageCount: 100,
        batchTimeout: '20s',
        preferredMaxBytes: 1000,
        absoluteMaxBytes: 3000,
      }),
    );
    client = connect(orderer.address);
  });

  after(async () => {
    client?.close();
    await orderer?.stop();
    await net?.dispose();
  });

  /** Blocks `from`..`to` of a channel, waiting for them. */
  async function blocks(channel: string, from: number, to: number): Promise<common.Block[]> {
    const seek = await seekEnvelope(net.identities.user, channel, {
      start: position.specified(from),
      stop: position.specified(to),
      behavior: BLOCK_UNTIL_READY,
    });
    const r = await deliverOnce(client, seek);
    assert.equal(r.status, Status.SUCCESS);
    return r.blocks;
  }

  /** Whether block `n` exists yet. */
  async function exists(channel: string, n: number): Promise<boolean> {
    const seek = await seekEnvelope(net.identities.user, channel, {
      start: position.specified(n),
      stop: position.specified(n),
      behavior: FAIL_IF_NOT_READY,
    });
    const r = await deliverOnce(client, seek);
    return r.status === Status.SUCCESS;
  }

  it('answers SUCCESS to each valid envelope of a stream and orders them by count', async () => {
    const txs = await Promise.all(
      [0, 1, 2].map(() => signedEnvelope(net.identities.user, 'bycount')),
    );
    const r = await broadcast(client, txs);
    assert.deepEqual(
      r.messages.map((m) => m.status),
      [Status.SUCCESS, Status.SUCCESS, Status.SUCCESS],
    );
    assert.deepEqual(
      r.messages.map((m) => m.info),
      ['', '', ''],
    );
    assert.equal(r.status.code, 0);

    const [block] = await blocks('bycount', 1, 1);
    assert.ok(block);
    // The block holds the envelopes as sent, in order.
    assert.deepEqual(
      block.data!.data!.map((d) => Buffer.from(d).toString('hex')),
      txs.map((t) => Buffer.from(common.Envelope.encode(t).finish()).toString('hex')),
    );

    // Two more stay pending: the count is not reached and the timeout is long.
    for (const tx of await Promise.all(
      [0, 1].map(() => signedEnvelope(net.identities.admin, 'bycount')),
    )) {
      assert.equal((await broadcastOne(client, tx)).status, Status.SUCCESS);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await exists('bycount', 2), false, 'no block before the third message');
    assert.equal(
      (await broadcastOne(client, await signedEnvelope(net.identities.user, 'bycount'))).status,
      Status.SUCCESS,
    );
    const [second] = await blocks('bycount', 2, 2);
    assert.equal(second!.data!.data!.length, 3);
  });

  it('cuts a batch when BatchTimeout runs out', async () => {
    const txs = await Promise.all([0, 1].map(() => signedEnvelope(net.identities.user, 'bytime')));
    const sent = Date.now();
    const r = await broadcast(client, txs);
    assert.deepEqual(
      r.messages.map((m) => m.status),
      [Status.SUCCESS, Status.SUCCESS],
    );
    const [block] = await blocks('bytime', 1, 1);
    const waited = Date.now() - sent;
    assert.equal(block!.data!.data!.length, 2, 'both in one block');
    assert.ok(waited >= 200, `cut after the timeout, not before (${waited} ms)`);
    assert.ok(waited < 5000, `cut by the timeout (${waited} ms)`);
  });

  it('isolates an envelope over PreferredMaxBytes and cuts the pending batch before it', async () => {
    const small = await signedEnvelope(net.identities.user, 'bysize', {
      data: new Uint8Array(100),
    });
    const big = await signedEnvelope(net.identities.user, 'bysize', { data: new Uint8Array(1500) });
    const r = await broadcast(client, [small, big]);
    assert.deepEqual(
      r.messages.map((m) => m.status),
      [Status.SUCCESS, Status.SUCCESS],
    );
    const [b1, b2] = await blocks('bysize', 1, 2);
    assert.equal(b1!.data!.data!.length, 1);
    assert.equal(b2!.data!.data!.length, 1);
    assert.equal(envelopesOf(b2!)[0]!.payload.length, big.payload.length);
  });

  it('refuses an envelope over AbsoluteMaxBytes with BAD_REQUEST', async () => {
    const tx = await signedEnvelope(net.identities.user, 'bysize', { data: new Uint8Array(3000) });
    const size = tx.payload.length + tx.signature.length;
    const answer = await broadcastOne(client, tx);
    assert.equal(answer.status, Status.BAD_REQUEST);
    assert.equal(
      answer.info,
      `message payload is ${size} bytes and exceeds maximum allowed 3000 bytes`,
    );
  });

  it('refuses unsigned and wrongly signed envelopes with FORBIDDEN', async () => {
    const unsigned = await signedEnvelope(net.identities.user, 'bycount', {
      signature: new Uint8Array(0),
    });
    const a = await broadcastOne(client, unsigned);
    assert.equal(a.status, Status.FORBIDDEN);
    assert.match(a.info, /permission denied$/);

    const other = await signedEnvelope(net.identities.user, 'bycount');
    const forged = await signedEnvelope(net.identities.user, 'bycount', {
      signature: other.signature,
    });
    const b = await broadcastOne(client, forged);
    assert.equal(b.status, Status.FORBIDDEN);
  });

  it('refuses signers who are not Writers of the channel with FORBIDDEN', async () => {
    // Org2 is not in the channel; a peer is a Reader but not a Writer.
    for (const signer of [net.identities.outsider, net.identities.peer]) {
      const answer = await broadcastOne(client, await signedEnvelope(signer, 'bycount'));
      assert.equal(answer.status, Status.FORBIDDEN);
      assert.match(answer.info, /: permission denied$/);
    }
  });

  it('refuses a channel it does not serve with BAD_REQUEST', async () => {
    const answer = await broadcastOne(
      client,
      await signedEnvelope(net.identities.user, 'nochannel'),
    );
    assert.equal(answer.status, Status.BAD_REQUEST);
    assert.equal(answer.info, 'channel does not exist');
  });

  it('refuses envelopes whose channel header cannot be read with BAD_REQUEST', async () => {
    const garbage = await broadcastOne(client, {
      payload: Buffer.from([0xff, 0xff, 0xff]),
      signature: Buffer.from([1]),
    });
    assert.equal(garbage.status, Status.BAD_REQUEST);
    assert.match(garbage.info, /^could not determine channel ID: error unmarshalling Payload/);

    const headerless = await broadcastOne(client, {
      payload: common.Payload.encode({ data: Buffer.from('x') }).finish(),
      signature: Buffer.from([1]),
    });
    assert.equal(headerless.status, Status.BAD_REQUEST);
    assert.equal(headerless.info, 'could not determine channel ID: header not set');

    const noChannelHeader = await broadcastOne(client, {
      payload: common.Payload.encode({
        header: { signatureHeader: Buffer.from([1]) },
        data: Buffer.from('x'),
      }).finish(),
    });
    assert.equal(noChannelHeader.info, 'could not determine channel ID: channel header not set');
  });

  it('refuses CONFIG and ORDERER_TRANSACTION envelopes, which are not broadcast directly', async () => {
    for (const type of [common.HeaderType.CONFIG, common.HeaderType.ORDERER_TRANSACTION]) {
      const answer = await broadcastOne(
        client,
        await signedEnvelope(net.identities.user, 'bycount', { type }),
      );
      assert.equal(answer.status, Status.BAD_REQUEST);
      assert.equal(answer.info, 'message is of type that cannot be processed directly');
    }
  });

  it('ends the stream after the first refusal, as Fabric', async () => {
    const bad = await signedEnvelope(net.identities.outsider, 'bytime');
    const good = await signedEnvelope(net.identities.user, 'bytime');
    const r = await broadcast(client, [bad, good]);
    assert.equal(r.messages.length, 1);
    assert.equal(r.messages[0]!.status, Status.FORBIDDEN);
    assert.equal(r.status.code, 0, 'ended normally by the server');
  });

  it('answers envelopes written before the client half-closes', async () => {
    const txs = await Promise.all([0, 1].map(() => signedEnvelope(net.identities.user, 'bytime')));
    const call = client.broadcast();
    const answers: number[] = [];
    call.on('data', (m: { status: number }) => answers.push(m.status));
    for (const tx of txs) call.write(tx);
    call.end();
    await new Promise<void>((resolve) => call.on('status', () => resolve()));
    assert.deepEqual(answers, [Status.SUCCESS, Status.SUCCESS]);
  });

  it('orders nothing it refused', async () => {
    // Everything refused above went to bycount / bytime / bysize; every ordered envelope is a
    // Writer's endorser transaction.
    for (const channel of ['bycount', 'bytime', 'bysize']) {
      const seek = await seekEnvelope(net.identities.user, channel, {
        start: position.specified(1),
        stop: position.newest(),
        behavior: BLOCK_UNTIL_READY,
      });
      const r = await deliverOnce(client, seek);
      assert.equal(r.status, Status.SUCCESS);
      for (const block of r.blocks) {
        for (const env of envelopesOf(block)) {
          assert.equal(channelHeader(env).type, common.HeaderType.ENDORSER_TRANSACTION);
          assert.equal(channelHeader(env).channelId, channel);
          assert.ok(env.signature.length > 0);
        }
      }
    }
  });

  it("counts what it processed in Fabric's broadcast_processed_count", () => {
    const processed = metrics.records.filter((m) => m.name === 'broadcast_processed_count');
    const byStatus = (status: string): number =>
      processed.filter((m) => m.labels.status === status).length;
    assert.ok(byStatus('SUCCESS') >= 8);
    assert.ok(byStatus('FORBIDDEN') >= 5);
    assert.ok(byStatus('BAD_REQUEST') >= 6);
    const success = processed.find((m) => m.labels.status === 'SUCCESS');
    assert.equal(success?.labels.type, 'ENDORSER_TRANSACTION');
    assert.ok(metrics.records.some((m) => m.name === 'blockcutter_block_fill_duration'));
  });
});
