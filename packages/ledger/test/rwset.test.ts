// Read-write set building, encoding and Go-compatible decoding; ordered varints; the range-query
// Merkle summary, with expectations computed here from Fabric's algorithm and constants.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { Long, kvrwset, rwset } from '@fabric-peer/protos';
import {
  MAX_DEGREE_QUERY_READS_HASHING,
  RangeQueryResultsHelper,
  WireError,
  decodeKVRWSet,
  decodeOrderedVarUint64,
  decodeTxRwSet,
  encodeKVRWSet,
  encodeOrderedVarUint64,
  heightFromBytes,
  heightToBytes,
  newRWSetBuilder,
  type KVRead,
} from '../src/index.js';

const sha = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
/** Byte arrays as hex, so Buffers and Uint8Arrays compare equal. */
const norm = (x: unknown): unknown =>
  x instanceof Uint8Array
    ? hex(x)
    : Array.isArray(x)
      ? x.map(norm)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, norm(y)]))
        : x;
const v = (blockNum: number, txNum: number) => ({
  blockNum: BigInt(blockNum),
  txNum: BigInt(txNum),
});

describe('ordered varints (Fabric common/ledger/util)', () => {
  it('encodes the size byte then the big-endian significant bytes', () => {
    assert.equal(hex(encodeOrderedVarUint64(0)), '00');
    assert.equal(hex(encodeOrderedVarUint64(1)), '0101');
    assert.equal(hex(encodeOrderedVarUint64(255)), '01ff');
    assert.equal(hex(encodeOrderedVarUint64(256)), '020100');
    assert.equal(hex(encodeOrderedVarUint64((1n << 64n) - 1n)), '08ffffffffffffffff');
  });

  it('preserves numeric order in byte order', () => {
    const nums = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const enc = nums.map((n) => Buffer.from(encodeOrderedVarUint64(n)));
    for (let i = 1; i < enc.length; i++) assert.ok(Buffer.compare(enc[i - 1]!, enc[i]!) < 0);
  });

  it("decodes and refuses what Fabric's decoder refuses", () => {
    assert.deepEqual(decodeOrderedVarUint64(Uint8Array.of(2, 1, 0, 9)), {
      value: 256n,
      consumed: 3,
    });
    assert.throws(
      () => decodeOrderedVarUint64(Uint8Array.of(9, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
      /expected <=8/,
    );
    assert.throws(() => decodeOrderedVarUint64(Uint8Array.of(3, 1)), /more than available bytes/);
    assert.throws(() => decodeOrderedVarUint64(Uint8Array.of(0x80, 1)), /DecodeVarint/);
  });

  it('encodes heights as two ordered varints', () => {
    assert.equal(hex(heightToBytes({ blockNum: 86, txNum: 1 })), '01560101');
    assert.deepEqual(heightFromBytes(Uint8Array.of(1, 0x56, 1, 1)), { blockNum: 86, txNum: 1 });
  });
});

describe('RWSetBuilder', () => {
  it('sorts namespaces and keys by UTF-8 bytes, not UTF-16 units', () => {
    const b = newRWSetBuilder();
    for (const k of ['\u{1F600}', '\uFFFF', 'b', 'a']) b.addToWriteSet('ns', k, utf8('x'));
    b.addToReadSet('z', 'k', undefined);
    b.addToReadSet('\u{1F600}', 'k', undefined);
    b.addToReadSet('\uFFFF', 'k', undefined);
    const { pub } = b.build();
    assert.deepEqual(
      pub.nsRwSets.map((n) => n.namespace),
      ['ns', 'z', '\uFFFF', '\u{1F600}'],
    );
    assert.deepEqual(
      pub.nsRwSets[0]!.kvRwSet.writes.map((w) => w.key),
      ['a', 'b', '\uFFFF', '\u{1F600}'],
    );
  });

  it('keeps one read per key (the last recorded) and the last write of a key', () => {
    const b = newRWSetBuilder();
    b.addToReadSet('ns', 'k', v(1, 0));
    b.addToReadSet('ns', 'k', v(2, 3));
    b.addToWriteSet('ns', 'w', utf8('first'));
    b.addToWriteSet('ns', 'w', utf8('second'));
    b.addToWriteSet('ns', 'd', utf8('x'));
    b.addToWriteSet('ns', 'd', undefined);
    b.addToWriteSet('ns', 'e', new Uint8Array(0));
    const kv = b.build().pub.nsRwSets[0]!.kvRwSet;
    assert.deepEqual(kv.reads, [{ key: 'k', version: v(2, 3) }]);
    assert.deepEqual(
      kv.writes.map((w) => [w.key, w.isDelete, Buffer.from(w.value).toString()]),
      [
        ['d', true, ''],
        ['e', true, ''],
        ['w', false, 'second'],
      ],
    );
  });

  it('encodes like Go: no version for a missing key, an empty Version for {0,0}, deletes as is_delete', () => {
    const b = newRWSetBuilder();
    b.addToReadSet('ns', 'missing', undefined);
    b.addToReadSet('ns', 'genesis', v(0, 0));
    b.addToWriteSet('ns', 'gone', undefined);
    const tx = rwset.TxReadWriteSet.decode(b.build().publicRwset);
    assert.equal(tx.dataModel, 0);
    const kvBytes = tx.nsRwset[0]!.rwset!;
    // reads: {key "genesis", version {}} then {key "missing"}; writes: {key "gone", is_delete}
    assert.equal(
      hex(kvBytes),
      '0a0b' +
        '0a07' +
        hex(utf8('genesis')) +
        '1200' +
        '0a09' +
        '0a07' +
        hex(utf8('missing')) +
        '1a08' +
        '0a04' +
        hex(utf8('gone')) +
        '1001',
    );
  });

  it('sorts metadata entries by name and dedups range queries by (start, end, exhausted)', () => {
    const b = newRWSetBuilder();
    b.addToMetadataWriteSet(
      'ns',
      'k',
      new Map([
        ['z', utf8('1')],
        ['a', utf8('2')],
      ]),
    );
    b.addToMetadataWriteSet('ns', 'none', undefined);
    b.addToRangeQuerySet('ns', { startKey: 'a', endKey: 'c', itrExhausted: true });
    b.addToRangeQuerySet('ns', { startKey: 'a', endKey: 'b', itrExhausted: false });
    b.addToRangeQuerySet('ns', {
      startKey: 'a',
      endKey: 'c',
      itrExhausted: true,
      rawReads: [{ key: 'x' }],
    });
    const kv = b.build().pub.nsRwSets[0]!.kvRwSet;
    assert.deepEqual(
      kv.metadataWrites.map((m) => [m.key, m.entries.map((e) => e.name)]),
      [
        ['k', ['a', 'z']],
        ['none', []],
      ],
    );
    assert.deepEqual(
      kv.rangeQueriesInfo.map((q) => [q.endKey, q.itrExhausted, q.rawReads]),
      [
        ['c', true, undefined],
        ['b', false, undefined],
      ],
    );
  });

  it('hashes private writes into the public set and keeps values in the private set', () => {
    const b = newRWSetBuilder();
    b.addToPvtAndHashedWriteSet('cc', 'coll', 'k2', utf8('v2'));
    b.addToPvtAndHashedWriteSet('cc', 'coll', 'k1', utf8('v1'));
    b.addToPvtAndHashedWriteSet('cc', 'coll', 'gone', undefined);
    b.addToPvtAndHashedWriteSetForPurge('cc', 'coll', 'purged');
    b.addToHashedReadSet('cc', 'coll', 'r', v(4, 1));
    b.addToHashedMetadataWriteSet('cc', 'coll', 'k1', { VALIDATION_PARAMETER: utf8('p') });
    const out = b.build();
    const coll = out.pub.nsRwSets[0]!.collHashedRwSets[0]!;
    // Ordered by the plain key, as Fabric's builder maps are keyed.
    assert.deepEqual(
      coll.hashedRwSet.hashedWrites.map((w) => hex(w.keyHash)),
      ['gone', 'k1', 'k2', 'purged'].map((k) => hex(sha(k))),
    );
    const [gone, k1, , purged] = coll.hashedRwSet.hashedWrites;
    assert.deepEqual([gone!.isDelete, gone!.valueHash.length], [true, 0]);
    assert.equal(hex(k1!.valueHash), hex(sha('v1')));
    assert.deepEqual([purged!.isDelete, purged!.isPurge], [true, true]);
    assert.deepEqual(coll.hashedRwSet.hashedReads, [{ keyHash: sha('r'), version: v(4, 1) }]);
    assert.equal(hex(coll.hashedRwSet.metadataWrites[0]!.keyHash), hex(sha('k1')));
    const pvt = out.pvt!.nsPvtRwSets[0]!.collPvtRwSets[0]!;
    assert.deepEqual(
      pvt.kvRwSet.writes.map((w) => w.key),
      ['gone', 'k1', 'k2', 'purged'],
    );
    assert.deepEqual(pvt.kvRwSet.metadataWrites, [{ key: 'k1', entries: [] }]);
    assert.equal(hex(coll.pvtRwSetHash!), hex(sha(pvt.rwsetBytes)));
    assert.equal(hex(pvt.rwsetBytes), hex(encodeKVRWSet(pvt.kvRwSet)));
    const pvtProto = rwset.TxPvtReadWriteSet.decode(out.privateRwset!);
    assert.equal(pvtProto.nsPvtRwset[0]!.collectionPvtRwset![0]!.collectionName, 'coll');
  });

  it('has no private set without private writes, and no hash for a hashed-read-only collection', () => {
    const b = newRWSetBuilder();
    b.addToHashedReadSet('cc', 'coll', 'k', undefined);
    const out = b.build();
    assert.equal(out.pvt, undefined);
    assert.equal(out.pub.nsRwSets[0]!.collHashedRwSets[0]!.pvtRwSetHash, undefined);
  });
});

describe('read-write set decoding with Go semantics', () => {
  it('round-trips what the builder encodes', () => {
    const b = newRWSetBuilder();
    b.addToReadSet('ns', 'r', v(7, 2));
    b.addToWriteSet('ns', 'w', utf8('v'));
    b.addToRangeQuerySet('ns', {
      startKey: 'a',
      endKey: 'z',
      itrExhausted: true,
      readsMerkleHashes: { maxDegree: 50, maxLevel: 2, maxLevelHashes: [sha('x')] },
    });
    b.addToPvtAndHashedWriteSet('ns', 'c', 'k', utf8('v'));
    const out = b.build();
    assert.deepEqual(norm(decodeTxRwSet(out.publicRwset)), norm(out.pub));
  });

  it('refuses a string that is not UTF-8 (Go proto3 strings) and keeps a BOM', () => {
    const badKey = Uint8Array.of(0x1a, 0x04, 0x0a, 0x02, 0xc3, 0x28); // writes[0].key = c3 28
    assert.throws(() => decodeKVRWSet(badKey), WireError);
    const surrogate = Uint8Array.of(0x1a, 0x05, 0x0a, 0x03, 0xed, 0xa0, 0x80);
    assert.throws(() => decodeKVRWSet(surrogate), WireError);
    const bom = Uint8Array.of(0x1a, 0x06, 0x0a, 0x04, 0xef, 0xbb, 0xbf, 0x61);
    assert.equal(decodeKVRWSet(bom).writes[0]!.key, '\uFEFFa');
  });

  it('treats a known field with another wire type as unknown, and skips unknown fields and groups', () => {
    // KVWrite{key: varint 5 (wrong type), value "v", field 9 varint, group 10 {field 1 varint}}
    const write = Uint8Array.of(0x08, 0x05, 0x1a, 0x01, 0x76, 0x48, 0x01, 0x53, 0x08, 0x01, 0x54);
    const set = Uint8Array.of(0x1a, write.length, ...write);
    const w = decodeKVRWSet(set).writes[0]!;
    assert.equal(w.key, '');
    assert.equal(Buffer.from(w.value).toString(), 'v');
  });

  it('merges a singular message field seen twice, and reads a zero-length bytes field as absent', () => {
    // KVRead{key "k", version {block_num 3}, version {tx_num 4}}
    const read = Uint8Array.of(0x0a, 0x01, 0x6b, 0x12, 0x02, 0x08, 0x03, 0x12, 0x02, 0x10, 0x04);
    assert.deepEqual(decodeKVRWSet(Uint8Array.of(0x0a, read.length, ...read)).reads[0], {
      key: 'k',
      version: v(3, 4),
    });
    // CollectionHashedReadWriteSet{collection_name "c", pvt_rwset_hash ""}
    const coll = Uint8Array.of(0x0a, 0x01, 0x63, 0x1a, 0x00);
    const ns = Uint8Array.of(0x0a, 0x01, 0x6e, 0x1a, coll.length, ...coll);
    const tx = Uint8Array.of(0x12, ns.length, ...ns);
    assert.equal(decodeTxRwSet(tx).nsRwSets[0]!.collHashedRwSets[0]!.pvtRwSetHash, undefined);
  });

  it('refuses truncated data, field number 0, overlong varints and unbalanced groups', () => {
    assert.throws(() => decodeKVRWSet(Uint8Array.of(0x0a, 0x05, 0x0a)), WireError);
    assert.throws(() => decodeKVRWSet(Uint8Array.of(0x00, 0x01)), WireError);
    assert.throws(
      () =>
        decodeKVRWSet(
          Uint8Array.of(0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02),
        ),
      WireError,
    );
    assert.throws(() => decodeKVRWSet(Uint8Array.of(0x53, 0x08, 0x01)), WireError);
    assert.throws(() => decodeKVRWSet(Uint8Array.of(0x54)), WireError);
  });
});

describe("range query results: Fabric's RangeQueryResultsHelper (max degree 50)", () => {
  const reads = (n: number): KVRead[] =>
    Array.from({ length: n }, (_, i) => ({
      key: `key${String(i).padStart(5, '0')}`,
      version: v(1, i),
    }));
  const leaf = (rs: readonly KVRead[]) =>
    sha(
      kvrwset.QueryReads.encode({
        kvReads: rs.map((r) => ({
          key: r.key,
          version: {
            ...(r.version!.blockNum !== 0n
              ? { blockNum: Long.fromString(r.version!.blockNum.toString(), true) }
              : {}),
            ...(r.version!.txNum !== 0n
              ? { txNum: Long.fromString(r.version!.txNum.toString(), true) }
              : {}),
          },
        })),
      }).finish(),
    );
  const combine = (hs: readonly Uint8Array[]) => sha(Buffer.concat(hs));
  const run = (n: number) => {
    const h = new RangeQueryResultsHelper(true, MAX_DEGREE_QUERY_READS_HASHING, sha);
    for (const r of reads(n)) h.addResult(r);
    return h.done();
  };

  it('uses 50 as the max degree', () => {
    assert.equal(MAX_DEGREE_QUERY_READS_HASHING, 50);
  });

  it('keeps up to 50 reads raw', () => {
    const r = run(50);
    assert.equal(r.summary, undefined);
    assert.equal(r.reads.length, 50);
    assert.deepEqual(run(0), { reads: [] });
  });

  it('hashes 51 reads into one leaf at level 1', () => {
    const r = run(51);
    assert.deepEqual(r.reads, []);
    assert.deepEqual(r.summary, { maxDegree: 50, maxLevel: 1, maxLevelHashes: [leaf(reads(51))] });
  });

  it('hashes the last partial batch at done (150 reads: three leaves)', () => {
    const rs = reads(150);
    assert.deepEqual(run(150).summary, {
      maxDegree: 50,
      maxLevel: 1,
      maxLevelHashes: [leaf(rs.slice(0, 51)), leaf(rs.slice(51, 102)), leaf(rs.slice(102))],
    });
  });

  it('combines 51 leaves into a level-2 node (2601 reads)', () => {
    const rs = reads(2601);
    const leaves = Array.from({ length: 51 }, (_, i) => leaf(rs.slice(i * 51, i * 51 + 51)));
    assert.deepEqual(run(2601).summary, {
      maxDegree: 50,
      maxLevel: 2,
      maxLevelHashes: [combine(leaves)],
    });
  });

  it('folds lower levels up at done (3000 reads)', () => {
    const rs = reads(3000);
    const leaves = Array.from({ length: 59 }, (_, i) =>
      leaf(rs.slice(i * 51, Math.min(3000, i * 51 + 51))),
    );
    const first = combine(leaves.slice(0, 51));
    const rest = combine(leaves.slice(51));
    assert.deepEqual(run(3000).summary, {
      maxDegree: 50,
      maxLevel: 2,
      maxLevelHashes: [first, rest],
    });
  });

  it('refuses a max degree below 2', () => {
    assert.throws(() => new RangeQueryResultsHelper(true, 1, sha), /should not be less than 2/);
  });
});
