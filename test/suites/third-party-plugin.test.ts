/**
 * A third-party plugin outside the workspaces (test/fixtures/plugins/acme-audit), loaded by path
 * from a core.yaml: it adds an auth filter and a health checker. `fabric-peer plugins` lists it,
 * /healthz runs its checker, and a plugin built for an incompatible api version is refused.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDocument, type YAMLSeq } from 'yaml';
import { httpRequest } from '@fabric-peer/testkit';
import { pluginFixtures, sampleConfig } from '../helpers/paths.js';
import { PeerProcess, portEnv, runCli } from '../helpers/peer-process.js';

/** A copy of the sample config in a fresh folder, naming plugins by paths relative to it. */
function configWithPlugins(
  plugins: { dir: string; options?: Record<string, unknown> }[],
  authFilter?: string,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'plugin-cfg-'));
  const doc = parseDocument(readFileSync(sampleConfig, 'utf8'));
  // The sample's local MSP is relative to config/; this copy lives elsewhere.
  doc.setIn(['peer', 'mspConfigPath'], join(dirname(sampleConfig), 'msp'));
  doc.setIn(
    ['plugins'],
    plugins.map((p) => ({
      library: `./${relative(dir, p.dir)}`,
      ...(p.options ? { options: p.options } : {}),
    })),
  );
  if (authFilter) {
    const filters = doc.getIn(['peer', 'handlers', 'authFilters']) as YAMLSeq;
    filters.add(doc.createNode({ name: 'AuditLog', library: `./${relative(dir, authFilter)}` }));
  }
  const file = join(dir, 'core.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

const audit = join(pluginFixtures, 'acme-audit');

describe('a third-party plugin loaded by path', () => {
  const flag = join(mkdtempSync(join(tmpdir(), 'audit-flag-')), 'down');
  let config: string;

  before(() => {
    config = configWithPlugins([{ dir: audit, options: { failWhenExists: flag } }], audit);
  });

  it('is listed by fabric-peer plugins with its auth filter and health checker', async () => {
    const { code, out } = await runCli(['plugins', '--config', config]);
    assert.equal(code, 0, out);
    // Selected in config order, each with the package that provides it.
    assert.match(
      out,
      /auth filter \(peer\.handlers\.authFilters\)\n {2}selected:\n {4}peer\.handlers\.authFilters\[0\] +DefaultAuth +@fabric-peer\/handlers-default 0\.1\.0\n {4}peer\.handlers\.authFilters\[1\] +ExpirationCheck +@fabric-peer\/handlers-default 0\.1\.0\n {4}peer\.handlers\.authFilters\[2\] +AuditLog +acme-peer-audit 1\.4\.0 +\(.*acme-audit\)/,
    );
    assert.match(
      out,
      /health checker\n {2}available:\n {4}acme-audit +acme-peer-audit 1\.4\.0 +\(.*test\/fixtures\/plugins\/acme-audit\)/,
    );
    const json = JSON.parse((await runCli(['plugins', '--config', config, '--json'])).out) as {
      point: string;
      available: { name: string; packageName: string }[];
    }[];
    const auth = json.find((p) => p.point === 'authFilter')!;
    assert.ok(
      auth.available.some((a) => a.name === 'AuditLog' && a.packageName === 'acme-peer-audit'),
    );
  });

  describe('running', () => {
    let peer: PeerProcess;
    let ops: string;

    before(async () => {
      const { env, ports } = await portEnv();
      ops = `http://127.0.0.1:${ports.operations}`;
      peer = PeerProcess.run(['start', '--config', config], env);
      await peer.waitFor(/peer started/);
    });

    after(() => {
      peer.kill();
      if (existsSync(flag)) rmSync(flag);
    });

    it('/healthz includes its checker: 200 while it passes, 503 naming it when it fails', async () => {
      const ok = await httpRequest(`${ops}/healthz`);
      assert.equal(ok.status, 200);
      writeFileSync(flag, '');
      const down = await httpRequest(`${ops}/healthz`);
      assert.equal(down.status, 503);
      const body = JSON.parse(down.body) as {
        status: string;
        failed_checks: { component: string; reason: string }[];
      };
      assert.equal(body.status, 'Service Unavailable');
      assert.deepEqual(body.failed_checks, [
        { component: 'acme-audit', reason: `audit log unavailable (${flag} exists)` },
      ]);
      rmSync(flag);
      assert.equal((await httpRequest(`${ops}/healthz`)).status, 200);
    });

    it('stops cleanly', async () => {
      assert.equal((await peer.terminate()).code, 0);
    });
  });
});

describe('a plugin built for an incompatible api version', () => {
  it('stops start-up with a message naming the key, the package and the versions', async () => {
    const config = configWithPlugins([{ dir: join(pluginFixtures, 'future-api') }]);
    const { env } = await portEnv();
    const p = PeerProcess.run(['start', '--config', config], env);
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.match(
      p.text(),
      /Error: plugins\[0\]\.library: plugin acme-future@3\.0\.0 \(.*future-api\): was built for @fabric-peer\/api 2\.0\.0, but this peer provides 1\.0\.0; rebuild it against @fabric-peer\/api \^1\.0\.0/,
    );
    assert.doesNotMatch(p.text(), /peer started/);
  });

  it('is refused by config check too', async () => {
    const config = configWithPlugins([{ dir: join(pluginFixtures, 'future-api') }]);
    const { code, out } = await runCli(['config', 'check', '--config', config]);
    assert.equal(code, 1);
    assert.match(out, /plugins\[0\]\.library: plugin acme-future@3\.0\.0/);
  });
});
