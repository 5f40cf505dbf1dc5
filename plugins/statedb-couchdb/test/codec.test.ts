import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeVersionAndMetadata,
  encodeVersionAndMetadata,
  fromCouchDoc,
  heightFromBytes,
  heightToBytes,
  keyValueProblem,
  toCouchDoc,
} from '../src/codec.js';
import { goMarshal, jsonObjectOf } from '../src/go-json.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('~version: heights and metadata as Fabric encodes them', () => {
  it('encodes heights with the order-preserving varint', () => {
    assert.deepEqual([...heightToBytes({ blockNum: 1, txNum: 2 })], [1, 1, 1, 2]);
    assert.deepEqual([...heightToBytes({ blockNum: 0, txNum: 0 })], [0, 0]);
    assert.deepEqual([...heightToBytes({ blockNum: 65536, txNum: 300 })], [3, 1, 0, 0, 2, 1, 44]);
    const big = { blockNum: Number.MAX_SAFE_INTEGER, txNum: 7 };
    assert.deepEqual(heightFromBytes(heightToBytes(big)), big);
  });

  it('writes base64 of VersionAndMetadata{version, metadata}', () => {
    const table: [number, number, string | undefined, string][] = [
      [1, 2, undefined, 'CgQBAQEC'],
      [0, 0, undefined, 'CgIAAA=='],
      [1, 2, 'md', 'CgQBAQECEgJtZA=='],
      [65536, 300, undefined, 'CgcDAQAAAgEs'],
    ];
    for (const [blockNum, txNum, md, expected] of table) {
      const s = encodeVersionAndMetadata(
        { blockNum, txNum },
        md === undefined ? undefined : enc(md),
      );
      assert.equal(s, expected);
      const back = decodeVersionAndMetadata(s);
      assert.deepEqual(back.version, { blockNum, txNum });
      assert.equal(back.metadata && dec(back.metadata), md);
    }
    // Empty metadata is no metadata, as in proto3.
    assert.equal(encodeVersionAndMetadata({ blockNum: 1, txNum: 2 }, new Uint8Array()), 'CgQBAQEC');
  });

  it('refuses a ~version that is not one', () => {
    assert.throws(() => decodeVersionAndMetadata(''));
    assert.throws(() => decodeVersionAndMetadata('CgQBAQ=='));
  });
});

describe("key and value rules (Fabric's validateKey, validateValue)", () => {
  const ok = enc('plain bytes');
  it('accepts ordinary keys and values', () => {
    assert.equal(keyValueProblem('k', ok), undefined);
    assert.equal(keyValueProblem('a_b~c', enc('{"a":1,"b~":{"_nested":1}}')), undefined);
    assert.equal(keyValueProblem('k', enc('["_x"]')), undefined);
    assert.equal(keyValueProblem('k', enc('null')), undefined);
    assert.equal(keyValueProblem('\u{1F600}', ok), undefined);
  });

  it('refuses keys CouchDB cannot hold, with Fabric’s messages', () => {
    assert.equal(
      keyValueProblem('', ok),
      'invalid key. Empty string is not supported as a key by couchdb',
    );
    assert.equal(keyValueProblem('_id', ok), 'invalid key [_id], cannot begin with "_"');
    assert.equal(keyValueProblem('a\ud800', ok), 'invalid key [61efbfbd], must be a UTF-8 string');
  });

  it('refuses JSON objects with ~version or _ fields at the top level', () => {
    assert.equal(
      keyValueProblem('k', enc('{"~version":"x"}')),
      'field [~version] is not valid for the CouchDB state database',
    );
    assert.equal(
      keyValueProblem('k', enc(' {"a":1,"_rev":"1-x"}')),
      'field [_rev] is not valid for the CouchDB state database',
    );
    // Not JSON objects for Go: a BOM, a number Go cannot hold.
    assert.equal(keyValueProblem('k', enc('\ufeff{"_id":1}')), undefined);
    assert.equal(keyValueProblem('k', enc('{"_id":1e400}')), undefined);
  });
});

describe('documents (couchdoc_conv.go)', () => {
  const v = { blockNum: 3, txNum: 4 };

  it('stores a JSON object as the document fields, rewritten as Go writes maps', () => {
    const doc = toCouchDoc(
      { key: 'k1', value: enc('{"z":1, "a":"<&>","n":[1.50,1e21]}'), version: v },
      '1-abc',
    );
    assert.equal(doc._id, 'k1');
    assert.equal(doc._rev, '1-abc');
    assert.equal(doc['z'], 1);
    assert.equal(doc._attachments, undefined);
    const back = fromCouchDoc({ ...doc });
    assert.equal(back.key, 'k1');
    assert.equal(back.revision, '1-abc');
    assert.deepEqual(back.value.version, v);
    assert.equal(dec(back.value.value), '{"a":"\\u003c\\u0026\\u003e","n":[1.5,1e+21],"z":1}');
  });

  it('stores anything else as the valueBytes attachment', () => {
    for (const raw of ['not json', '[1,2]', '"s"', 'null', '']) {
      const doc = toCouchDoc(
        { key: 'b', value: enc(raw), metadata: enc('m'), version: v },
        undefined,
      );
      assert.equal(doc._rev, undefined);
      assert.deepEqual(Object.keys(doc._attachments ?? {}), ['valueBytes']);
      assert.equal(doc._attachments?.['valueBytes']?.content_type, 'application/octet-stream');
      const back = fromCouchDoc({ ...doc, _rev: '2-x' });
      assert.equal(dec(back.value.value), raw);
      assert.equal(back.value.metadata && dec(back.value.metadata), 'm');
    }
  });

  it('marks a delete with _deleted and keeps the version', () => {
    const doc = toCouchDoc({ key: 'gone', version: v }, '3-r');
    assert.deepEqual(Object.keys(doc).sort(), ['_deleted', '_id', '_rev', '~version']);
    assert.equal(doc._deleted, true);
  });

  it('refuses reserved fields when writing', () => {
    assert.throws(() => toCouchDoc({ key: 'k', value: enc('{"_x":1}'), version: v }, undefined), {
      code: 'COUCHDB_INVALID_DOCUMENT',
    });
  });

  it('refuses documents without ~version', () => {
    assert.throws(() => fromCouchDoc({ _id: 'x', a: 1 }), /version field ~version was not found/);
  });
});

describe('Go JSON', () => {
  it('sorts members by UTF-8 bytes and escapes HTML characters', () => {
    assert.equal(
      goMarshal({ b: 1, a: { d: [true, null], c: 'x' }, '\u{1F600}': 1, '\uffff': 2 }),
      '{"a":{"c":"x","d":[true,null]},"b":1,"\uffff":2,"\u{1F600}":1}',
    );
    assert.equal(goMarshal({ s: '\u2028<' }), '{"s":"\\u2028\\u003c"}');
    assert.equal(
      goMarshal({ n: -0, m: 1e-7, k: 123456789012 }),
      '{"k":123456789012,"m":1e-7,"n":-0}',
    );
  });

  it('decides JSON objects as json.Unmarshal into a map does', () => {
    assert.deepEqual(jsonObjectOf(enc(' {"a":1} ')), { a: 1 });
    for (const s of ['null', '[]', '1', '"x"', '{', '\ufeff{}', '{"a":1e999}']) {
      assert.equal(jsonObjectOf(enc(s)), undefined, s);
    }
  });
});
