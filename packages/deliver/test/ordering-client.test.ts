import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { openTestChannels, type TestChannels } from '@fabric-peer/channel/test-support';
import { common, orderer } from '@fabric-peer/protos';
import { ChainBuilder, freePort } from '@fabric-peer/testkit';
import { DeliverError } from '../src/errors.js';
import { createOrderingClient, type OrderingClientHandle } from '../src/ordering-client.js';
import { seekFromHeight, signedSeekEnvelope } from '../src/seek.js';
import { deliverySettings, type DeliveryClientSettings } from '../src/settings.js';
import {
  FakeOrderer,
  endorserTxWithEvent,
  makeOrdererNetwork,
  randomTxId,
  type OrdererNetwork,
} from '../test-support/index.js';

function envelope(channelId: string, txId = randomTxId()): { env: common.Envelope; txId: string } {
  return {
    env: common.Envelope.decode(endorserTxWithEvent({ channelId, txId })),
    txId,
  };
}

interface Setup {
  readonly net: OrdererNetwork;
  readonly channels: TestChannels;
  readonly orderers: FakeOrderer[];
  readonly client: OrderingClientHandle;
  readonly chain: common.Block[];
}

// Networks are shared by the tests (one per number of orderers): each test starts the fake
// orderers it needs on the network's ports and stops them afterwards.
const networks = new Map<number, Promise<{ net: OrdererNetwork; channels: TestChannels }>>();

function network(count: number): Promise<{ net: OrdererNetwork; channels: TestChannels }> {
  let made = networks.get(count);
  if (made === undefined) {
    made = (async () => {
      const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
      const net = await makeOrdererNetwork({ addresses: ports.map((p) => `127.0.0.1:${p}`) });
      return { net, channels: await openTestChannels(net) };
    })();
    networks.set(count, made);
  }
  return made;
}

after(async () => {
  for (const made of networks.values()) {
    const { net, channels } = await made;
    await channels.close();
    await net.dispose();
  }
});

async function setup(options: {
  count: number;
  started?: number;
  tls?: boolean;
  mutual?: boolean;
  settings?: Partial<DeliveryClientSettings>;
  broadcastTimeoutMs?: number;
}): Promise<Setup> {
  const { net, channels } = await network(options.count);
  const genesis = common.Block.decode(net.genesis);
  const builder = ChainBuilder.after(genesis);
  const chain = [
    genesis,
    builder.block([endorserTxWithEvent({ channelId: net.channelId })]),
    builder.block([]),
  ];
  const orderers: FakeOrderer[] = [];
  for (let i = 0; i < (options.started ?? options.count); i++) {
    const files = net.orderers[i]!;
    orderers.push(
      await FakeOrderer.start({
        port: Number(files.address.split(':')[1]),
        blocks: chain,
        ...(options.tls === true
          ? {
              tls: {
                cert: files.cert,
                key: files.key,
                ...(options.mutual === true
                  ? { clientRootCAs: [net.peerTls.ca], clientAuthRequired: true }
                  : {}),
              },
            }
          : {}),
      }),
    );
  }
  const client = createOrderingClient({
    channels: channels.channels,
    settings: deliverySettings({
      connTimeoutMs: 400,
      ...(options.tls === true ? { tls: { enabled: true } } : {}),
      ...options.settings,
    }),
    ...(options.broadcastTimeoutMs !== undefined
      ? { broadcastTimeoutMs: options.broadcastTimeoutMs }
      : {}),
  });
  return { net, channels, orderers, client, chain };
}

async function teardown(s: Setup | undefined): Promise<void> {
  if (s === undefined) return;
  await s.client.close();
  for (const o of s.orderers) await o.stop();
}

describe('ordering client: broadcast', () => {
  let s: Setup | undefined;
  afterEach(async () => {
    await teardown(s);
    s = undefined;
  });

  it('answers each envelope with its own response over one reused stream', async () => {
    s = await setup({ count: 1 });
    const channelId = s.net.channelId;
    for (let i = 0; i < 3; i++) {
      const { env, txId } = envelope(channelId);
      const response = await s.client.broadcast(channelId, env);
      assert.equal(response.status, common.Status.SUCCESS);
      assert.equal(response.info, txId);
    }
    const many = Array.from({ length: 25 }, () => envelope(channelId));
    const answers = await Promise.all(many.map(({ env }) => s!.client.broadcast(channelId, env)));
    assert.deepEqual(
      answers.map((a) => a.info),
      many.map((m) => m.txId),
    );
    assert.equal(s.orderers[0]!.broadcastStreams, 1);
    assert.equal(s.orderers[0]!.broadcasts.length, 28);
  });

  it('fails over to a live orderer when another cannot be reached', async () => {
    s = await setup({ count: 2, started: 1 });
    const live = s.orderers[0]!;
    for (let i = 0; i < 6; i++) {
      const response: orderer.BroadcastResponse = await s.client.broadcast(
        s.net.channelId,
        envelope(s.net.channelId).env,
      );
      assert.equal(response.status, common.Status.SUCCESS);
    }
    assert.equal(live.broadcasts.length, 6);
  });

  it('moves on after a 5xx status, but returns a 4xx status as it is', async () => {
    s = await setup({ count: 2 });
    const [a, b] = s.orderers as [FakeOrderer, FakeOrderer];
    a.answerBroadcasts(() => ({ status: common.Status.SERVICE_UNAVAILABLE, info: 'not leader' }));
    for (let i = 0; i < 5; i++) {
      const response = await s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env);
      assert.equal(response.status, common.Status.SUCCESS);
    }
    assert.equal(b.broadcasts.length, 5);

    a.answerBroadcasts(() => ({ status: common.Status.BAD_REQUEST, info: 'bad envelope' }));
    b.answerBroadcasts(() => ({ status: common.Status.BAD_REQUEST, info: 'bad envelope' }));
    const sentBefore = a.broadcasts.length + b.broadcasts.length;
    const refused: orderer.BroadcastResponse = await s.client.broadcast(
      s.net.channelId,
      envelope(s.net.channelId).env,
    );
    assert.equal(refused.status, common.Status.BAD_REQUEST);
    assert.equal(refused.info, 'bad envelope');
    assert.equal(a.broadcasts.length + b.broadcasts.length, sentBefore + 1);

    // Every orderer unavailable: the last answer is returned.
    a.answerBroadcasts(() => ({ status: common.Status.SERVICE_UNAVAILABLE, info: 'busy' }));
    b.answerBroadcasts(() => ({ status: common.Status.SERVICE_UNAVAILABLE, info: 'busy' }));
    const busy = await s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env);
    assert.equal(busy.status, common.Status.SERVICE_UNAVAILABLE);
  });

  it('fails naming every orderer when none can be reached', async () => {
    s = await setup({ count: 2, started: 0 });
    const addresses = s.client.endpoints(s.net.channelId);
    await assert.rejects(
      s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env),
      (err: unknown) =>
        err instanceof DeliverError &&
        err.code === 'BROADCAST_FAILED' &&
        err.message.startsWith('no orderers could successfully process transaction') &&
        addresses.every((a) => err.message.includes(`could not dial endpoint '${a}'`)),
    );
  });

  it('replaces a stream the orderer broke', async () => {
    s = await setup({ count: 1 });
    const o = s.orderers[0]!;
    assert.equal(
      (await s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env)).status,
      common.Status.SUCCESS,
    );
    await o.stop();
    await o.restart();
    assert.equal(
      (await s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env)).status,
      common.Status.SUCCESS,
    );
    assert.equal(o.broadcastStreams, 2);
  });

  it('gives up on an orderer that does not answer in time', async () => {
    s = await setup({ count: 1, broadcastTimeoutMs: 200 });
    s.orderers[0]!.answerBroadcasts(() => undefined);
    const started = Date.now();
    await assert.rejects(
      s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env),
      (err: unknown) =>
        err instanceof DeliverError &&
        err.code === 'BROADCAST_FAILED' &&
        err.message.includes('did not answer within 200 ms'),
    );
    assert.ok(Date.now() - started < 2_000);
    // The stream was dropped: the next envelope opens a new one.
    s.orderers[0]!.answerBroadcasts((env) => ({
      status: common.Status.SUCCESS,
      info: String(env.payload.length),
    }));
    assert.equal(
      (await s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env)).status,
      common.Status.SUCCESS,
    );
    assert.equal(s.orderers[0]!.broadcastStreams, 2);
  });

  it('refuses unknown channels and calls after close', async () => {
    s = await setup({ count: 1 });
    await assert.rejects(
      s.client.broadcast('nochannel', envelope('nochannel').env),
      (err: unknown) => err instanceof DeliverError && err.code === 'CHANNEL_NOT_FOUND',
    );
    await s.client.close();
    await assert.rejects(
      s.client.broadcast(s.net.channelId, envelope(s.net.channelId).env),
      (err: unknown) => err instanceof DeliverError && err.code === 'CLOSED',
    );
  });
});

describe('ordering client: deliver over TLS', () => {
  let s: Setup | undefined;
  afterEach(async () => {
    await teardown(s);
    s = undefined;
  });

  async function seek(
    net: OrdererNetwork,
    seekInfo: orderer.SeekInfo.$Properties,
    tlsCertHash?: Uint8Array,
  ): Promise<common.Envelope> {
    return signedSeekEnvelope({
      channelId: net.channelId,
      signer: net.identities.peer,
      seekInfo,
      ...(tlsCertHash !== undefined ? { tlsCertHash } : {}),
    });
  }

  it('streams blocks to the stop position and the final status', async () => {
    s = await setup({ count: 2, tls: true });
    const env = await seek(s.net, {
      start: { oldest: {} },
      stop: { specified: { number: 2 } },
      behavior: orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY,
    });
    const got: string[] = [];
    for await (const r of s.client.deliver(s.net.channelId, env)) {
      got.push(
        r.Type === 'block' ? `block ${Number(r.block?.header?.number)}` : `status ${r.status}`,
      );
    }
    assert.deepEqual(got, ['block 0', 'block 1', 'block 2', 'status 200']);
    assert.equal(
      s.orderers.reduce((n, o) => n + o.deliverStreams, 0),
      1,
    );
  });

  it('stops streaming when the signal aborts', async () => {
    s = await setup({ count: 1, tls: true });
    const env = await seek(s.net, seekFromHeight(1));
    const controller = new AbortController();
    const got: number[] = [];
    for await (const r of s.client.deliver(s.net.channelId, env, controller.signal)) {
      if (r.Type === 'block') got.push(Number(r.block?.header?.number));
      // Blocks 1 and 2 exist; the orderer then waits for block 3.
      if (got.length === 2) setTimeout(() => controller.abort(), 50);
    }
    assert.deepEqual(got, [1, 2]);
  });

  it('presents the client certificate under mutual TLS', async () => {
    const hashOf = (pem: Buffer): Uint8Array =>
      createHash('sha256').update(new X509Certificate(pem).raw).digest();
    s = await setup({ count: 1, tls: true, mutual: true });
    await s.client.close();
    const client = createOrderingClient({
      channels: s.channels.channels,
      settings: deliverySettings({
        connTimeoutMs: 400,
        tls: { enabled: true, clientCert: s.net.peerTls.cert, clientKey: s.net.peerTls.key },
        tlsCertHash: hashOf(s.net.peerTls.cert),
      }),
    });
    try {
      const env = await seek(
        s.net,
        { start: { oldest: {} }, stop: { oldest: {} } },
        hashOf(s.net.peerTls.cert),
      );
      const got: string[] = [];
      for await (const r of client.deliver(s.net.channelId, env)) got.push(r.Type ?? '');
      assert.deepEqual(got, ['block', 'status']);
      const record = s.orderers[0]!.seeks[0]!;
      assert.deepEqual(
        Buffer.from(record.clientCertificate!),
        new X509Certificate(s.net.peerTls.cert).raw,
      );
      assert.deepEqual(
        Buffer.from(record.channelHeader.tlsCertHash),
        Buffer.from(hashOf(s.net.peerTls.cert)),
      );
    } finally {
      await client.close();
    }
    // Without a client certificate the orderer refuses the connection.
    const anonymous = createOrderingClient({
      channels: s.channels.channels,
      settings: deliverySettings({ connTimeoutMs: 400, tls: { enabled: true } }),
    });
    try {
      const env = await seek(s.net, { start: { oldest: {} }, stop: { oldest: {} } });
      await assert.rejects(
        (async () => {
          for await (const _ of anonymous.deliver(s.net.channelId, env)) {
            // nothing arrives
          }
        })(),
        (err: unknown) => err instanceof DeliverError && err.code === 'ORDERER_UNREACHABLE',
      );
    } finally {
      await anonymous.close();
    }
  });

  it('does not trust an orderer whose certificate is not from the channel TLS CA', async () => {
    s = await setup({ count: 1, tls: true });
    // The override points at the same orderer but trusts only the peer org's TLS CA.
    const address = s.net.orderers[0]!.address;
    const client = createOrderingClient({
      channels: s.channels.channels,
      settings: deliverySettings({
        connTimeoutMs: 400,
        tls: { enabled: true },
        addressOverrides: new Map([[address, { address, rootCerts: [s.net.peerTls.ca] }]]),
      }),
    });
    try {
      await assert.rejects(
        client.broadcast(s.net.channelId, envelope(s.net.channelId).env),
        (err: unknown) => err instanceof DeliverError && err.code === 'BROADCAST_FAILED',
      );
    } finally {
      await client.close();
    }
  });
});

describe('ordering client: deliver failover', () => {
  let s: Setup | undefined;
  before(async () => {
    s = await setup({ count: 3, started: 1 });
  });
  after(() => teardown(s));

  it('connects to the orderer that answers', async () => {
    const env = await signedSeekEnvelope({
      channelId: s!.net.channelId,
      signer: s!.net.identities.peer,
      seekInfo: { start: { newest: {} }, stop: { newest: {} } },
    });
    for (let i = 0; i < 3; i++) {
      const got: string[] = [];
      for await (const r of s!.client.deliver(s!.net.channelId, env)) got.push(r.Type ?? '');
      assert.deepEqual(got, ['block', 'status']);
    }
    assert.equal(s!.orderers[0]!.deliverStreams, 3);
  });
});
