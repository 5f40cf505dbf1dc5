// The code generator: incremental, and its outputs where the build needs them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageDir } from '../test-support/paths.js';

const generated = join(packageDir, 'src', 'generated');
const mirrored = join(packageDir, 'dist', 'src', 'generated');
const OUTPUTS = ['fabric.js', 'fabric.d.ts', 'descriptor.json', 'services.ts'];

void test('a second run with unchanged inputs is a no-op', () => {
  const before = OUTPUTS.map((f) => statSync(join(generated, f)).mtimeMs);
  const r = spawnSync(process.execPath, [join(packageDir, 'scripts', 'generate.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'the generator regenerated: the generated code was stale');
  assert.deepEqual(
    OUTPUTS.map((f) => statSync(join(generated, f)).mtimeMs),
    before,
  );
  assert.match(readFileSync(join(generated, '.stamp'), 'utf8'), /^[0-9a-f]{64}\n$/);
});

void test('the JS, its declarations and the descriptor are mirrored into dist', () => {
  for (const f of ['fabric.js', 'fabric.d.ts', 'descriptor.json']) {
    assert.ok(readFileSync(join(generated, f)).equals(readFileSync(join(mirrored, f))), f);
  }
  // The module is ESM on protobufjs/minimal, with no verify or delimited functions.
  const js = readFileSync(join(mirrored, 'fabric.js'), 'utf8');
  assert.match(js, /^import \$protobuf from "protobufjs\/minimal\.js";$/m);
  assert.doesNotMatch(js, /\.verify = function/);
  assert.doesNotMatch(js, /\.encodeDelimited = function/);
  assert.match(js, /\.fromObject = function/);
  assert.match(readFileSync(join(mirrored, 'fabric.d.ts'), 'utf8'), /^import Long from "long";$/m);
});
