/**
 * `fabric-peer ledger import` and `ledger inspect` as an operator runs them (the real command line in
 * a child process, a core.yaml made from config/core.yaml with its own peer.fileSystemPath), on the
 * 87 blocks of a real Fabric v2.4.9 channel: the import verifies, validates and commits every block
 * through the peer's committer, and the inspected ledger holds Fabric's validation codes for every
 * transaction, Fabric's TRANSACTIONS_FILTER in every block and Fabric's world state. Re-running the
 * import changes nothing; a tampered block 40 stops the import there with the 40 blocks before it
 * committed, and importing the good blocks then resumes at 40; the filters stored are computed,
 * never copied from the files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { cli, repoRoot, sampleConfig, shared } from '../helpers/paths.js';

const corpus = join(shared, 'fixtures/fabric-2.4.9/corpus-basic');
const BLOCKS = 87;
const TAMPERED = 40;
const FILTER = common.BlockMetadataIndex.TRANSACTIONS_FILTER;
/** Temporary folders, removed when the suite ends. */
const temporary: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

interface CorpusTx {
  txid: string;
  type: string;
  validation_code: string;
}
interface CorpusBlock {
  number: number;
  previous_hash: string;
  data_hash: string;
  transactions_filter: number[];
  transactions: CorpusTx[];
}
interface Inspected {
  channel: string;
  height: number;
  currentBlockHash: string;
  previousBlockHash: string;
  blocks: {
    number: number;
    hash: string;
    previousHash: string;
    dataHash: string;
    transactionsFilter: number[];
    transactions: { txId: string; type: string; validationCode: string }[];
  }[];
  state?: Record<string, string | { base64: string }>;
}

const codes = JSON.parse(readFileSync(join(corpus, 'validation-codes.json'), 'utf8')) as {
  channel: string;
  blocks: CorpusBlock[];
};
const fabricState = JSON.parse(readFileSync(join(corpus, 'state.json'), 'utf8')) as Record<
  string,
  string
>;

function corpusBlockBytes(n: number): Buffer {
  return readFileSync(join(corpus, `block-${n}.pb`));
}

/** The TRANSACTIONS_FILTER Fabric's peer stored, as carried by the corpus block file. */
function fabricFilter(n: number): number[] {
  const block = common.Block.decode(corpusBlockBytes(n));
  return [...(block.metadata?.metadata?.[FILTER] ?? [])];
}

/** A copy of config/core.yaml whose ledgers live in a fresh temporary folder. */
function makeConfig(): { file: string; fileSystemPath: string } {
  const dir = tempDir('ledger-tools-');
  const fileSystemPath = join(dir, 'production');
  const text = readFileSync(sampleConfig, 'utf8');
  const edited = text
    .replace(/^( {2}fileSystemPath:) .*$/m, `$1 ${fileSystemPath}`)
    // The copy lives elsewhere: the sample's MSP by absolute path.
    .replace(/^( {2}mspConfigPath:) msp$/m, `$1 ${join(repoRoot, 'config/msp')}`);
  assert.match(edited, new RegExp(`fileSystemPath: ${fileSystemPath}`));
  assert.match(edited, /mspConfigPath: \/.*config\/msp$/m);
  const file = join(dir, 'core.yaml');
  writeFileSync(file, edited);
  return { file, fileSystemPath };
}

/** Runs `fabric-peer <args>` to completion, stdout and stderr apart. */
function fabricPeer(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('CORE_') && k !== 'FABRIC_CFG_PATH',
      ),
    ),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** `fabric-peer ledger inspect` of mychannel, as it ends. */
function runInspect(config: string, namespace?: string, env: Record<string, string> = {}) {
  return fabricPeer(
    [
      'ledger',
      'inspect',
      '--config',
      config,
      '--channel',
      'mychannel',
      ...(namespace !== undefined ? ['--namespace', namespace] : []),
    ],
    env,
  );
}

async function inspect(config: string, namespace?: string): Promise<Inspected> {
  const r = await runInspect(config, namespace);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Inspected;
}

/** Every inspected block is the corpus block: hashes, Fabric's filter, every transaction's code. */
function assertFabricBlocks(inspected: Inspected, upTo: number): void {
  assert.equal(inspected.blocks.length, upTo);
  for (let n = 0; n < upTo; n += 1) {
    const ours = inspected.blocks[n]!;
    const fabric = codes.blocks[n]!;
    assert.equal(ours.number, n);
    assert.equal(ours.previousHash, fabric.previous_hash, `block ${n} previous hash`);
    assert.equal(ours.dataHash, fabric.data_hash, `block ${n} data hash`);
    if (n > 0) assert.equal(ours.previousHash, inspected.blocks[n - 1]!.hash);
    // What our ledger stored against what Fabric's peer stored (the block file's metadata[2]).
    assert.deepEqual(ours.transactionsFilter, fabricFilter(n), `block ${n} TRANSACTIONS_FILTER`);
    assert.deepEqual(ours.transactionsFilter, fabric.transactions_filter);
    const byTxId = new Map(ours.transactions.map((t) => [t.txId, t]));
    assert.equal(byTxId.size, fabric.transactions.length, `block ${n} transactions`);
    for (const tx of fabric.transactions) {
      const mine = byTxId.get(tx.txid);
      assert.ok(mine, `block ${n}: transaction ${tx.txid} missing`);
      assert.equal(mine.type, tx.type, `block ${n} tx ${tx.txid} type`);
      assert.equal(mine.validationCode, tx.validation_code, `block ${n} tx ${tx.txid} code`);
    }
  }
  assert.equal(inspected.height, upTo);
  assert.equal(inspected.currentBlockHash, inspected.blocks[upTo - 1]!.hash);
  assert.equal(inspected.previousBlockHash, inspected.blocks[upTo - 1]!.previousHash);
}

/** A copy of the corpus blocks with every filter set to NOT_VALIDATED and block 40 tampered. */
function tamperedCopy(): string {
  const dir = tempDir('ledger-tools-blocks-');
  for (let n = 0; n < BLOCKS; n += 1) {
    const block = common.Block.decode(corpusBlockBytes(n));
    const slots = [...(block.metadata?.metadata ?? [])];
    // Whatever the files say, the import must store the codes it computes.
    slots[FILTER] = new Uint8Array(block.data?.data?.length ?? 0).fill(254);
    const data = [...(block.data?.data ?? [])];
    if (n === TAMPERED) {
      // One bit of the envelope's last byte (inside its signature): the envelope still decodes,
      // but the block's data no longer hashes to its header's data hash.
      const env = Uint8Array.from(data[0]!);
      env[env.length - 1] = env[env.length - 1]! ^ 0x01;
      data[0] = env;
    }
    const copy = common.Block.create({
      header: block.header ?? undefined,
      data: { data },
      metadata: { metadata: slots },
    });
    writeFileSync(join(dir, `block-${n}.pb`), common.Block.encode(copy).finish());
  }
  return dir;
}

/** Starts `fabric-peer <args>`, sends SIGINT once stderr shows `when`, and waits for the exit. */
function interruptedWhen(
  args: string[],
  when: RegExp,
): Promise<{ code: number | null; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CORE_') && k !== 'FABRIC_CFG_PATH'),
  );
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    if (!sent && when.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('fabric-peer ledger import and inspect on the Fabric v2.4.9 corpus', () => {
  const { file: config } = makeConfig();
  let first: Inspected;
  after(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  before(async () => {
    // The corpus folder as it is: 87 block files (plus other files and orderer-blocks/, ignored).
    const t0 = performance.now();
    const r = await fabricPeer(['ledger', 'import', '--config', config, '--from', corpus]);
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    const done =
      /ledger import: done: channel mychannel at height 87: blocks 87: 87 committed, 0 already in the ledger; 87 transactions \(85 valid, 2 invalid\); ([\d.]+) s(?:, ([\d.]+) blocks\/s)?/.exec(
        r.stderr,
      );
    assert.ok(done, r.stderr);
    // Recorded for the report: the import alone, and the whole command (start-up included).
    process.stderr.write(
      `# ledger import of ${BLOCKS} blocks: ${done[1]} s (${done[2] ?? '?'} blocks/s); whole command ${(ms / 1000).toFixed(1)} s\n`,
    );
    first = await inspect(config, 'basic');
  });

  it("stores Fabric's validation code for every transaction and Fabric's filter in every block", () => {
    assert.equal(first.channel, codes.channel);
    assertFabricBlocks(first, BLOCKS);
    const all = first.blocks.flatMap((b) => b.transactions.map((t) => t.validationCode));
    assert.equal(all.filter((c) => c === 'VALID').length, 85);
    assert.equal(first.blocks[85]!.transactions[0]!.validationCode, 'MVCC_READ_CONFLICT');
    assert.equal(first.blocks[86]!.transactions[0]!.validationCode, 'ENDORSEMENT_POLICY_FAILURE');
  });

  it("ends with Fabric's world state of basic, exactly", () => {
    assert.deepEqual(first.state, fabricState);
  });

  it('prints no state without --namespace', async () => {
    const r = await inspect(config);
    assert.equal(r.state, undefined);
    assert.deepEqual(r.blocks, first.blocks);
  });

  it('re-running the import is a no-op that succeeds', async () => {
    const r = await fabricPeer(['ledger', 'import', '--config', config, '--from', corpus]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /done: channel mychannel at height 87: blocks 87: 0 committed, 87 already in the ledger; 0 transactions/,
    );
    assert.deepEqual(await inspect(config, 'basic'), first);
  });

  it('inspect of an unknown channel exits 1 with one message', async () => {
    const r = await fabricPeer([
      'ledger',
      'inspect',
      '--config',
      config,
      '--channel',
      'nosuchchannel',
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^Error: channel nosuchchannel not found: the ledgers in .*ledgersData hold channels mychannel\n$/,
    );
  });

  it('a tampered block 40 stops the import there, 0..39 committed; the good blocks then resume at 40', async () => {
    const { file: fresh } = makeConfig();
    const blocks = tamperedCopy();
    assert.equal(readdirSync(blocks).length, BLOCKS);
    const r = await fabricPeer(['ledger', 'import', '--config', fresh, '--from', blocks]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `Error: block ${TAMPERED} \\(${blocks}/block-${TAMPERED}\\.pb\\) was refused: Header\\.DataHash is different from Hash\\(block\\.Data\\) for block with id \\[${TAMPERED}\\] on channel \\[mychannel\\]; blocks 0 to ${TAMPERED - 1} are committed \\(height ${TAMPERED}\\)\\n$`,
      ),
    );
    const stopped = await inspect(fresh, 'basic');
    // The files said NOT_VALIDATED everywhere; the ledger holds the codes it computed: Fabric's.
    assertFabricBlocks(stopped, TAMPERED);

    const resumed = await fabricPeer(['ledger', 'import', '--config', fresh, '--from', corpus]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      /done: channel mychannel at height 87: blocks 87: 47 committed, 40 already in the ledger; 47 transactions \(45 valid, 2 invalid\)/,
    );
    const whole = await inspect(fresh, 'basic');
    assertFabricBlocks(whole, BLOCKS);
    assert.deepEqual(whole.state, fabricState);
  });

  it('SIGINT stops the import between two blocks, everything before committed', async () => {
    const { file: fresh } = makeConfig();
    const r = await interruptedWhen(
      ['ledger', 'import', '--config', fresh, '--from', corpus, '--progress-every', '1'],
      /block 1 of 86/,
    );
    assert.equal(r.code, 1, r.stderr);
    const m =
      /^Error: interrupted before block (\d+): blocks 0 to (\d+) are committed \(height (\d+)\); run the import again to resume\n$/m.exec(
        r.stderr,
      );
    assert.ok(m, r.stderr);
    const height = Number(m[3]);
    assert.equal(Number(m[1]), height);
    assert.ok(height >= 2 && height < BLOCKS, r.stderr);
    assertFabricBlocks(await inspect(fresh), height);
  });
});

describe('fabric-peer node rebuild-dbs, unjoin, reset, pause, resume and rollback on the corpus ledger', () => {
  // Made in `before`: the suite above removes every temporary folder when it ends.
  let config = '';
  let imported: Inspected;
  after(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  const importCorpus = async (): Promise<void> => {
    const r = await fabricPeer(['ledger', 'import', '--config', config, '--from', corpus]);
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    config = makeConfig().file;
    await importCorpus();
    imported = await inspect(config, 'basic');
    assert.deepEqual(imported.state, fabricState);
  });

  it("rebuild-dbs drops state and history, and the next open rebuilds Fabric's state", async () => {
    const r = await fabricPeer(['node', 'rebuild-dbs', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'node rebuild-dbs: dropped the state and history databases of mychannel; they are rebuilt from the blocks when the peer next starts\n',
    );
    // inspect opens the ledger: the blocks are recommitted into the empty databases first.
    const reopened = await runInspect(config, 'basic', { FABRIC_LOGGING_SPEC: 'info' });
    assert.equal(reopened.code, 0, reopened.stderr);
    assert.match(reopened.stderr, /Recommitting lost blocks - firstBlockNum=0, lastBlockNum=86/);
    assert.deepEqual(JSON.parse(reopened.stdout), imported);
  });

  it('unjoin removes the channel, which can then be joined again', async () => {
    const r = await fabricPeer(['node', 'unjoin', '--config', config, '--channel', 'mychannel']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'node unjoin: removed the ledger of channel mychannel\n');
    const gone = await runInspect(config);
    assert.equal(gone.code, 1);
    assert.match(
      gone.stderr,
      /^Error: channel mychannel not found: the ledgers in .* hold no channel\n$/,
    );
    await importCorpus();
    assert.deepEqual(await inspect(config, 'basic'), imported);
  });

  it('unjoin of an unknown channel exits 1 with one message, changing nothing', async () => {
    const r = await fabricPeer(['node', 'unjoin', '--config', config, '--channel', 'nosuch']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^Error: channel nosuch not found: the ledgers in .* hold channels mychannel\n$/,
    );
    assert.deepEqual(await inspect(config, 'basic'), imported);
  });

  it('reset takes every channel back to its genesis block; an import brings back the same ledger', async () => {
    const r = await fabricPeer(['node', 'reset', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node reset: mychannel reset to the genesis block; /);
    const reset = await inspect(config);
    assert.equal(reset.height, 1);
    assert.deepEqual(reset.blocks, imported.blocks.slice(0, 1));
    await importCorpus();
    assert.deepEqual(await inspect(config, 'basic'), imported);
  });

  it('pause keeps the ledger closed until resume', async () => {
    const node = (cmd: string) =>
      fabricPeer(['node', cmd, '--config', config, '--channel', 'mychannel']);
    const paused = await node('pause');
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(
      paused.stdout,
      'node pause: channel mychannel is paused; the peer does not open it until `fabric-peer node resume --channel mychannel`\n',
    );
    const closed = await runInspect(config);
    assert.equal(closed.code, 1);
    assert.equal(
      closed.stderr,
      'Error: channel mychannel is paused: resume it with `fabric-peer node resume --channel mychannel`\n',
    );
    assert.equal((await node('pause')).stdout, 'node pause: channel mychannel is already paused\n');
    const resumed = await node('resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(
      resumed.stdout,
      'node resume: channel mychannel is active; the peer opens it at its next start\n',
    );
    assert.deepEqual(await inspect(config, 'basic'), imported);
  });

  it('rollback keeps the blocks up to the one named; an import brings back the same ledger', async () => {
    const rollback = (block: string) =>
      fabricPeer(['node', 'rollback', '--config', config, '--channel', 'mychannel', '-b', block]);
    const refused = await rollback('86');
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      'Error: target block number [86] should be less than the biggest block number [86]\n',
    );
    const r = await rollback('40');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^node rollback: channel mychannel now ends at block 40; /);
    const rolled = await inspect(config);
    assert.equal(rolled.height, 41);
    assert.deepEqual(rolled.blocks, imported.blocks.slice(0, 41));
    assert.equal(rolled.currentBlockHash, imported.blocks[40]!.hash);
    // The import resumes after the ledger's height: blocks 41 to 86 again, validated anew.
    await importCorpus();
    assert.deepEqual(await inspect(config, 'basic'), imported);
  });
});
