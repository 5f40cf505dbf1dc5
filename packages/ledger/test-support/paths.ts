// Where the ledger tests find the shared fixtures and scratch space.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder (packages/ledger), found from this compiled file in dist/test-support/. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The monorepo root. */
export const repoRoot = resolve(packageDir, '..', '..');

/** The Fabric v2.4.9 corpus; throws a clear error if the shared fixtures are missing. */
export function corpusDir(): string {
  const dir = resolve(repoRoot, '..', 'shared', 'fixtures', 'fabric-2.4.9', 'corpus-basic');
  if (!existsSync(dir)) {
    throw new Error(
      `shared fixtures not found: expected ${dir} (next to the repository root). ` +
        'These tests check the ledger against what real Fabric v2.4.9 produced.',
    );
  }
  return dir;
}

/** A fresh folder in os.tmpdir() and its disposal. */
export function tempDir(prefix: string): { readonly dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), `ledger-${prefix}-`));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
