import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeHeight,
  decodeValue,
  encodeHeight,
  encodeValue,
  NamespaceKeys,
} from '../src/encoding.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('heights', () => {
  it('encode as Fabric’s order-preserving var-uints', () => {
    assert.equal(hex(encodeHeight({ blockNum: 0, txNum: 0 })), '0000');
    assert.equal(hex(encodeHeight({ blockNum: 1, txNum: 255 })), '010101ff');
    assert.equal(hex(encodeHeight({ blockNum: 256, txNum: 65536 })), '020100' + '03010000');
    assert.equal(
      hex(encodeHeight({ blockNum: Number.MAX_SAFE_INTEGER, txNum: 1 })),
      '071fffffffffffff' + '0101',
    );
  });

  it('decode what they encode, and sort in height order', () => {
    const heights = [
      [0, 0],
      [0, 1],
      [1, 0],
      [255, 9],
      [256, 0],
      [2 ** 40, 3],
      [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ] as const;
    const encoded = heights.map(([blockNum, txNum]) => encodeHeight({ blockNum, txNum }));
    encoded.forEach((e, i) =>
      assert.deepEqual(decodeHeight(e), { blockNum: heights[i]?.[0], txNum: heights[i]?.[1] }),
    );
    for (let i = 1; i < encoded.length; i++)
      assert.ok(Buffer.compare(encoded[i - 1]!, encoded[i]!) < 0);
  });

  it('refuse what a JavaScript number cannot hold', () => {
    assert.throws(() => encodeHeight({ blockNum: 2 ** 53, txNum: 0 }), RangeError);
    assert.throws(() => encodeHeight({ blockNum: 1.5, txNum: 0 }), RangeError);
    assert.throws(
      () => decodeHeight(Buffer.from('08ffffffffffffffff00', 'hex')),
      /MAX_SAFE_INTEGER/,
    );
    assert.throws(() => decodeHeight(Buffer.from('0901', 'hex')), /malformed/);
  });
});

describe('values', () => {
  it('encode as Fabric’s DBValue protobuf, and decode back', () => {
    const v = encodeValue(
      Buffer.from('value'),
      Buffer.from('meta'),
      { blockNum: 3, txNum: 4 },
      'k',
    );
    assert.equal(hex(v), '0a0401030104' + '120576616c7565' + '1a046d657461');
    assert.deepEqual(decodeValue(v, true), {
      value: new Uint8Array(Buffer.from('value')),
      metadata: new Uint8Array(Buffer.from('meta')),
      version: { blockNum: 3, txNum: 4 },
    });
  });

  it('leave empty fields out, and read them back as an empty value and no metadata', () => {
    const v = encodeValue(new Uint8Array(0), new Uint8Array(0), { blockNum: 0, txNum: 0 }, 'k');
    assert.equal(hex(v), '0a020000');
    const d = decodeValue(v, false);
    assert.equal(d.value.length, 0);
    assert.equal('metadata' in d, false);
  });

  it('use multi-byte lengths for large values', () => {
    const big = Buffer.alloc(300_000, 7);
    const v = encodeValue(big, undefined, { blockNum: 1, txNum: 1 }, 'k');
    assert.equal(hex(v.subarray(0, 10)), '0a0401010101' + '12e0a712');
    assert.ok(Buffer.from(decodeValue(v, false).value).equals(big));
  });

  it('copy out of the stored bytes when asked to', () => {
    const stored = encodeValue(Buffer.from('abc'), undefined, { blockNum: 1, txNum: 0 }, 'k');
    const copy = decodeValue(stored, true);
    const view = decodeValue(stored, false);
    stored.fill(0, stored.length - 3);
    assert.equal(Buffer.from(copy.value).toString(), 'abc');
    assert.equal(Buffer.from(view.value).toString(), '\0\0\0');
  });

  it('skip fields they do not know, and refuse truncated records', () => {
    const v = Buffer.concat([
      Buffer.from('0a020000', 'hex'),
      Buffer.from('2001', 'hex'),
      Buffer.from('2a0178', 'hex'),
    ]);
    assert.deepEqual(decodeValue(v, true).version, { blockNum: 0, txNum: 0 });
    assert.throws(() => decodeValue(Buffer.from('0a0500', 'hex'), true), /truncated/);
    assert.throws(
      () => decodeValue(Buffer.from('1201', 'hex').subarray(0, 2), true),
      /truncated|no version/,
    );
  });
});

describe('namespace keys', () => {
  it('bound a namespace by 0x00 and 0x01 after its name', () => {
    const k = new NamespaceKeys('ch', 'ns');
    assert.equal(k.prefix.toString('latin1'), 'ch\u0000dns\u0000');
    assert.equal(k.end.toString('latin1'), 'ch\u0000dns\u0001');
    assert.equal(hex(k.dataKey('é😀')), hex(Buffer.concat([k.prefix, Buffer.from('é😀')])));
    assert.equal(k.keyOf(k.dataKey('é😀\u0000x')), 'é😀\u0000x');
  });
});
