/**
 * What `dev crypto` and `dev genesis` write loads in this peer: every MSP folder in the X.509 MSP,
 * a peer's own folder as a signing local MSP, and the genesis block as a channel bundle that says
 * what the YAML said. A signature made with a generated key verifies through the bundle.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { bundleFromBlock, type ChannelConfigBundle } from '@fabric-peer/policies';
import { buildGenesisBlockFromFile, generateCrypto, loadCryptoConfig } from '../src/index.js';

const CRYPTO = `
OrdererOrgs:
  - Name: Orderer
    Domain: example.com
    EnableNodeOUs: true
    Specs:
      - Hostname: orderer
        SANS: [localhost, 127.0.0.1]
PeerOrgs:
  - Name: Org1
    Domain: org1.example.com
    EnableNodeOUs: true
    Template: { Count: 2, SANS: [localhost, 127.0.0.1] }
    Users: { Count: 1 }
  - Name: Org2
    Domain: org2.example.com
    EnableNodeOUs: true
    Template: { Count: 1, SANS: [localhost, 127.0.0.1] }
    Users: { Count: 1 }
`;

const GENESIS = `
channel: devchannel
orgs:
  - name: OrdererOrg
    mspId: OrdererMSP
    mspDir: crypto/ordererOrganizations/example.com/msp
    orderer: true
    ordererEndpoints: [127.0.0.1:7050]
  - name: Org1MSP
    mspId: Org1MSP
    mspDir: crypto/peerOrganizations/org1.example.com/msp
    anchorPeers: [127.0.0.1:7051]
  - name: Org2MSP
    mspId: Org2MSP
    mspDir: crypto/peerOrganizations/org2.example.com/msp
    anchorPeers: [127.0.0.1:9051]
orderer:
  type: etcdraft
  batchTimeout: 250ms
  batchSize: { maxMessageCount: 100, absoluteMaxBytes: 10 MB, preferredMaxBytes: 2 MB }
  consenters:
    - host: 127.0.0.1
      port: 7050
      tlsCert: crypto/ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt
`;

describe('dev crypto + dev genesis output in the peer', () => {
  let dir: string;
  let bundle: ChannelConfigBundle;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'devtools-peer-'));
    writeFileSync(join(dir, 'crypto-config.yaml'), CRYPTO);
    writeFileSync(join(dir, 'genesis.yaml'), GENESIS);
    await generateCrypto(
      await loadCryptoConfig(join(dir, 'crypto-config.yaml')),
      join(dir, 'crypto'),
    );
    const block = await buildGenesisBlockFromFile(join(dir, 'genesis.yaml'));
    bundle = await bundleFromBlock(block.bytes);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('yields the bundle the YAML describes', () => {
    assert.equal(bundle.channelId, 'devchannel');
    const app = bundle.application!;
    assert.deepEqual(
      [...app.organizations.values()].map((o) => [o.name, o.mspId, o.anchorPeers]),
      [
        ['Org1MSP', 'Org1MSP', [{ host: '127.0.0.1', port: 7051 }]],
        ['Org2MSP', 'Org2MSP', [{ host: '127.0.0.1', port: 9051 }]],
      ],
    );
    const orderer = bundle.orderer!;
    assert.deepEqual(
      [...orderer.organizations.values()].map((o) => [o.mspId, o.endpoints]),
      [['OrdererMSP', ['127.0.0.1:7050']]],
    );
    assert.equal(orderer.consensusType, 'etcdraft');
    assert.equal(orderer.batchTimeout, '250ms');
    assert.equal(orderer.batchTimeoutNanos, 250_000_000n);
    assert.equal(orderer.consensus.kind, 'etcdraft');
    if (orderer.consensus.kind === 'etcdraft') {
      assert.deepEqual(
        orderer.consensus.metadata.consenters.map((c) => [c.host, c.port]),
        [['127.0.0.1', 7050]],
      );
    }
    assert.equal(orderer.batchSize.maxMessageCount, 100);
    assert.equal(orderer.batchSize.absoluteMaxBytes, 10 * 1024 * 1024);
    assert.equal(orderer.batchSize.preferredMaxBytes, 2 * 1024 * 1024);
    assert.ok(bundle.capabilities.channel.has('V2_0'));
    assert.ok(bundle.capabilities.application!.has('V2_0'));
    assert.equal(bundle.capabilities.channel.mspVersion, 'v1_4_3');
    for (const path of [
      '/Channel/Readers',
      '/Channel/Writers',
      '/Channel/Admins',
      '/Channel/Orderer/BlockValidation',
      '/Channel/Application/Endorsement',
      '/Channel/Application/LifecycleEndorsement',
      '/Channel/Application/Org1MSP/Endorsement',
      '/Channel/Application/Org2MSP/Admins',
    ]) {
      assert.ok(bundle.policyManager.getPolicy(path), path);
    }
    bundle.assertPeerSupport();
  });

  it('loads every generated MSP folder in the X.509 MSP, and a peer folder as a signing MSP', async () => {
    const folders: [string, string][] = [
      ['crypto/ordererOrganizations/example.com/orderers/orderer.example.com/msp', 'OrdererMSP'],
      ['crypto/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp', 'Org1MSP'],
      ['crypto/peerOrganizations/org1.example.com/peers/peer1.org1.example.com/msp', 'Org1MSP'],
      ['crypto/peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp', 'Org1MSP'],
      ['crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp', 'Org1MSP'],
      ['crypto/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/msp', 'Org2MSP'],
    ];
    for (const [folder, mspId] of folders) {
      const local = createMsp(loadMspFolder(join(dir, folder), mspId, { signing: true }));
      const signer = local.defaultSigningIdentity();
      signer.validate();
      // The signer as the channel sees it: same identity, and its signature verifies there.
      const message = Buffer.from(`signed by ${folder}`);
      const signature = await signer.sign(message);
      const seen = bundle.deserializer.deserializeIdentity(signer.serialize());
      seen.validate();
      await seen.verify(message, signature);
      assert.equal(seen.identifier.id, signer.identifier.id, folder);
    }
  });

  it("classifies the generated identities by their NodeOUs, as the channel's policies need", async () => {
    const peerSigner = createMsp(
      loadMspFolder(
        join(dir, 'crypto/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/msp'),
        'Org2MSP',
        { signing: true },
      ),
    ).defaultSigningIdentity();
    const adminSigner = createMsp(
      loadMspFolder(
        join(dir, 'crypto/peerOrganizations/org2.example.com/users/Admin@org2.example.com/msp'),
        'Org2MSP',
        { signing: true },
      ),
    ).defaultSigningIdentity();
    const data = Buffer.from('endorse me');
    const sign = async (s: typeof peerSigner) => ({
      data,
      identity: s.serialize(),
      signature: await s.sign(data),
    });
    // Org2's Endorsement policy wants an Org2 peer; its Admins policy an Org2 admin.
    await bundle.policyManager
      .requirePolicy('/Channel/Application/Org2MSP/Endorsement')
      .evaluateSignedData([await sign(peerSigner)]);
    await assert.rejects(
      bundle.policyManager
        .requirePolicy('/Channel/Application/Org2MSP/Endorsement')
        .evaluateSignedData([await sign(adminSigner)]),
    );
    await bundle.policyManager
      .requirePolicy('/Channel/Application/Org2MSP/Admins')
      .evaluateSignedData([await sign(adminSigner)]);
  });
});
