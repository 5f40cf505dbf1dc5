#!/usr/bin/env node
// Steps every build needs before `tsc -b`: today, generating the protobuf code from protos/.
// Each step is incremental, so calling this before every package build costs little.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, [join(root, 'packages/protos/scripts/generate.mjs')], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
