import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { common } from '@fabric-peer/protos';
import { Client, type Committer } from 'fabric-common';
import type { SoloOrderer } from '../src/index.js';
import {
  connect,
  deliverOnce,
  envelopesOf,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { startOrderer } from '../test-support/orderer.js';

const CH = 'sdkch';

// The Node SDK's Committer (what fabric-network submits through) writes one envelope and
// half-closes the stream at once, then waits for the answer.
describe("The Node SDK's Committer (fabric-common)", () => {
  let net: OrdererTestNetwork;
  let orderer: SoloOrderer;
  let committer: Committer;

  before(async () => {
    net = await makeOrdererNetwork();
    orderer = await startOrderer(net);
    await orderer.joinChannel(await net.genesis(CH, { maxMessageCount: 1 }));
    const client = Client.newClient('orderer-solo-test');
    committer = client.newCommitter('orderer', 'OrdererMSP');
    await committer.connect(client.newEndpoint({ url: `grpc://${orderer.address}` }));
  });

  after(async () => {
    committer?.disconnect();
    await orderer?.stop();
    await net?.dispose();
  });

  async function send(envelope: common.Envelope): Promise<{ status: string; info: string }> {
    const wire = {
      payload: Buffer.from(envelope.payload),
      signature: Buffer.from(envelope.signature),
    };
    return (await committer.sendBroadcast(wire as unknown as Buffer)) as {
      status: string;
      info: string;
    };
  }

  it('gets SUCCESS for a transaction, which is then ordered', async () => {
    const tx = await signedEnvelope(net.identities.user, CH);
    const answer = await send(tx);
    assert.equal(answer.status, 'SUCCESS');
    const client = connect(orderer.address);
    try {
      const r = await deliverOnce(
        client,
        await seekEnvelope(net.identities.user, CH, {
          start: position.specified(1),
          stop: position.specified(1),
        }),
      );
      assert.deepEqual(
        Buffer.from(envelopesOf(r.blocks[0]!)[0]!.signature),
        Buffer.from(tx.signature),
      );
    } finally {
      client.close();
    }
  });

  it("gets Fabric's refusal for a signer who is not a Writer", async () => {
    const answer = await send(await signedEnvelope(net.identities.outsider, CH));
    assert.equal(answer.status, 'FORBIDDEN');
    assert.match(answer.info, /permission denied$/);
  });
});
