// The peer's private data source for DeliverWithPrivateData over a real channel: a block's private
// write sets from the ledger's private data store, and Fabric's CheckCollectionPolicy — a
// collection that is not member_only_read is readable; otherwise its member_orgs_policy decides,
// evaluated over the requester's signed data with the channel's MSPs. The collection configuration
// comes from a fake provider (the unit under test is the source, not `_lifecycle`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SignedData } from '@fabric-peer/api';
import {
  makeTestNetwork,
  openTestChannels,
  type TestChannels,
  type TestNetwork,
} from '@fabric-peer/channel/test-support';
import type { CollectionConfigProvider, KvLedger } from '@fabric-peer/ledger';
import { common, protos, type rwset } from '@fabric-peer/protos';
import { ChainBuilder, endorserTx, utf8 } from '@fabric-peer/testkit';
import type { DeliverError } from '../src/errors.js';
import { eligiblePrivateData, ledgerPrivateDataSource } from '../src/server/private-data.js';

/** `signed_by` one member of `mspId`. */
function memberOf(mspId: string): common.ISignaturePolicyEnvelope {
  return {
    rule: { signedBy: 0 },
    identities: [
      {
        principalClassification: common.MSPPrincipal.Classification.ROLE,
        principal: common.MSPRole.encode({
          mspIdentifier: mspId,
          role: common.MSPRole.MSPRoleType.MEMBER,
        }).finish(),
      },
    ],
  };
}

const COLLECTIONS: protos.IStaticCollectionConfig[] = [
  { name: 'open', memberOrgsPolicy: { signaturePolicy: memberOf('Org2MSP') } },
  {
    name: 'org1',
    memberOnlyRead: true,
    memberOrgsPolicy: { signaturePolicy: memberOf('Org1MSP') },
  },
  {
    name: 'org2',
    memberOnlyRead: true,
    memberOrgsPolicy: { signaturePolicy: memberOf('Org2MSP') },
  },
  { name: 'nopolicy', memberOnlyRead: true },
];

const code = (c: string, message?: RegExp) => (e: DeliverError) =>
  e.code === c && (message === undefined || message.test(e.message));

/** The collections of `[seq, ns, colls]` in a private data map. */
function collectionsOf(map: Record<string, rwset.TxPvtReadWriteSet.$Properties>): string[] {
  return Object.entries(map).map(
    ([seq, tx]) =>
      `${seq}:` +
      (tx.nsPvtRwset ?? [])
        .map(
          (ns) =>
            `${ns.namespace}[${(ns.collectionPvtRwset ?? []).map((c) => c.collectionName).join(',')}]`,
        )
        .join(' '),
  );
}

describe('the ledger private data source (CheckCollectionPolicy)', () => {
  let net: TestNetwork;
  let tc: TestChannels;
  let ledger: KvLedger;
  let lookups: string[];
  let userData: SignedData;
  const collections: CollectionConfigProvider = {
    allCollectionsConfigPkg: (channelId, namespace) => {
      lookups.push(`${channelId}/${namespace}`);
      return Promise.resolve(
        namespace === 'cc'
          ? protos.CollectionConfigPackage.create({
              config: COLLECTIONS.map((staticCollectionConfig) => ({ staticCollectionConfig })),
            })
          : undefined,
      );
    },
  };

  before(async () => {
    net = await makeTestNetwork();
    tc = await openTestChannels(net);
    ledger = tc.channels.get(net.channelId)!.ledger;
    const builder = ChainBuilder.after(common.Block.decode(net.genesis));
    // Block 1: transaction 0 writes every collection, transaction 1 none, transaction 2 'org2'.
    const simulate = async (writes: [string, string][]) => {
      const sim = await ledger.newTxSimulator('t');
      try {
        for (const [ns, coll] of writes) await sim.setPrivateData(ns, coll, 'k', utf8(coll));
        return await sim.getTxSimulationResults();
      } finally {
        sim.done();
      }
    };
    const t0 = await simulate([
      ['cc', 'open'],
      ['cc', 'org1'],
      ['cc', 'org2'],
    ]);
    const t2 = await simulate([['cc', 'org2']]);
    const sim = await ledger.newTxSimulator('t1');
    await sim.setState('cc', 'public', utf8('1'));
    const t1 = await sim.getTxSimulationResults();
    sim.done();
    await ledger.commit(
      builder.block(
        [t0, t1, t2].map((r) => endorserTx(r.publicRwset, { channelId: net.channelId })),
      ),
      {
        pvtData: new Map([
          [0, t0.privateRwset!],
          [2, t2.privateRwset!],
        ]),
      },
    );
    const data = utf8('a seek envelope payload');
    userData = {
      data,
      identity: net.identities.user.serialize(),
      signature: await net.identities.user.sign(data),
    };
  });

  after(async () => {
    await tc?.close();
    await net?.dispose();
  });

  it('gives the requester what it may read: open collections, and member-only ones of its org', async () => {
    lookups = [];
    const source = ledgerPrivateDataSource({ channels: tc.channels, collections });
    const map = await eligiblePrivateData(source, net.channelId, 1n, userData);
    // Transaction 2's only collection is not readable: the transaction is left out.
    assert.deepEqual(collectionsOf(map), ['0:cc[open,org1]']);
    // One lookup per collection of the block, however many transactions write it.
    assert.equal(lookups.length, 3);
    assert.deepEqual(await eligiblePrivateData(source, net.channelId, 0n, userData), {});
  });

  it('refuses member-only collections to a requester whose signature does not verify', async () => {
    const source = ledgerPrivateDataSource({ channels: tc.channels, collections });
    const forged = { ...userData, signature: await net.identities.user.sign(utf8('other')) };
    assert.equal(await source.isEligible(net.channelId, 1n, 'cc', 'org1', userData), true);
    assert.equal(await source.isEligible(net.channelId, 1n, 'cc', 'org1', forged), false);
    // A collection that is not member_only_read does not look at the requester.
    assert.equal(await source.isEligible(net.channelId, 1n, 'cc', 'open', forged), true);
  });

  it("gives the store's write sets as they were committed", async () => {
    const source = ledgerPrivateDataSource({ channels: tc.channels, collections });
    const items = await source.privateDataOf(net.channelId, 1n);
    assert.deepEqual(
      items.map((i) => i.seqInBlock),
      [0, 2],
    );
    const org2 = items[1]!.writeSet!.nsPvtRwset![0]!.collectionPvtRwset![0]!;
    assert.equal(org2.collectionName, 'org2');
  });

  it("fails as Fabric's CheckCollectionPolicy where the configuration does not decide", async () => {
    const source = ledgerPrivateDataSource({ channels: tc.channels, collections });
    await assert.rejects(
      source.isEligible(net.channelId, 1n, 'cc', 'unknown', userData),
      code(
        'COLLECTION_CONFIG',
        /no collection config was found for collection unknown for chaincode cc/,
      ),
    );
    await assert.rejects(
      source.isEligible(net.channelId, 1n, 'other', 'open', userData),
      code('COLLECTION_CONFIG', /no collection config was found/),
    );
    await assert.rejects(
      source.isEligible(net.channelId, 1n, 'cc', 'nopolicy', userData),
      code(
        'COLLECTION_CONFIG',
        /error setting up collection {2}nopolicy: Collection config policy is nil/,
      ),
    );
    const failing: CollectionConfigProvider = {
      allCollectionsConfigPkg: () =>
        Promise.reject(new Error('could not get info about chaincode')),
    };
    await assert.rejects(
      ledgerPrivateDataSource({ channels: tc.channels, collections: failing }).isEligible(
        net.channelId,
        1n,
        'cc',
        'open',
        userData,
      ),
      code('COLLECTION_CONFIG', /could not get info about chaincode/),
    );
    await assert.rejects(
      source.privateDataOf(net.channelId, 5n),
      code('PRIVATE_DATA_UNAVAILABLE', /error getting private data by block number 5/),
    );
    await assert.rejects(source.privateDataOf('nochannel', 0n), code('CHANNEL_NOT_FOUND'));
    // Every query executor was released: a commit still goes through.
    const builder = ChainBuilder.after((await ledger.getBlockByNumber(1))!);
    const sim = await ledger.newTxSimulator('t');
    await sim.setState('cc', 'after', utf8('1'));
    const r = await sim.getTxSimulationResults();
    sim.done();
    await ledger.commit(builder.block([endorserTx(r.publicRwset, { channelId: net.channelId })]));
    assert.equal(Number(ledger.getBlockchainInfo().height), 3);
  });
});
