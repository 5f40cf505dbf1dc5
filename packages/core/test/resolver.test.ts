import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LibraryNotFound, resolveLibrary } from '../src/plugin-resolver.js';
import { fixtures } from './helpers.js';

describe('resolveLibrary', () => {
  it('resolves a relative path to a package folder through its exports map', () => {
    const r = resolveLibrary('./good-plugin', fixtures);
    assert.equal(r.entry, join(fixtures, 'good-plugin/lib/index.js'));
    assert.equal(r.packageName, 'good-plugin');
    assert.equal(r.packageVersion, '1.2.3');
    assert.equal(r.location, join(fixtures, 'good-plugin'));
  });

  it('resolves a path to a single file, naming the file', () => {
    const r = resolveLibrary('./esm-file/plugin.mjs', fixtures);
    assert.equal(r.entry, join(fixtures, 'esm-file/plugin.mjs'));
    assert.equal(r.packageName, join(fixtures, 'esm-file/plugin.mjs'));
  });

  it('resolves a package name from node_modules above the base folder', () => {
    const base = mkdtempSync(join(tmpdir(), 'resolver-'));
    const pkg = join(base, 'node_modules', '@acme', 'peer-x');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@acme/peer-x', version: '2.0.1', main: 'dist/main.js' }),
    );
    writeFileSync(join(pkg, 'dist/main.js'), '');
    const sub = join(base, 'config');
    mkdirSync(sub);
    const r = resolveLibrary('@acme/peer-x', sub);
    assert.equal(r.entry, join(pkg, 'dist/main.js'));
    assert.equal(r.packageName, '@acme/peer-x');
    assert.equal(r.packageVersion, '2.0.1');
  });

  it('falls back to the search folders for package names (the peer installation)', () => {
    const base = mkdtempSync(join(tmpdir(), 'resolver-'));
    const r = resolveLibrary('@fabric-peer/api', base, [fixtures]);
    assert.match(r.entry, /packages\/api\/dist\/src\/index\.js$/);
    assert.equal(r.packageName, '@fabric-peer/api');
  });

  it('explains a missing path, naming the folder it resolved against', () => {
    assert.throws(
      () => resolveLibrary('./nope', fixtures),
      (e: unknown) =>
        e instanceof LibraryNotFound &&
        e.message.includes(join(fixtures, 'nope')) &&
        e.message.includes('does not exist'),
    );
  });

  it('explains a package that is not installed, naming where it looked', () => {
    const base = mkdtempSync(join(tmpdir(), 'resolver-'));
    assert.throws(
      () => resolveLibrary('no-such-plugin-xyz', base),
      (e: unknown) =>
        e instanceof LibraryNotFound &&
        /package "no-such-plugin-xyz" is not installed/.test(e.message) &&
        e.message.includes(base),
    );
  });

  it('refuses a value that is neither a path nor a package name', () => {
    assert.throws(() => resolveLibrary('not a package!', fixtures), /neither a path/);
  });

  it('explains a package whose entry file is missing (not built)', () => {
    const base = mkdtempSync(join(tmpdir(), 'resolver-'));
    writeFileSync(
      join(base, 'package.json'),
      JSON.stringify({ name: 'unbuilt', main: 'dist/index.js' }),
    );
    assert.throws(
      () => resolveLibrary(base, '/'),
      /names no entry file that exists.*has the package been built/,
    );
  });
});
