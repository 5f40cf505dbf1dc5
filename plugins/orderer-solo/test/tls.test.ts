import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status as grpcStatus } from '@grpc/grpc-js';
import { common } from '@fabric-peer/protos';
import { OrdererError, SoloOrderer } from '../src/index.js';
import {
  broadcast,
  broadcastOne,
  certHash,
  connect,
  deliverOnce,
  position,
  seekEnvelope,
  signedEnvelope,
} from '../test-support/client.js';
import { makeOrdererNetwork, type OrdererTestNetwork } from '../test-support/network.js';
import { ordererOptions, startOrderer } from '../test-support/orderer.js';

const { Status } = common;
const CH = 'tlsch';

describe('TLS', () => {
  let net: OrdererTestNetwork;

  before(async () => {
    net = await makeOrdererNetwork();
  });

  after(async () => {
    await net?.dispose();
  });

  it('serves clients that trust its TLS CA, and not plaintext clients', async () => {
    const orderer = await startOrderer(net, {
      tls: { cert: net.ordererTls.cert, key: net.ordererTls.key },
    });
    const tlsClient = connect(orderer.address, { ca: net.ordererTls.ca });
    const plainClient = connect(orderer.address);
    try {
      await orderer.joinChannel(await net.genesis(CH, { maxMessageCount: 1 }));
      const answer = await broadcastOne(tlsClient, await signedEnvelope(net.identities.user, CH));
      assert.equal(answer.status, Status.SUCCESS);
      const r = await deliverOnce(
        tlsClient,
        await seekEnvelope(net.identities.user, CH, {
          start: position.oldest(),
          stop: position.specified(1),
        }),
      );
      assert.equal(r.status, Status.SUCCESS);
      assert.equal(r.blocks.length, 2);

      const plain = await broadcast(plainClient, [await signedEnvelope(net.identities.user, CH)]);
      assert.deepEqual(plain.messages, []);
      assert.equal(plain.status.code, grpcStatus.UNAVAILABLE);
    } finally {
      tlsClient.close();
      plainClient.close();
      await orderer.stop();
    }
  });

  describe('mutual TLS', () => {
    let orderer: SoloOrderer;
    let client: ReturnType<typeof connect>;

    before(async () => {
      orderer = await startOrderer(net, {
        tls: {
          cert: net.ordererTls.cert,
          key: net.ordererTls.key,
          clientRootCAs: [net.userTls.ca],
          clientAuthRequired: true,
        },
      });
      await orderer.joinChannel(await net.genesis(CH));
      client = connect(orderer.address, {
        ca: net.ordererTls.ca,
        cert: net.userTls.cert,
        key: net.userTls.key,
      });
    });

    after(async () => {
      client?.close();
      await orderer?.stop();
    });

    const seekInfo = { start: position.oldest(), stop: position.oldest() };

    it('delivers to a seek bound to the client certificate (tls_cert_hash)', async () => {
      const env = await seekEnvelope(net.identities.user, CH, seekInfo, {
        tlsCertHash: certHash(net.userTls.cert),
      });
      const r = await deliverOnce(client, env);
      assert.equal(r.status, Status.SUCCESS);
      assert.equal(r.blocks.length, 1);
    });

    it('answers BAD_REQUEST to a seek without the hash, or with another certificate hash', async () => {
      const without = await seekEnvelope(net.identities.user, CH, seekInfo);
      assert.equal((await deliverOnce(client, without)).status, Status.BAD_REQUEST);
      const other = await seekEnvelope(net.identities.user, CH, seekInfo, {
        tlsCertHash: certHash(net.ordererTls.cert),
      });
      assert.equal((await deliverOnce(client, other)).status, Status.BAD_REQUEST);
    });

    it('accepts broadcasts over the mutual TLS connection', async () => {
      const answer = await broadcastOne(client, await signedEnvelope(net.identities.user, CH));
      assert.equal(answer.status, Status.SUCCESS);
    });

    it('refuses a client without a certificate', async () => {
      const anonymous = connect(orderer.address, { ca: net.ordererTls.ca });
      try {
        const r = await broadcast(anonymous, [await signedEnvelope(net.identities.user, CH)]);
        assert.deepEqual(r.messages, []);
        assert.equal(r.status.code, grpcStatus.UNAVAILABLE);
      } finally {
        anonymous.close();
      }
    });
  });

  it('refuses clientAuthRequired without client roots', () => {
    assert.throws(
      () =>
        new SoloOrderer(
          ordererOptions(net, {
            tls: { cert: net.ordererTls.cert, key: net.ordererTls.key, clientAuthRequired: true },
          }),
        ),
      (err: unknown) => err instanceof OrdererError && err.code === 'ORDERER_OPTIONS_INVALID',
    );
  });
});
