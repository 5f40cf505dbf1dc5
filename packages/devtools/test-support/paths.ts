// Where the tests find the repository, the shared fixtures and scratch space.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder (packages/devtools), found from this compiled file in dist/test-support/. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The monorepo root. */
export const repoRoot = resolve(packageDir, '..', '..');

/** `<repo root>/../shared/fixtures`; throws a clear error if it is missing. */
export function fixturesDir(): string {
  const dir = resolve(repoRoot, '..', 'shared', 'fixtures');
  if (!existsSync(dir)) {
    throw new Error(
      `shared fixtures not found: expected ${dir} (the folder next to the repository root). ` +
        'These tests compare with what real Fabric v2.4.9 produced.',
    );
  }
  return dir;
}

/** The Fabric v2.4.9 corpus (cryptogen output, configtxgen's genesis block, their inputs). */
export function corpusDir(): string {
  return join(fixturesDir(), 'fabric-2.4.9', 'corpus-basic');
}

/** Fabric v2.4.9's sampleconfig (configtx.yaml with the sample ACLs). */
export function sampleConfigDir(): string {
  return join(fixturesDir(), 'fabric-2.4.9', 'sampleconfig');
}

/** A fresh temporary folder; `dispose` removes it. */
export async function tempDir(
  prefix: string,
): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `devtools-${prefix}-`));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
