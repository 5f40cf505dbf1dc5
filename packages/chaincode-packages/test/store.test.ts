import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeConfig, recordingLoggers } from '@fabric-peer/testkit';
import {
  FileChaincodePackageStore,
  PackageError,
  createChaincodePackage,
  writeTarGz,
} from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('FileChaincodePackageStore', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('installs into lifecycle/chaincodes/<label>.<hash>.tar.gz, loads and lists', async () => {
    const fs = join(dir, 'a');
    const store = new FileChaincodePackageStore({ fileSystemPath: fs });
    assert.deepEqual(await store.list(), [], 'an empty peer has no packages');
    const one = await createChaincodePackage({
      label: 'zeta_1',
      type: 'node',
      files: { 'src/a': '1' },
    });
    const two = await createChaincodePackage({
      label: 'alpha_1',
      type: 'node',
      files: { 'src/a': '2' },
    });
    const info1 = await store.install(one);
    const info2 = await store.install(two);
    assert.deepEqual(info1, { packageId: `zeta_1:${sha(one)}`, label: 'zeta_1' });
    assert.equal(store.dir, join(fs, 'lifecycle', 'chaincodes'));
    assert.deepEqual(await readFile(join(store.dir, `zeta_1.${sha(one)}.tar.gz`)), one);
    assert.deepEqual(await store.load(info2.packageId), two);
    assert.deepEqual(await store.list(), [info2, info1], 'in package id order');
    assert.equal((await stat(store.dir)).mode & 0o777, 0o750);
  });

  it("refuses the same package twice with Fabric's message", async () => {
    const store = new FileChaincodePackageStore({ fileSystemPath: join(dir, 'b') });
    const bytes = await createChaincodePackage({
      label: 'cc',
      type: 'node',
      files: { 'src/x': 'x' },
    });
    const { packageId } = await store.install(bytes);
    await assert.rejects(store.install(bytes), (err: unknown) => {
      assert.ok(err instanceof PackageError);
      assert.equal(err.code, 'ALREADY_INSTALLED');
      assert.equal(
        err.message,
        `chaincode already successfully installed (package ID '${packageId}')`,
      );
      return true;
    });
  });

  it('lets exactly one of many concurrent installs of the same bytes succeed', async () => {
    const store = new FileChaincodePackageStore({ fileSystemPath: join(dir, 'c') });
    const bytes = await createChaincodePackage({
      label: 'race',
      type: 'node',
      files: { 'src/x': 'x' },
    });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.install(bytes)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 7);
    assert.deepEqual(await readdir(store.dir), [`race.${sha(bytes)}.tar.gz`], 'no temp files left');
  });

  it('never shows a partial package: readers see nothing or all of it', async () => {
    const store = new FileChaincodePackageStore({ fileSystemPath: join(dir, 'd') });
    // Incompressible content makes the package large enough to take several writes.
    const bytes = await createChaincodePackage({
      label: 'big',
      type: 'node',
      files: { 'src/blob': randomBytes(8 * 1024 * 1024) },
    });
    const id = `big:${sha(bytes)}`;
    let reading = true;
    const seen: number[] = [];
    const reader = (async () => {
      while (reading) {
        const got = await store.load(id);
        if (got) seen.push(got.length);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await store.install(bytes);
    reading = false;
    await reader;
    assert.ok(
      seen.every((n) => n === bytes.length),
      `partial reads: ${seen.filter((n) => n !== bytes.length).join(',')}`,
    );
    assert.deepEqual(await readdir(store.dir), [`big.${sha(bytes)}.tar.gz`]);
  });

  it('refuses malformed packages before writing anything', async () => {
    const store = new FileChaincodePackageStore({ fileSystemPath: join(dir, 'e') });
    await assert.rejects(store.install(Buffer.from('junk')), { code: 'INVALID_PACKAGE' });
    await assert.rejects(
      store.install(writeTarGz([{ path: 'metadata.json', data: '{"label":"x"}' }])),
      { message: 'did not find a code package inside the package' },
    );
    assert.deepEqual(await store.list(), []);
  });

  it('logs the unexpected files Fabric warns about', async () => {
    const rec = recordingLoggers();
    const store = new FileChaincodePackageStore({
      fileSystemPath: join(dir, 'f'),
      logger: rec.logger,
    });
    await store.install(
      writeTarGz([
        { path: 'metadata.json', data: '{"type":"node","path":"","label":"w"}' },
        { path: 'code.tar.gz', data: writeTarGz([]) },
        { path: 'notes.txt', data: 'n' },
      ]),
    );
    assert.ok(
      rec.records.some((r) => r.level === 'warn' && r.msg.includes("unexpected file 'notes.txt'")),
    );
  });

  it('answers undefined for ids that are not installed or not package ids (no path escapes)', async () => {
    const fs = join(dir, 'g');
    const store = new FileChaincodePackageStore({ fileSystemPath: fs });
    await store.install(await createChaincodePackage({ label: 'x', type: 'node', files: {} }));
    await writeFile(join(fs, 'secret.tar.gz'), 'secret');
    assert.equal(await store.load(`x:${'0'.repeat(64)}`), undefined);
    assert.equal(await store.load('x'), undefined);
    assert.equal(await store.load('../../secret'), undefined);
    assert.equal(await store.load(`../..:${'a'.repeat(64)}`), undefined);
    assert.equal(await store.load(`x:${'A'.repeat(64)}`), undefined);
  });

  it('ignores files that are not packages when listing, and removes packages', async () => {
    const store = new FileChaincodePackageStore({ fileSystemPath: join(dir, 'h') });
    const bytes = await createChaincodePackage({ label: 'r', type: 'node', files: {} });
    const { packageId } = await store.install(bytes);
    await writeFile(join(store.dir, 'README'), 'x');
    await writeFile(join(store.dir, 'r.1234.tar.gz'), 'x');
    assert.deepEqual(
      (await store.list()).map((p) => p.packageId),
      [packageId],
    );
    assert.equal(await store.remove(packageId), true);
    assert.equal(await store.remove(packageId), false);
    assert.equal(await store.load(packageId), undefined);
  });

  it('reads peer.fileSystemPath, relative to the config folder', () => {
    const store = FileChaincodePackageStore.fromConfig(
      fakeConfig({ 'peer.fileSystemPath': 'data' }, { dir }),
    );
    assert.equal(store.dir, join(dir, 'data', 'lifecycle', 'chaincodes'));
    assert.throws(
      () => FileChaincodePackageStore.fromConfig(fakeConfig({ 'peer.fileSystemPath': '' })),
      /peer\.fileSystemPath/,
    );
  });
});
