/**
 * Operators' ledger tools (in the spirit of Fabric's ledgerutil), run on an OfflinePeer:
 *
 * - {@link importBlocks}: a channel's blocks from files (`block-<n>.pb`) into the peer's ledgers,
 *   joined with block 0 as cscc JoinChain joins and every later block handed to the channel's
 *   Committer — the one the peer feeds delivered blocks to: full verification, validation, commit.
 * - {@link inspectLedger}: a channel's chain (blocks, transactions, the validation codes the
 *   ledger stored) and optionally one namespace's world state, as JSON.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Channel, ChannelRegistry } from '@fabric-peer/channel';
import type { Committer } from '@fabric-peer/committer';
import { channelIdFromBlock, type KvLedger, type LedgerManager } from '@fabric-peer/ledger';
import { blockDataHash, blockHeaderHash, common, protos } from '@fabric-peer/protos';
import { LedgerToolError } from './ledger-tool-error.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hex(bytes: Uint8Array | null | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

// ---- block files ------------------------------------------------------------------------------

/** One `block-<n>.pb` of a block folder. */
export interface BlockFile {
  readonly number: number;
  readonly path: string;
  readonly name: string;
}

const BLOCK_FILE = /^block-(\d+)\.pb$/;

/**
 * The block files of `dir` (`block-<n>.pb`, each a marshalled common.Block), in block order; other
 * entries are ignored. Numbers must run from 0 without a gap.
 */
export async function listBlockFiles(dir: string): Promise<BlockFile[]> {
  let entries;
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) {
      throw new LedgerToolError('BLOCK_DIR_NOT_FOUND', `${dir} is not a directory`, {
        details: { dir },
      });
    }
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (err instanceof LedgerToolError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new LedgerToolError(
      'BLOCK_DIR_NOT_FOUND',
      code === 'ENOENT'
        ? `block directory ${dir} does not exist`
        : `block directory ${dir} cannot be read: ${messageOf(err)}`,
      { cause: err, details: { dir } },
    );
  }
  const byNumber = new Map<number, BlockFile>();
  for (const e of entries) {
    const m = BLOCK_FILE.exec(e.name);
    if (m === null || !(e.isFile() || e.isSymbolicLink())) continue;
    const number = Number(m[1]);
    if (!Number.isSafeInteger(number)) continue;
    const other = byNumber.get(number);
    if (other !== undefined) {
      throw new LedgerToolError(
        'BLOCK_FILES_MISSING',
        `${dir} holds two files for block ${number}: ${other.name} and ${e.name}`,
        { details: { dir, block: number } },
      );
    }
    byNumber.set(number, { number, path: join(dir, e.name), name: e.name });
  }
  const files = [...byNumber.values()].sort((a, b) => a.number - b.number);
  if (files.length === 0) {
    throw new LedgerToolError(
      'BLOCK_FILES_MISSING',
      `${dir} holds no block files (block-<n>.pb, each a marshalled common.Block)`,
      { details: { dir } },
    );
  }
  if (files[0]!.number !== 0) {
    throw new LedgerToolError(
      'BLOCK_FILES_MISSING',
      `${dir} has no block-0.pb: an import starts from the channel's genesis block (the first file is ${files[0]!.name})`,
      { details: { dir, block: 0 } },
    );
  }
  for (let i = 1; i < files.length; i += 1) {
    if (files[i]!.number !== i) {
      throw new LedgerToolError(
        'BLOCK_FILES_MISSING',
        `${dir} has a gap: block ${i} is missing (${files[i - 1]!.name} is followed by ${files[i]!.name})`,
        { details: { dir, block: i } },
      );
    }
  }
  return files;
}

/** Reads and decodes a block file, checking that it holds the block its name says. */
export async function readBlockFile(file: BlockFile): Promise<common.Block> {
  let block: common.Block;
  try {
    block = common.Block.decode(await readFile(file.path));
  } catch (err) {
    throw new LedgerToolError(
      'BLOCK_FILE_INVALID',
      `${file.path}: not a marshalled common.Block: ${messageOf(err)}`,
      { cause: err, details: { block: file.number, file: file.path } },
    );
  }
  const number = block.header?.number;
  if (number === null || number === undefined) {
    throw new LedgerToolError('BLOCK_FILE_INVALID', `${file.path}: the block has no header`, {
      details: { block: file.number, file: file.path },
    });
  }
  if (number.toString() !== String(file.number)) {
    throw new LedgerToolError(
      'BLOCK_FILE_INVALID',
      `${file.path} holds block ${number.toString()}, not block ${file.number}`,
      { details: { block: file.number, file: file.path } },
    );
  }
  return block;
}

const FILTER: number = common.BlockMetadataIndex.TRANSACTIONS_FILTER;
const COMMIT_HASH: number = common.BlockMetadataIndex.COMMIT_HASH;

/**
 * The block without what a peer writes into its metadata (TRANSACTIONS_FILTER, COMMIT_HASH): a
 * file fetched from a peer carries that peer's codes, and the import stores ours, never those.
 * Block 0 gets a filter of all VALID, as cscc JoinChain gives a genesis block without one.
 */
function withoutPeerMetadata(block: common.Block, join: boolean): common.Block {
  const slots = [...(block.metadata?.metadata ?? [])];
  while (slots.length <= COMMIT_HASH) slots.push(new Uint8Array(0));
  slots[FILTER] = join ? new Uint8Array(block.data?.data?.length ?? 0) : new Uint8Array(0);
  slots[COMMIT_HASH] = new Uint8Array(0);
  return common.Block.create({
    header: block.header ?? undefined,
    data: block.data ?? undefined,
    metadata: { metadata: slots },
  });
}

// ---- import -----------------------------------------------------------------------------------

/** Where an import stands. */
export interface ImportProgress {
  readonly channel: string;
  /** The last block file's number. */
  readonly lastBlock: number;
  /** The block just handled. */
  readonly block: number;
  /** Blocks committed by this import. */
  readonly committed: number;
  /** Blocks the ledger already had, checked to be the files' blocks. */
  readonly skipped: number;
  /** Transactions in the committed blocks, and how many ended VALID or not. */
  readonly transactions: number;
  readonly valid: number;
  readonly invalid: number;
  /** The ledger's height now. */
  readonly height: number;
  /** Since the import began (the peer already started). */
  readonly elapsedMs: number;
}

/** What an import commits through: an OfflinePeer started with scope `committer`. */
export interface ImportTarget {
  readonly channels: ChannelRegistry;
  committerFor(channel: Channel): Committer;
}

export interface ImportOptions {
  readonly peer: ImportTarget;
  /** From {@link listBlockFiles}. */
  readonly files: readonly BlockFile[];
  /** When given, block 0 must be this channel's genesis block. */
  readonly channelId?: string;
  /** Called every `progressEvery` blocks (default 1000) with the counts so far. */
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly progressEvery?: number;
  /** Aborted: the import stops after the block being committed (`IMPORT_INTERRUPTED`). */
  readonly signal?: AbortSignal;
}

/**
 * Imports the block files into the peer's ledgers: block 0 joins the channel (cscc JoinChain) unless
 * the channel is already there; blocks below the ledger's height are compared with the ledger's by
 * header hash (and the file's data with its data hash) and skipped; every other block goes through
 * the channel's Committer. The first block refused stops the import with a
 * {@link LedgerToolError} naming it; the blocks before it stay committed. An aborted `signal`
 * stops it between two blocks.
 */
export async function importBlocks(options: ImportOptions): Promise<ImportProgress> {
  const { peer, files } = options;
  const every = Math.max(1, options.progressEvery ?? 1000);
  const started = performance.now();
  const lastBlock = files[files.length - 1]!.number;

  const genesis = await readBlockFile(files[0]!);
  let channelId: string;
  try {
    channelId = channelIdFromBlock(genesis);
  } catch (err) {
    throw new LedgerToolError(
      'BLOCK_FILE_INVALID',
      `${files[0]!.path}: cannot read the channel of the genesis block: ${messageOf(err)}`,
      { cause: err, details: { block: 0, file: files[0]!.path } },
    );
  }
  if (options.channelId !== undefined && options.channelId !== channelId) {
    throw new LedgerToolError(
      'CHANNEL_MISMATCH',
      `${files[0]!.path} is the genesis block of channel ${channelId}, not of ${options.channelId}`,
      { details: { channel: channelId, expected: options.channelId } },
    );
  }

  let committed = 0;
  let skipped = 0;
  let transactions = 0;
  let valid = 0;
  const count = (codes: Uint8Array): void => {
    committed += 1;
    transactions += codes.length;
    for (const c of codes) if (c === (protos.TxValidationCode.VALID as number)) valid += 1;
  };

  let channel: Channel | undefined = peer.channels.get(channelId);
  const joining = channel === undefined;
  if (channel === undefined) {
    const block = withoutPeerMetadata(genesis, true);
    try {
      channel = await peer.channels.join(block);
    } catch (err) {
      throw new LedgerToolError(
        'JOIN_FAILED',
        `block 0 (${files[0]!.path}): cannot join channel ${channelId}: ${messageOf(err)}`,
        { cause: err, details: { channel: channelId, block: 0 } },
      );
    }
    count(block.metadata!.metadata![FILTER]!);
  }
  const ledger = channel.ledger;
  const committer = peer.committerFor(channel);
  const progress = (block: number): ImportProgress => ({
    channel: channelId,
    lastBlock,
    block,
    committed,
    skipped,
    transactions,
    valid,
    invalid: transactions - valid,
    height: Number(ledger.getBlockchainInfo().height.toString()),
    elapsedMs: performance.now() - started,
  });
  const report = (n: number): void => {
    if ((n + 1) % every === 0 && n !== lastBlock) options.onProgress?.(progress(n));
  };

  // Block 0, when it joined the channel, is committed already.
  if (joining) report(0);
  for (let i = joining ? 1 : 0; i < files.length; i += 1) {
    const file = files[i]!;
    const n = file.number;
    if (options.signal?.aborted === true) {
      const h = Number(ledger.getBlockchainInfo().height.toString());
      throw new LedgerToolError(
        'IMPORT_INTERRUPTED',
        `interrupted before block ${n}: blocks 0 to ${h - 1} are committed (height ${h}); run the import again to resume`,
        { details: { channel: channelId, block: n, height: h } },
      );
    }
    const block = n === 0 ? genesis : await readBlockFile(file);
    const height = Number(ledger.getBlockchainInfo().height.toString());
    if (n < height) {
      await checkSame(ledger, channelId, block, file);
      skipped += 1;
    } else {
      let result;
      try {
        result = await committer.commitBlock(withoutPeerMetadata(block, false));
      } catch (err) {
        const h = Number(ledger.getBlockchainInfo().height.toString());
        throw new LedgerToolError(
          'BLOCK_REFUSED',
          `block ${n} (${file.path}) was refused: ${messageOf(err)}; ` +
            (h > 0 ? `blocks 0 to ${h - 1} are committed (height ${h})` : 'nothing is committed'),
          { cause: err, details: { channel: channelId, block: n, height: h } },
        );
      }
      count(result.validationCodes);
    }
    report(n);
  }
  return progress(lastBlock);
}

/** A block the ledger already has must be the file's: same header hash, and data that hashes to it. */
async function checkSame(
  ledger: KvLedger,
  channelId: string,
  block: common.Block,
  file: BlockFile,
): Promise<void> {
  const stored = await ledger.getBlockByNumber(file.number);
  const mine = block.header ? hex(blockHeaderHash(block.header)) : '';
  const theirs = stored?.header ? hex(blockHeaderHash(stored.header)) : '';
  if (mine !== theirs) {
    throw new LedgerToolError(
      'BLOCK_MISMATCH',
      `block ${file.number} (${file.path}) is not block ${file.number} of the ledger of channel ${channelId}: header hash ${mine} in the file, ${theirs} in the ledger; these files are not this channel's chain`,
      { details: { channel: channelId, block: file.number } },
    );
  }
  const dataHash = hex(blockDataHash(block.data));
  if (dataHash !== hex(block.header?.dataHash)) {
    throw new LedgerToolError(
      'BLOCK_MISMATCH',
      `block ${file.number} (${file.path}) has the ledger's header but its data does not match it: data hash ${dataHash}, header says ${hex(block.header?.dataHash)}`,
      { details: { channel: channelId, block: file.number } },
    );
  }
}

// ---- inspect ----------------------------------------------------------------------------------

/** One transaction as `ledger inspect` prints it. */
export interface TransactionSummary {
  /** The channel header's tx_id ('' when the envelope does not decode). */
  readonly txId: string;
  /** The channel header's HeaderType name (its number when unnamed, '' when undecodable). */
  readonly type: string;
  /** The TxValidationCode name the ledger stored (its number when unnamed). */
  readonly validationCode: string;
}

/** One block as `ledger inspect` prints it. */
export interface BlockSummary {
  readonly number: number;
  /** Hex of the header hash (Fabric's BlockHeaderHash), what the next block names as previous. */
  readonly hash: string;
  readonly previousHash: string;
  readonly dataHash: string;
  /** The stored TRANSACTIONS_FILTER, one code per transaction. */
  readonly transactionsFilter: number[];
  readonly transactions: TransactionSummary[];
}

function codeName(code: number | undefined): string {
  if (code === undefined) return '';
  return protos.TxValidationCode[code] ?? String(code);
}

function transactionOf(envelope: Uint8Array, code: number | undefined): TransactionSummary {
  const validationCode = codeName(code);
  try {
    const env = common.Envelope.decode(envelope);
    const payload = common.Payload.decode(env.payload);
    const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array(0));
    return {
      txId: chdr.txId,
      type: common.HeaderType[chdr.type] ?? String(chdr.type),
      validationCode,
    };
  } catch {
    return { txId: '', type: '', validationCode };
  }
}

/** What `ledger inspect` prints for a stored block. */
export function summarizeBlock(block: common.IBlock): BlockSummary {
  const header = block.header ?? {};
  const filter = block.metadata?.metadata?.[FILTER] ?? new Uint8Array(0);
  return {
    number: Number(header.number?.toString() ?? 0),
    hash: hex(blockHeaderHash(header)),
    previousHash: hex(header.previousHash),
    dataHash: hex(header.dataHash),
    transactionsFilter: [...filter],
    transactions: (block.data?.data ?? []).map((env, i) => transactionOf(env, filter[i])),
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A state value as `ledger inspect` prints it: the text when it is UTF-8, else base64. */
export function stateValue(value: Uint8Array): string | { base64: string } {
  try {
    return UTF8.decode(value);
  } catch {
    return { base64: Buffer.from(value).toString('base64') };
  }
}

/** Opens a channel's ledger, or says which channels there are. */
export async function openChannelLedger(
  ledgers: LedgerManager,
  channelId: string,
): Promise<KvLedger> {
  const ids = await ledgers.list();
  if (!ids.includes(channelId) && (await ledgers.exists(channelId))) {
    throw new LedgerToolError(
      'CHANNEL_PAUSED',
      `channel ${channelId} is paused: resume it with \`fabric-peer node resume --channel ${channelId}\``,
      { details: { channel: channelId } },
    );
  }
  if (!ids.includes(channelId)) {
    throw new LedgerToolError(
      'CHANNEL_NOT_FOUND',
      `channel ${channelId} not found: the ledgers in ${ledgers.rootDir} hold ${
        ids.length === 0 ? 'no channel' : `channels ${ids.join(', ')}`
      }`,
      { details: { channel: channelId, channels: ids } },
    );
  }
  return ledgers.open(channelId);
}

export interface InspectOptions {
  /** Also print this namespace's world state. */
  readonly namespace?: string;
}

/**
 * `ledger inspect` as JSON text, in chunks (one block per chunk, so a long chain never sits in
 * memory): `{ channel, height, currentBlockHash, previousBlockHash, blocks: [BlockSummary...],
 * state?: { key: value } }`. Reads only: nothing is committed.
 */
export async function* inspectLedger(
  ledger: KvLedger,
  channelId: string,
  options: InspectOptions = {},
): AsyncGenerator<string> {
  const info = ledger.getBlockchainInfo();
  const height = Number(info.height.toString());
  yield (
    '{\n' +
    `  "channel": ${JSON.stringify(channelId)},\n` +
    `  "height": ${height},\n` +
    `  "currentBlockHash": "${hex(info.currentBlockHash)}",\n` +
    `  "previousBlockHash": "${hex(info.previousBlockHash)}",\n` +
    '  "blocks": ['
  );
  for (let n = 0; n < height; n += 1) {
    const block = await ledger.getBlockByNumber(n);
    if (block === undefined) throw new Error(`block ${n} is missing from the block store`);
    yield `${n === 0 ? '' : ','}\n    ${JSON.stringify(summarizeBlock(block))}`;
  }
  yield '\n  ]';
  if (options.namespace !== undefined) {
    yield ',\n  "state": {';
    const qe = await ledger.newQueryExecutor();
    try {
      const it = await qe.getStateRangeScanIterator(options.namespace, '', '');
      let first = true;
      try {
        for (let kv = await it.next(); kv !== undefined; kv = await it.next()) {
          yield `${first ? '' : ','}\n    ${JSON.stringify(kv.key)}: ${JSON.stringify(stateValue(kv.value))}`;
          first = false;
        }
      } finally {
        await it.close();
      }
    } finally {
      qe.done();
    }
    yield '\n  }';
  }
  yield '\n}\n';
}
