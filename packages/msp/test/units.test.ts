// The building blocks: Go's PEM and ASN.1 rules, versions, the LRU, the manager.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IdentityError } from '@fabric-peer/api';
import { createMspManager, mspVersionAtLeast, mspVersionForCapabilities } from '../src/index.js';
import { BytesLru, Lru } from '../src/lru.js';
import { marshalEcdsaSignature, parseEcdsaSignature } from '../src/x509/ecdsa.js';
import { decodePem, encodePem } from '../src/x509/pem.js';
import { integerFromContent, oidToString, readTlv } from '../src/x509/der.js';
import { serialize } from '../test-support/pki.js';

const pemOf = (body: string, type = 'CERTIFICATE'): string =>
  `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----\n`;

describe('PEM as Go decodes it', () => {
  it('finds the first block after any text, keeps the rest', () => {
    const block = decodePem(Buffer.from(`hello\n${pemOf('AAEC')}tail`));
    assert.equal(block?.type, 'CERTIFICATE');
    assert.deepEqual([...block.bytes], [0, 1, 2]);
    assert.equal(block.rest.toString(), 'tail');
  });

  it('accepts CRLF, headers, spaces and tabs in the body', () => {
    const text =
      '-----BEGIN X-----\r\nProc-Type: 4,ENCRYPTED\r\n\r\nAA E\tC\r\n-----END X-----\r\n';
    const block = decodePem(Buffer.from(text));
    assert.equal(block?.type, 'X');
    assert.equal(block?.headers['Proc-Type'], '4,ENCRYPTED');
    assert.deepEqual([...block.bytes], [0, 1, 2]);
  });

  it('refuses missing padding, a mismatched END, text after END on its line', () => {
    assert.equal(decodePem(Buffer.from(pemOf('AAE'))), undefined);
    assert.equal(decodePem(Buffer.from('-----BEGIN A-----\nAAEC\n-----END B-----\n')), undefined);
    assert.equal(decodePem(Buffer.from('-----BEGIN A-----\nAAEC\n-----END A-----x\n')), undefined);
    // A bad block is skipped in favour of a later good one.
    const two = decodePem(Buffer.from(`${pemOf('AAE')}${pemOf('AAEC', 'Y')}`));
    assert.equal(two?.type, 'Y');
  });

  it('encodes 64 characters per line', () => {
    const text = encodePem('CERTIFICATE', new Uint8Array(100));
    const lines = text.split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines[1]!.length, 64);
    assert.deepEqual([...decodePem(Buffer.from(text))!.bytes], [...new Uint8Array(100)]);
  });
});

describe('DER and ECDSA signatures as Fabric parses them', () => {
  it('reads strict DER lengths only', () => {
    assert.throws(() => readTlv(Buffer.from('3080', 'hex'), 0), /indefinite/);
    assert.throws(() => readTlv(Buffer.from('30810100', 'hex'), 0), /non-minimal/);
    assert.throws(() => readTlv(Buffer.from('3003', 'hex'), 0), /truncated/);
    assert.equal(readTlv(Buffer.from('3000', 'hex'), 0).end, 2);
  });

  it('integers: signed, minimally encoded', () => {
    assert.equal(integerFromContent(Buffer.from('00ff', 'hex')), 255n);
    assert.equal(integerFromContent(Buffer.from('ff', 'hex')), -1n);
    assert.throws(() => integerFromContent(Buffer.from('007f', 'hex')), /not minimally-encoded/);
    assert.throws(() => integerFromContent(Buffer.from('', 'hex')), /empty/);
    assert.equal(oidToString(Buffer.from('2a864886f70d01010b', 'hex')), '1.2.840.113549.1.1.11');
  });

  it('ignores bytes after the two integers (inside or after the SEQUENCE), refuses zero and negatives', () => {
    const sig = marshalEcdsaSignature({ r: 5n, s: 7n });
    assert.deepEqual(parseEcdsaSignature(Buffer.concat([sig, Buffer.from('0000', 'hex')])), {
      r: 5n,
      s: 7n,
    });
    const extra = Buffer.from('3009020105020107020100', 'hex');
    assert.deepEqual(parseEcdsaSignature(extra), { r: 5n, s: 7n });
    assert.throws(
      () => parseEcdsaSignature(Buffer.from('3006020100020107', 'hex')),
      /R must be larger than zero/,
    );
    assert.throws(
      () => parseEcdsaSignature(Buffer.from('30060201ff020107', 'hex')),
      /R must be larger than zero/,
    );
    assert.throws(
      () => parseEcdsaSignature(Buffer.from('3106020105020107', 'hex')),
      /failed unmarshalling/,
    );
    assert.throws(
      () => parseEcdsaSignature(Buffer.from('300702020005020107', 'hex')),
      /not minimally-encoded/,
    );
  });
});

describe("MSP versions from channel capabilities (Fabric's ChannelProvider.MSPVersion)", () => {
  const table: [string[], string][] = [
    [[], 'v1_0'],
    [['V1_1'], 'v1_1'],
    [['V1_1', 'V1_3'], 'v1_3'],
    [['V1_4_2'], 'v1_3'],
    [['V1_4_3'], 'v1_4_3'],
    [['V2_0'], 'v1_4_3'],
    [['V1_3', 'V2_0'], 'v1_4_3'],
    [['V3_0'], 'v3_0'],
    [['V2_5'], 'v1_0'],
  ];
  for (const [caps, version] of table) {
    it(`${caps.join('+') || 'none'} → ${version}`, () => {
      assert.equal(mspVersionForCapabilities(caps), version);
      assert.equal(
        mspVersionForCapabilities(Object.fromEntries(caps.map((c) => [c, {}]))),
        version,
      );
    });
  }

  it('orders versions', () => {
    assert.ok(mspVersionAtLeast('v1_4_3', 'v1_3'));
    assert.ok(!mspVersionAtLeast('v1_1', 'v1_3'));
  });
});

describe('Lru', () => {
  it('evicts the least recently used entry', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    assert.equal(lru.get('a'), 1);
    lru.set('c', 3);
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.get('a'), 1);
    assert.equal(lru.size, 2);
  });

  it('a hit on the newest entry keeps it newest, and a hit on another makes that one newest', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    assert.equal(lru.get('b'), 2);
    assert.equal(lru.get('a'), 1);
    assert.equal(lru.get('a'), 1);
    lru.set('c', 3);
    assert.equal(lru.get('b'), undefined);
    assert.deepEqual([lru.get('a'), lru.get('c')], [1, 3]);
    lru.clear();
    assert.equal(lru.get('c'), undefined);
  });
});

describe('BytesLru', () => {
  // Same length and same last 64 bytes: one fingerprint, different keys.
  const twin = (first: number): Buffer => {
    const b = Buffer.alloc(200, 7);
    b[0] = first;
    return b;
  };

  it('finds a key by its content, not its buffer, and keeps its own copy', () => {
    const cache = new BytesLru<string>(4);
    const key = Buffer.from('serialized identity bytes');
    cache.set(key, 'x');
    assert.equal(cache.get(Uint8Array.from(key)), 'x');
    assert.equal(cache.get(new Uint8Array([0, ...key]).subarray(1)), 'x');
    key[0] = 0; // the caller reuses its buffer
    assert.equal(cache.get(key), undefined);
    assert.equal(cache.get(Buffer.from('serialized identity bytes')), 'x');
  });

  it('bytes that share a fingerprint with an entry are a miss, and replace it when set', () => {
    const cache = new BytesLru<string>(4);
    cache.set(twin(1), 'one');
    assert.equal(cache.get(twin(2)), undefined);
    assert.equal(cache.get(twin(1)), 'one');
    cache.set(twin(2), 'two');
    assert.equal(cache.get(twin(2)), 'two');
    assert.equal(cache.get(twin(1)), undefined);
    assert.equal(cache.size, 1);
  });

  it('is bounded, and keeps nothing at capacity 0', () => {
    const cache = new BytesLru<number>(2);
    for (const n of [1, 2, 3]) cache.set(Buffer.of(n), n);
    assert.deepEqual([cache.get(Buffer.of(1)), cache.get(Buffer.of(3))], [undefined, 3]);
    const none = new BytesLru<number>(0);
    none.set(Buffer.of(1), 1);
    assert.equal(none.get(Buffer.of(1)), undefined);
    assert.throws(() => new BytesLru(-1), RangeError);
  });
});

describe('MspManager without MSPs', () => {
  it('refuses malformed bytes and unknown MSPs, and well-formedness without any MSP', () => {
    const manager = createMspManager([]);
    assert.throws(
      () => manager.deserializeIdentity(Uint8Array.of(0xff)),
      (e: IdentityError) => e.code === 'MALFORMED',
    );
    assert.throws(
      () => manager.deserializeIdentity(serialize('Nobody', 'x')),
      (e: IdentityError) => e.code === 'UNKNOWN_MSP' && e.details.mspId === 'Nobody',
    );
    assert.throws(
      () => manager.isWellFormed({ mspid: 'x', idBytes: new Uint8Array() }),
      /no MSP provider/,
    );
  });
});
