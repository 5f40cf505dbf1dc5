import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Long from 'long';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, common } from '../src/index.js';
import { corpusDir } from '../test-support/paths.js';

function block(n: number): common.Block {
  return common.Block.decode(readFileSync(join(corpusDir(), `block-${n}.pb`)));
}

describe('block hashing (Fabric protoutil)', () => {
  it('chains the corpus: each previous_hash is the hash of the block before, each data_hash is right', () => {
    for (let n = 0; n <= 86; n++) {
      const b = block(n);
      assert.deepEqual(blockDataHash(b.data), Buffer.from(b.header!.dataHash!), `data hash of block ${n}`);
      if (n > 0) {
        assert.deepEqual(
          blockHeaderHash(block(n - 1).header!),
          Buffer.from(b.header!.previousHash!),
          `previous hash of block ${n}`,
        );
      }
    }
  });

  it('encodes numbers as Go asn1 does for int64, including the sign of huge uint64s', () => {
    const bytes = (n: number | Long) =>
      blockHeaderBytes({ number: n, previousHash: new Uint8Array(), dataHash: new Uint8Array() }).toString('hex');
    assert.equal(bytes(0), '3007020100' + '0400' + '0400');
    assert.equal(bytes(127), '300702017f04000400');
    assert.equal(bytes(128), '30080202008004000400');
    assert.equal(bytes(256), '30080202010004000400');
    // 2^63 as uint64 is -2^63 as int64.
    assert.equal(bytes(Long.fromString('9223372036854775808', true)), '300e0208800000000000000004000400');
    assert.equal(bytes(Long.MAX_UNSIGNED_VALUE), '30070201ff04000400');
  });

  it('uses long-form DER lengths for long hashes', () => {
    const b = blockHeaderBytes({ number: 1, previousHash: new Uint8Array(200), dataHash: new Uint8Array(32) });
    assert.equal(b[0], 0x30);
    assert.equal(b[1], 0x81);
    assert.equal(b.length, 3 + 3 + 3 + 200 + 2 + 32);
  });
});
