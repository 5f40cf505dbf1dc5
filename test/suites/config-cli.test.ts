/**
 * `fabric-peer config check` and `config print` as an operator runs them: Fabric's own sample
 * core.yaml files and ours are accepted unchanged; bad values are refused naming the key and what
 * is allowed; CORE_* overrides show in the effective configuration.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fabricSamples, sampleConfig } from '../helpers/paths.js';
import { runCli } from '../helpers/peer-process.js';

/** A copy of the sample with one edit, in a fresh folder. */
function variant(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'config-cli-'));
  const file = join(dir, 'core.yaml');
  const text = readFileSync(sampleConfig, 'utf8');
  const edited = edit(text);
  assert.notEqual(edited, text, 'the edit must change the file');
  writeFileSync(file, edited);
  return file;
}

describe('fabric-peer config check', () => {
  for (const [name, file] of Object.entries(fabricSamples)) {
    it(`accepts Fabric's own ${name} sample core.yaml unchanged`, async () => {
      const { code, out } = await runCli(['config', 'check', '--config', file]);
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`configuration OK: ${file.replace(/[.]/g, '\\.')}`));
      assert.match(out, /plugin handlers-default 0\.1\.0 \(built-in\)/);
    });
  }

  it('accepts the project sample config/core.yaml', async () => {
    const { code, out } = await runCli(['config', 'check', '--config', sampleConfig]);
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /warning/);
  });

  it('finds core.yaml through FABRIC_CFG_PATH, as Fabric does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgpath-'));
    copyFileSync(fabricSamples['fabric-2.5.16'], join(dir, 'core.yaml'));
    const { code, out } = await runCli(['config', 'check'], { FABRIC_CFG_PATH: dir });
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`configuration OK: ${join(dir, 'core.yaml')}`));
  });

  it('rejects peer.listenAddress: 12, naming the key and what is allowed', async () => {
    const file = variant((t) => t.replace(/^ {2}listenAddress: .*$/m, '  listenAddress: 12'));
    const { code, out } = await runCli(['config', 'check', '--config', file]);
    assert.equal(code, 1);
    assert.match(
      out,
      /Error: invalid configuration: peer\.listenAddress: not a host:port address: no port \(got 12; allowed: host:port with a non-empty host and a port from 0 to 65535/,
    );
    assert.match(out, new RegExp(`\\[from ${file.replace(/[.]/g, '\\.')}:\\d+\\]`));
  });

  it('rejects ledger.state.stateDatabase: mongo, naming the allowed values', async () => {
    const file = variant((t) => t.replace(/^ {4}stateDatabase: .*$/m, '    stateDatabase: mongo'));
    const { code, out } = await runCli(['config', 'check', '--config', file]);
    assert.equal(code, 1);
    assert.match(
      out,
      /ledger\.state\.stateDatabase: .*\(got "mongo"; allowed: goleveldb or CouchDB/,
    );
  });

  it('rejects a handler library that does not resolve, naming the key and the package', async () => {
    const file = variant((t) =>
      t.replace(
        /^( {6}- name: ExpirationCheck\n {8}library:\n)/m,
        '$1      - name: AuditLog\n        library: ./no-such-plugin\n',
      ),
    );
    const { code, out } = await runCli(['config', 'check', '--config', file]);
    assert.equal(code, 1);
    assert.match(
      out,
      new RegExp(
        `Error: peer\\.handlers\\.authFilters\\[2\\]\\.library: plugin \\./no-such-plugin: cannot be loaded: ${join(dirname(file), 'no-such-plugin')} does not exist`,
      ),
    );
  });

  it('rejects an unknown top-level key, listing the known ones', async () => {
    const file = variant((t) => `${t}\norderer:\n  address: 127.0.0.1:7050\n`);
    const { code, out } = await runCli(['config', 'check', '--config', file]);
    assert.equal(code, 1);
    assert.match(
      out,
      /orderer: unknown key in the top level .*allowed: top-level keys: peer, vm, chaincode, ledger, operations, metrics, plugins/,
    );
  });

  it('points a top-level logging section to FABRIC_LOGGING_SPEC', async () => {
    const file = variant((t) => `${t}\nlogging:\n  level: debug\n`);
    const { code, out } = await runCli(['config', 'check', '--config', file]);
    assert.equal(code, 1);
    assert.match(out, /logging: not a core\.yaml section: logging is set with FABRIC_LOGGING_SPEC/);
  });

  it('rejects a bad value from the environment, naming the variable', async () => {
    const { code, out } = await runCli(['config', 'check', '--config', sampleConfig], {
      CORE_PEER_TLS_ENABLED: 'maybe',
    });
    assert.equal(code, 1);
    assert.match(
      out,
      /peer\.tls\.enabled: not a boolean \(got "maybe"; .*\) \[from CORE_PEER_TLS_ENABLED\]/,
    );
  });
});

describe('fabric-peer config print', () => {
  it('shows CORE_PEER_ID=x in the effective configuration', async () => {
    const { code, out } = await runCli(['config', 'print', '--config', sampleConfig, '--sources'], {
      CORE_PEER_ID: 'x',
    });
    assert.equal(code, 0, out);
    assert.match(out, /^peer:\n {2}id: x$/m);
    assert.match(out, /peer\.id {2}← CORE_PEER_ID/);
  });

  it('redacts secrets', async () => {
    const { code, out } = await runCli(['config', 'print', '--config', sampleConfig, '--json'], {
      CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD: 'hunter2',
    });
    assert.equal(code, 0, out);
    const tree = JSON.parse(out) as { ledger: { state: { couchDBConfig: { password: string } } } };
    assert.equal(tree.ledger.state.couchDBConfig.password, '<redacted>');
    assert.doesNotMatch(out, /hunter2/);
  });
});

describe('fabric-peer --help and version', () => {
  for (const args of [
    ['--help'],
    ['start', '--help'],
    ['config', 'check', '--help'],
    ['config', 'print', '--help'],
    ['plugins', '--help'],
    ['version', '--help'],
  ]) {
    it(`${args.join(' ')} describes the command`, async () => {
      const { code, out } = await runCli(args);
      assert.equal(code, 0, out);
      assert.match(out, /^Usage: fabric-peer/m);
    });
  }

  it('version prints the version and commit', async () => {
    const { code, out } = await runCli(['version']);
    assert.equal(code, 0);
    assert.match(out, /^fabric-peer:\n Version: \d+\.\d+\.\d+\n Commit SHA: \S+/m);
  });
});
