import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeConfig } from '@fabric-peer/testkit';
import {
  FileChaincodePackageStore,
  FileLegacyChaincodeStore,
  InstalledChaincodesImpl,
  createChaincodePackage,
  createLegacyPackage,
  packageFileName,
  writeTarGz,
} from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

describe('InstalledChaincodesImpl', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  function stores(name: string) {
    const fileSystemPath = join(dir, name);
    const packages = new FileChaincodePackageStore({ fileSystemPath });
    const legacy = new FileLegacyChaincodeStore({ fileSystemPath });
    return { packages, legacy, fileSystemPath };
  }

  it('finds 2.x packages by package id', async () => {
    const { packages, legacy } = stores('a');
    const installed = new InstalledChaincodesImpl({ packages, legacy });
    const bytes = await createChaincodePackage({
      label: 'basic_1.0',
      type: 'node',
      path: 'p',
      files: { 'src/index.js': 'x' },
      extraMetadata: { note: 'kept' },
    });
    const { packageId } = await packages.install(bytes);
    const pkg = await installed.get(packageId);
    assert.ok(pkg);
    assert.equal(pkg.packageId, packageId);
    assert.equal(pkg.label, 'basic_1.0');
    assert.equal(pkg.type, 'node');
    assert.equal(pkg.path, 'p');
    assert.deepEqual(pkg.metadata, { note: 'kept', type: 'node', path: 'p', label: 'basic_1.0' });
    assert.deepEqual(
      Buffer.from(pkg.codeArchive),
      writeTarGz([{ path: 'src/index.js', data: 'x' }]),
    );
    assert.equal(await installed.get(`basic_1.0:${'0'.repeat(64)}`), undefined);
    assert.equal(await installed.get('nothing'), undefined);
  });

  it('maps name:version ids to legacy packages', async () => {
    const { packages, legacy } = stores('b');
    const installed = new InstalledChaincodesImpl({ packages, legacy });
    const code = writeTarGz([{ path: 'src/package.json', data: '{}' }]);
    await legacy.install(
      createLegacyPackage({
        name: 'mycc',
        version: '1.0',
        path: 'cc/path',
        type: 'NODE',
        codePackage: code,
      }),
    );
    const pkg = await installed.get('mycc:1.0');
    assert.deepEqual(
      { ...pkg, codeArchive: Buffer.from(pkg?.codeArchive ?? []) },
      {
        packageId: 'mycc:1.0',
        label: 'mycc',
        type: 'node',
        path: 'cc/path',
        metadata: { path: 'cc/path', type: 'NODE', label: 'mycc' },
        codeArchive: code,
      },
    );
    assert.equal(await installed.get('mycc:2.0'), undefined);
    assert.equal(await new InstalledChaincodesImpl({ packages }).get('mycc:1.0'), undefined);
  });

  it('caches parsed packages in a small LRU map instead of re-reading files', async () => {
    const { packages, legacy } = stores('c');
    const installed = new InstalledChaincodesImpl({ packages, legacy, cacheSize: 2 });
    const ids: string[] = [];
    for (const label of ['one', 'two', 'three']) {
      const bytes = await createChaincodePackage({
        label,
        type: 'node',
        files: { 'src/a': label },
      });
      ids.push((await packages.install(bytes)).packageId);
    }
    const [one, two, three] = ids as [string, string, string];
    const first = await installed.get(one);
    await unlink(join(packages.dir, packageFileName(one)));
    assert.equal(await installed.get(one), first, 'served from the cache');
    await installed.get(two);
    await installed.get(one); // one is now the most recent
    await installed.get(three); // evicts two
    await unlink(join(packages.dir, packageFileName(two)));
    assert.equal(await installed.get(two), undefined, 'two was evicted and is gone');
    assert.ok(await installed.get(one), 'one stayed');
    installed.forget(one);
    assert.equal(await installed.get(one), undefined);
  });

  it('refuses a package file whose bytes no longer match its hash', async () => {
    const { packages } = stores('d');
    const installed = new InstalledChaincodesImpl({ packages, cacheSize: 0 });
    const bytes = await createChaincodePackage({ label: 'c', type: 'node', files: {} });
    const { packageId } = await packages.install(bytes);
    const other = await createChaincodePackage({
      label: 'c',
      type: 'node',
      files: { 'src/x': 'y' },
    });
    await writeFile(join(packages.dir, packageFileName(packageId)), other);
    const sha = createHash('sha256').update(other).digest('hex');
    await assert.rejects(installed.get(packageId), {
      code: 'INVALID_PACKAGE',
      message: `chaincode install package '${packageId}' is corrupt: its bytes hash to ${sha}`,
    });
  });

  it('builds both stores from peer.fileSystemPath', async () => {
    const fileSystemPath = join(dir, 'e');
    const installed = InstalledChaincodesImpl.fromConfig(
      fakeConfig({ 'peer.fileSystemPath': fileSystemPath }),
    );
    const code = writeTarGz([]);
    await new FileLegacyChaincodeStore({ fileSystemPath }).install(
      createLegacyPackage({ name: 'x', version: '1', codePackage: code }),
    );
    assert.equal((await installed.get('x:1'))?.label, 'x');
  });
});
