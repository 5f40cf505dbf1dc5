import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { VersionedDB } from '@fabric-peer/api';
import { LedgerError } from '../src/index.js';
import { delegatingDb, ledgerEnv, type LedgerEnv } from '../test-support/ledger-env.js';

const enc = new TextEncoder();
const file = (text: string) => enc.encode(text);

/** A package's META-INF/statedb/ files, as statedbArtifacts gives them. */
const ARTIFACTS = new Map<string, Uint8Array>([
  ['META-INF/statedb/couchdb/indexes/indexOwner.json', file('{"index":{"fields":["owner"]}}')],
  ['META-INF/statedb/couchdb/indexes/indexColor.json', file('{"index":{"fields":["color"]}}')],
  ['META-INF/statedb/couchdb/indexes/more/indexSize.json', file('{"index":{"fields":["size"]}}')],
  [
    'META-INF/statedb/couchdb/collections/owners/indexes/byOwner.json',
    file('{"index":{"fields":["owner"]}}'),
  ],
  [
    'META-INF/statedb/couchdb/collections/unknown/indexes/x.json',
    file('{"index":{"fields":["x"]}}'),
  ],
  ['META-INF/statedb/couchdb/readme.json', file('{}')],
  ['META-INF/statedb/otherdb/indexes/other.json', file('{}')],
]);

describe('deployChaincodeIndexes (Fabric HandleChaincodeDeploy)', () => {
  let env: LedgerEnv;
  /** processIndexes calls the state database received: namespace → file paths. */
  let calls: [string, string[]][];
  let refuse: string | undefined;
  const indexing = (db: VersionedDB) =>
    delegatingDb(db, {
      indexType: 'couchdb',
      processIndexes: (namespace, files) => {
        calls.push([namespace, [...files.keys()]]);
        return refuse !== undefined && namespace === refuse
          ? Promise.reject(new Error(`index file [${[...files.keys()].join(',')}] is invalid`))
          : Promise.resolve();
      },
    });

  beforeEach(() => {
    env = ledgerEnv();
    calls = [];
    refuse = undefined;
  });
  afterEach(() => env.dispose());

  it("gives each index folder of the database's type to its namespace", async () => {
    const ledger = await env.open({ wrapState: indexing });
    assert.equal(ledger.indexType, 'couchdb');
    const result = await ledger.deployChaincodeIndexes(
      { name: 'marbles', collections: ['owners'] },
      ARTIFACTS,
    );
    assert.deepEqual(calls, [
      ['marbles$$powners', ['META-INF/statedb/couchdb/collections/owners/indexes/byOwner.json']],
      [
        'marbles',
        [
          'META-INF/statedb/couchdb/indexes/indexOwner.json',
          'META-INF/statedb/couchdb/indexes/indexColor.json',
        ],
      ],
      ['marbles', ['META-INF/statedb/couchdb/indexes/more/indexSize.json']],
    ]);
    assert.deepEqual(
      result.applied.map((a) => a.namespace),
      ['marbles$$powners', 'marbles', 'marbles'],
    );
    // A collection the definition does not have gets no index, and says so.
    assert.deepEqual(result.failed, [
      {
        folder: 'META-INF/statedb/couchdb/collections/unknown/indexes',
        reason: 'cannot create an index for an undefined collection=[unknown]',
      },
    ]);
  });

  it('goes on after a folder the database refuses, and reports it', async () => {
    const ledger = await env.open({ wrapState: indexing });
    refuse = 'marbles$$powners';
    const result = await ledger.deployChaincodeIndexes(
      { name: 'marbles', collections: ['owners', 'unknown'] },
      ARTIFACTS,
    );
    assert.deepEqual(
      calls.map(([ns]) => ns),
      ['marbles$$powners', 'marbles$$punknown', 'marbles', 'marbles'],
    );
    assert.deepEqual(
      result.failed.map((f) => f.folder),
      ['META-INF/statedb/couchdb/collections/owners/indexes'],
    );
    assert.match(result.failed[0]?.reason ?? '', /byOwner\.json\] is invalid/);
    assert.equal(result.applied.length, 3);
  });

  it('does nothing on a database without indexes', async () => {
    const ledger = await env.open();
    assert.equal(ledger.indexType, undefined);
    const result = await ledger.deployChaincodeIndexes(
      { name: 'marbles', collections: [] },
      ARTIFACTS,
    );
    assert.deepEqual(result, { applied: [], failed: [] });
  });

  it('refuses once the ledger is closed', async () => {
    const ledger = await env.open({ wrapState: indexing });
    await ledger.close();
    await assert.rejects(
      ledger.deployChaincodeIndexes({ name: 'marbles', collections: [] }, ARTIFACTS),
      (err: unknown) => err instanceof LedgerError && err.code === 'LEDGER_CLOSED',
    );
    assert.deepEqual(calls, []);
  });
});
