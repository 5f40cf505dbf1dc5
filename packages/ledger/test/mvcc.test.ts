// MVCC and the update batch on synthetic blocks: conflicts with committed state and inside a block,
// phantoms (raw reads and Merkle summaries), metadata, private data hashes, deletes, refused writes
// and malformed transactions.
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { common, protos } from '@fabric-peer/protos';
import {
  privateDataNamespace,
  hashedDataNamespace,
  type KvLedger,
  type LedgerError,
  type TxSimulator,
} from '../src/index.js';
import {
  ChainBuilder,
  configTx,
  endorserTx,
  rwsetBytes,
  text,
  utf8,
  TEST_CHANNEL,
} from '../test-support/blocks.js';
import { delegatingDb, ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const V = protos.TxValidationCode;
const sha = (s: string | Uint8Array) => new Uint8Array(createHash('sha256').update(s).digest());

describe('MVCC validation and the update batch', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;
  let chain: ChainBuilder;

  async function simulate(
    fn: (sim: TxSimulator) => Promise<void>,
  ): Promise<{ pub: Uint8Array; pvt?: Uint8Array }> {
    const sim = await ledger.newTxSimulator('sim');
    try {
      await fn(sim);
      const r = await sim.getTxSimulationResults();
      return r.privateRwset === undefined
        ? { pub: r.publicRwset }
        : { pub: r.publicRwset, pvt: r.privateRwset };
    } finally {
      sim.done();
    }
  }

  async function commit(
    rwsets: readonly Uint8Array[],
    filter?: Uint8Array,
    pvtData?: Map<number, Uint8Array>,
  ) {
    const block = chain.block(
      rwsets.map((r) => endorserTx(r)),
      filter,
    );
    return ledger.commit(block, pvtData === undefined ? {} : { pvtData });
  }

  async function get(ns: string, key: string): Promise<string | undefined> {
    const qe = await ledger.newQueryExecutor();
    try {
      return text(await qe.getState(ns, key));
    } finally {
      qe.done();
    }
  }

  async function put(pairs: Record<string, string>): Promise<void> {
    const r = await simulate(async (sim) => {
      for (const [k, v] of Object.entries(pairs)) await sim.setState('cc', k, utf8(v));
    });
    const res = await commit([r.pub]);
    assert.deepEqual([...res.validationCodes], [V.VALID]);
  }

  beforeEach(async () => {
    env = ledgerEnv();
    ledger = await env.open();
    chain = new ChainBuilder();
    await ledger.commit(chain.block([configTx()]));
  });

  afterEach(async () => {
    await env.dispose();
  });

  it('reads every key of a block (reads and writes) from the database in one bulk load', async () => {
    await env.closeAll();
    const loads: string[][] = [];
    let singles = 0;
    ledger = await env.open({
      wrapState: (db) =>
        delegatingDb(db, {
          loadCommittedVersions: (keys) => {
            loads.push(keys.map((k) => `${k.namespace}/${k.key}`));
            return db.loadCommittedVersions!(keys);
          },
          getState: (ns, key) => {
            singles++;
            return db.getState(ns, key);
          },
        }),
    });
    chain = ChainBuilder.after((await ledger.getBlockByNumber(0))!);
    await put({ a: '1', b: '2' });
    loads.length = 0;
    const r1 = await simulate(async (sim) => {
      await sim.getState('cc', 'a');
      await sim.setState('cc', 'b', utf8('3'));
      await sim.setStateMetadata('cc', 'c', new Map([['x', utf8('y')]]));
    });
    const res = await commit([r1.pub]);
    assert.deepEqual([...res.validationCodes], [V.VALID]);
    assert.deepEqual(loads, [['cc/a', 'cc/b', 'cc/c']]);
    assert.ok(singles > 0, 'the reads still go through getState (served from the bulk cache)');
  });

  it("loads a block's keys before validation from a remote database only, once per key", async () => {
    for (const remote of [true, false]) {
      await env.closeAll();
      const loads: string[][] = [];
      ledger = await env.open({
        wrapState: (db) =>
          delegatingDb(db, {
            remote,
            loadCommittedVersions: (keys) => {
              loads.push(keys.map((k) => `${k.namespace}/${k.key}`));
              return db.loadCommittedVersions!(keys);
            },
          }),
      });
      chain = ChainBuilder.after((await ledger.getBlockByNumber(0))!);
      const r1 = await simulate(async (sim) => {
        await sim.getState('cc', 'a');
        await sim.setState('cc', 'b', utf8('3'));
      });
      const r2 = await simulate(async (sim) => {
        await sim.setState('cc', 'b', utf8('4'));
        await sim.setStateMetadata('cc', 'c', new Map([['x', utf8('y')]]));
      });
      // A transaction that does not decode is left to validation.
      const block = chain.block([endorserTx(r1.pub), endorserTx(r2.pub), utf8('not a tx')]);
      await ledger.preloadBlockState(block);
      assert.deepEqual(loads, remote ? [['cc/a', 'cc/b', 'cc/c']] : [], `remote ${remote}`);
    }
  });

  it('accepts reads at the committed version and refuses stale ones', async () => {
    await put({ a: '1' });
    const stale = await simulate(async (sim) => {
      await sim.getState('cc', 'a');
      await sim.setState('cc', 'a', utf8('2'));
    });
    await put({ a: '3' });
    const res = await commit([stale.pub]);
    assert.deepEqual([...res.validationCodes], [V.MVCC_READ_CONFLICT]);
    assert.equal(await get('cc', 'a'), '3');
  });

  it('treats a read of a missing key as a read of "no version"', async () => {
    const created = await simulate(async (sim) => {
      await sim.getState('cc', 'new');
      await sim.setState('cc', 'new', utf8('x'));
    });
    const stillMissing = await simulate(async (sim) => {
      await sim.getState('cc', 'other');
      await sim.setState('cc', 'other', utf8('y'));
    });
    const res = await commit([created.pub, stillMissing.pub]);
    assert.deepEqual([...res.validationCodes], [V.VALID, V.VALID]);
    const again = await simulate(async (sim) => {
      await sim.getState('cc', 'absent');
      await sim.setState('cc', 'x', utf8('1'));
    });
    // Someone creates the key before it commits.
    await put({ absent: 'now here' });
    assert.deepEqual([...(await commit([again.pub])).validationCodes], [V.MVCC_READ_CONFLICT]);
  });

  it('refuses a read of a key written by an earlier valid transaction of the same block', async () => {
    await put({ k: 'v0' });
    const t1 = await simulate(async (sim) => {
      await sim.getState('cc', 'k');
      await sim.setState('cc', 'k', utf8('v1'));
    });
    const t2 = await simulate(async (sim) => {
      await sim.getState('cc', 'k');
      await sim.setState('cc', 'k', utf8('v2'));
    });
    const res = await commit([t1.pub, t2.pub]);
    assert.deepEqual([...res.validationCodes], [V.VALID, V.MVCC_READ_CONFLICT]);
    assert.equal(await get('cc', 'k'), 'v1');
  });

  it('ignores transactions the earlier steps marked invalid (their writes do not count)', async () => {
    await put({ k: 'v0' });
    const t1 = await simulate(async (sim) => {
      await sim.getState('cc', 'k');
      await sim.setState('cc', 'k', utf8('v1'));
    });
    const t2 = await simulate(async (sim) => {
      await sim.getState('cc', 'k');
      await sim.setState('cc', 'k', utf8('v2'));
    });
    const res = await commit(
      [t1.pub, t2.pub],
      Uint8Array.of(V.ENDORSEMENT_POLICY_FAILURE, V.VALID),
    );
    assert.deepEqual([...res.validationCodes], [V.ENDORSEMENT_POLICY_FAILURE, V.VALID]);
    assert.equal(await get('cc', 'k'), 'v2');
  });

  it('detects phantoms in raw range reads: inserts, deletes and in-block writes', async () => {
    await put({ a: '1', b: '2', c: '3', z: '26' });
    const scan = async () =>
      simulate(async (sim) => {
        for await (const _ of await sim.getStateRangeScanIterator('cc', 'a', 'd')) void _;
        await sim.setState('cc', 'out', utf8('x'));
      });
    // Untouched range: valid.
    const ok = await scan();
    await put({ y: 'outside' });
    assert.deepEqual([...(await commit([ok.pub])).validationCodes], [V.VALID]);
    // A key inserted in the range by an earlier block.
    const s1 = await scan();
    await put({ bb: 'inserted' });
    assert.deepEqual([...(await commit([s1.pub])).validationCodes], [V.PHANTOM_READ_CONFLICT]);
    // A key deleted from the range by an earlier transaction of the same block.
    const s2 = await scan();
    const del = await simulate((sim) => sim.deleteState('cc', 'b'));
    assert.deepEqual(
      [...(await commit([del.pub, s2.pub])).validationCodes],
      [V.VALID, V.PHANTOM_READ_CONFLICT],
    );
    // A key updated in the range (new version).
    const s3 = await scan();
    await put({ c: 'changed' });
    assert.deepEqual([...(await commit([s3.pub])).validationCodes], [V.PHANTOM_READ_CONFLICT]);
  });

  it('includes the last key read when the iteration stopped early (itr_exhausted false)', async () => {
    await put({ a: '1', b: '2', c: '3', d: '4' });
    const partial = async () =>
      simulate(async (sim) => {
        const itr = await sim.getStateRangeScanIterator('cc', 'a', '');
        await itr.next();
        await itr.next(); // reads a, b, then stops
        await itr.close();
        await sim.setState('cc', 'w', utf8('1'));
      });
    const p1 = await partial();
    await put({ c: 'after the end key' });
    assert.deepEqual([...(await commit([p1.pub])).validationCodes], [V.VALID]);
    const p2 = await partial();
    await put({ b: 'the end key itself' });
    assert.deepEqual([...(await commit([p2.pub])).validationCodes], [V.PHANTOM_READ_CONFLICT]);
  });

  it('detects phantoms through Merkle summaries (more than 50 results)', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 120; i++) many[`k${String(i).padStart(3, '0')}`] = `v${i}`;
    await put(many);
    const scan = async () =>
      simulate(async (sim) => {
        for await (const _ of await sim.getStateRangeScanIterator('cc', 'k', 'l')) void _;
        await sim.setState('cc', 'out', utf8('x'));
      });
    const s0 = await scan();
    const { decodeTxRwSet } = await import('../src/index.js');
    const rqi = decodeTxRwSet(s0.pub).nsRwSets[0]!.kvRwSet.rangeQueriesInfo[0]!;
    assert.equal(rqi.rawReads, undefined);
    assert.equal(rqi.readsMerkleHashes!.maxDegree, 50);
    assert.equal(rqi.readsMerkleHashes!.maxLevel, 1);
    assert.equal(rqi.readsMerkleHashes!.maxLevelHashes.length, 3);
    await put({ x: 'outside' });
    assert.deepEqual([...(await commit([s0.pub])).validationCodes], [V.VALID]);
    const s1 = await scan();
    await put({ k0505: 'inserted in the middle' });
    assert.deepEqual([...(await commit([s1.pub])).validationCodes], [V.PHANTOM_READ_CONFLICT]);
    const s2 = await scan();
    await put({ k119: 'last one updated' });
    assert.deepEqual([...(await commit([s2.pub])).validationCodes], [V.PHANTOM_READ_CONFLICT]);
  });

  it('keeps the latest value on a metadata-only write and the latest metadata on a value-only write', async () => {
    await put({ m: 'value' });
    const meta = await simulate((sim) =>
      sim.setStateMetadata('cc', 'm', new Map([['VALIDATION_PARAMETER', utf8('policy')]])),
    );
    const r1 = await commit([meta.pub]);
    const qe = await ledger.newQueryExecutor();
    try {
      assert.equal(text(await qe.getState('cc', 'm')), 'value');
      assert.equal(
        text((await qe.getStateMetadata('cc', 'm'))?.get('VALIDATION_PARAMETER')),
        'policy',
      );
    } finally {
      qe.done();
    }
    const stored = await (await env.provider.open(TEST_CHANNEL)).getState('cc', 'm');
    assert.deepEqual(stored!.version, { blockNum: r1.blockNumber, txNum: 0 });
    await put({ m: 'new value' });
    const qe2 = await ledger.newQueryExecutor();
    try {
      assert.equal(text(await qe2.getState('cc', 'm')), 'new value');
      assert.equal(
        text((await qe2.getStateMetadata('cc', 'm'))?.get('VALIDATION_PARAMETER')),
        'policy',
      );
    } finally {
      qe2.done();
    }
    // Deleting the metadata, and metadata for a key that does not exist (ignored, as Fabric).
    const del = await simulate(async (sim) => {
      await sim.deleteStateMetadata('cc', 'm');
      await sim.setStateMetadata('cc', 'ghost', { VALIDATION_PARAMETER: utf8('p') });
    });
    const r3 = await commit([del.pub]);
    assert.deepEqual([...r3.validationCodes], [V.VALID]);
    const qe3 = await ledger.newQueryExecutor();
    try {
      assert.equal(await qe3.getStateMetadata('cc', 'm').then((m) => m?.size ?? 0), 0);
      assert.equal(await qe3.getState('cc', 'ghost'), undefined);
    } finally {
      qe3.done();
    }
  });

  it('applies a write with metadata in one transaction with both', async () => {
    const both = await simulate(async (sim) => {
      await sim.setState('cc', 'kb', utf8('v'));
      await sim.setStateMetadata('cc', 'kb', { b: utf8('2'), a: utf8('1') });
    });
    await commit([both.pub]);
    const qe = await ledger.newQueryExecutor();
    try {
      assert.deepEqual(
        [...((await qe.getStateMetadata('cc', 'kb')) ?? new Map()).keys()],
        ['a', 'b'],
      );
    } finally {
      qe.done();
    }
  });

  it('deletes keys', async () => {
    await put({ d: 'x' });
    const del = await simulate(async (sim) => {
      await sim.getState('cc', 'd');
      await sim.deleteState('cc', 'd');
    });
    assert.deepEqual([...(await commit([del.pub])).validationCodes], [V.VALID]);
    assert.equal(await get('cc', 'd'), undefined);
  });

  it('commits private data hashes, and private values when the block brings them', async () => {
    const w = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'secret', utf8('s3cret')));
    assert.ok(w.pvt);
    const r = await commit([w.pub], undefined, new Map([[0, w.pvt]]));
    assert.deepEqual([...r.validationCodes], [V.VALID]);
    const qe = await ledger.newQueryExecutor();
    try {
      assert.equal(text(await qe.getPrivateData('cc', 'coll', 'secret')), 's3cret');
      assert.deepEqual(await qe.getPrivateDataHash('cc', 'coll', 'secret'), sha('s3cret'));
    } finally {
      qe.done();
    }
    const db = await env.provider.open(TEST_CHANNEL);
    const hashed = await db.getState(
      hashedDataNamespace('cc', 'coll'),
      Buffer.from(sha('secret')).toString('latin1'),
    );
    assert.deepEqual(hashed?.value, sha('s3cret'));
    assert.equal(
      text((await db.getState(privateDataNamespace('cc', 'coll'), 'secret'))?.value),
      's3cret',
    );
    // Hashed reads conflict like public ones, within a block too.
    const rd1 = await simulate(async (sim) => {
      await sim.getPrivateDataHash('cc', 'coll', 'secret');
      await sim.setPrivateData('cc', 'coll', 'secret', utf8('v2'));
    });
    const rd2 = await simulate(async (sim) => {
      await sim.getPrivateData('cc', 'coll', 'secret');
      await sim.setState('cc', 'pub', utf8('1'));
    });
    assert.deepEqual(
      [...(await commit([rd1.pub, rd2.pub])).validationCodes],
      [V.VALID, V.MVCC_READ_CONFLICT],
    );
    // Without the private data, the hash moves and the stale private value is no longer served.
    const qe2 = await ledger.newQueryExecutor();
    try {
      assert.deepEqual(await qe2.getPrivateDataHash('cc', 'coll', 'secret'), sha('v2'));
      await assert.rejects(
        qe2.getPrivateData('cc', 'coll', 'secret'),
        (e: LedgerError) => e.code === 'PRIVATE_DATA_NOT_AVAILABLE',
      );
    } finally {
      qe2.done();
    }
  });

  it('refuses private data that does not match its hash, writing nothing', async () => {
    const w = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('v')));
    const other = await simulate((sim) => sim.setPrivateData('cc', 'coll', 'k', utf8('not v')));
    const height = ledger.getBlockchainInfo().height;
    await assert.rejects(
      commit([w.pub], undefined, new Map([[0, other.pvt!]])),
      (e: LedgerError) => e.code === 'BLOCK_UNCOMMITTABLE' && /does not match/.test(e.message),
    );
    assert.equal(Number(ledger.getBlockchainInfo().height), Number(height));
  });

  it('marks writes the state database refuses INVALID_WRITESET (CouchDB rules)', async () => {
    await env.dispose();
    env = ledgerEnv({ rules: 'couchdb' });
    ledger = await env.open();
    chain = new ChainBuilder();
    await ledger.commit(chain.block([configTx()]));
    const bad = rwsetBytes({
      namespace: 'cc',
      kv: { writes: [{ key: '_id', isDelete: false, value: utf8('{}') }] },
    });
    const good = rwsetBytes({
      namespace: 'cc',
      kv: { writes: [{ key: 'fine', isDelete: false, value: utf8('{"a":1}') }] },
    });
    const res = await commit([bad, good]);
    assert.deepEqual([...res.validationCodes], [V.INVALID_WRITESET, V.VALID]);
  });

  it('marks a transaction without a chaincode action NIL_TXACTION and an undecodable rwset INVALID_OTHER_REASON', async () => {
    const nilAction = (() => {
      const payload = common.Payload.encode({
        header: {
          channelHeader: common.ChannelHeader.encode({
            type: common.HeaderType.ENDORSER_TRANSACTION,
            channelId: TEST_CHANNEL,
            txId: 'nil',
          }).finish(),
        },
        data: protos.Transaction.encode({ actions: [] }).finish(),
      }).finish();
      return common.Envelope.encode({ payload }).finish();
    })();
    // A proposal response payload without extension (Go reads an empty bytes field as nil).
    const noExtension = (() => {
      const prp = protos.ProposalResponsePayload.encode({
        proposalHash: Uint8Array.of(1),
      }).finish();
      const cap = protos.ChaincodeActionPayload.encode({
        action: { proposalResponsePayload: prp },
      }).finish();
      const payload = common.Payload.encode({
        header: {
          channelHeader: common.ChannelHeader.encode({
            type: common.HeaderType.ENDORSER_TRANSACTION,
            channelId: TEST_CHANNEL,
            txId: 'noext',
          }).finish(),
        },
        data: protos.Transaction.encode({ actions: [{ payload: cap }] }).finish(),
      }).finish();
      return common.Envelope.encode({ payload }).finish();
    })();
    // A KVWrite whose key is not UTF-8: Go's Unmarshal fails on it.
    const kvrwsetBytes = Uint8Array.of(0x1a, 0x04, 0x0a, 0x02, 0xc3, 0x28);
    const badRwset = Uint8Array.of(
      0x12,
      0x08 + 3,
      0x0a,
      0x02,
      0x63,
      0x63,
      0x12,
      kvrwsetBytes.length,
      ...kvrwsetBytes,
    );
    const block = chain.block([
      nilAction,
      noExtension,
      endorserTx(badRwset),
      endorserTx(
        rwsetBytes({
          namespace: 'cc',
          kv: { writes: [{ key: 'ok', isDelete: false, value: utf8('1') }] },
        }),
      ),
    ]);
    const res = await ledger.commit(block);
    assert.deepEqual(
      [...res.validationCodes],
      [V.NIL_TXACTION, V.NIL_TXACTION, V.INVALID_OTHER_REASON, V.VALID],
    );
  });

  it('refuses a block whose valid transaction is not an envelope, writing nothing', async () => {
    const block = chain.block([Uint8Array.of(0xff, 0xff, 0xff)]);
    await assert.rejects(
      ledger.commit(block),
      (e: LedgerError) => e.code === 'BLOCK_UNCOMMITTABLE',
    );
    assert.equal(Number(ledger.getBlockchainInfo().height), 1);
    // The same bytes marked invalid by the earlier steps commit fine.
    const again = ChainBuilder.after((await ledger.getBlockByNumber(0))!);
    const res = await ledger.commit(
      again.block([Uint8Array.of(0xff, 0xff, 0xff)], Uint8Array.of(V.BAD_PAYLOAD)),
    );
    assert.deepEqual([...res.validationCodes], [V.BAD_PAYLOAD]);
  });

  it('handles a key written twice in one read-write set as Fabric does (flags add up)', async () => {
    await put({ twice: 'committed' });
    const w = { key: 'twice', isDelete: false, value: utf8('new') };
    const res = await commit([rwsetBytes({ namespace: 'cc', kv: { writes: [w, w] } })]);
    assert.deepEqual([...res.validationCodes], [V.VALID]);
    // Two upserts make Fabric's flag 2 (metadata update): the committed value is kept.
    assert.equal(await get('cc', 'twice'), 'committed');
  });

  it('stores a later CONFIG block under the channel config key', async () => {
    const cfg = common.ConfigEnvelope.encode({ config: { sequence: 7 } }).finish();
    const res = await ledger.commit(chain.block([configTx(cfg)]));
    assert.deepEqual([...res.validationCodes], [V.VALID]);
    const qe = await ledger.newQueryExecutor();
    try {
      assert.equal(
        Buffer.from((await qe.getState('', 'CHANNEL_CONFIG_ENV_BYTES'))!).toString('hex'),
        Buffer.from(cfg).toString('hex'),
      );
    } finally {
      qe.done();
    }
  });
});
