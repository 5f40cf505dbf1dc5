import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import type { Channel } from '@fabric-peer/channel';
import { openTestChannels, type TestChannels } from '@fabric-peer/channel/test-support';
import { Long, common, orderer } from '@fabric-peer/protos';
import { ChainBuilder, freePort, recordingLoggers, type LogRecord } from '@fabric-peer/testkit';
import { retryDelayMs } from '../src/backoff.js';
import { createBlockPuller, type BlockPuller } from '../src/block-puller.js';
import { deliverySettings, type DeliveryClientSettings } from '../src/settings.js';
import {
  FakeOrderer,
  configTxOf,
  endorserTxWithEvent,
  genesisConfig,
  makeOrdererNetwork,
  waitUntil,
  type FakeOrdererTls,
  type OrdererNetwork,
} from '../test-support/index.js';

const FAST: Partial<DeliveryClientSettings> = {
  connTimeoutMs: 300,
  initialRetryDelayMs: 10,
  reConnectBackoffThresholdMs: 40,
};

interface Setup {
  readonly net: OrdererNetwork;
  readonly ledgerDir: string;
  readonly channels: TestChannels;
  readonly channel: Channel;
  readonly orderers: FakeOrderer[];
  readonly builder: ChainBuilder;
  /** The chain every orderer serves: genesis then `extra` blocks. */
  readonly chain: common.Block[];
  readonly logs: LogRecord[];
  readonly logger: ReturnType<typeof recordingLoggers>['logger'];
  /** Block numbers handed to commit, in order. */
  readonly committed: number[];
  puller?: BlockPuller;
}

function height(channel: Channel): number {
  return Number(channel.ledger.getBlockchainInfo().height);
}

// Networks are shared by the tests (one per number of orderers and TLS setting); each test opens
// its own ledger in a fresh folder and starts the fake orderers it needs on the network's ports.
const networks = new Map<string, Promise<OrdererNetwork>>();

function network(count: number, tls: boolean): Promise<OrdererNetwork> {
  const key = `${count}/${tls}`;
  let made = networks.get(key);
  if (made === undefined) {
    made = Promise.all(Array.from({ length: count }, () => freePort())).then((ports) =>
      makeOrdererNetwork({ addresses: ports.map((p) => `127.0.0.1:${p}`) }),
    );
    networks.set(key, made);
  }
  return made;
}

after(async () => {
  for (const made of networks.values()) await (await made).dispose();
});

async function setup(options: {
  addresses: number;
  started?: number;
  extra?: number;
  tls?: (net: OrdererNetwork, i: number) => FakeOrdererTls;
}): Promise<Setup> {
  const net = await network(options.addresses, options.tls !== undefined);
  const ledgerDir = await mkdtemp(join(tmpdir(), 'deliver-puller-'));
  const channels = await openTestChannels({ ...net, dir: ledgerDir });
  const channel = channels.channels.get(net.channelId)!;
  const genesis = common.Block.decode(net.genesis);
  const builder = ChainBuilder.after(genesis);
  const chain = [genesis];
  for (let i = 0; i < (options.extra ?? 5); i++) {
    chain.push(builder.block([endorserTxWithEvent({ channelId: net.channelId })]));
  }
  const orderers: FakeOrderer[] = [];
  for (let i = 0; i < (options.started ?? options.addresses); i++) {
    orderers.push(
      await FakeOrderer.start({
        port: Number(net.orderers[i]!.address.split(':')[1]),
        blocks: chain,
        ...(options.tls !== undefined ? { tls: options.tls(net, i) } : {}),
      }),
    );
  }
  const { logger, records } = recordingLoggers();
  return {
    net,
    ledgerDir,
    channels,
    channel,
    orderers,
    builder,
    chain,
    logs: records,
    logger,
    committed: [],
  };
}

function startPuller(
  s: Setup,
  settings: Partial<DeliveryClientSettings> = {},
  commit?: (block: common.Block) => Promise<void>,
  refreshIntervalMs?: number,
): BlockPuller {
  const puller = createBlockPuller({
    signer: s.net.identities.peer,
    settings: deliverySettings({ ...FAST, ...settings }),
    commit:
      commit ??
      (async (block) => {
        s.committed.push(Number(block.header?.number));
        await s.channel.ledger.commit(block);
      }),
    logger: s.logger,
    ...(refreshIntervalMs !== undefined ? { refreshIntervalMs } : {}),
  });
  s.puller = puller;
  puller.start(s.channel);
  return puller;
}

/** Appends a block to every orderer and the shared chain. */
function append(s: Setup, block: common.Block, orderers = s.orderers): void {
  s.chain.push(block);
  for (const o of orderers) o.append(block);
}

function warnings(s: Setup): string[] {
  return s.logs.filter((r) => r.level === 'warn').map((r) => r.msg);
}

describe('block puller', () => {
  let s: Setup | undefined;
  afterEach(async () => {
    if (s === undefined) return;
    await s.puller?.stop();
    for (const o of s.orderers) await o.stop();
    await s.channels.close();
    await rm(s.ledgerDir, { recursive: true, force: true });
    s = undefined;
  });

  it('seeks from the ledger height with a signed envelope and commits every block in order', async () => {
    s = await setup({ addresses: 1, extra: 5 });
    let active = 0;
    let most = 0;
    const setupS = s;
    startPuller(s, {}, async (block) => {
      active++;
      most = Math.max(most, active);
      // A slow committer: the next block must wait for this one.
      await new Promise((r) => setTimeout(r, 15));
      setupS.committed.push(Number(block.header?.number));
      await setupS.channel.ledger.commit(block);
      active--;
    });
    await waitUntil(() => height(setupS.channel) === 6, 'blocks 1..5');
    append(s, s.builder.block([endorserTxWithEvent({ channelId: s.net.channelId })]));
    append(s, s.builder.block([]));
    await waitUntil(() => height(setupS.channel) === 8, 'live blocks 6 and 7');
    assert.deepEqual(s.committed, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 1);

    const [seek] = s.orderers[0]!.seeks;
    assert.ok(seek !== undefined);
    assert.equal(s.orderers[0]!.seeks.length, 1);
    assert.equal(seek.channelHeader.type, common.HeaderType.DELIVER_SEEK_INFO);
    assert.equal(seek.channelHeader.channelId, s.net.channelId);
    assert.equal(seek.channelHeader.version, 0);
    assert.equal(seek.channelHeader.timestamp?.nanos ?? 0, 0);
    assert.ok(Math.abs(Number(seek.channelHeader.timestamp?.seconds) * 1000 - Date.now()) < 10_000);
    assert.equal(seek.channelHeader.tlsCertHash.length, 0);
    assert.deepEqual(seek.signatureHeader.creator, s.net.identities.peer.serialize());
    assert.equal(seek.signatureHeader.nonce.length, 24);
    await s.net.identities.peer.verify(seek.envelope.payload, seek.envelope.signature);
    assert.equal(seek.seekInfo.start?.Type, 'specified');
    assert.equal(Number(seek.seekInfo.start?.specified?.number), 1);
    assert.ok(
      Long.fromValue(seek.seekInfo.stop!.specified!.number!).equals(Long.MAX_UNSIGNED_VALUE),
    );
    assert.equal(seek.seekInfo.behavior, orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
  });

  it('reconnects from the new height after a hang-up, a bad status or a broken stream', async () => {
    s = await setup({ addresses: 1, extra: 8 });
    const o = s.orderers[0]!;
    o.fault({ kind: 'hangup', afterBlocks: 2 });
    o.fault({ kind: 'status', status: common.Status.SERVICE_UNAVAILABLE, afterBlocks: 1 });
    o.fault({ kind: 'error', afterBlocks: 1 });
    o.fault({ kind: 'status', status: common.Status.SUCCESS, afterBlocks: 1 });
    const setupS = s;
    startPuller(s);
    await waitUntil(() => height(setupS.channel) === 9, 'blocks 1..8');
    assert.deepEqual(s.committed, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(
      o.seeks.map((r) => Number(r.seekInfo.start?.specified?.number)),
      [1, 3, 4, 5, 6],
    );
    const w = warnings(s);
    assert.ok(w.includes('Orderer hung up without sending status'), w.join('\n'));
    assert.ok(w.some((m) => m.endsWith('received bad status SERVICE_UNAVAILABLE from orderer')));
    assert.ok(
      w.some((m) =>
        m.startsWith(
          'Got error while attempting to receive blocks: error reading from the deliver stream',
        ),
      ),
    );
    assert.ok(w.some((m) => m.endsWith('received success for a seek that should never complete')));
    // A block committed resets the backoff: every reconnection waited the first delay.
    const waits = s.logs
      .filter((r) => r.msg.startsWith('Disconnected from ordering service'))
      .map((r) => r.fields?.delayMs);
    assert.deepEqual(waits, [10, 10, 10, 10]);
  });

  it('asks again for a block the committer rejected, and for a block out of sequence', async () => {
    s = await setup({ addresses: 1, extra: 6 });
    const o = s.orderers[0]!;
    o.fault({ kind: 'block', block: s.chain[5]!, afterBlocks: 1 });
    let rejected = false;
    const setupS = s;
    startPuller(s, {}, async (block) => {
      const n = Number(block.header?.number);
      if (n === 3 && !rejected) {
        rejected = true;
        throw new Error('disk full');
      }
      setupS.committed.push(n);
      await setupS.channel.ledger.commit(block);
    });
    await waitUntil(() => height(setupS.channel) === 7, 'blocks 1..6');
    assert.deepEqual(s.committed, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(
      o.seeks.map((r) => Number(r.seekInfo.start?.specified?.number)),
      [1, 2, 3],
    );
    const w = warnings(s);
    assert.ok(
      w.some((m) => m.endsWith('received block [5] but expected block [2]')),
      w.join('\n'),
    );
    assert.ok(w.some((m) => m.endsWith('block [3] was not committed: disk full')));
  });

  it('fails over between orderers with an exponential backoff', async () => {
    s = await setup({ addresses: 2, started: 0, extra: 3 });
    const setupS = s;
    startPuller(s);
    await waitUntil(
      () => setupS.logs.filter((r) => r.msg.startsWith('Disconnected')).length >= 12,
      'twelve failed attempts',
    );
    const waits = s.logs
      .filter((r) => r.msg.startsWith('Disconnected from ordering service'))
      .map((r) => r.fields?.delayMs as number);
    const backoff = { initialDelayMs: 10, maxDelayMs: 40 };
    assert.deepEqual(
      waits.slice(0, 12),
      Array.from({ length: 12 }, (_, i) => retryDelayMs(i + 1, backoff)),
    );
    assert.deepEqual(waits.slice(0, 9), [10, 12, 14, 17, 20, 24, 29, 35, 40]);
    assert.ok(
      warnings(s).some((m) =>
        m.startsWith("Could not connect to ordering service: could not dial endpoint '127.0.0.1:"),
      ),
    );
    // One of the two comes up: every block arrives from it.
    const port = Number(s.net.orderers[1]!.address.split(':')[1]);
    // (A port of the shared network: free again since the previous test stopped its orderers.)
    s.orderers.push(await FakeOrderer.start({ port, blocks: s.chain }));
    await waitUntil(() => height(setupS.channel) === 4, 'blocks 1..3');
    assert.deepEqual(s.committed, [1, 2, 3]);
  });

  it('gives up after the total time threshold unless it is a static leader', async () => {
    s = await setup({ addresses: 1, started: 0 });
    const setupS = s;
    const puller = startPuller(s, { staticLeader: false, reconnectTotalTimeThresholdMs: 60 });
    await puller.done;
    assert.equal(puller.running, false);
    assert.ok(
      warnings(s).some((m) =>
        m.startsWith(
          'attempted to retry block delivery for more than peer.deliveryclient.reconnectTotalTimeThreshold',
        ),
      ),
    );
    s.logs.length = 0;
    const leader = startPuller(s, { staticLeader: true, reconnectTotalTimeThresholdMs: 60 });
    await waitUntil(
      () =>
        setupS.logs.some(
          (r) =>
            r.msg ===
            'peer is a static leader, ignoring peer.deliveryclient.reconnectTotalTimeThreshold',
        ),
      'the static leader warning',
    );
    assert.equal(leader.running, true);
  });

  it('stops promptly while waiting for blocks and while backing off', async () => {
    s = await setup({ addresses: 1, extra: 2 });
    const setupS = s;
    const puller = startPuller(s);
    await waitUntil(() => height(setupS.channel) === 3, 'blocks 1..2');
    const t0 = Date.now();
    await puller.stop();
    assert.ok(Date.now() - t0 < 1_000);
    assert.equal(puller.running, false);
    append(s, s.builder.block([]));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(height(s.channel), 3);

    await s.orderers[0]!.stop();
    const sleeper = startPuller(s, {
      initialRetryDelayMs: 10_000,
      reConnectBackoffThresholdMs: 10_000,
    });
    await waitUntil(
      () =>
        setupS.logs.some((r) =>
          r.msg.startsWith('Disconnected from ordering service. Attempt to re-connect in 10000ms'),
        ),
      'a long backoff',
    );
    const t1 = Date.now();
    await sleeper.stop();
    assert.ok(Date.now() - t1 < 1_000);
    assert.throws(() => sleeper.start(setupS.channel), /already started/);
  });

  it('reconnects to the new orderers when a config block changes the endpoints', async () => {
    s = await setup({ addresses: 2, extra: 2 });
    const [a, b] = s.orderers as [FakeOrderer, FakeOrderer];
    // The genesis config names both; pull from A only at first by making B refuse.
    await b.stop();
    const setupS = s;
    startPuller(s, {}, undefined, 20);
    await waitUntil(() => height(setupS.channel) === 3, 'blocks 1..2');
    await b.restart();
    // A config block (sequence 1) that leaves only B in the orderer org's endpoints.
    const config = genesisConfig(s.net.genesis);
    config.sequence = Long.fromNumber(1, true);
    const org = config.channelGroup!.groups!.Orderer!.groups!.OrdererOrg!;
    org.values!.Endpoints!.value = common.OrdererAddresses.encode({
      addresses: [b.address],
    }).finish();
    const configBlock = s.builder.block([configTxOf(config, s.net.channelId)]);
    const logsBefore = s.logs.length;
    append(s, configBlock, [a, b]);
    await waitUntil(() => setupS.channel.bundle().sequence === 1n, 'the new bundle');
    await waitUntil(() => b.seeks.length > 0, 'a seek to B');
    assert.equal(Number(b.seeks[0]!.seekInfo.start?.specified?.number), 4);
    // Only B has the next block.
    append(s, s.builder.block([endorserTxWithEvent({ channelId: s.net.channelId })]), [b]);
    await waitUntil(() => height(setupS.channel) === 5, 'block 4 from B');
    assert.ok(
      s.logs.some((r) =>
        r.msg.startsWith('Ordering endpoints have been refreshed, disconnecting from deliver'),
      ),
    );
    // A refresh is not a failure: no backoff.
    assert.ok(
      !s.logs.slice(logsBefore).some((r) => r.msg.startsWith('Disconnected from ordering service')),
    );
  });

  it('pulls over mutual TLS, binding the seek to the client certificate', async () => {
    s = await setup({
      addresses: 1,
      extra: 2,
      tls: (net, i) => ({
        cert: net.orderers[i]!.cert,
        key: net.orderers[i]!.key,
        clientRootCAs: [net.peerTls.ca],
        clientAuthRequired: true,
      }),
    });
    const der = new X509Certificate(s.net.peerTls.cert).raw;
    const hash = createHash('sha256').update(der).digest();
    const setupS = s;
    startPuller(s, {
      tls: { enabled: true, clientCert: s.net.peerTls.cert, clientKey: s.net.peerTls.key },
      tlsCertHash: hash,
    });
    await waitUntil(() => height(setupS.channel) === 3, 'blocks 1..2 over TLS');
    const seek = s.orderers[0]!.seeks[0]!;
    assert.deepEqual(Buffer.from(seek.channelHeader.tlsCertHash), hash);
    assert.deepEqual(Buffer.from(seek.clientCertificate!), der);
  });
});
