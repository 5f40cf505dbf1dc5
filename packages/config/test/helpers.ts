/** Shared helpers of the config tests: temp folders, fixture paths, ConfigError capture. */

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ConfigError, type ConfigIssue } from '@fabric-peer/api';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'lerna.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root (lerna.json) not found');
    dir = parent;
  }
  return dir;
}

/** The monorepo's root folder. */
export const repoRoot = findRepoRoot();

/** Fabric's own sample files (read-only fixtures). */
export const fabricSamples = {
  'v2.4.9': join(repoRoot, '..', 'shared', 'fixtures', 'fabric-2.4.9', 'sampleconfig', 'core.yaml'),
  'v2.5.16': join(
    repoRoot,
    '..',
    'shared',
    'fixtures',
    'fabric-2.5.16',
    'sampleconfig',
    'core.yaml',
  ),
} as const;

/** A fresh folder under the OS temp folder, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'fabric-peer-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `text` as `<dir>/core.yaml` (creating `dir`) and returns the file's path. */
export function writeCoreYaml(dir: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'core.yaml');
  writeFileSync(file, text);
  return file;
}

/** Runs `fn`, asserts it throws a ConfigError, and returns it. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    return err;
  }
  assert.fail('expected a ConfigError, but nothing was thrown');
}

/** The one issue of `error` about `key`; fails when there is not exactly one. */
export function issueFor(error: ConfigError, key: string): ConfigIssue {
  const found = error.issues.filter((i) => i.key === key);
  assert.equal(
    found.length,
    1,
    `expected one issue for ${key}, got: ${error.issues.map((i) => i.key).join(', ')}`,
  );
  return found[0]!;
}
