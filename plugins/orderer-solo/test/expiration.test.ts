import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import type { SoloOrderer } from '../src/index.js';
import {
  broadcastOne,
  connect,
  deliverOnce,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { startOrderer } from '../test-support/orderer.js';

const { Status } = common;
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

describe('Expired client certificates', () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;
  let client: ReturnType<typeof connect>;
  // Cryptogen certificates are valid for ten years; this orderer's clock is fifty years ahead.
  const future = Date.now() + 50 * YEAR_MS;

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net, {
      now: () => new Date(future),
      timeWindowMs: 100 * YEAR_MS,
    });
    await orderer.joinChannel(await net.genesis('expch'));
    client = connect(orderer.address);
  });

  after(async () => {
    client?.close();
    await orderer?.stop();
    await net?.dispose();
  });

  it('refuses a broadcast signed by an expired identity (orderer capability V2_0)', async () => {
    const answer = await broadcastOne(client, await signedEnvelope(net.identities.user, 'expch'));
    assert.equal(answer.status, Status.BAD_REQUEST);
    assert.equal(answer.info, 'broadcast client identity expired');
    // The second time the expiry comes from the orderer's memory of this creator.
    const again = await broadcastOne(client, await signedEnvelope(net.identities.user, 'expch'));
    assert.equal(again.info, 'broadcast client identity expired');
  });

  it('refuses a deliver session of an expired identity with FORBIDDEN', async () => {
    const seek = await seekEnvelope(net.identities.user, 'expch', {
      start: position.oldest(),
      stop: position.oldest(),
    });
    const r = await deliverOnce(client, seek);
    assert.equal(r.status, Status.FORBIDDEN);
    assert.deepEqual(r.blocks, []);
  });

  it('refuses seeks outside the time window of its clock', async () => {
    const seek = await seekEnvelope(
      net.identities.user,
      'expch',
      { start: position.oldest(), stop: position.oldest() },
      { timestampMs: future - 101 * YEAR_MS },
    );
    assert.equal((await deliverOnce(client, seek)).status, Status.BAD_REQUEST);
  });
});
