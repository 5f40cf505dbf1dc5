// 64-bit integers, bytes, and the small helpers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import Long from 'long';
import {
  computeTxId,
  common,
  google,
  orderer,
  serviceDefinitions,
  timestampFromDate,
  timestampFromMillis,
  timestampToDate,
  timestampToMillis,
} from '../src/index.js';

const MAX_UINT64 = '18446744073709551615';
/** Field 1, varint, 2^64 - 1: ten bytes of varint. */
const MAX_UINT64_FIELD_1 = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

void test('SeekSpecified round-trips MaxUint64 exactly', () => {
  const bytes = orderer.SeekSpecified.encode({ number: Long.MAX_UNSIGNED_VALUE }).finish();
  assert.deepEqual([...bytes], MAX_UINT64_FIELD_1);
  const back = orderer.SeekSpecified.decode(bytes);
  assert.ok(Long.isLong(back.number), 'uint64 decodes to Long');
  assert.equal(back.number.toString(), MAX_UINT64);
  assert.ok((back.number).unsigned);
  assert.equal(orderer.SeekSpecified.toObject(back, { longs: String }).number, MAX_UINT64);
  // From the decimal string, as a config file would give it.
  const fromText = orderer.SeekSpecified.fromObject({ number: MAX_UINT64 });
  assert.deepEqual([...orderer.SeekSpecified.encode(fromText).finish()], MAX_UINT64_FIELD_1);
});

void test('SeekInfo from start to MaxUint64, as the deliver client sends it, survives the gRPC codec', () => {
  const seekInfo = {
    start: { specified: { number: 7 } },
    stop: { specified: { number: Long.MAX_UNSIGNED_VALUE } },
    behavior: orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY,
  };
  const env = { payload: orderer.SeekInfo.encode(seekInfo).finish(), signature: Buffer.from('sig') };
  const deliver = serviceDefinitions['orderer.AtomicBroadcast'].deliver;
  const decodedEnv = deliver.requestDeserialize(deliver.requestSerialize(env));
  const decoded = orderer.SeekInfo.decode(decodedEnv.payload);
  assert.equal(String(decoded.stop?.specified?.number), MAX_UINT64);
  assert.equal(String(decoded.start?.specified?.number), '7');
  assert.equal(decoded.stop?.Type, 'specified', 'oneof member name is reported');
  assert.deepEqual(Buffer.from(orderer.SeekInfo.encode(decoded).finish()), Buffer.from(env.payload));
});

void test('int64 decodes to a signed Long; bytes decode to Buffer', () => {
  const ts = google.protobuf.Timestamp.decode(
    google.protobuf.Timestamp.encode({ seconds: Long.fromString('-9223372036854775808') }).finish(),
  );
  assert.ok(Long.isLong(ts.seconds));
  assert.equal(ts.seconds.toString(), '-9223372036854775808');
  const header = common.BlockHeader.decode(
    common.BlockHeader.encode({ number: 1, previousHash: Buffer.from([1, 2, 3]) }).finish(),
  );
  assert.ok(Buffer.isBuffer(header.previousHash), 'bytes decoded from a Buffer are Buffers');
  assert.ok(Long.isLong(header.number));
});

void test('computeTxId is the hex SHA-256 of nonce then creator', () => {
  // SHA-256("abc"), the FIPS 180-2 test vector, split between nonce and creator.
  assert.equal(
    computeTxId(Buffer.from('ab'), Buffer.from('c')),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(
    computeTxId(new Uint8Array(0), new Uint8Array(0)),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  const nonce = Buffer.from('00112233445566778899aabbccddeeff0011223344556677', 'hex');
  const creator = Buffer.from('creator bytes');
  assert.equal(
    computeTxId(nonce, creator),
    createHash('sha256').update(Buffer.concat([nonce, creator])).digest('hex'),
  );
});

void test('timestamps: Date and milliseconds to google.protobuf.Timestamp and back', () => {
  const date = new Date('2026-11-21T06:36:46.301Z');
  const ts = timestampFromDate(date);
  assert.equal(ts.seconds.toString(), String(Math.floor(date.getTime() / 1000)));
  assert.equal(ts.nanos, 301_000_000);
  assert.equal(timestampToDate(ts).toISOString(), date.toISOString());
  // Before the epoch: seconds floor, nanos stay positive, as protobuf requires.
  const before = timestampFromMillis(-1500);
  assert.equal(before.seconds.toString(), '-2');
  assert.equal(before.nanos, 500_000_000);
  assert.equal(timestampToMillis(before), -1500);
  // Sub-millisecond nanos are dropped on the way back.
  assert.equal(timestampToMillis({ seconds: 1, nanos: 999_999 }), 1000);
  assert.equal(timestampToMillis({}), 0);
  assert.throws(() => timestampFromMillis(Number.NaN), RangeError);
  // And it is a real Timestamp on the wire: field 1 seconds, field 2 nanos.
  const wire = google.protobuf.Timestamp.encode(timestampFromMillis(1_500)).finish();
  assert.deepEqual([...wire], [0x08, 0x01, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01]);
});
