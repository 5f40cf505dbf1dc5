/**
 * The process the crash test kills. `run <fileSystemPath>` opens the peer's ledgers as the peer
 * does (core.yaml → goleveldb plugin → ledger manager; block files fsynced) and commits the crash
 * chain forever, printing `committed <n>` after each commit returns. `inspect <fileSystemPath>`
 * reads the savepoints as a crash left them, then opens the ledger (which recovers) and checks
 * every block, transaction, state value and history entry; it prints one JSON line.
 */
import { join } from 'node:path';
import { loadConfig } from '@fabric-peer/config';
import {
  ledgerConfig,
  ledgersDataPath,
  openBlockStore,
  openHistoryDBProvider,
  openLedgerManager,
} from '@fabric-peer/ledger';
import { LoggingSystem } from '@fabric-peer/logging';
import { createKernel } from '@fabric-peer/node';
import { blockDataHash, blockHeaderHash } from '@fabric-peer/protos';
import { sampleConfig } from './paths.js';
import {
  blockAfter,
  CHANNEL,
  expectedState,
  genesisBlock,
  NAMESPACE,
  TXS,
  txId,
  writesOf,
} from './crash-chain.js';

const [mode, fileSystemPath] = process.argv.slice(2);
if ((mode !== 'run' && mode !== 'inspect') || !fileSystemPath) {
  throw new Error('usage: ledger-crash-child run|inspect <fileSystemPath>');
}

const config = loadConfig({
  path: sampleConfig,
  env: { CORE_PEER_FILESYSTEMPATH: fileSystemPath },
});
const logging = new LoggingSystem({ spec: 'error' });
const kernel = await createKernel({
  config,
  loggerFactory: (m) => logging.logger(m),
  logSpec: logging,
  build: { Version: 'crash', CommitSHA: 'crash' },
});
const provider = kernel.registry.get('stateDatabase', 'goleveldb');
const settings = ledgerConfig(config);
const root = ledgersDataPath(settings.fileSystemPath);

async function savepointsBeforeRecovery() {
  const blocks = await openBlockStore({ dir: join(root, 'chains'), channelId: CHANNEL });
  const history = await openHistoryDBProvider(join(root, 'historyLeveldb'));
  const state = await provider.open(CHANNEL);
  try {
    return {
      height: blocks.info().height,
      state: (await state.getLatestSavePoint())?.blockNum ?? -1,
      history: (await history.handle(CHANNEL, blocks).getLastSavepoint())?.blockNum ?? -1,
    };
  } finally {
    await state.close();
    await history.close();
    await blocks.close();
  }
}

if (mode === 'inspect') {
  const before = await savepointsBeforeRecovery();
  const manager = await openLedgerManager({ ...settings, stateDatabaseProvider: provider });
  const ledger = await manager.open(CHANNEL);
  const height = Number(ledger.getBlockchainInfo().height);
  const problems: string[] = [];
  // Every block present once, hash-chained, with its own transactions at their own place.
  let previous: Awaited<ReturnType<typeof ledger.getBlockByNumber>>;
  for (let n = 0; n < height; n++) {
    const block = await ledger.getBlockByNumber(n);
    if (!block) {
      problems.push(`block ${n} missing`);
      continue;
    }
    if (Number(block.header!.number) !== n)
      problems.push(`block ${n} numbered ${Number(block.header!.number)}`);
    if (!Buffer.from(blockDataHash(block.data)).equals(Buffer.from(block.header!.dataHash!)))
      problems.push(`block ${n} data hash`);
    if (
      previous &&
      !Buffer.from(blockHeaderHash(previous.header!)).equals(
        Buffer.from(block.header!.previousHash!),
      )
    ) {
      problems.push(`block ${n} previous hash`);
    }
    if (n > 0) {
      for (let i = 0; i < TXS; i++) {
        const at = await ledger.getTxValidationCodeByTxId(txId(n, i));
        if (at?.blockNum !== n || at.validationCode !== 0)
          problems.push(`tx ${n}/${i} at ${JSON.stringify(at)}`);
      }
    }
    previous = block;
  }
  if (await ledger.txIdExists(txId(height, 0)))
    problems.push(`tx of block ${height} exists beyond the height`);
  // State: exactly what blocks 1..height−1 wrote.
  const qe = await ledger.newQueryExecutor();
  const state = new Map<string, string>();
  try {
    for await (const kv of await qe.getStateRangeScanIterator(NAMESPACE, '', ''))
      state.set(kv.key, Buffer.from(kv.value).toString());
  } finally {
    qe.done();
  }
  const expected = expectedState(height);
  if (state.size !== expected.size)
    problems.push(`state has ${state.size} keys, expected ${expected.size}`);
  for (const [k, v] of expected)
    if (state.get(k) !== v) problems.push(`state ${k}=${state.get(k)} expected ${v}`);
  // History of one key: every committed write to it, newest first, none beyond the height.
  const key = writesOf(1, 0)[0]![0];
  const writes: string[] = [];
  for (let n = height - 1; n >= 1; n--)
    for (let i = TXS - 1; i >= 0; i--)
      for (const [k] of writesOf(n, i)) if (k === key) writes.push(txId(n, i));
  const seen: string[] = [];
  const hq = ledger.newHistoryQueryExecutor()!;
  for await (const m of await hq.getHistoryForKey(NAMESPACE, key)) seen.push(m.txId);
  if (seen.join() !== [...new Set(writes)].join())
    problems.push(`history of ${key}: ${seen.length} entries, expected ${new Set(writes).size}`);
  await manager.close();
  const after = await savepointsBeforeRecovery();
  await provider.close();
  process.stdout.write(`${JSON.stringify({ before, after, height, problems })}\n`);
} else {
  const manager = await openLedgerManager({ ...settings, stateDatabaseProvider: provider });
  const ledger = (await manager.exists(CHANNEL))
    ? await manager.open(CHANNEL)
    : await manager.createFromGenesisBlock(genesisBlock());
  let height = Number(ledger.getBlockchainInfo().height);
  let last = (await ledger.getBlockByNumber(height - 1))!;
  for (;;) {
    const block = blockAfter(last, height);
    await ledger.commit(block);
    process.stdout.write(`committed ${height}\n`);
    last = block;
    height++;
  }
}
