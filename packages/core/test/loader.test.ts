import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { API_VERSION, definePlugin } from '@fabric-peer/api';
import { importPlugin, validatePluginExport } from '../src/plugin-loader.js';
import { resolveLibrary } from '../src/plugin-resolver.js';
import { fixtures } from './helpers.js';

describe('validatePluginExport', () => {
  it('accepts what definePlugin makes, stamped with this api version', () => {
    const p = definePlugin({ name: 'p', version: '1.0.0', contributes: {} });
    assert.equal(p.apiVersion, API_VERSION);
    assert.deepEqual(validatePluginExport(p), []);
  });

  it('refuses an incompatible api version, saying what to rebuild against', () => {
    const problems = validatePluginExport(
      { apiVersion: '2.0.0', name: 'p', version: '1', contributes: {} },
      '1.3.0',
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /built for @fabric-peer\/api 2\.0\.0, but this peer provides 1\.3\.0; rebuild it against @fabric-peer\/api \^1\.0\.0/,
    );
  });

  it('refuses a plugin needing a newer minor than the peer has', () => {
    assert.equal(
      validatePluginExport(
        { apiVersion: '1.4.0', name: 'p', version: '1', contributes: {} },
        '1.3.9',
      ).length,
      1,
    );
    assert.deepEqual(
      validatePluginExport(
        { apiVersion: '1.2.0', name: 'p', version: '1', contributes: {} },
        '1.3.9',
      ),
      [],
    );
  });

  it('lists every problem of a malformed export', () => {
    const problems = validatePluginExport({
      apiVersion: API_VERSION,
      name: '',
      contributes: { nope: {}, authFilter: { X: 3 } },
      module: {},
    });
    assert.ok(problems.some((p) => p.includes('name must be')));
    assert.ok(problems.some((p) => p.includes('version must be')));
    assert.ok(problems.some((p) => p.includes('unknown extension point "nope"')));
    assert.ok(problems.some((p) => p.includes('contributes.authFilter.X must be a class')));
    assert.ok(problems.some((p) => p.includes('module must be a ContainerModule')));
  });

  it('explains a missing default export', () => {
    assert.match(validatePluginExport(undefined)[0]!, /has no default export/);
  });
});

describe('importPlugin', () => {
  it('imports and validates a plain-JS plugin package', async () => {
    const loaded = await importPlugin(resolveLibrary('./good-plugin', fixtures));
    assert.equal(loaded.plugin.name, 'good-plugin');
    assert.deepEqual(Object.keys(loaded.plugin.contributes.authFilter ?? {}), ['Upper', 'Tagger']);
  });

  it('refuses the future-api plugin', async () => {
    await assert.rejects(
      importPlugin(resolveLibrary('./future-plugin', fixtures)),
      /built for @fabric-peer\/api 2\.0\.0/,
    );
  });

  it('refuses a module with no default export', async () => {
    await assert.rejects(
      importPlugin(resolveLibrary('./no-export', fixtures)),
      /has no default export/,
    );
  });

  it('detects a module built with another copy of inversify', async () => {
    await assert.rejects(
      importPlugin(resolveLibrary('./bad-contributions', fixtures)),
      /another copy of inversify/,
    );
  });

  it('reports an import failure with the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loader-'));
    writeFileSync(join(dir, 'broken.mjs'), 'export default {{;');
    await assert.rejects(
      importPlugin(resolveLibrary('./broken.mjs', dir)),
      (e: Error) => e.message.includes('failed to import') && e.message.includes('broken.mjs'),
    );
  });
});
