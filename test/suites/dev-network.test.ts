/**
 * The README's development network, run as a user runs it: `fabric-peer dev up` in a child process
 * (the command `npm start` execs, with a folder and ports of its own), then the README's
 * `fabric-peer chaincode invoke` and `query` as separate processes talking to the peer's Gateway;
 * SIGTERM; then `dev up` again on the same folder, which resumes the network without deploying.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@fabric-peer/testkit';
import { cli, repoRoot } from '../helpers/paths.js';
import { PeerProcess } from '../helpers/peer-process.js';

/** Runs a short `fabric-peer` command to completion, stdout and stderr apart. */
function fabricPeer(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

const READY = /^chaincode basic: ready$/;

describe(
  'fabric-peer dev up, then chaincode invoke and query (the README)',
  { timeout: 120_000 },
  () => {
    let root = '';
    let dir = '';
    let portFlags: string[] = [];
    let up: PeerProcess | undefined;

    const call = (verb: 'invoke' | 'query', args: readonly string[], form: 'args' | 'c' = 'args') =>
      fabricPeer([
        'chaincode',
        verb,
        '--channel',
        'mychannel',
        '--name',
        'basic',
        ...(form === 'args'
          ? ['--args', JSON.stringify(args)]
          : ['-c', JSON.stringify({ Args: args })]),
        '--dir',
        dir,
      ]);

    const start = async (): Promise<{ process: PeerProcess; ms: number }> => {
      const t0 = Date.now();
      const p = PeerProcess.run(['dev', 'up', '--dir', dir, ...portFlags]);
      up = p;
      await p.waitFor(READY, 60_000);
      return { process: p, ms: Date.now() - t0 };
    };

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'dev-network-'));
      dir = join(root, 'devnet');
      portFlags = [
        '--orderer-port',
        String(await freePort()),
        '--peer-port',
        String(await freePort()),
        '--chaincode-port',
        String(await freePort()),
        '--operations-port',
        String(await freePort()),
      ];
    });

    after(async () => {
      up?.kill();
      await rm(root, { recursive: true, force: true });
    });

    it('comes up from nothing, serves invoke and query, refuses a second instance, and stops on SIGTERM', async (t) => {
      const { process: first, ms } = await start();
      t.diagnostic(`cold start to ready: ${ms} ms`);
      for (const step of [
        /^crypto: made OrdererMSP .* and Org1MSP /,
        /^channel mychannel: genesis block in /,
        /^orderer listening on 127\.0\.0\.1:\d+ /,
        /^peer listening on 127\.0\.0\.1:\d+ /,
        /^channel mychannel: peer0\.org1\.example\.com joined$/,
        /^chaincode basic: installed \(package ID basic_1\.0:[0-9a-f]{64}\)$/,
        /^chaincode basic: approved by Org1MSP/,
        /^chaincode basic: committed on mychannel \(sequence 1/,
        /^chaincode basic: InitLedger committed/,
      ]) {
        assert.ok(
          first.output.some((l) => step.test(l)),
          `${step}\n${first.text()}`,
        );
      }
      // The block after "ready" says how to call the chaincode, with this folder.
      await first.waitFor(
        /npx fabric-peer chaincode query --channel mychannel --name basic --args/,
      );

      const created = await call('invoke', ['CreateAsset', 'asset7', 'red', '5', 'Tom', '100']);
      assert.equal(created.code, 0, created.err);
      assert.match(
        created.out,
        /^result: \{"ID":"asset7","Color":"red","Size":"5","Owner":"Tom","AppraisedValue":"100"\}\ntxid: [0-9a-f]{64}\nvalidation code: VALID \(block 4\)\n$/,
      );

      const read = await call('query', ['ReadAsset', 'asset7']);
      assert.equal(read.code, 0, read.err);
      assert.equal(
        read.out,
        '{"AppraisedValue":"100","Color":"red","ID":"asset7","Owner":"Tom","Size":"5"}\n',
      );

      // Fabric's -c form; InitLedger's six assets and the new one.
      const all = await call('query', ['GetAllAssets'], 'c');
      assert.equal(all.code, 0, all.err);
      const ids = (JSON.parse(all.out) as { ID: string }[]).map((a) => a.ID);
      assert.deepEqual(ids, ['asset1', 'asset2', 'asset3', 'asset4', 'asset5', 'asset6', 'asset7']);

      // A chaincode error: exit 1 with the gateway's message and the peer's detail.
      const again = await call('invoke', ['CreateAsset', 'asset7', 'blue', '1', 'Ann', '1']);
      assert.equal(again.code, 1);
      assert.match(
        again.err,
        /^Error: 10 ABORTED: failed to endorse transaction, see attached details for more info\n/,
      );
      assert.match(
        again.err,
        /\n {2}127\.0\.0\.1:\d+ \(Org1MSP\): chaincode response 500, The asset asset7 already exists\n/,
      );
      assert.match(again.err, /\n {2}txid: [0-9a-f]{64}\n$/);
      assert.equal(again.out, '');

      // A second network on the same folder and ports.
      const second = await fabricPeer(['dev', 'up', '--dir', dir, ...portFlags]);
      assert.equal(second.code, 1);
      assert.match(
        second.err,
        /^Error: cannot listen on 127\.0\.0\.1:\d+ for the orderer: address in use/,
      );
      assert.equal((await call('query', ['AssetExists', 'asset7'])).out, 'true\n');

      const stopped = await first.terminate();
      assert.equal(stopped.code, 0, first.text());
      assert.ok(stopped.ms < 10_000, `stopping took ${stopped.ms} ms`);
      assert.ok(first.output.includes('stopping (SIGTERM)...'), first.text());
      assert.ok(first.output.includes('stopped'), first.text());
    });

    it('comes back on the same folder without deploying again, with its ledger', async (t) => {
      const { process: second, ms } = await start();
      t.diagnostic(`warm start to ready: ${ms} ms`);
      assert.ok(
        second.output.includes(
          'chaincode basic: already committed on mychannel (sequence 1): nothing to deploy',
        ),
        second.text(),
      );
      for (const redone of [
        /^crypto: made/,
        /genesis block in/,
        /approved by/,
        /InitLedger committed/,
        / joined$/,
      ]) {
        assert.ok(!second.output.some((l) => redone.test(l)), `${redone}\n${second.text()}`);
      }

      const read = await call('query', ['ReadAsset', 'asset7']);
      assert.equal(read.code, 0, read.err);
      assert.equal((JSON.parse(read.out) as { Owner: string }).Owner, 'Tom');

      const moved = await call('invoke', ['TransferAsset', 'asset7', 'Ann']);
      assert.equal(moved.code, 0, moved.err);
      assert.match(
        moved.out,
        /^result: Tom\ntxid: [0-9a-f]{64}\nvalidation code: VALID \(block 5\)\n$/,
      );
      const transferred = await call('query', ['ReadAsset', 'asset7']);
      assert.equal((JSON.parse(transferred.out) as { Owner: string }).Owner, 'Ann');

      const stopped = await second.terminate();
      assert.equal(stopped.code, 0, second.text());
    });
  },
);
