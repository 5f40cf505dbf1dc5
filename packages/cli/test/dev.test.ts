// `fabric-peer dev crypto` and `fabric-peer dev genesis`, run in process through `main`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { main, type Io } from '../src/main.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpusDir = (): string => resolve(repoRoot, '../shared/fixtures/fabric-2.4.9/corpus-basic');
const devtoolsDir = join(repoRoot, 'packages/devtools');

describe('fabric-peer dev (in process)', () => {
  let dir = '';

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), env: {} };
    const code = await main(['node', 'fabric-peer', ...args], io);
    return { code, out, err };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-dev-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('dev crypto writes cryptogen’s layout and says what it wrote in one line', async () => {
    const r = await run([
      'dev',
      'crypto',
      '--config',
      join(corpusDir(), 'config', 'crypto-config.yaml'),
      '--output',
      join(dir, 'crypto'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(
      r.out,
      /^wrote 3 organizations \(2 peers, 1 orderer, 5 users; \d+ files\) to \/.+\/crypto\n$/,
    );
    for (const f of [
      'peerOrganizations/org1.example.com/msp/config.yaml',
      'peerOrganizations/org2.example.com/peers/peer0.org2.example.com/tls/server.key',
      'ordererOrganizations/example.com/orderers/orderer.example.com/msp/keystore/priv_sk',
      'ordererOrganizations/example.com/users/Admin@example.com/tls/client.crt',
    ]) {
      assert.ok(existsSync(join(dir, 'crypto', f)), f);
    }
  });

  it('dev genesis writes a block that decodes, and says what it wrote in one line', async () => {
    const yaml = [
      'channel: devchannel',
      'orgs:',
      '  - {name: OrdererOrg, mspId: OrdererMSP, orderer: true, mspDir: crypto/ordererOrganizations/example.com/msp, ordererEndpoints: [127.0.0.1:7050]}',
      '  - {mspId: Org1MSP, mspDir: crypto/peerOrganizations/org1.example.com/msp, anchorPeers: [127.0.0.1:7051]}',
      '  - {mspId: Org2MSP, mspDir: crypto/peerOrganizations/org2.example.com/msp}',
      'orderer:',
      '  consenters:',
      '    - {host: 127.0.0.1, port: 7050, tlsCert: crypto/ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt}',
      '',
    ].join('\n');
    await writeFile(join(dir, 'genesis.yaml'), yaml);
    const out = join(dir, 'blocks', 'devchannel.block');
    const r = await run(['dev', 'genesis', '-c', join(dir, 'genesis.yaml'), '-o', out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(
      r.out,
      /^wrote the genesis block of channel devchannel \(orderer orgs: OrdererMSP; application orgs: Org1MSP, Org2MSP; \d+ bytes\) to \/.+\/blocks\/devchannel\.block\n$/,
    );
    const block = common.Block.decode(readFileSync(out));
    const env = common.Envelope.decode(block.data?.data?.[0] ?? new Uint8Array());
    const payload = common.Payload.decode(env.payload ?? new Uint8Array());
    const ch = common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array());
    assert.equal(ch.channelId, 'devchannel');
    assert.equal(ch.type, common.HeaderType.CONFIG);
    const config = common.ConfigEnvelope.decode(payload.data ?? new Uint8Array());
    assert.deepEqual(Object.keys(config.config?.channelGroup?.groups ?? {}).sort(), [
      'Application',
      'Orderer',
    ]);
  });

  it('runs the README’s two examples as they are written', async () => {
    const readme = readFileSync(join(devtoolsDir, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const cryptoYaml = blocks.find((b) => b.includes('PeerOrgs:'));
    const genesisYaml = blocks.find((b) => b.includes('channel: mychannel'));
    assert.ok(cryptoYaml !== undefined && genesisYaml !== undefined, 'README examples not found');
    const where = join(dir, 'readme');
    await mkdir(where);
    await writeFile(join(where, 'crypto-config.yaml'), cryptoYaml);
    await writeFile(join(where, 'genesis.yaml'), genesisYaml);
    const c = await run([
      'dev',
      'crypto',
      '-c',
      join(where, 'crypto-config.yaml'),
      '-o',
      join(where, 'crypto-config'),
    ]);
    assert.equal(c.code, 0, c.err);
    const g = await run([
      'dev',
      'genesis',
      '-c',
      join(where, 'genesis.yaml'),
      '-o',
      join(where, 'mychannel.block'),
    ]);
    assert.equal(g.code, 0, g.err);
    assert.equal(g.err, '');
    assert.match(
      g.out,
      /channel mychannel \(orderer orgs: OrdererMSP; application orgs: Org1MSP, Org2MSP;/,
    );
  });

  it('has help for the group and each command', async () => {
    const group = await run(['dev', '--help']);
    assert.equal(group.code, 0);
    assert.match(group.out, /Tools for development networks/);
    assert.match(group.out, /crypto \[options\]/);
    assert.match(group.out, /genesis \[options\]/);
    const top = await run(['--help']);
    assert.match(top.out, /dev\s+Tools for development networks/);
    for (const cmd of ['crypto', 'genesis']) {
      const r = await run(['dev', cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^Usage: fabric-peer dev ${cmd} \\[options\\]`));
      assert.match(r.out, /-c, --config <file>/);
      assert.match(r.out, /-o, --output </);
    }
  });

  it('reports bad input as one error line naming the field, with exit code 1', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      'channel: x\norgs:\n  - {mspId: A, mspDir: nowhere/msp, orderer: true}\n  - {mspId: B, mspDir: nowhere/msp}\norderer: {consenters: [{host: h, port: 1, tlsCert: t.crt}]}\n',
    );
    const r = await run([
      'dev',
      'genesis',
      '-c',
      join(dir, 'bad.yaml'),
      '-o',
      join(dir, 'x.block'),
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(
      r.err,
      /^Error: \/.+\/bad\.yaml: orgs\[0\]\.mspDir: \/.+\/nowhere\/msp: MSP folder not found\n$/,
    );
    assert.equal(existsSync(join(dir, 'x.block')), false);

    await writeFile(
      join(dir, 'bad-crypto.yaml'),
      'PeerOrgs:\n  - Domain: a.com\n    Users: {Count: -1}\n',
    );
    const c = await run([
      'dev',
      'crypto',
      '-c',
      join(dir, 'bad-crypto.yaml'),
      '-o',
      join(dir, 'c2'),
    ]);
    assert.equal(c.code, 1);
    assert.match(
      c.err,
      /^Error: \/.+\/bad-crypto\.yaml: PeerOrgs\[0\]\.Users\.Count: must be between 0 and 10000, got -1\n$/,
    );

    const missing = await run(['dev', 'crypto', '-c', join(dir, 'bad-crypto.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /required option '-o, --output <dir>' not specified/);
  });
});
