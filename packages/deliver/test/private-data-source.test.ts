// The peer's private data source for DeliverWithPrivateData over a real channel: a block's private
// write sets from the ledger's private data store, filtered by the collection policy (Fabric's
// CheckCollectionPolicy), asked once per collection and block. The policy here is a fake that
// reads the requester's MSP (the unit under test is the source; the real policy, shared with
// chaincode calls, is `@fabric-peer/scc`'s CollectionStore, tested there).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SignedData } from '@fabric-peer/api';
import {
  makeTestNetwork,
  openTestChannels,
  type TestChannels,
  type TestNetwork,
} from '@fabric-peer/channel/test-support';
import type { KvLedger } from '@fabric-peer/ledger';
import { common, msp, type rwset } from '@fabric-peer/protos';
import { ChainBuilder, endorserTx, utf8 } from '@fabric-peer/testkit';
import type { DeliverError } from '../src/errors.js';
import {
  eligiblePrivateData,
  ledgerPrivateDataSource,
  type LedgerPrivateDataSourceOptions,
} from '../src/server/private-data.js';

/** Who may read each collection of chaincode `cc` (any requester when null). */
const READERS: Record<string, string | null> = { open: null, org1: 'Org1MSP', org2: 'Org2MSP' };

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
  const collectionPolicy: LedgerPrivateDataSourceOptions['collectionPolicy'] = {
    readable: (channelId, namespace, collection, requester) => {
      lookups.push(`${channelId}/${namespace}/${collection}`);
      const readers = namespace === 'cc' ? READERS[collection] : undefined;
      if (readers === undefined) {
        return Promise.reject(
          new Error(
            `no collection config was found for collection ${collection} for chaincode ${namespace}`,
          ),
        );
      }
      const mspId = msp.SerializedIdentity.decode(requester.identity).mspid;
      return Promise.resolve(readers === null || readers === mspId);
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
    const source = ledgerPrivateDataSource({ channels: tc.channels, collectionPolicy });
    const map = await eligiblePrivateData(source, net.channelId, 1n, userData);
    // Transaction 2's only collection is not readable: the transaction is left out.
    assert.deepEqual(collectionsOf(map), ['0:cc[open,org1]']);
    // One decision per collection of the block, however many transactions write it.
    assert.deepEqual(lookups.sort(), [
      `${net.channelId}/cc/open`,
      `${net.channelId}/cc/org1`,
      `${net.channelId}/cc/org2`,
    ]);
    assert.deepEqual(await eligiblePrivateData(source, net.channelId, 0n, userData), {});
  });

  it("gives the store's write sets as they were committed", async () => {
    const source = ledgerPrivateDataSource({ channels: tc.channels, collectionPolicy });
    const items = await source.privateDataOf(net.channelId, 1n);
    assert.deepEqual(
      items.map((i) => i.seqInBlock),
      [0, 2],
    );
    const org2 = items[1]!.writeSet!.nsPvtRwset![0]!.collectionPvtRwset![0]!;
    assert.equal(org2.collectionName, 'org2');
  });

  it("fails as Fabric's CheckCollectionPolicy where the configuration does not decide", async () => {
    const source = ledgerPrivateDataSource({ channels: tc.channels, collectionPolicy });
    await assert.rejects(
      source.isEligible(net.channelId, 1n, 'cc', 'unknown', userData),
      code(
        'COLLECTION_CONFIG',
        /^no collection config was found for collection unknown for chaincode cc$/,
      ),
    );
    // A collection that cannot be decided fails the block's private data map (and the stream).
    const failing = ledgerPrivateDataSource({
      channels: tc.channels,
      collectionPolicy: { readable: () => Promise.reject(new Error('state unreadable')) },
    });
    await assert.rejects(
      eligiblePrivateData(failing, net.channelId, 1n, userData),
      code('COLLECTION_CONFIG', /^state unreadable$/),
    );
    await assert.rejects(
      source.privateDataOf(net.channelId, 5n),
      code('PRIVATE_DATA_UNAVAILABLE', /error getting private data by block number 5/),
    );
    await assert.rejects(source.privateDataOf('nochannel', 0n), code('CHANNEL_NOT_FOUND'));
  });
});
