import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from test/dist/suites). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The CLI entry, as the README's commands run it. */
export const cli = join(repoRoot, 'packages/cli/bin/fabric-peer.js');

/** The project's sample configuration. */
export const sampleConfig = join(repoRoot, 'config/core.yaml');

/** Fixtures made by real Fabric, beside the repository. */
export const shared = resolve(repoRoot, '../shared');
if (!existsSync(join(shared, 'fixtures'))) {
  throw new Error(
    `the shared fixtures are missing: expected ${shared}/fixtures beside the repository`,
  );
}

export const fabricSamples = {
  'fabric-2.4.9': join(shared, 'fixtures/fabric-2.4.9/sampleconfig/core.yaml'),
  'fabric-2.5.16': join(shared, 'fixtures/fabric-2.5.16/sampleconfig/core.yaml'),
};

/** Third-party plugin fixtures (outside the workspaces). */
export const pluginFixtures = join(repoRoot, 'test/fixtures/plugins');
