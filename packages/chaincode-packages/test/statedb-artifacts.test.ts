import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TarFormatError,
  createChaincodePackage,
  parseChaincodePackage,
  statedbArtifacts,
  writeTarGz,
} from '../src/index.js';

const dec = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : Buffer.from(b).toString();

describe('statedbArtifacts', () => {
  it('gives the files under META-INF/statedb/ of a package code archive, by path', async () => {
    const bytes = await createChaincodePackage({
      label: 'marbles_1',
      type: 'node',
      files: [
        { path: 'src/index.js', data: 'module.exports = {};' },
        { path: 'META-INF', type: 'directory' },
        { path: 'META-INF/statedb/couchdb/indexes', type: 'directory' },
        { path: 'META-INF/statedb/couchdb/indexes/indexOwner.json', data: '{"index":{}}' },
        {
          path: 'META-INF/statedb/couchdb/collections/owners/indexes/byOwner.json',
          data: '{"index":{"fields":["owner"]}}',
        },
        { path: 'META-INF/other/readme.txt', data: 'not state-database metadata' },
        {
          path: 'META-INF/statedb/couchdb/indexes/link.json',
          type: 'symlink',
          linkpath: 'indexOwner.json',
        },
      ],
    });
    const found = statedbArtifacts(parseChaincodePackage(bytes).codeArchive);
    assert.deepEqual(
      [...found.keys()],
      [
        'META-INF/statedb/couchdb/indexes/indexOwner.json',
        'META-INF/statedb/couchdb/collections/owners/indexes/byOwner.json',
      ],
    );
    assert.equal(
      dec(found.get('META-INF/statedb/couchdb/indexes/indexOwner.json')),
      '{"index":{}}',
    );
  });

  it('is empty for a package without artifacts', () => {
    assert.equal(statedbArtifacts(writeTarGz([{ path: 'src/index.js', data: 'x' }])).size, 0);
  });

  it('refuses an archive it cannot read', () => {
    assert.throws(() => statedbArtifacts(Buffer.from('not a gzip stream')), TarFormatError);
  });
});
