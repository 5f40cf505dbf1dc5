import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Signer, SignedData } from '@fabric-peer/api';
import {
  makeTestNetwork,
  openTestChannels,
  type TestChannels,
  type TestNetwork,
} from '@fabric-peer/channel/test-support';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { createAclProvider } from '@fabric-peer/policies';
import { Long, common, kvrwset, msp, orderer, protos, rwset } from '@fabric-peer/protos';
import { ChainBuilder, issue, makeCa, rwsetBytes } from '@fabric-peer/testkit';
import { signedSeekEnvelope } from '../src/seek.js';
import { deliverGrpcService } from '../src/server/grpc.js';
import type { DeliverServiceOptions } from '../src/server/handler.js';
import type { PrivateDataSource } from '../src/server/private-data.js';
import {
  RecordingMetrics,
  TestDeliverClient,
  configTxOf,
  endorserTxWithEvent,
  genesisConfig,
  randomTxId,
  waitUntil,
} from '../test-support/index.js';

const S = common.Status;
const V = protos.TxValidationCode;
const OLDEST: orderer.SeekPosition.$Properties = { oldest: {} };
const NEWEST: orderer.SeekPosition.$Properties = { newest: {} };
const MAX: orderer.SeekPosition.$Properties = { specified: { number: Long.MAX_UNSIGNED_VALUE } };
const at = (n: number): orderer.SeekPosition.$Properties => ({ specified: { number: n } });
const UNTIL_READY = orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY;
const FAIL_IF_NOT_READY = orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;

interface Peer {
  readonly net: TestNetwork;
  readonly tc: TestChannels;
  readonly builder: ChainBuilder;
  readonly metrics: RecordingMetrics;
  readonly server: grpc.Server;
  readonly address: string;
  readonly client: TestDeliverClient;
}

async function startPeer(
  net: TestNetwork,
  options: Partial<DeliverServiceOptions> = {},
  tls?: { server: grpc.ServerCredentials; client: grpc.ChannelCredentials },
): Promise<Peer> {
  const tc = await openTestChannels(net);
  const local = createMsp(loadMspFolder(net.peerMspDir, 'Org1MSP'), { version: 'v1_4_3' });
  const acl = createAclProvider({
    bundles: (id) => tc.channels.get(id)?.bundle(),
    localMsp: { mspId: local.id, deserializeIdentity: (b) => local.deserializeIdentity(b) },
  });
  const metrics = new RecordingMetrics();
  const server = new grpc.Server();
  server.addService(...deliverGrpcService({ channels: tc.channels, acl, metrics, ...options }));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      tls?.server ?? grpc.ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  const address = `127.0.0.1:${port}`;
  return {
    net,
    tc,
    builder: ChainBuilder.after(common.Block.decode(net.genesis)),
    metrics,
    server,
    address,
    client: new TestDeliverClient(address, tls?.client),
  };
}

async function stopPeer(p: Peer | undefined): Promise<void> {
  if (p === undefined) return;
  p.client.close();
  p.server.forceShutdown();
  await p.tc.close();
}

function ledgerOf(p: Peer) {
  return p.tc.channels.get(p.net.channelId)!.ledger;
}

async function commit(p: Peer, envelopes: Uint8Array[] = []): Promise<common.Block> {
  const block = p.builder.block(
    envelopes.length > 0 ? envelopes : [endorserTxWithEvent({ channelId: p.net.channelId })],
  );
  await ledgerOf(p).commit(block);
  return block;
}

interface SeekSpec {
  readonly start?: orderer.SeekPosition.$Properties | null;
  readonly stop?: orderer.SeekPosition.$Properties | null;
  readonly behavior?: orderer.SeekInfo.SeekBehavior;
  readonly signer?: Signer;
  readonly channelId?: string;
  readonly nowMs?: number;
  readonly tlsCertHash?: Uint8Array;
}

function seek(p: Peer, spec: SeekSpec): Promise<common.Envelope> {
  return signedSeekEnvelope({
    channelId: spec.channelId ?? p.net.channelId,
    signer: spec.signer ?? p.net.identities.user,
    seekInfo: {
      ...(spec.start !== null ? { start: spec.start ?? OLDEST } : {}),
      ...(spec.stop !== null ? { stop: spec.stop ?? NEWEST } : {}),
      behavior: spec.behavior ?? UNTIL_READY,
    },
    ...(spec.nowMs !== undefined ? { nowMs: spec.nowMs } : {}),
    ...(spec.tlsCertHash !== undefined ? { tlsCertHash: spec.tlsCertHash } : {}),
  });
}

/** Sends one envelope on a new stream and reads the answer to its status and the stream's end. */
async function ask(
  p: Peer,
  envelope: common.Envelope.$Properties,
  method: 'deliver' | 'deliverFiltered' | 'deliverWithPrivateData' = 'deliver',
): Promise<string[]> {
  const stream = p.client.open(method);
  stream.send(envelope);
  const answer = await stream.readUntilStatus();
  const last = answer[answer.length - 1];
  if (last === `status ${S.SUCCESS}`) stream.close();
  const end = await stream.next();
  answer.push(
    end.kind === 'end' ? 'end' : end.kind === 'error' ? `error ${end.error.code}` : 'more',
  );
  return answer;
}

describe('Deliver service', () => {
  let net: TestNetwork;
  let p: Peer;
  before(async () => {
    net = await makeTestNetwork();
    p = await startPeer(net);
    await commit(p);
    await commit(p);
  });
  after(async () => {
    await stopPeer(p);
    await net.dispose();
  });

  it('sends oldest to newest, then serves another request on the same stream', async () => {
    const stream = p.client.open();
    stream.send(await seek(p, { start: OLDEST, stop: NEWEST }));
    assert.deepEqual(await stream.readUntilStatus(), [
      'block 0',
      'block 1',
      'block 2',
      'status 200',
    ]);
    stream.send(await seek(p, { start: at(1), stop: at(1) }));
    assert.deepEqual(await stream.readUntilStatus(), ['block 1', 'status 200']);
    stream.close();
    assert.equal((await stream.next()).kind, 'end');
  });

  it('sends the blocks as the ledger stores them, with their validation codes', async () => {
    const stream = p.client.open();
    stream.send(await seek(p, { start: at(2), stop: at(2) }));
    const item = await stream.next();
    assert.equal(item.kind, 'response');
    const block = item.kind === 'response' ? item.response.block : undefined;
    const stored = await ledgerOf(p).getBlockByNumber(2);
    assert.ok(block !== null && block !== undefined);
    assert.deepEqual(common.Block.encode(block).finish(), common.Block.encode(stored!).finish());
    stream.close();
  });

  it('answers the newest block alone for newest..newest and start..oldest', async () => {
    assert.deepEqual(await ask(p, await seek(p, { start: NEWEST, stop: NEWEST })), [
      `block ${Number(ledgerOf(p).getBlockchainInfo().height) - 1}`,
      'status 200',
      'end',
    ]);
    assert.deepEqual(await ask(p, await seek(p, { start: at(1), stop: OLDEST })), [
      'block 1',
      'status 200',
      'end',
    ]);
  });

  it('waits for commits with BLOCK_UNTIL_READY', async () => {
    const height = Number(ledgerOf(p).getBlockchainInfo().height);
    const stream = p.client.open();
    stream.send(await seek(p, { start: at(height), stop: MAX }));
    assert.equal(await stream.quiet(150), true);
    await commit(p);
    assert.deepEqual(
      await stream
        .next()
        .then((i) => i.kind === 'response' && Number(i.response.block?.header?.number)),
      height,
    );
    await commit(p);
    assert.deepEqual(
      await stream
        .next()
        .then((i) => i.kind === 'response' && Number(i.response.block?.header?.number)),
      height + 1,
    );
    const closedBefore = p.metrics.get('deliver_streams_closed');
    stream.cancel();
    await waitUntil(
      () => p.metrics.get('deliver_streams_closed') === closedBefore + 1,
      'the stream to close',
    );
  });

  it('answers NOT_FOUND for a block not committed with FAIL_IF_NOT_READY, or a start past the height', async () => {
    const height = Number(ledgerOf(p).getBlockchainInfo().height);
    assert.deepEqual(
      await ask(p, await seek(p, { start: at(height), stop: MAX, behavior: FAIL_IF_NOT_READY })),
      ['status 404', 'end'],
    );
    // The blocks there are, then NOT_FOUND for the next one.
    assert.deepEqual(
      await ask(
        p,
        await seek(p, { start: at(height - 1), stop: MAX, behavior: FAIL_IF_NOT_READY }),
      ),
      [`block ${height - 1}`, 'status 404', 'end'],
    );
    assert.deepEqual(await ask(p, await seek(p, { start: at(height + 1), stop: MAX })), [
      'status 404',
      'end',
    ]);
    assert.deepEqual(await ask(p, await seek(p, { channelId: 'nochannel' })), [
      'status 404',
      'end',
    ]);
  });

  it('refuses malformed requests with BAD_REQUEST and ends the stream', async () => {
    const user = net.identities.user;
    const signed = async (payload: Uint8Array): Promise<common.Envelope.$Properties> => ({
      payload,
      signature: await user.sign(payload),
    });
    const good = await seek(p, {});
    const goodPayload = common.Payload.decode(good.payload ?? new Uint8Array(0));
    const withHeader = (channelHeader: common.ChannelHeader.$Properties, data?: Uint8Array) =>
      signed(
        common.Payload.encode({
          header: {
            channelHeader: common.ChannelHeader.encode(channelHeader).finish(),
            signatureHeader: goodPayload.header!.signatureHeader,
          },
          data: data ?? goodPayload.data,
        }).finish(),
      );
    const chdr = common.ChannelHeader.decode(
      goodPayload.header!.channelHeader ?? new Uint8Array(0),
    );
    const cases: [string, common.Envelope.$Properties][] = [
      ['garbage payload', await signed(Uint8Array.of(0x0a, 0x05, 0x01))],
      ['no header', await signed(common.Payload.encode({ data: goodPayload.data }).finish())],
      ['no timestamp', await withHeader({ type: chdr.type, channelId: chdr.channelId })],
      ['stale timestamp', await seek(p, { nowMs: Date.now() - 20 * 60_000 })],
      ['future timestamp', await seek(p, { nowMs: Date.now() + 20 * 60_000 })],
      ['garbage seek info', await withHeader(chdr, Uint8Array.of(0x0a, 0x09))],
      ['no start', await seek(p, { start: null })],
      ['no stop', await seek(p, { stop: null })],
      ['stop before start', await seek(p, { start: at(2), stop: at(1) })],
    ];
    for (const [what, envelope] of cases) {
      assert.deepEqual(await ask(p, envelope), ['status 400', 'end'], what);
    }
  });

  it('refuses a forged signature and an identity the channel does not know with FORBIDDEN', async () => {
    const forged = await seek(p, {});
    forged.signature = await net.identities.user.sign(Uint8Array.of(1, 2, 3));
    assert.deepEqual(await ask(p, forged), ['status 403', 'end']);

    const ca = await makeCa('rogue-ca');
    const rogue = await issue(ca, 'rogue');
    const stranger: Signer = {
      serialize: () =>
        msp.SerializedIdentity.encode({
          mspid: 'Org1MSP',
          idBytes: Buffer.from(rogue.certPem),
        }).finish(),
      sign: () => Promise.resolve(Uint8Array.of(0x30, 0x00)),
    };
    assert.deepEqual(await ask(p, await seek(p, { signer: stranger })), ['status 403', 'end']);
    assert.deepEqual(await ask(p, await seek(p, { signer: stranger }), 'deliverFiltered'), [
      'status 403',
      'end',
    ]);
  });

  it('counts streams, requests and blocks with Fabric metric names', async () => {
    const labels = { channel: net.channelId, filtered: 'false', data_type: 'block' };
    const received = p.metrics.get('deliver_requests_received', labels);
    const ok = p.metrics.get('deliver_requests_completed', { ...labels, success: 'true' });
    const sent = p.metrics.get('deliver_blocks_sent', labels);
    const opened = p.metrics.get('deliver_streams_opened');
    await ask(p, await seek(p, { start: at(0), stop: at(1) }));
    assert.equal(p.metrics.get('deliver_requests_received', labels), received + 1);
    assert.equal(
      p.metrics.get('deliver_requests_completed', { ...labels, success: 'true' }),
      ok + 1,
    );
    assert.equal(p.metrics.get('deliver_blocks_sent', labels), sent + 2);
    assert.equal(p.metrics.get('deliver_streams_opened'), opened + 1);
    await waitUntil(
      () => p.metrics.get('deliver_streams_closed') === p.metrics.get('deliver_streams_opened'),
      'every stream to close',
    );
  });
});

describe('Deliver service: filtered blocks and private data', () => {
  let net: TestNetwork;
  let p: Peer;
  let eventTxId: string;
  let conflictTxId: string;
  const eligibleAsked: SignedData[] = [];
  const source: PrivateDataSource = {
    privateDataOf: (_channel, blockNumber) =>
      Promise.resolve(
        blockNumber === 1n
          ? [
              {
                seqInBlock: 1,
                writeSet: {
                  dataModel: rwset.TxReadWriteSet.DataModel.KV,
                  nsPvtRwset: [
                    {
                      namespace: 'asset',
                      collectionPvtRwset: [
                        { collectionName: 'open', rwset: Uint8Array.of(1) },
                        { collectionName: 'secret', rwset: Uint8Array.of(2) },
                      ],
                    },
                  ],
                },
              },
              { seqInBlock: 0, writeSet: null },
            ]
          : [],
      ),
    isEligible: (_channel, _block, _ns, collection, requester) => {
      eligibleAsked.push(requester);
      return Promise.resolve(collection !== 'secret');
    },
  };

  before(async () => {
    net = await makeTestNetwork();
    p = await startPeer(net, { privateData: source });
    eventTxId = randomTxId();
    conflictTxId = randomTxId();
    // Block 1: a transaction with an event, and one whose read conflicts (the key was never written).
    await commit(p, [
      endorserTxWithEvent({
        channelId: net.channelId,
        txId: eventTxId,
        chaincode: 'asset',
        event: { name: 'AssetCreated', payload: new TextEncoder().encode('{"id":"a1"}') },
      }),
      endorserTxWithEvent({
        channelId: net.channelId,
        txId: conflictTxId,
        chaincode: 'asset',
        results: rwsetBytes({
          namespace: 'asset',
          kv: kvrwset.KVRWSet.create({
            reads: [
              { key: 'a1', version: { blockNum: Long.fromNumber(7, true), txNum: Long.UZERO } },
            ],
          }),
        }),
      }),
    ]);
  });
  after(async () => {
    await stopPeer(p);
    await net.dispose();
  });

  it('sends filtered blocks: txids, types, validation codes and events without payload', async () => {
    const stream = p.client.open('deliverFiltered');
    stream.send(await seek(p, { start: OLDEST, stop: at(1) }));
    const responses: protos.FilteredBlock[] = [];
    for (;;) {
      const item = await stream.next();
      assert.equal(item.kind, 'response');
      if (item.kind !== 'response') return;
      if (item.response.Type !== 'filteredBlock') {
        assert.equal(item.response.status, S.SUCCESS);
        break;
      }
      responses.push(item.response.filteredBlock as protos.FilteredBlock);
    }
    stream.close();
    assert.equal(responses.length, 2);
    const [genesis, block] = responses as [protos.FilteredBlock, protos.FilteredBlock];
    assert.equal(genesis.channelId, net.channelId);
    assert.equal(Number(genesis.number), 0);
    assert.equal(genesis.filteredTransactions.length, 1);
    assert.equal(genesis.filteredTransactions[0]!.type, common.HeaderType.CONFIG);
    assert.equal(genesis.filteredTransactions[0]!.transactionActions, null);

    assert.equal(Number(block.number), 1);
    const [withEvent, conflict] = block.filteredTransactions as [
      protos.FilteredTransaction,
      protos.FilteredTransaction,
    ];
    assert.equal(withEvent.txid, eventTxId);
    assert.equal(withEvent.type, common.HeaderType.ENDORSER_TRANSACTION);
    assert.equal(withEvent.txValidationCode, V.VALID);
    const event = withEvent.transactionActions?.chaincodeActions?.[0]?.chaincodeEvent;
    assert.equal(event?.chaincodeId, 'asset');
    assert.equal(event?.eventName, 'AssetCreated');
    assert.equal(event?.txId, eventTxId);
    assert.equal(event?.payload?.length ?? 0, 0);
    assert.equal(conflict.txid, conflictTxId);
    assert.equal(conflict.txValidationCode, V.MVCC_READ_CONFLICT);
    assert.deepEqual(conflict.transactionActions?.chaincodeActions, []);
  });

  it('sends blocks with the private data the requester may read', async () => {
    const stream = p.client.open('deliverWithPrivateData');
    const envelope = await seek(p, { start: at(0), stop: at(1) });
    stream.send(envelope);
    const first = await stream.next();
    const second = await stream.next();
    assert.equal((await stream.next()).kind, 'response');
    stream.close();
    assert.ok(first.kind === 'response' && second.kind === 'response');
    const genesis = first.response.blockAndPrivateData!;
    assert.equal(Number(genesis.block?.header?.number), 0);
    assert.deepEqual(Object.keys(genesis.privateDataMap ?? {}), []);
    const withData = second.response.blockAndPrivateData!;
    assert.equal(Number(withData.block?.header?.number), 1);
    const map = withData.privateDataMap ?? {};
    // protobufjs decodes uint64 map keys to 8-character little-endian hashes.
    const keyOf = (k: string): bigint =>
      k.length === 8 ? Buffer.from(k, 'latin1').readBigUInt64LE() : BigInt(k);
    assert.deepEqual(Object.keys(map).map(keyOf), [1n]);
    const tx = Object.values(map)[0]!;
    assert.equal(tx.dataModel, rwset.TxReadWriteSet.DataModel.KV);
    assert.deepEqual(
      tx.nsPvtRwset?.map((ns) => [
        ns.namespace,
        ns.collectionPvtRwset?.map((c) => c.collectionName),
      ]),
      [['asset', ['open']]],
    );
    // The policy is asked about the requester's own signed seek envelope.
    assert.deepEqual(eligibleAsked[0]?.identity, net.identities.user.serialize());
    assert.deepEqual(eligibleAsked[0]?.data, envelope.payload);
  });

  it('sends an empty private data map when no private data store is wired in', async () => {
    const other = await makeTestNetwork();
    const bare = await startPeer(other);
    try {
      const stream = bare.client.open('deliverWithPrivateData');
      stream.send(await seek(bare, { start: NEWEST, stop: NEWEST }));
      const item = await stream.next();
      assert.ok(item.kind === 'response');
      assert.equal(Number(item.response.blockAndPrivateData?.block?.header?.number), 0);
      assert.deepEqual(Object.keys(item.response.blockAndPrivateData?.privateDataMap ?? {}), []);
      stream.close();
    } finally {
      await stopPeer(bare);
      await other.dispose();
    }
  });
});

describe('Deliver service: ACLs', () => {
  let net: TestNetwork;
  let p: Peer;
  before(async () => {
    net = await makeTestNetwork({ acls: { 'event/Block': '/Channel/Application/Admins' } });
    p = await startPeer(net);
  });
  after(async () => {
    await stopPeer(p);
    await net.dispose();
  });

  it('checks event/Block for Deliver and DeliverWithPrivateData, event/FilteredBlock for DeliverFiltered', async () => {
    const user = net.identities.user;
    const admin = net.identities.admin;
    assert.deepEqual(await ask(p, await seek(p, { signer: user })), ['status 403', 'end']);
    assert.deepEqual(await ask(p, await seek(p, { signer: user }), 'deliverWithPrivateData'), [
      'status 403',
      'end',
    ]);
    assert.deepEqual(await ask(p, await seek(p, { signer: admin })), [
      'block 0',
      'status 200',
      'end',
    ]);
    assert.deepEqual(await ask(p, await seek(p, { signer: user }), 'deliverFiltered'), [
      'filtered 0',
      'status 200',
      'end',
    ]);
  });
});

describe('Deliver service: ACL re-checked on config change', () => {
  let net: TestNetwork;
  let p: Peer;
  before(async () => {
    net = await makeTestNetwork();
    p = await startPeer(net);
  });
  after(async () => {
    await stopPeer(p);
    await net.dispose();
  });

  it('ends a running stream with FORBIDDEN once a new config revokes access', async () => {
    const stream = p.client.open();
    stream.send(await seek(p, { start: OLDEST, stop: MAX }));
    const first = await stream.next();
    assert.ok(first.kind === 'response' && first.response.Type === 'block');
    await commit(p);
    const second = await stream.next();
    assert.ok(second.kind === 'response' && Number(second.response.block?.header?.number) === 1);

    // Config sequence 1: event/Block now needs the application Admins.
    const config = genesisConfig(net.genesis);
    config.sequence = Long.fromNumber(1, true);
    const app = config.channelGroup!.groups!.Application!;
    const acls = protos.ACLs.decode(app.values!.ACLs!.value!);
    acls.acls['event/Block'] = protos.APIResource.create({
      policyRef: '/Channel/Application/Admins',
    });
    app.values!.ACLs!.value = protos.ACLs.encode(acls).finish();
    const configBlock = await commit(p, [configTxOf(config, net.channelId)]);
    const channel = p.tc.channels.get(net.channelId)!;
    await waitUntil(() => channel.bundle().sequence === 1n, 'the new configuration');
    await commit(p);

    const rest = await stream.readUntilStatus();
    assert.equal(rest[rest.length - 1], 'status 403', rest.join(', '));
    // Nothing past the config block was sent.
    for (const r of rest.filter((x) => x.startsWith('block '))) {
      assert.ok(Number(r.slice(6)) <= Number(configBlock.header?.number), r);
    }
    assert.equal((await stream.next()).kind, 'end');
  });
});

describe('Deliver service: mutual TLS binding', () => {
  let net: TestNetwork;
  let p: Peer;
  let clientDer: Buffer;
  before(async () => {
    net = await makeTestNetwork();
    const ca = await makeCa('tls-ca');
    const server = await issue(ca, 'peer', { usage: 'server' });
    const client = await issue(ca, 'client', { usage: 'client' });
    clientDer = new X509Certificate(client.certPem).raw;
    p = await startPeer(
      net,
      { mutualTls: true },
      {
        server: grpc.ServerCredentials.createSsl(
          Buffer.from(ca.certPem),
          [{ cert_chain: Buffer.from(server.certPem), private_key: Buffer.from(server.keyPem) }],
          true,
        ),
        client: grpc.credentials.createSsl(
          Buffer.from(ca.certPem),
          Buffer.from(client.keyPem),
          Buffer.from(client.certPem),
        ),
      },
    );
  });
  after(async () => {
    await stopPeer(p);
    await net.dispose();
  });

  it('serves an envelope bound to the client certificate and refuses others', async () => {
    const hash = createHash('sha256').update(clientDer).digest();
    assert.deepEqual(await ask(p, await seek(p, { tlsCertHash: hash })), [
      'block 0',
      'status 200',
      'end',
    ]);
    assert.deepEqual(await ask(p, await seek(p, {})), ['status 400', 'end']);
    assert.deepEqual(await ask(p, await seek(p, { tlsCertHash: new Uint8Array(32) })), [
      'status 400',
      'end',
    ]);
  });
});
