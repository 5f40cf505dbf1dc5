/**
 * Operators' offline ledger tools: `fabric-peer ledger import` and `fabric-peer ledger inspect`, in
 * the spirit of Fabric's ledgerutil, and `fabric-peer node rebuild-dbs` and `fabric-peer node
 * unjoin`, Fabric's offline `peer node` commands. All run on the peer's own configuration — the
 * node's services without listeners (`OfflinePeer` of @fabric-peer/node), so the blocks are
 * joined, verified, validated and committed by the very code the running peer uses — and all need
 * the peer stopped: its ledgers are locked while it runs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type LoadedConfig } from '@fabric-peer/config';
import { fromEnvironment, LoggingSystem } from '@fabric-peer/logging';
import {
  importBlocks,
  inspectLedger,
  LedgerToolError,
  listBlockFiles,
  OfflinePeer,
  openChannelLedger,
  type ImportProgress,
  type PeerOptions,
} from '@fabric-peer/node';
import { BUILD_INFO } from './generated/build-info.js';

/** Where the ledger commands write, and their environment; the cli's `Io` fits. */
export interface LedgerIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const CONFIG_HELP =
  'core.yaml, or the folder holding it (default: $FABRIC_CFG_PATH, else ./core.yaml, else /etc/hyperledger/fabric/core.yaml)';

/**
 * Logging of the tools unless FABRIC_LOGGING_SPEC says otherwise: warnings (a transaction found
 * invalid says why), but not the service start-up failure the command reports itself as its one
 * error line.
 */
const DEFAULT_LOG_SPEC = 'warn:core.lifecycle=fatal';

/** Default of `--progress-every`. */
const PROGRESS_EVERY = 1000;

const INSPECT_HELP = `
Prints JSON on stdout:
  { "channel", "height", "currentBlockHash", "previousBlockHash",
    "blocks": [ { "number", "hash", "previousHash", "dataHash", "transactionsFilter",
                  "transactions": [ { "txId", "type", "validationCode" } ] } ],
    "state": { "<key>": "<value>" } }                       (only with --namespace)
Hashes are hex; "hash" is the block header hash (what the next block's previousHash holds).
"type" is the channel header's HeaderType name, "validationCode" the TxValidationCode name the
ledger stored (e.g. VALID, MVCC_READ_CONFLICT), "transactionsFilter" the stored codes as numbers.
A state value that is not valid UTF-8 prints as { "base64": "..." }.

Against a Fabric corpus (validation-codes.json, state.json), field for field:
  blocks[i].number, previousHash, dataHash, transactionsFilter
      = blocks[i].number, previous_hash, data_hash, transactions_filter
  blocks[i].transactions[j].txId, type, validationCode
      = blocks[i].transactions[j].txid, type, validation_code
  state (with --namespace <chaincode>) = state.json

Read-only: no block is committed. The peer must not be running on the same peer.fileSystemPath.
`;

const IMPORT_HELP = `
DIR holds block-<n>.pb files (each a marshalled common.Block, as "peer channel fetch" writes them),
numbered from 0 without a gap. Block 0 joins the channel as cscc JoinChain does (a ledger is
created under peer.fileSystemPath); every later block goes through the peer's committer: block
verification (hash chain, data hash, orderer signatures against BlockValidation), transaction
validation (validation plugins, _lifecycle/lscc definitions, MVCC) and commit. The validation codes
stored are the ones computed here, never those in the files. On a channel the ledger already has,
the import resumes after its height; the blocks below it are checked to be the files' blocks. The
first block refused stops the import (exit 1, naming the block); the blocks before it stay
committed. Progress goes to stderr.

Offline: no listener, no orderer, no chaincode runtime. The peer must not be running on the same
peer.fileSystemPath.
`;

function load(io: LedgerIo, path: string | undefined): LoadedConfig {
  return loadConfig({ ...(path !== undefined ? { path } : {}), env: io.env });
}

/** The node's options for a tool, logging to stderr. */
function peerOptions(io: LedgerIo, config: LoadedConfig): PeerOptions {
  const logging = new LoggingSystem({
    ...fromEnvironment(io.env),
    spec: io.env['FABRIC_LOGGING_SPEC'] || DEFAULT_LOG_SPEC,
    writer: { write: (text: string) => io.err(text) },
  });
  return {
    config,
    loggerFactory: (module) => logging.logger(module),
    logSpec: { spec: () => logging.normalizedSpec(), activate: (s) => logging.activate(s) },
    build: BUILD_INFO,
  };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('it must be a positive integer.');
  }
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('it must be a block number (0 or more).');
  }
  return n;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function rate(blocks: number, ms: number): string {
  return blocks > 0 && ms > 0 ? `, ${(blocks / (ms / 1000)).toFixed(1)} blocks/s` : '';
}

function counts(p: ImportProgress): string {
  return (
    `${p.committed} committed, ${p.skipped} already in the ledger; ` +
    `${p.transactions} transactions (${p.valid} valid, ${p.invalid} invalid); ` +
    `${seconds(p.elapsedMs)}${rate(p.committed, p.elapsedMs)}`
  );
}

async function runImport(
  io: LedgerIo,
  opts: { config?: string; from: string; channel?: string; progressEvery?: number },
): Promise<number> {
  const config = load(io, opts.config);
  const dir = resolve(opts.from);
  const files = await listBlockFiles(dir);
  const peer = await OfflinePeer.create(peerOptions(io, config), 'committer');
  // SIGINT or SIGTERM: stop between two blocks, with everything before committed. A second signal
  // finds no listener and ends the process (the ledger recovers from its blocks when reopened).
  const interrupt = new AbortController();
  const onSignal = (): void => {
    io.err('ledger import: stopping after the block being committed (signal again to exit now)\n');
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await peer.start();
    io.err(
      `ledger import: blocks 0 to ${files[files.length - 1]!.number} from ${dir} into ${peer.ledgersDir}\n`,
    );
    const done = await importBlocks({
      peer,
      files,
      ...(opts.channel !== undefined ? { channelId: opts.channel } : {}),
      progressEvery: opts.progressEvery ?? PROGRESS_EVERY,
      signal: interrupt.signal,
      onProgress: (p) =>
        io.err(`ledger import: ${p.channel}: block ${p.block} of ${p.lastBlock}: ${counts(p)}\n`),
    });
    io.err(
      `ledger import: done: channel ${done.channel} at height ${done.height}: ` +
        `blocks ${done.committed + done.skipped}: ${counts(done)}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await peer.stop();
  }
}

async function runInspect(
  io: LedgerIo,
  opts: { config?: string; channel: string; namespace?: string },
): Promise<number> {
  const peer = await ledgersPeer(io, opts.config);
  if (!hasLedgers(peer)) throw channelNotFound(opts.channel, noLedgers(peer));
  await peer.start();
  try {
    const ledger = await openChannelLedger(peer.ledgers, opts.channel);
    const options = opts.namespace !== undefined ? { namespace: opts.namespace } : {};
    for await (const chunk of inspectLedger(ledger, opts.channel, options)) io.out(chunk);
    return 0;
  } finally {
    await peer.stop();
  }
}

/** The offline peer over the ledgers alone (scope `ledgers`), not started. */
async function ledgersPeer(io: LedgerIo, path: string | undefined): Promise<OfflinePeer> {
  return OfflinePeer.create(peerOptions(io, load(io, path)), 'ledgers');
}

/**
 * Whether the peer has ledgers at all: a tool checks before it starts the ledger manager, which
 * would create the folders (a path without ledgers stays untouched).
 */
function hasLedgers(peer: OfflinePeer): boolean {
  return existsSync(peer.ledgersDir);
}

function channelNotFound(channel: string, where: string): LedgerToolError {
  return new LedgerToolError('CHANNEL_NOT_FOUND', `channel ${channel} not found: ${where}`, {
    details: { channel },
  });
}

function noLedgers(peer: OfflinePeer): string {
  return `there are no ledgers in ${peer.ledgersDir} (peer.fileSystemPath: ${peer.fileSystemPath})`;
}

/**
 * Runs `op` on every ledger (the offline `node` commands on all channels), printing `none` when
 * there are none and `done(ids)` otherwise; stops the offline peer afterwards.
 */
async function onAllLedgers(
  io: LedgerIo,
  opts: { config?: string },
  none: string,
  op: (ledgers: OfflinePeer['ledgers']) => Promise<string[]>,
  done: (ids: string[]) => string,
): Promise<number> {
  const peer = await ledgersPeer(io, opts.config);
  if (!hasLedgers(peer)) {
    io.out(`${none}\n`);
    return 0;
  }
  await peer.start();
  try {
    const ids = await op(peer.ledgers);
    io.out(`${ids.length === 0 ? none : done(ids)}\n`);
    return 0;
  } finally {
    await peer.stop();
  }
}

function runRebuildDbs(io: LedgerIo, opts: { config?: string }): Promise<number> {
  return onAllLedgers(
    io,
    opts,
    'node rebuild-dbs: there are no ledgers to rebuild',
    (ledgers) => ledgers.rebuildDatabases(),
    (ids) =>
      `node rebuild-dbs: dropped the state and history databases of ${ids.join(', ')}; ` +
      'they are rebuilt from the blocks when the peer next starts',
  );
}

function runReset(io: LedgerIo, opts: { config?: string }): Promise<number> {
  return onAllLedgers(
    io,
    opts,
    'node reset: there are no ledgers to reset',
    (ledgers) => ledgers.reset(),
    (ids) =>
      `node reset: ${ids.join(', ')} reset to the genesis block; at its next start the peer ` +
      'refuses proposals until each is back at its height, pulled again from the ordering service',
  );
}

/**
 * Runs `op` on the ledgers of an existing channel (the offline `node` commands on one channel):
 * refuses a channel without a ledger, and stops the offline peer afterwards. `op` says what was
 * done, as the line to print.
 */
async function onChannelLedger(
  io: LedgerIo,
  opts: { config?: string; channel: string },
  op: (ledgers: OfflinePeer['ledgers']) => Promise<string>,
): Promise<number> {
  const peer = await ledgersPeer(io, opts.config);
  if (!hasLedgers(peer)) throw channelNotFound(opts.channel, noLedgers(peer));
  await peer.start();
  try {
    if (!(await peer.ledgers.exists(opts.channel))) {
      const ids = await peer.ledgers.list();
      const held = ids.length === 0 ? 'no channel' : `channels ${ids.join(', ')}`;
      throw channelNotFound(opts.channel, `the ledgers in ${peer.ledgersDir} hold ${held}`);
    }
    io.out(`${await op(peer.ledgers)}\n`);
    return 0;
  } finally {
    await peer.stop();
  }
}

function runUnjoin(io: LedgerIo, opts: { config?: string; channel: string }): Promise<number> {
  return onChannelLedger(io, opts, async (ledgers) => {
    await ledgers.unjoin(opts.channel);
    return `node unjoin: removed the ledger of channel ${opts.channel}`;
  });
}

function runPauseResume(
  io: LedgerIo,
  what: 'pause' | 'resume',
  opts: { config?: string; channel: string },
): Promise<number> {
  const c = opts.channel;
  return onChannelLedger(io, opts, async (ledgers) => {
    if (what === 'pause') {
      return (await ledgers.pause(c))
        ? `node pause: channel ${c} is paused; the peer does not open it until \`fabric-peer node resume --channel ${c}\``
        : `node pause: channel ${c} is already paused`;
    }
    return (await ledgers.resume(c))
      ? `node resume: channel ${c} is active; the peer opens it at its next start`
      : `node resume: channel ${c} is already active`;
  });
}

function runRollback(
  io: LedgerIo,
  opts: { config?: string; channel: string; blockNumber: number },
): Promise<number> {
  return onChannelLedger(io, opts, async (ledgers) => {
    await ledgers.rollback(opts.channel, opts.blockNumber);
    return (
      `node rollback: channel ${opts.channel} now ends at block ${opts.blockNumber}; ` +
      'its state and history are rebuilt from the blocks when the peer next starts, and it ' +
      'pulls the later blocks from the ordering service again'
    );
  });
}

/**
 * Adds the `ledger` and `node` command groups to the program. `run` receives each action's exit code, as the
 * other commands' actions hand theirs.
 */
export function registerLedgerCommands(
  program: Command,
  io: LedgerIo,
  run: (code: Promise<number> | number) => void,
): void {
  const ledger = program
    .command('ledger')
    .description('Offline ledger tools: import blocks from files, inspect a channel');
  ledger
    .command('import')
    .description(
      "Import a channel's blocks from block-<n>.pb files: join with block 0, then verify, validate and commit every block as the peer does",
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .requiredOption('--from <dir>', 'folder of block-<n>.pb files, from block 0 without a gap')
    .option('--channel <name>', "check that block 0 is this channel's genesis block")
    .option(
      '--progress-every <blocks>',
      `report progress on stderr every this many blocks (default ${PROGRESS_EVERY})`,
      positiveInteger,
    )
    .addHelpText('after', IMPORT_HELP)
    .action((o: { config?: string; from: string; channel?: string; progressEvery?: number }) =>
      run(runImport(io, o)),
    );
  ledger
    .command('inspect')
    .description(
      "Print a channel's blocks, transactions and stored validation codes (and one namespace's state) as JSON",
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .requiredOption('--channel <name>', 'the channel')
    .option('--namespace <name>', "also print this namespace's world state (e.g. a chaincode name)")
    .addHelpText('after', INSPECT_HELP)
    .action((o: { config?: string; channel: string; namespace?: string }) =>
      run(runInspect(io, o)),
    );
  const node = program
    .command('node')
    .description("Offline maintenance of the peer's ledgers (Fabric's peer node commands)");
  node
    .command('rebuild-dbs')
    .description(
      'Drop the state and history databases of every channel; the peer rebuilds them from its blocks at its next start',
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .action((o: { config?: string }) => run(runRebuildDbs(io, o)));
  node
    .command('unjoin')
    .description("Remove a channel's ledger: its blocks, state, history and private data")
    .option('-c, --config <path>', CONFIG_HELP)
    .requiredOption('--channel <name>', 'the channel')
    .action((o: { config?: string; channel: string }) => run(runUnjoin(io, o)));
  node
    .command('reset')
    .description(
      'Reset every channel to its genesis block; the peer refuses proposals until they are back at their heights',
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .action((o: { config?: string }) => run(runReset(io, o)));
  node
    .command('pause')
    .description(
      'Pause a channel: the peer keeps its ledger but does not open it until it is resumed',
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .requiredOption('--channel <name>', 'the channel')
    .action((o: { config?: string; channel: string }) => run(runPauseResume(io, 'pause', o)));
  node
    .command('resume')
    .description('Resume a paused channel: the peer opens it again at its next start')
    .option('-c, --config <path>', CONFIG_HELP)
    .requiredOption('--channel <name>', 'the channel')
    .action((o: { config?: string; channel: string }) => run(runPauseResume(io, 'resume', o)));
  node
    .command('rollback')
    .description(
      "Roll a channel back to a block: later blocks and their private data are removed, the channel's state and history rebuilt",
    )
    .option('-c, --config <path>', CONFIG_HELP)
    .requiredOption('--channel <name>', 'the channel')
    .requiredOption(
      '-b, --block-number <n>',
      'the block to keep as the last one (below the current last block)',
      nonNegativeInteger,
    )
    .action((o: { config?: string; channel: string; blockNumber: number }) =>
      run(runRollback(io, o)),
    );
}
