// The history database: Fabric v2.5's key encoding, what is recorded (valid endorser transactions'
// public writes only) and the order of GetHistoryForKey (newest first), over the corpus.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { timestampToMillis } from '@fabric-peer/protos';
import {
  historyDataKey,
  historyKeyPrefix,
  decodeHistoryHeight,
  type KeyModification,
  type KvLedger,
} from '../src/index.js';
import {
  CORPUS_CHANNEL,
  CORPUS_HEIGHT,
  filterOf,
  peerBlock,
  validationCodes,
  withFilter,
  workload,
} from '../test-support/corpus.js';
import { ChainBuilder, configTx, endorserTx, rwsetBytes, utf8 } from '../test-support/blocks.js';
import { ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('history keys (Fabric v2.5 kv_encoding.go)', () => {
  it('is ns 0x00 ovarint(len(key)) key 0x00 ovarint(block) ovarint(tx)', () => {
    assert.equal(
      hex(historyDataKey('ns', 'key', 1, 2)),
      hex(Buffer.from('ns')) + '00' + '0103' + hex(Buffer.from('key')) + '00' + '0101' + '0102',
    );
    assert.equal(
      hex(historyDataKey('basic', 'asset001', 300, 0)),
      hex(Buffer.from('basic')) + '000108' + hex(Buffer.from('asset001')) + '00' + '02012c' + '00',
    );
    // The length counts UTF-8 bytes.
    assert.equal(hex(historyKeyPrefix('n', 'é')), '6e00' + '0102' + 'c3a9' + '00');
  });

  it('decodes the height and refuses extra bytes', () => {
    const prefix = historyKeyPrefix('ns', 'k');
    assert.deepEqual(decodeHistoryHeight(prefix, historyDataKey('ns', 'k', 70000, 5)), {
      blockNum: 70000,
      tranNum: 5,
    });
    assert.throws(
      () => decodeHistoryHeight(prefix, Uint8Array.from([...historyDataKey('ns', 'k', 1, 1), 0])),
      /not equal to the length/,
    );
  });

  it('keeps the keys of one key together and in height order, apart from keys it prefixes', () => {
    const keys = [
      historyDataKey('ns', 'a', 2, 0),
      historyDataKey('ns', 'a', 10, 1),
      historyDataKey('ns', 'a', 256, 0),
      historyDataKey('ns', 'ab', 1, 0),
    ].map((k) => Buffer.from(k));
    const sorted = [...keys].sort((a, b) => Buffer.compare(a, b));
    assert.deepEqual(
      sorted.map((k) => k.toString('hex')),
      keys.map((k) => k.toString('hex')),
    );
  });
});

describe('history over the corpus', () => {
  let env: LedgerEnv;
  let ledger: KvLedger;

  async function history(ns: string, key: string): Promise<KeyModification[]> {
    const itr = await ledger.newHistoryQueryExecutor()!.getHistoryForKey(ns, key);
    const out: KeyModification[] = [];
    for await (const m of itr) out.push(m);
    return out;
  }

  const txTime = (block: number) =>
    Date.parse(validationCodes()[block]!.transactions[0]!.timestamp);

  before(async () => {
    env = ledgerEnv({ channelId: CORPUS_CHANNEL });
    ledger = await env.open();
    for (let n = 0; n < CORPUS_HEIGHT; n++) {
      const fabric = peerBlock(n);
      const input = Uint8Array.from(filterOf(fabric), (c) => (c === 11 ? 0 : c));
      await ledger.commit(withFilter(fabric, input));
    }
  });

  after(async () => {
    await env.dispose();
  });

  it('returns the modifications of a key newest first, with txid, value and timestamp', async () => {
    const steps = workload();
    const created = steps.find((s) => s.fn === 'CreateAsset' && s.args[0] === 'asset001')!;
    const updated = steps.find((s) => s.fn === 'UpdateAsset' && s.args[0] === 'asset001')!;
    const mods = await history('basic', 'asset001');
    assert.deepEqual(
      mods.map((m) => m.txId),
      [updated.txid, created.txid],
    );
    assert.match(Buffer.from(mods[0]!.value).toString(), /"Color":"purple","Size":21/);
    assert.match(Buffer.from(mods[1]!.value).toString(), /"Color":"red","Size":6/);
    assert.deepEqual(
      mods.map((m) => m.isDelete),
      [false, false],
    );
    assert.equal(timestampToMillis(mods[0]!.timestamp!), txTime(updated.block!));
    assert.equal(timestampToMillis(mods[1]!.timestamp!), txTime(created.block!));
  });

  it('records deletes with is_delete and an empty value', async () => {
    const mods = await history('basic', 'asset041');
    assert.deepEqual(
      mods.map((m) => [m.isDelete, m.value.length]),
      [
        [true, 0],
        [false, Buffer.from(mods[1]!.value).length],
      ],
    );
    assert.ok(mods[1]!.value.length > 0);
  });

  it('leaves out invalid transactions (MVCC conflict, endorsement policy failure)', async () => {
    assert.deepEqual((await history('basic', 'asset030')).length, 2); // create (33), update (84); not 85
    assert.deepEqual((await history('basic', 'asset031')).length, 1); // create (34); not 86
  });

  it('records writes of any namespace of valid endorser transactions, not CONFIG', async () => {
    const seq = await history('_lifecycle', 'namespaces/fields/basic/Sequence');
    assert.equal(seq.length, 1);
    assert.equal(seq[0]!.txId, validationCodes()[3]!.transactions[0]!.txid);
    assert.deepEqual(await history('', 'CHANNEL_CONFIG_ENV_BYTES'), []);
    assert.deepEqual(await history('basic', 'never-written'), []);
  });

  it("lays out the LevelDB as Fabric's leveldbhelper: channel 0x00 key, savepoint, format", async () => {
    await env.closeAll();
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(env.dir, 'historyLeveldb'), {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    try {
      const ch = (k: Uint8Array) => Uint8Array.from([...Buffer.from(CORPUS_CHANNEL), 0, ...k]);
      assert.equal(
        Buffer.from((await db.get(Uint8Array.from([0x5f, 0, 0x66])))!).toString(),
        '2.0',
      );
      // Savepoint: block 86, 1 transaction.
      assert.equal(hex((await db.get(ch(Uint8Array.of(0x73))))!), '01560101');
      const asset001 = await db.get(ch(historyDataKey('basic', 'asset001', 4, 0)));
      assert.equal(asset001?.length, 0);
      assert.equal(await db.get(ch(historyDataKey('basic', 'asset030', 85, 0))), undefined);
      let count = 0;
      for await (const _ of db.keys()) count++;
      // format + savepoint + one key per public write of each valid endorser transaction.
      const writes = validationCodes().reduce(
        (n, b) =>
          n +
          b.transactions
            .filter((t) => t.validation_code_value === 0 && t.type === 'ENDORSER_TRANSACTION')
            .map((t) => (t.rwset ?? []).reduce((m, ns) => m + ns.writes.length, 0))
            .reduce((x, y) => x + y, 0),
        0,
      );
      assert.equal(count, 2 + writes);
    } finally {
      await db.close();
    }
  });
});

describe('history on synthetic blocks', () => {
  let env: LedgerEnv;
  after(async () => {
    await env.dispose();
  });

  it('leaves out private writes and metadata-only writes', async () => {
    env = ledgerEnv();
    const ledger = await env.open();
    const chain = new ChainBuilder();
    await ledger.commit(chain.block([configTx()]));
    const sim = await ledger.newTxSimulator('t');
    await sim.setState('cc', 'pub', utf8('1'));
    await sim.setPrivateData('cc', 'coll', 'secret', utf8('s'));
    const r = await sim.getTxSimulationResults();
    sim.done();
    const meta = rwsetBytes({
      namespace: 'cc',
      kv: { metadataWrites: [{ key: 'pub', entries: [{ name: 'x', value: utf8('y') }] }] },
    });
    await ledger.commit(chain.block([endorserTx(r.publicRwset), endorserTx(meta)]));
    const h = ledger.newHistoryQueryExecutor()!;
    const mods: KeyModification[] = [];
    for await (const m of await h.getHistoryForKey('cc', 'pub')) mods.push(m);
    assert.equal(mods.length, 1);
    const none: KeyModification[] = [];
    for await (const m of await h.getHistoryForKey('cc', 'secret')) none.push(m);
    assert.deepEqual(none, []);
  });
});
