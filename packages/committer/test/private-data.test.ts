/**
 * Private data at commit: the committer takes each valid transaction's private write sets from the
 * transient store (where the endorser left them) for the collections this peer's org belongs to,
 * checks them against the hashes in the block, commits them with the block, and purges the
 * transient store; what is missing is logged and the block commits without it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { kvrwset, rwset as rwsetProto } from '@fabric-peer/protos';
import { recordingLoggers } from '@fabric-peer/testkit';

import { openTransientStore, type TransientStore } from '../src/index.js';
import {
  codeNames,
  defineChaincode,
  endorserTx,
  hash,
  openCommitterFixture,
  policyReference,
  rwsetOf,
  type CommitterFixture,
  type TestSigner,
} from '../test-support/index.js';

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : Buffer.from(b).toString();

/** A private write of one key in one collection: the endorser's two halves. */
function privateWrite(collection: string, key: string, value: string) {
  const kv = kvrwset.KVRWSet.encode({ writes: [{ key, value: enc.encode(value) }] }).finish();
  return {
    collection,
    pvt: { collectionName: collection, rwset: kv },
    hashed: {
      name: collection,
      hashedWrites: [{ keyHash: hash(key), valueHash: hash(value) }],
      pvtRwSetHash: hash(kv),
    },
  };
}

describe('private data at commit', () => {
  let f: CommitterFixture;
  let dir: string;
  let store: TransientStore;
  const logs = recordingLoggers();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'committer-pvt-'));
    store = await openTransientStore(join(dir, 'transientstore'));
    f = await openCommitterFixture({
      logger: logs.factory('committer'),
      committer: (channel, info) => ({
        privateData: {
          store: store.channel(channel.id),
          localMspId: 'Org1MSP',
          collections: info,
          transientBlockRetention: 3,
        },
      }),
    });
    const member = (msp: string) => ({
      signaturePolicy: signaturePolicyFromString(`OR('${msp}.member')`),
    });
    await defineChaincode(f, 'pvt', policyReference('/Channel/Application/Endorsement'), {
      collections: {
        config: [
          { staticCollectionConfig: { name: 'ours', memberOrgsPolicy: member('Org1MSP') } },
          { staticCollectionConfig: { name: 'theirs', memberOrgsPolicy: member('Org2MSP') } },
        ],
      },
    });
  });
  after(async () => {
    await f.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Endorses a transaction writing these private keys; the endorser keeps the private half. */
  async function endorse(
    writes: ReturnType<typeof privateWrite>[],
    options: { keep?: boolean; endorsers?: TestSigner[]; tamper?: boolean } = {},
  ) {
    const tx = await endorserTx({
      channelId: f.net.channelId,
      creator: f.net.identities.user,
      endorsers: options.endorsers ?? [f.net.identities.peer],
      chaincode: 'pvt',
      results: rwsetOf({ namespace: 'pvt', collections: writes.map((w) => w.hashed) }),
    });
    if (options.keep !== false) {
      const pvt = rwsetProto.TxPvtReadWriteSet.encode({
        dataModel: rwsetProto.TxReadWriteSet.DataModel.KV,
        nsPvtRwset: [
          {
            namespace: 'pvt',
            collectionPvtRwset: writes.map((w) =>
              options.tamper === true
                ? {
                    collectionName: w.collection,
                    rwset: kvrwset.KVRWSet.encode({
                      writes: [{ key: 'x', value: enc.encode('forged') }],
                    }).finish(),
                  }
                : w.pvt,
            ),
          },
        ],
      }).finish();
      await store.distributePrivateData({
        channelId: f.net.channelId,
        txId: tx.txId,
        privateRwset: pvt,
        endorsedAt: Number(f.channel.ledger.getBlockchainInfo().height.toString()),
      });
    }
    return tx;
  }

  async function privateValue(collection: string, key: string): Promise<string | undefined> {
    const qe = await f.channel.ledger.newQueryExecutor();
    try {
      return text(await qe.getPrivateData('pvt', collection, key));
    } finally {
      qe.done();
    }
  }

  it('commits the private data of its own collections and purges the transient store', async () => {
    const tx = await endorse([
      privateWrite('ours', 'secret', 's3cret'),
      privateWrite('_implicit_org_Org1MSP', 'mine', 'only-org1'),
    ]);
    const done = await f.committer.commitBlock(await f.blocks.next([tx.envelope]));
    assert.deepEqual(codeNames(done.validationCodes), ['VALID']);
    assert.deepEqual(done.missingPrivateData, []);
    assert.equal(await privateValue('ours', 'secret'), 's3cret');
    assert.equal(await privateValue('_implicit_org_Org1MSP', 'mine'), 'only-org1');
    assert.deepEqual(await store.channel(f.net.channelId).getTxPvtRwSetByTxid(tx.txId), []);
  });

  it('neither takes nor misses what its org is not a member of', async () => {
    // (Org2MSP is not in this channel, so only its explicit collection can be written.)
    const tx = await endorse([privateWrite('theirs', 'their-secret', 'x')]);
    const done = await f.committer.commitBlock(await f.blocks.next([tx.envelope]));
    assert.deepEqual(codeNames(done.validationCodes), ['VALID']);
    assert.deepEqual(done.missingPrivateData, []);
    const qe = await f.channel.ledger.newQueryExecutor();
    try {
      // The hash is committed, the value is not.
      assert.ok((await qe.getPrivateDataHash('pvt', 'theirs', 'their-secret')) !== undefined);
    } finally {
      qe.done();
    }
  });

  it('commits without what the transient store lacks or holds under another hash, and says so', async () => {
    const absent = await endorse([privateWrite('ours', 'lost', 'v')], { keep: false });
    const forged = await endorse([privateWrite('ours', 'forged', 'v')], { tamper: true });
    const done = await f.committer.commitBlock(
      await f.blocks.next([absent.envelope, forged.envelope]),
    );
    assert.deepEqual(codeNames(done.validationCodes), ['VALID', 'VALID']);
    assert.deepEqual(done.missingPrivateData, ['0:pvt:ours', '1:pvt:ours']);
    const warned = logs.records.find((r) => r.msg.startsWith('Could not fetch 2 eligible'));
    assert.ok(warned !== undefined, 'the missing private data is logged');
    const qe = await f.channel.ledger.newQueryExecutor();
    try {
      assert.deepEqual(text(await qe.getPrivateDataHash('pvt', 'ours', 'forged')), text(hash('v')));
    } finally {
      qe.done();
    }
  });

  it('does not commit the private data of an invalid transaction', async () => {
    const tx = await endorse([privateWrite('ours', 'rejected', 'nope')], {
      endorsers: [f.net.identities.user],
    });
    const done = await f.committer.commitBlock(await f.blocks.next([tx.envelope]));
    assert.deepEqual(codeNames(done.validationCodes), ['ENDORSEMENT_POLICY_FAILURE']);
    assert.equal(await privateValue('ours', 'rejected'), undefined);
  });

  it('purges by height every transientstoreMaxBlockRetention blocks', async () => {
    const ts = store.channel(f.net.channelId);
    const old = 'a'.repeat(64);
    await ts.persist(old, 1, Uint8Array.of(1));
    const recent = 'b'.repeat(64);
    await ts.persist(recent, 1000, Uint8Array.of(1));
    // Retention 3: at the first block number that is a multiple of 3 (and above 3), whatever
    // was endorsed below (number - 3) goes.
    for (;;) {
      const height = Number(f.channel.ledger.getBlockchainInfo().height.toString());
      const tx = await endorse([]);
      await f.committer.commitBlock(await f.blocks.next([tx.envelope]));
      if (height % 3 === 0 && height > 3) break;
    }
    assert.deepEqual(await ts.getTxPvtRwSetByTxid(old), []);
    assert.equal((await ts.getTxPvtRwSetByTxid(recent)).length, 1);
  });
});
