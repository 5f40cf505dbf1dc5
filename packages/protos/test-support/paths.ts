// Where the tests find the repository and the shared fixtures.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder (packages/protos), found from this compiled file in dist/test-support/. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The monorepo root. */
export const repoRoot = resolve(packageDir, '..', '..');

/** `<repo root>/../shared`, the fixtures shared by every engineer; throws if it is missing. */
export function sharedDir(): string {
  const dir = resolve(repoRoot, '..', 'shared');
  if (!existsSync(join(dir, 'fixtures'))) {
    throw new Error(
      `shared fixtures not found: expected ${join(dir, 'fixtures')} (the folder next to the ` +
        `repository root). Tests that check real Fabric data need it.`,
    );
  }
  return dir;
}

/** The Fabric v2.4.9 block corpus. */
export function corpusDir(): string {
  return join(sharedDir(), 'fixtures', 'fabric-2.4.9', 'corpus-basic');
}
