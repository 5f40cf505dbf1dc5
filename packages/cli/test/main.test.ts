import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { main, type Io } from '../src/main.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const sample = join(repoRoot, 'config/core.yaml');
const fabric25 = resolve(repoRoot, '../shared/fixtures/fabric-2.5.16/sampleconfig/core.yaml');

async function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), env };
  const code = await main(['node', 'fabric-peer', ...args], io);
  return { code, out, err };
}

describe('fabric-peer (in process)', () => {
  it('version names the version, commit and platform', async () => {
    const r = await run(['version']);
    assert.equal(r.code, 0);
    assert.match(
      r.out,
      /^fabric-peer:\n Version: \d+\.\d+\.\d+\n Commit SHA: .+\n Node\.js version: v\d+/,
    );
    assert.match(r.out, new RegExp(` OS/Arch: ${process.platform}/${process.arch}`));
  });

  it('config check accepts Fabric 2.5 sample, whose handlers the built-in plugin all provides', async () => {
    const r = await run(['config', 'check', '--config', fabric25]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^configuration OK: /);
    assert.doesNotMatch(r.out, /note: peer\.handlers\.validators/);
    assert.doesNotMatch(r.out, /note: peer\.handlers\.authFilters/);
  });

  it('config check reports a bad value as one error line and exit code 1', async () => {
    const r = await run(['config', 'check', '--config', sample], { CORE_PEER_LISTENADDRESS: '12' });
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^Error: invalid configuration: peer\.listenAddress: .*\[from CORE_PEER_LISTENADDRESS\]\n$/,
    );
  });

  it('config print --json reflects environment overrides', async () => {
    const r = await run(['config', 'print', '--config', sample, '--json'], {
      CORE_PEER_ID: 'peer9',
      CORE_PEER_GOSSIP_BOOTSTRAP: 'a:1 b:2',
    });
    assert.equal(r.code, 0, r.err);
    const tree = JSON.parse(r.out) as { peer: { id: string; gossip: { bootstrap: string[] } } };
    assert.equal(tree.peer.id, 'peer9');
    assert.deepEqual(tree.peer.gossip.bootstrap, ['a:1', 'b:2']);
  });

  it('plugins lists every extension point with the built-in handlers', async () => {
    const r = await run(['plugins', '--config', sample]);
    assert.equal(r.code, 0, r.err);
    for (const title of [
      'state database',
      'chaincode runtime (VM provider)',
      'auth filter',
      'decorator',
      'endorsement plugin',
      'validation plugin',
      'system chaincode',
      'gossip',
      'ordering client',
      'health checker',
      'service',
    ]) {
      assert.match(r.out, new RegExp(`^${title.replace(/[()]/g, '\\$&')}`, 'm'));
    }
    assert.match(
      r.out,
      /peer\.handlers\.endorsers\.escc +DefaultEndorsement +@fabric-peer\/handlers-default 0\.1\.0/,
    );
    assert.match(r.out, /peer-listener +@fabric-peer\/node 0\.1\.0/);
  });

  it('an unknown command fails with usage help', async () => {
    const r = await run(['frobnicate']);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown command 'frobnicate'/);
  });

  it('start with a broken configuration exits 1 before listening', async () => {
    const r = await run(['start', '--config', sample], { CORE_METRICS_PROVIDER: 'graphite' });
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /metrics\.provider: .*got "graphite"; allowed: one of: disabled, prometheus, statsd/,
    );
  });
});
