#!/usr/bin/env node
// Steps every build needs before `tsc -b`: the protobuf code generated from protos/, and the
// build information the CLI reports. Each step is incremental, so running this before every
// package build costs little.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const step of ['packages/protos/scripts/generate.mjs', 'scripts/build-info.mjs']) {
  const r = spawnSync(process.execPath, [join(root, step)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
