import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys } from '@fabric-peer/api';
import {
  compareUtf8,
  couchDbKeyValueProblem,
  MemoryStateStore,
  MemoryVersionedDB,
  memoryStateDatabaseProvider,
  runStateDbConformance,
} from '../src/index.js';

const MEMORY = { bulkVersions: true, richQueries: false, indexes: false } as const;

runStateDbConformance(
  'memory',
  () => {
    const store = new MemoryStateStore();
    return { open: () => Promise.resolve(memoryStateDatabaseProvider({ store })) };
  },
  { capabilities: { ...MEMORY, bytesKeys: true } },
);

runStateDbConformance(
  'memory with CouchDB rules',
  () => {
    const store = new MemoryStateStore();
    return {
      open: () => Promise.resolve(memoryStateDatabaseProvider({ store, rules: 'couchdb' })),
    };
  },
  { capabilities: { ...MEMORY, bytesKeys: false } },
);

describe('MemoryVersionedDB', () => {
  it('is a database of its own when built with new', async () => {
    const a = new MemoryVersionedDB();
    const b = new MemoryVersionedDB();
    await a.applyUpdates(
      [{ namespace: 'ns', key: 'k', value: Uint8Array.of(1), version: { blockNum: 1, txNum: 0 } }],
      { blockNum: 1, txNum: 0 },
    );
    assert.deepEqual(await a.getLatestSavePoint(), { blockNum: 1, txNum: 0 });
    assert.equal(await b.getLatestSavePoint(), undefined);
    assert.equal(await b.getState('ns', 'k'), undefined);
  });

  it('applies nothing when one update of the batch is malformed', async () => {
    const db = new MemoryVersionedDB();
    const ok = {
      namespace: 'ns',
      key: 'a',
      value: Uint8Array.of(1),
      version: { blockNum: 1, txNum: 0 },
    };
    const bad = {
      namespace: 'ns',
      key: 'b',
      value: Uint8Array.of(2),
      version: { blockNum: -1, txNum: 0 },
    };
    await assert.rejects(db.applyUpdates([ok, bad], { blockNum: 1, txNum: 1 }), RangeError);
    assert.equal(await db.getState('ns', 'a'), undefined);
    assert.equal(await db.getLatestSavePoint(), undefined);
  });

  it('refuses use after close', async () => {
    const db = new MemoryVersionedDB();
    await db.close();
    await assert.rejects(async () => db.getState('ns', 'k'), /closed/);
  });

  it('lists the channels of its store, and forgets a dropped one', async () => {
    const store = new MemoryStateStore();
    const provider = memoryStateDatabaseProvider({ store, name: 'mem' });
    assert.equal(provider.name, 'mem');
    await provider.open('ch1');
    await provider.open('ch2');
    assert.deepEqual(store.channels(), ['ch1', 'ch2']);
    await provider.drop('ch1');
    assert.deepEqual(store.channels(), ['ch2']);
    await provider.close();
    await assert.rejects(provider.open('ch1'), /closed/);
  });
});

describe('compareUtf8', () => {
  it('agrees with the api’s compareKeys', () => {
    const keys = ['', 'a', '\u0000', 'é', '\uFFFF', '\uE000', '😀', '\u{10FFFF}', 'ab', 'a\u0000'];
    for (const x of keys) {
      for (const y of keys) {
        assert.equal(Math.sign(compareUtf8(x, y)), Math.sign(compareKeys(x, y)), `${x} vs ${y}`);
      }
    }
  });
});

describe('couchDbKeyValueProblem', () => {
  const v = (s: string) => new TextEncoder().encode(s);

  it('words its refusals as Fabric does', () => {
    assert.equal(couchDbKeyValueProblem('_k', v('x')), 'invalid key [_k], cannot begin with "_"');
    assert.equal(
      couchDbKeyValueProblem('', v('x')),
      'invalid key. Empty string is not supported as a key by couchdb',
    );
    assert.equal(
      couchDbKeyValueProblem('k', v('{"a":1,"_rev":"x"}')),
      'field [_rev] is not valid for the CouchDB state database',
    );
    assert.match(couchDbKeyValueProblem('\uD800', v('x')) ?? '', /must be a UTF-8 string/);
  });

  it('reads JSON as Go does: only objects, no byte order mark, nothing after the value', () => {
    assert.equal(couchDbKeyValueProblem('k', v('[{"_id":1}]')), undefined);
    assert.equal(couchDbKeyValueProblem('k', v('null')), undefined);
    assert.equal(couchDbKeyValueProblem('k', v('\uFEFF{"_id":1}')), undefined);
    assert.equal(couchDbKeyValueProblem('k', v('{"_id":1} {}')), undefined);
    assert.notEqual(couchDbKeyValueProblem('k', v('\t\r\n {"_id":1}\n')), undefined);
    assert.notEqual(couchDbKeyValueProblem('k', v('{"__proto__":{}}')), undefined);
  });
});
