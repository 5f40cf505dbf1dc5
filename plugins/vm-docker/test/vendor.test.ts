import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { collectVendoredModules } from '../src/index.js';

describe('vendored modules', () => {
  it('hold fabric-shim, fabric-contract-api and their trees, as Node resolves them here', async () => {
    const v = await collectVendoredModules();
    const require = createRequire(import.meta.url);
    const shimVersion = (require('fabric-shim/package.json') as { version: string }).version;
    assert.equal(v.versions['fabric-shim'], shimVersion);
    for (const name of ['fabric-shim', 'fabric-contract-api', '@grpc/grpc-js', 'ajv', 'yargs']) {
      assert.ok(v.topLevel.has(name), name);
    }
    const paths = new Set(v.entries.map((e) => e.path));
    assert.ok(paths.has('node_modules/fabric-shim/cli.js'));
    assert.ok(paths.has('node_modules/fabric-contract-api/package.json'));
    assert.ok(paths.has('node_modules/@grpc'), 'scope folders are listed');
    // Types and sources of compiled code are left out; nothing is taken twice.
    assert.ok(
      ![...paths].some(
        (p) => p.startsWith('node_modules/@types/') || p.endsWith('.d.ts') || p.endsWith('.map'),
      ),
    );
    assert.equal(paths.size, v.entries.length);
  });

  it('keeps npm’s layout: nested versions stay nested, unused and type packages stay out', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vm-docker-vendor-'));
    const pkg = async (
      dir: string,
      name: string,
      version: string,
      deps: Record<string, string> = {},
    ) => {
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ name, version, dependencies: deps }),
      );
      await writeFile(join(dir, 'index.js'), `module.exports = '${name}@${version}';`);
      await writeFile(join(dir, 'index.d.ts'), 'export {};');
    };
    try {
      const nm = join(root, 'node_modules');
      await pkg(join(nm, 'fabric-shim'), 'fabric-shim', '2.5.8', {
        x: '1',
        y: '2',
        '@types/node': '16',
      });
      await pkg(join(nm, 'fabric-shim', 'node_modules', 'y'), 'y', '2.0.0');
      await pkg(join(nm, 'fabric-contract-api'), 'fabric-contract-api', '2.5.8', {
        y: '1',
        '@s/z': '1',
      });
      await pkg(join(nm, 'x'), 'x', '1.0.0');
      await pkg(join(nm, 'y'), 'y', '1.0.0');
      await pkg(join(nm, '@s', 'z'), '@s/z', '1.0.0');
      await pkg(join(nm, '@types', 'node'), '@types/node', '16.0.0');
      await pkg(join(nm, 'unused'), 'unused', '1.0.0');
      await mkdir(join(root, 'app'));
      const v = await collectVendoredModules(join(root, 'app'));
      const files = v.entries
        .filter((e) => e.type === 'file')
        .map((e) => e.path)
        .sort();
      assert.deepEqual(files, [
        'node_modules/@s/z/index.js',
        'node_modules/@s/z/package.json',
        'node_modules/fabric-contract-api/index.js',
        'node_modules/fabric-contract-api/package.json',
        'node_modules/fabric-shim/index.js',
        'node_modules/fabric-shim/node_modules/y/index.js',
        'node_modules/fabric-shim/node_modules/y/package.json',
        'node_modules/fabric-shim/package.json',
        'node_modules/x/index.js',
        'node_modules/x/package.json',
        'node_modules/y/index.js',
        'node_modules/y/package.json',
      ]);
      assert.deepEqual([...v.topLevel].sort(), [
        '@s/z',
        'fabric-contract-api',
        'fabric-shim',
        'x',
        'y',
      ]);
      assert.deepEqual(v.versions, { 'fabric-shim': '2.5.8', 'fabric-contract-api': '2.5.8' });
      const dirs = v.entries.filter((e) => e.type === 'dir').map((e) => e.path);
      assert.ok(dirs.includes('node_modules/fabric-shim/node_modules'));
      assert.ok(dirs.includes('node_modules/@s'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('fails clearly when the modules cannot be found', async () => {
    await assert.rejects(
      collectVendoredModules('/'),
      (err: Error & { code?: string }) =>
        err.code === 'DOCKER_INVALID_PACKAGE' &&
        /fabric-shim.*not installed on the peer's machine/.test(err.message),
    );
  });
});
