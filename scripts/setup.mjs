#!/usr/bin/env node
// The set-up both README commands run first, so they work on a fresh clone: check Node, install
// the dependencies when package-lock.json changed since the last install, and build (incremental).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stderr.write(`[setup] ${msg}\n`);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  say(`Node.js ${process.versions.node} is too old: fabric-peer needs Node.js 20.19 or newer.`);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

// Dependencies: reinstall when the lock file is not the one the installed tree came from.
// `npm install` rather than `npm ci`: npm 11 writes lock files without the other platforms'
// optional native packages (unrs-resolver's), and then refuses `npm ci` from them.
const stamp = join(root, 'node_modules', '.fabric-peer-setup');
const lockHash = () =>
  createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash()) {
  say('installing dependencies (npm install, from package-lock.json)...');
  run('npm', ['install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, lockHash());
}

// Build: generated code first, then every TypeScript project (tsc -b skips what is up to date).
say('building...');
run(process.execPath, [join(root, 'scripts/prebuild.mjs')]);
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b']);
say('ready');
