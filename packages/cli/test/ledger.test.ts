// `fabric-peer ledger import` and `ledger inspect`, run in process through `main`, on small ledgers
// made from the first blocks of the Fabric v2.4.9 corpus.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@fabric-peer/config';
import { LoggingSystem } from '@fabric-peer/logging';
import { OfflinePeer } from '@fabric-peer/node';
import { common } from '@fabric-peer/protos';
import { main, type Io } from '../src/main.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const sample = join(repoRoot, 'config/core.yaml');
const corpus = resolve(repoRoot, '../shared/fixtures/fabric-2.4.9/corpus-basic');

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

/** A folder with the corpus blocks 0..last (copied as they are). */
function corpusBlocks(root: string, last: number): string {
  const dir = mkdtempSync(join(root, 'blocks-'));
  for (let n = 0; n <= last; n += 1) {
    copyFileSync(join(corpus, `block-${n}.pb`), join(dir, `block-${n}.pb`));
  }
  return dir;
}

describe('fabric-peer ledger (in process)', () => {
  let root = '';
  /** A ledger with the corpus blocks 0..5, imported once. */
  let fs = '';
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'cli-ledger-'));
    fs = join(root, 'fs');
    env = { CORE_PEER_FILESYSTEMPATH: fs };
    const r = await run(
      [
        'ledger',
        'import',
        '--config',
        sample,
        '--from',
        corpusBlocks(root, 5),
        '--progress-every',
        '2',
      ],
      env,
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    // Progress every 2 blocks, then the summary.
    assert.match(
      r.err,
      /^ledger import: mychannel: block 1 of 5: 2 committed, 0 already in the ledger; 2 transactions \(2 valid, 0 invalid\); /m,
    );
    assert.match(r.err, /^ledger import: mychannel: block 3 of 5: 4 committed/m);
    assert.match(
      r.err,
      /^ledger import: done: channel mychannel at height 6: blocks 6: 6 committed, 0 already in the ledger; 6 transactions \(6 valid, 0 invalid\); [\d.]+ s/m,
    );
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('argument errors', () => {
    it('import needs --from, inspect needs --channel (exit 1, commander’s message)', async () => {
      const i = await run(['ledger', 'import', '--config', sample]);
      assert.equal(i.code, 1);
      assert.match(i.err, /required option '--from <dir>' not specified/);
      const s = await run(['ledger', 'inspect', '--config', sample]);
      assert.equal(s.code, 1);
      assert.match(s.err, /required option '--channel <name>' not specified/);
    });

    it('--progress-every must be a positive integer', async () => {
      const r = await run(['ledger', 'import', '--from', root, '--progress-every', '0']);
      assert.equal(r.code, 1);
      assert.match(r.err, /option '--progress-every <blocks>' argument '0' is invalid/);
    });

    it('a missing DIR is one message and exit 1', async () => {
      const missing = join(root, 'no-such-dir');
      const r = await run(['ledger', 'import', '--config', sample, '--from', missing], env);
      assert.equal(r.code, 1);
      assert.equal(r.err, `Error: block directory ${missing} does not exist\n`);
    });

    it('DIR without block-0.pb, with a gap, with two files for one block, with none', async () => {
      const noGenesis = mkdtempSync(join(root, 'nogenesis-'));
      await writeFile(join(noGenesis, 'block-1.pb'), '');
      const gap = mkdtempSync(join(root, 'gap-'));
      for (const n of [0, 1, 3]) await writeFile(join(gap, `block-${n}.pb`), '');
      const twice = mkdtempSync(join(root, 'twice-'));
      for (const name of ['block-0.pb', 'block-1.pb', 'block-01.pb']) {
        await writeFile(join(twice, name), '');
      }
      const empty = mkdtempSync(join(root, 'empty-'));
      await writeFile(join(empty, 'notes.txt'), 'no blocks here');
      const cases: [string, RegExp][] = [
        [
          noGenesis,
          /has no block-0\.pb: an import starts from the channel's genesis block \(the first file is block-1\.pb\)\n$/,
        ],
        [gap, /has a gap: block 2 is missing \(block-1\.pb is followed by block-3\.pb\)\n$/],
        [twice, /holds two files for block 1: block-0?1\.pb and block-0?1\.pb\n$/],
        [empty, /holds no block files \(block-<n>\.pb, each a marshalled common\.Block\)\n$/],
      ];
      for (const [dir, message] of cases) {
        const r = await run(['ledger', 'import', '--config', sample, '--from', dir], env);
        assert.equal(r.code, 1, dir);
        assert.match(r.err, /^Error: /);
        assert.match(r.err, message);
        assert.equal(r.err.split('\n').length, 2, 'one line');
      }
    });

    it('a configuration that does not load is one message and exit 1', async () => {
      const r = await run(
        ['ledger', 'inspect', '--config', join(root, 'nowhere', 'core.yaml'), '--channel', 'c'],
        env,
      );
      assert.equal(r.code, 1);
      assert.match(r.err, /^Error: .*nowhere/);
      const bad = await run(['ledger', 'import', '--config', sample, '--from', root], {
        ...env,
        CORE_LEDGER_STATE_STATEDATABASE: 'mongo',
      });
      assert.equal(bad.code, 1);
      assert.match(bad.err, /ledger\.state\.stateDatabase/);
    });
  });

  describe('inspect', () => {
    it('prints the chain as JSON: channel, height, hashes, blocks with their transactions', async () => {
      const r = await run(['ledger', 'inspect', '--config', sample, '--channel', 'mychannel'], env);
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out) as Record<string, unknown> & {
        blocks: Record<string, unknown>[];
      };
      assert.deepEqual(Object.keys(json), [
        'channel',
        'height',
        'currentBlockHash',
        'previousBlockHash',
        'blocks',
      ]);
      assert.equal(json['channel'], 'mychannel');
      assert.equal(json['height'], 6);
      assert.equal(json.blocks.length, 6);
      const fabric = (
        JSON.parse(readFileSync(join(corpus, 'validation-codes.json'), 'utf8')) as {
          blocks: { previous_hash: string; data_hash: string; transactions: { txid: string }[] }[];
        }
      ).blocks;
      json.blocks.forEach((b, n) => {
        assert.deepEqual(Object.keys(b), [
          'number',
          'hash',
          'previousHash',
          'dataHash',
          'transactionsFilter',
          'transactions',
        ]);
        assert.equal(b['number'], n);
        assert.match(String(b['hash']), /^[0-9a-f]{64}$/);
        assert.equal(b['previousHash'], fabric[n]!.previous_hash);
        assert.equal(b['dataHash'], fabric[n]!.data_hash);
        assert.deepEqual(b['transactionsFilter'], [0]);
        assert.deepEqual(b['transactions'], [
          {
            txId: fabric[n]!.transactions[0]!.txid,
            type: n === 0 ? 'CONFIG' : 'ENDORSER_TRANSACTION',
            validationCode: 'VALID',
          },
        ]);
        if (n > 0) assert.equal(b['previousHash'], json.blocks[n - 1]!['hash']);
      });
      assert.equal(json['currentBlockHash'], json.blocks[5]!['hash']);
      assert.equal(json['previousBlockHash'], json.blocks[4]!['hash']);
    });

    it('--namespace adds its world state: UTF-8 values as text, others as base64', async () => {
      const basic = await run(
        ['ledger', 'inspect', '--config', sample, '--channel', 'mychannel', '--namespace', 'basic'],
        env,
      );
      assert.equal(basic.code, 0, basic.err);
      const state = (JSON.parse(basic.out) as { state: Record<string, string> }).state;
      assert.deepEqual(Object.keys(state), ['asset001', 'asset002']);
      assert.deepEqual(JSON.parse(state['asset001']!), {
        ID: 'asset001',
        Color: 'red',
        Size: 6,
        Owner: 'Brad',
        AppraisedValue: 100,
      });
      // Namespace "" holds the channel configuration, binary protobuf.
      const config = await run(
        ['ledger', 'inspect', '--config', sample, '--channel', 'mychannel', '--namespace', ''],
        env,
      );
      assert.equal(config.code, 0, config.err);
      const stored = (JSON.parse(config.out) as { state: Record<string, { base64: string }> })
        .state['CHANNEL_CONFIG_ENV_BYTES'];
      assert.ok(stored && typeof stored.base64 === 'string', config.out);
      const envelope = common.ConfigEnvelope.decode(Buffer.from(stored.base64, 'base64'));
      assert.ok(envelope.config?.channelGroup?.groups?.['Application']);
    });

    it('an unknown channel is one message and exit 1', async () => {
      const r = await run(['ledger', 'inspect', '--config', sample, '--channel', 'other'], env);
      assert.equal(r.code, 1);
      assert.equal(r.out, '');
      assert.equal(
        r.err,
        `Error: channel other not found: the ledgers in ${join(fs, 'ledgersData')} hold channels mychannel\n`,
      );
    });

    it('a fileSystemPath without ledgers: unknown channel, and nothing is created there', async () => {
      const empty = join(root, 'empty-fs');
      const r = await run(['ledger', 'inspect', '--config', sample, '--channel', 'mychannel'], {
        CORE_PEER_FILESYSTEMPATH: empty,
      });
      assert.equal(r.code, 1);
      assert.match(r.err, /^Error: channel mychannel not found: there are no ledgers in /);
      assert.equal(existsSync(empty), false);
    });
  });

  describe('import onto an existing ledger', () => {
    it('resumes after its height, checking the blocks below it', async () => {
      const r = await run(
        [
          'ledger',
          'import',
          '--config',
          sample,
          '--from',
          corpusBlocks(root, 7),
          '--channel',
          'mychannel',
        ],
        env,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.err,
        /done: channel mychannel at height 8: blocks 8: 2 committed, 6 already in the ledger; 2 transactions \(2 valid, 0 invalid\)/,
      );
    });

    it('block files of another chain are refused, naming the block', async () => {
      const dir = corpusBlocks(root, 8);
      const block = common.Block.decode(readFileSync(join(dir, 'block-3.pb')));
      block.header!.dataHash = new Uint8Array(32).fill(7);
      await writeFile(join(dir, 'block-3.pb'), common.Block.encode(block).finish());
      const r = await run(['ledger', 'import', '--config', sample, '--from', dir], env);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /^Error: block 3 \(.*block-3\.pb\) is not block 3 of the ledger of channel mychannel: header hash [0-9a-f]{64} in the file, [0-9a-f]{64} in the ledger; these files are not this channel's chain\n$/m,
      );
    });

    it('a block file that is not a block, or not the block its name says, is named', async () => {
      const garbage = corpusBlocks(root, 8);
      await writeFile(join(garbage, 'block-8.pb'), Buffer.from([0x0a, 0xff, 0xff]));
      const g = await run(['ledger', 'import', '--config', sample, '--from', garbage], env);
      assert.equal(g.code, 1);
      assert.match(g.err, /^Error: .*block-8\.pb: not a marshalled common\.Block: /m);
      const renamed = corpusBlocks(root, 7);
      copyFileSync(join(corpus, 'block-9.pb'), join(renamed, 'block-8.pb'));
      const n = await run(['ledger', 'import', '--config', sample, '--from', renamed], env);
      assert.equal(n.code, 1);
      assert.match(n.err, /^Error: .*block-8\.pb holds block 9, not block 8\n$/m);
    });

    it('--channel must name the channel of block 0', async () => {
      const r = await run(
        [
          'ledger',
          'import',
          '--config',
          sample,
          '--from',
          corpusBlocks(root, 0),
          '--channel',
          'other',
        ],
        env,
      );
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /^Error: .*block-0\.pb is the genesis block of channel mychannel, not of other\n$/m,
      );
    });
  });

  it('while another process holds the ledgers (a running peer), both commands say so', async () => {
    const logging = new LoggingSystem({ spec: 'error', writer: { write: () => undefined } });
    const holder = await OfflinePeer.create(
      {
        config: loadConfig({ path: sample, env }),
        loggerFactory: (m) => logging.logger(m),
        logSpec: logging,
        build: { Version: 'test', CommitSHA: 'test' },
      },
      'ledgers',
    );
    await holder.start();
    try {
      const blocks = corpusBlocks(root, 1);
      for (const args of [
        ['ledger', 'inspect', '--config', sample, '--channel', 'mychannel'],
        ['ledger', 'import', '--config', sample, '--from', blocks],
      ]) {
        const r = await run(args, env);
        assert.equal(r.code, 1, args.join(' '));
        assert.equal(
          r.err,
          `Error: the ledgers in ${join(fs, 'ledgersData')} are locked by another process: is a peer running on this fileSystemPath? Stop it first (peer.fileSystemPath: ${fs})\n`,
        );
      }
    } finally {
      await holder.stop();
    }
  });
});
