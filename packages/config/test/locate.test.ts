/** Finding core.yaml as Fabric does: explicit path, FABRIC_CFG_PATH, ./, /etc/hyperledger/fabric. */

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { loadConfig, resolveConfigPath } from '../src/index.js';
import { configError, issueFor, tempDir, writeCoreYaml } from './helpers.js';

void describe('resolveConfigPath', () => {
  void test('an explicit file wins over FABRIC_CFG_PATH', (t) => {
    const dir = tempDir(t);
    const explicit = writeCoreYaml(join(dir, 'explicit'), 'peer:\n  id: explicit\n');
    writeCoreYaml(join(dir, 'cfg'), 'peer:\n  id: cfg\n');
    const env = { FABRIC_CFG_PATH: join(dir, 'cfg') };
    assert.equal(resolveConfigPath({ path: explicit, env }), explicit);
    assert.equal(loadConfig({ path: explicit, env }).get('peer.id'), 'explicit');
  });

  void test('an explicit folder means the core.yaml inside it; relative to cwd', (t) => {
    const dir = tempDir(t);
    const file = writeCoreYaml(join(dir, 'conf'), 'peer:\n  id: p\n');
    assert.equal(resolveConfigPath({ path: 'conf', cwd: dir, env: {} }), file);
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'peer:\n  id: other\n');
    assert.equal(resolveConfigPath({ path: 'other.yaml', cwd: dir, env: {} }), other);
  });

  void test('an explicit path that does not exist, or a folder without core.yaml, is refused', (t) => {
    const dir = tempDir(t);
    const missing = issueFor(
      configError(() => resolveConfigPath({ path: join(dir, 'nope.yaml'), env: {} })),
      'config file',
    );
    assert.equal(missing.value, join(dir, 'nope.yaml'));
    assert.equal(missing.problem, 'does not exist');
    mkdirSync(join(dir, 'empty'));
    const empty = issueFor(
      configError(() => resolveConfigPath({ path: join(dir, 'empty'), env: {} })),
      'config file',
    );
    assert.equal(empty.problem, 'the folder holds no core.yaml');
  });

  void test('FABRIC_CFG_PATH is used, and wins over the working folder', (t) => {
    const dir = tempDir(t);
    writeCoreYaml(dir, 'peer:\n  id: cwd\n');
    const cfg = writeCoreYaml(join(dir, 'cfg'), 'peer:\n  id: cfg\n');
    const env = { FABRIC_CFG_PATH: join(dir, 'cfg') };
    assert.equal(resolveConfigPath({ cwd: dir, env }), cfg);
    assert.equal(loadConfig({ cwd: dir, env }).get('peer.id'), 'cfg');
  });

  void test('a relative FABRIC_CFG_PATH is relative to cwd', (t) => {
    const dir = tempDir(t);
    const cfg = writeCoreYaml(join(dir, 'cfg'), 'peer:\n  id: cfg\n');
    assert.equal(resolveConfigPath({ cwd: dir, env: { FABRIC_CFG_PATH: 'cfg' } }), cfg);
  });

  void test('a FABRIC_CFG_PATH folder that does not exist is a clear error', (t) => {
    const dir = tempDir(t);
    writeCoreYaml(dir, 'peer:\n  id: cwd\n'); // not searched when FABRIC_CFG_PATH is set
    const missing = join(dir, 'no-such-folder');
    const err = configError(() =>
      resolveConfigPath({ cwd: dir, env: { FABRIC_CFG_PATH: missing } }),
    );
    const issue = issueFor(err, 'FABRIC_CFG_PATH');
    assert.equal(issue.value, missing);
    assert.equal(issue.problem, 'the folder does not exist');
    assert.match(issue.allowed ?? '', /only folder searched/);
    assert.equal(
      err.message,
      `invalid configuration: FABRIC_CFG_PATH: the folder does not exist (got ${JSON.stringify(missing)}; allowed: an existing folder holding core.yaml (when FABRIC_CFG_PATH is set, it is the only folder searched))`,
    );
  });

  void test('FABRIC_CFG_PATH is the only folder searched', (t) => {
    const dir = tempDir(t);
    writeCoreYaml(dir, 'peer:\n  id: cwd\n');
    mkdirSync(join(dir, 'cfg'));
    const issue = issueFor(
      configError(() =>
        resolveConfigPath({ cwd: dir, env: { FABRIC_CFG_PATH: join(dir, 'cfg') } }),
      ),
      'FABRIC_CFG_PATH',
    );
    assert.equal(issue.problem, 'the folder holds no core.yaml');
  });

  void test('FABRIC_CFG_PATH naming a file is refused', (t) => {
    const dir = tempDir(t);
    const file = writeCoreYaml(dir, 'peer:\n  id: p\n');
    const issue = issueFor(
      configError(() => resolveConfigPath({ cwd: dir, env: { FABRIC_CFG_PATH: file } })),
      'FABRIC_CFG_PATH',
    );
    assert.equal(issue.problem, 'not a folder');
  });

  void test('without FABRIC_CFG_PATH: ./ first, then the official folder', (t) => {
    const dir = tempDir(t);
    const cwd = join(dir, 'work');
    const official = join(dir, 'etc-hyperledger-fabric');
    const officialFile = writeCoreYaml(official, 'peer:\n  id: official\n');
    mkdirSync(cwd);
    assert.equal(resolveConfigPath({ cwd, env: {}, officialDir: official }), officialFile);
    // An empty FABRIC_CFG_PATH counts as unset, as in Fabric.
    assert.equal(
      resolveConfigPath({ cwd, env: { FABRIC_CFG_PATH: '' }, officialDir: official }),
      officialFile,
    );
    const local = writeCoreYaml(cwd, 'peer:\n  id: local\n');
    assert.equal(resolveConfigPath({ cwd, env: {}, officialDir: official }), local);
  });

  void test('nothing found names the folders searched', (t) => {
    const dir = tempDir(t);
    const official = join(dir, 'official');
    const issue = issueFor(
      configError(() => resolveConfigPath({ cwd: dir, env: {}, officialDir: official })),
      'config file',
    );
    assert.equal(issue.problem, `no core.yaml found in ${dir} or ${official}`);
    assert.match(issue.allowed ?? '', /FABRIC_CFG_PATH/);
  });
});
