// The block store of one channel: block files under <dir>/chains/<channel>/, index in the shared
// LevelDB at <dir>/index. See README.md for the file format, the index keys and the recovery rules.
import { mkdir, open, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '@fabric-peer/api';
import { blockDataHash, common } from '@fabric-peer/protos';
import { ClassicLevel } from 'classic-level';
import { blockInfoOf, toSafeNumber, type BlockInfo } from './block-info.js';
import { ChannelIndex, type BatchOp, type BlockIndexDb } from './block-index.js';
import { BlockStoreError } from './errors.js';
import { acquireIndex } from './shared-index.js';
import { blockFilePath, fileSize, listBlockFiles, readAt, syncDir, writeAllAt } from './files.js';
import { BlockIteratorImpl, type IteratorSource } from './iterator.js';
import type { BlockLoc, Checkpoint } from './keys.js';
import {
  encodeRecordHeader,
  MAX_RECORD_PAYLOAD,
  parseRecordHeader,
  payloadMatches,
  RECORD_HEADER_SIZE,
  RecordReader,
} from './record.js';
import type { BlockIterator, BlockStore, ChainInfo, TxLocation } from './types.js';

/** Fabric's default `ledger.blockchain.maxBlockfileSize`-like limit: 64 MiB per block file. */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;
/** Default budget of the recent-blocks cache. */
export const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

export type { BlockIndexDb } from './block-index.js';

/** Options of {@link openBlockStore}. */
export interface BlockStoreOptions {
  /**
   * The block storage root (Fabric's `ledgersData/chains`): block files go to
   * `<dir>/chains/<channelId>/blockfile_NNNNNN`, the index to `<dir>/index`.
   */
  readonly dir: string;
  /** The channel; Fabric's rule applies: `[a-z][a-z0-9.-]*`, fewer than 250 characters. */
  readonly channelId: string;
  /** fsync each block file append (and new files' directory) before indexing; default true. */
  readonly sync?: boolean;
  /** Start a new block file when a block would take the current one past this size; default 64 MiB. */
  readonly maxFileSize?: number;
  readonly logger?: Logger;
  /**
   * The peer's index database, shared by its channels (see {@link openBlockIndexDb}); the caller
   * closes it. Without it the stores of one `dir` share a database they open themselves, which the
   * last of them to close closes. Do not mix the two ways over one `dir`: LevelDB allows one handle
   * per folder, and the second gets INDEX_IN_USE.
   */
  readonly indexDb?: BlockIndexDb;
  /**
   * Which block files `open` reads record by record to check checksums, numbering and the chain:
   * `last-file` (default; older files were checked when they were last, and every read checks its
   * record again) or `all-files` (reads the whole chain: slow on a large ledger).
   */
  readonly verifyOnOpen?: 'last-file' | 'all-files';
  /** Bytes of the most recently added blocks kept in memory for readers; default 16 MiB, 0 for none. */
  readonly cacheBytes?: number;
}

const CHANNEL_ID = /^[a-z][a-z0-9.-]*$/;
const EMPTY = Buffer.alloc(0);

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** Channels open in each index database, so one channel is never opened twice over the same files. */
const openChannels = new WeakMap<object, Set<string>>();

function levelCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'LEVEL_LOCKED') return code;
    e = e.cause;
  }
  return (err as { code?: string } | undefined)?.code;
}

/**
 * Opens the block index database of a peer, `<dir>/index`, to share between the channels' stores.
 * Refuses with INDEX_IN_USE when another process (or another open) holds it.
 */
export async function openBlockIndexDb(dir: string): Promise<BlockIndexDb> {
  const location = join(dir, 'index');
  await mkdir(location, { recursive: true });
  const db = new ClassicLevel<Buffer, Buffer>(location, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  try {
    await db.open();
  } catch (err) {
    if (levelCode(err) === 'LEVEL_LOCKED') {
      throw new BlockStoreError(
        'INDEX_IN_USE',
        `block index ${location} is in use: by another process, or in this one both through ` +
          'openBlockIndexDb and by stores opened without indexDb (use one way per folder)',
        { cause: err, details: { location } },
      );
    }
    throw new BlockStoreError(
      'INDEX_MISMATCH',
      `cannot open block index ${location}: ${String(err)}`,
      {
        cause: err,
        details: { location },
      },
    );
  }
  return db;
}

/**
 * Opens (creating when new) the block store of a channel and recovers it: a torn record at the end
 * of the last block file is cut off, blocks the index lacks are indexed again, and damage or a
 * disagreement between files and index is refused with an error naming the file and offset.
 */
export async function openBlockStore(options: BlockStoreOptions): Promise<BlockStore> {
  const { channelId } = options;
  if (typeof channelId !== 'string' || !CHANNEL_ID.test(channelId) || channelId.length >= 250) {
    throw new BlockStoreError(
      'INVALID_ARGUMENT',
      `invalid channel id ${JSON.stringify(channelId)}: it must match [a-z][a-z0-9.-]* and be shorter than 250 characters`,
      { details: { channelId } },
    );
  }
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  if (!Number.isSafeInteger(maxFileSize) || maxFileSize <= 0) {
    throw new BlockStoreError(
      'INVALID_ARGUMENT',
      `maxFileSize must be a positive integer, got ${maxFileSize}`,
    );
  }
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0) {
    throw new BlockStoreError(
      'INVALID_ARGUMENT',
      `cacheBytes must be a non-negative integer, got ${cacheBytes}`,
    );
  }

  let db: BlockIndexDb;
  let releaseDb = (): Promise<void> => Promise.resolve();
  if (options.indexDb !== undefined) {
    db = options.indexDb;
  } else {
    const shared = await acquireIndex(options.dir, openBlockIndexDb);
    db = shared.db;
    releaseDb = shared.release;
  }
  let channels = openChannels.get(db);
  if (channels === undefined) {
    channels = new Set();
    openChannels.set(db, channels);
  }
  if (channels.has(channelId)) {
    await releaseDb();
    throw new BlockStoreError(
      'INDEX_IN_USE',
      `the block store of channel ${channelId} is already open over this index; close it first`,
      { details: { channelId } },
    );
  }
  channels.add(channelId);
  const sub = db.sublevel(channelId, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const store = new BlockStoreImpl({
    chainDir: resolve(options.dir, 'chains', channelId),
    channelId,
    index: new ChannelIndex(sub),
    sync: options.sync ?? true,
    maxFileSize,
    cacheBytes,
    logger: options.logger ?? silentLogger,
    release: async () => {
      channels.delete(channelId);
      await releaseDb();
    },
  });
  try {
    await store.recover(options.verifyOnOpen ?? 'last-file');
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  store.loadTxIdFilter();
  return store;
}

interface StoreParams {
  readonly chainDir: string;
  readonly channelId: string;
  readonly index: ChannelIndex;
  readonly sync: boolean;
  readonly maxFileSize: number;
  readonly cacheBytes: number;
  readonly logger: Logger;
  readonly release: () => Promise<void>;
}

function corrupt(
  file: string,
  offset: number,
  what: string,
  details: Record<string, unknown> = {},
): BlockStoreError {
  return new BlockStoreError(
    'CORRUPT_BLOCK_FILE',
    `block file ${file} at offset ${offset}: ${what}`,
    {
      details: { file, offset, ...details },
    },
  );
}

function mismatch(message: string, details: Record<string, unknown>): BlockStoreError {
  return new BlockStoreError('INDEX_MISMATCH', message, { details });
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

class BlockStoreImpl implements BlockStore, IteratorSource {
  readonly channelId: string;
  private readonly chainDir: string;
  private readonly index: ChannelIndex;
  private readonly logger: Logger;

  private heightValue = 0;
  private lastHash: Buffer = EMPTY;
  private lastPreviousHash: Buffer = EMPTY;
  private curFile = 0;
  private curSize = 0;
  private writer: FileHandle | undefined;
  /** Set when a failed write could not be undone: the store takes no more blocks. */
  private failure: Error | undefined;
  private closed = false;
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** The background fill of the index's txid filter. */
  private txIdFilterLoad: Promise<void> = Promise.resolve();

  private readonly cache = new Map<number, Buffer>();
  private cacheTotal = 0;
  private readonly waiters = new Set<() => void>();
  private readonly iterators = new Set<BlockIteratorImpl>();

  constructor(private readonly params: StoreParams) {
    this.channelId = params.channelId;
    this.chainDir = params.chainDir;
    this.index = params.index;
    this.logger = params.logger;
  }

  // ---- recovery -------------------------------------------------------------------------------

  /** Brings files and index into agreement, or refuses; then opens the current file for appends. */
  async recover(verify: 'last-file' | 'all-files'): Promise<void> {
    const created = await mkdir(this.chainDir, { recursive: true });
    if (created !== undefined && this.params.sync) {
      // Make the new folders' entries durable, from the first one created down to the chain's.
      await syncDir(dirname(created));
      if (created !== this.chainDir) await syncDir(dirname(this.chainDir));
    }
    const files = await listBlockFiles(this.chainDir);
    const cp = await this.index.checkpoint();
    if (files.length === 0) {
      if (cp !== undefined && cp.height > 0) {
        throw mismatch(
          `the index of channel ${this.channelId} lists ${cp.height} blocks but ${this.chainDir} has no block files`,
          { dir: this.chainDir, height: cp.height },
        );
      }
      await this.createFile(0);
      return;
    }
    const lastFile = files.length - 1;
    const sizes = await Promise.all(files.map((f) => fileSize(this.path(f))));
    const committed = cp !== undefined && cp.height > 0 ? cp : undefined;
    let passStart = 0;
    if (committed !== undefined) {
      await this.checkCommittedFiles(committed, lastFile, sizes);
      passStart = verify === 'all-files' ? 0 : committed.file;
    } else if (files.some((_, f) => sizes[f]! > 0)) {
      this.logger.info('block index has no checkpoint: indexing every block file', {
        channel: this.channelId,
        files: files.length,
      });
    }

    const pass = new RecoveryPass(this, committed);
    for (let f = passStart; f <= lastFile; f++) {
      const end = await pass.scanFile(f, sizes[f]!, f === lastFile);
      sizes[f] = end;
      if (f < lastFile && (committed === undefined || f >= committed.file)) {
        await this.index.write([ChannelIndex.fileEndOp(f, end)]);
      }
    }
    pass.finish();
    await pass.checkHashIndex();
    this.heightValue = pass.next;
    this.lastHash = pass.lastHash;
    this.lastPreviousHash = pass.lastPreviousHash;
    if (pass.reindexed > 0) {
      this.logger.info('indexed blocks the index lacked', {
        channel: this.channelId,
        blocks: pass.reindexed,
        height: this.heightValue,
      });
    }
    this.curFile = lastFile;
    this.curSize = sizes[lastFile]!;
    this.writer = await open(this.path(lastFile), 'r+');
  }

  /** Files before the checkpoint's have the recorded lengths; the checkpoint's file holds its blocks. */
  private async checkCommittedFiles(
    cp: Checkpoint,
    lastFile: number,
    sizes: number[],
  ): Promise<void> {
    if (cp.file > lastFile) {
      throw mismatch(
        `the index lists blocks up to ${cp.height - 1} in ${this.path(cp.file)}, which does not exist`,
        { file: this.path(cp.file), height: cp.height },
      );
    }
    for (let f = 0; f < cp.file; f++) {
      const end = await this.index.fileEnd(f);
      if (end === undefined) {
        throw mismatch(`the index has no recorded length for ${this.path(f)}`, {
          file: this.path(f),
        });
      }
      if (sizes[f] !== end) {
        throw mismatch(
          `block file ${this.path(f)} is ${sizes[f]} bytes but the index recorded ${end} bytes when it was completed`,
          { file: this.path(f), offset: Math.min(end, sizes[f]!), size: sizes[f], expected: end },
        );
      }
    }
    const size = sizes[cp.file]!;
    if (size < cp.end) {
      throw mismatch(
        `block file ${this.path(cp.file)} ends at offset ${size} but the index lists blocks up to ` +
          `${cp.height - 1} ending at offset ${cp.end}: the file lost committed blocks`,
        { file: this.path(cp.file), offset: size, expected: cp.end, height: cp.height },
      );
    }
    const last = await this.index.blockLoc(cp.height - 1);
    if (
      last === undefined ||
      last.file !== cp.file ||
      last.offset + RECORD_HEADER_SIZE + last.length !== cp.end
    ) {
      throw mismatch(
        `the index of channel ${this.channelId} is inconsistent: its checkpoint (height ${cp.height}, ` +
          `${this.path(cp.file)} offset ${cp.end}) does not match its entry for block ${cp.height - 1}`,
        { file: this.path(cp.file), offset: cp.end, height: cp.height },
      );
    }
  }

  /** Cuts a torn tail off the last file. */
  async cutTornTail(file: number, offset: number, size: number, reason: string): Promise<void> {
    const path = this.path(file);
    this.logger.warn('cutting off a torn record at the end of a block file', {
      channel: this.channelId,
      file: path,
      offset,
      bytes: size - offset,
      reason,
    });
    await truncate(path, offset);
    if (this.params.sync) {
      const fh = await open(path, 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
  }

  // ---- writing --------------------------------------------------------------------------------

  addBlock(block: common.IBlock): Promise<void> {
    const result = this.writeQueue.then(() => this.append(block));
    this.writeQueue = result.catch(() => undefined);
    return result;
  }

  private async append(block: common.IBlock): Promise<void> {
    this.assertOpen();
    if (this.failure !== undefined) {
      throw new BlockStoreError(
        'WRITE_FAILED',
        `the block store of channel ${this.channelId} failed to undo a write and takes no more blocks; reopen it`,
        { cause: this.failure },
      );
    }
    const header = block?.header;
    if (!header) throw new BlockStoreError('MALFORMED', 'the block has no header');
    const height = this.heightValue;
    const num = toSafeNumber(header.number);
    if (num !== height) {
      throw new BlockStoreError(
        'OUT_OF_SEQUENCE',
        `block number should have been ${height} but was ${num ?? String(header.number)}`,
        { details: { expected: height, actual: num ?? String(header.number) } },
      );
    }
    const previousHash = Buffer.from(header.previousHash ?? EMPTY);
    if (!previousHash.equals(this.lastHash)) {
      throw new BlockStoreError(
        'PREVIOUS_HASH_MISMATCH',
        `block ${num}: previous_hash is ${previousHash.toString('hex') || '(empty)'} but the hash of block ` +
          `${height - 1} is ${this.lastHash.toString('hex') || '(none)'}`,
        {
          details: {
            expected: this.lastHash.toString('hex'),
            actual: previousHash.toString('hex'),
          },
        },
      );
    }
    let dataHash: Buffer;
    try {
      dataHash = blockDataHash(block.data);
    } catch (err) {
      throw new BlockStoreError(
        'MALFORMED',
        `block ${num}: its data cannot be hashed: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
    const declared = Buffer.from(header.dataHash ?? EMPTY);
    if (!declared.equals(dataHash)) {
      throw new BlockStoreError(
        'DATA_HASH_MISMATCH',
        `block ${num}: header.data_hash is ${declared.toString('hex') || '(empty)'} but the data hashes to ${dataHash.toString('hex')}`,
        { details: { expected: dataHash.toString('hex'), actual: declared.toString('hex') } },
      );
    }
    let bytes: Buffer;
    let info: BlockInfo;
    try {
      const encoded = common.Block.encode(block).finish();
      bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      info = blockInfoOf(bytes);
    } catch (err) {
      throw new BlockStoreError('MALFORMED', `block ${num} cannot be encoded: ${String(err)}`, {
        cause: err,
      });
    }
    if (bytes.length > MAX_RECORD_PAYLOAD) {
      throw new BlockStoreError(
        'MALFORMED',
        `block ${num} is ${bytes.length} bytes, more than a record holds`,
      );
    }

    const recordLength = RECORD_HEADER_SIZE + bytes.length;
    if (this.curSize > 0 && this.curSize + recordLength > this.params.maxFileSize) {
      await this.moveToNextFile();
    }
    const writer = this.writer!;
    const offset = this.curSize;
    try {
      await writeAllAt(writer, [encodeRecordHeader(num, bytes), bytes], offset);
      if (this.params.sync) await writer.datasync();
    } catch (err) {
      await this.undoAppend(offset, err);
      throw new BlockStoreError(
        'WRITE_FAILED',
        `appending block ${num} to ${this.path(this.curFile)} failed: ${String(err)}`,
        { cause: err, details: { file: this.path(this.curFile), offset } },
      );
    }
    try {
      await this.index.write(ChannelIndex.blockOps(info, this.curFile, offset, bytes.length));
    } catch (err) {
      await this.undoAppend(offset, err);
      throw new BlockStoreError('WRITE_FAILED', `indexing block ${num} failed: ${String(err)}`, {
        cause: err,
      });
    }
    this.curSize = offset + recordLength;
    this.heightValue = num + 1;
    this.lastHash = info.headerHash;
    this.lastPreviousHash = previousHash;
    this.remember(num, bytes);
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Removes the blocks after `blockNum`: the index first (their entries, and a checkpoint at
   * `blockNum`), then the files (the one holding `blockNum` cut after it, later ones deleted), so
   * that a crash in between leaves records past the checkpoint, which the next open indexes
   * again: the store is whole either way, and the rollback can be run again. Closes the store.
   */
  async rollback(blockNum: number, beforeChange?: () => Promise<void>): Promise<void> {
    this.assertOpen();
    await this.writeQueue;
    const last = this.heightValue - 1;
    if (!Number.isSafeInteger(blockNum) || blockNum < 0 || blockNum >= last) {
      throw new BlockStoreError(
        'INVALID_ARGUMENT',
        `target block number [${blockNum}] should be less than the biggest block number [${last}]`,
        { details: { blockNum, last } },
      );
    }
    const keep = await this.index.blockLoc(blockNum);
    if (keep === undefined) {
      throw mismatch(`block ${blockNum} is below the height but not in the index`, { blockNum });
    }
    const end = keep.offset + RECORD_HEADER_SIZE + keep.length;
    await beforeChange?.();
    const ops: BatchOp[] = [];
    for (let n = blockNum + 1; n <= last; n++) {
      const bytes = await this.getBlockBytes(n);
      ops.push(...ChannelIndex.removeBlockOps(blockInfoOf(Buffer.from(bytes!))));
    }
    for (let f = keep.file; f <= this.curFile; f++) ops.push(ChannelIndex.forgetFileEndOp(f));
    ops.push(ChannelIndex.checkpointOp(blockNum + 1, keep.file, end));
    await this.index.write(ops);
    const lastFile = this.curFile;
    await this.close();
    await truncate(this.path(keep.file), end);
    for (let f = keep.file + 1; f <= lastFile; f++) await rm(this.path(f), { force: true });
    if (this.params.sync) {
      const fh = await open(this.path(keep.file), 'r+');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await syncDir(this.chainDir);
    }
    this.logger.info('rolled the block store back', {
      channel: this.channelId,
      height: blockNum + 1,
      removedBlocks: last - blockNum,
    });
  }

  /** Truncates the current file back to `offset` after a failed append; on failure, stops writes. */
  private async undoAppend(offset: number, cause: unknown): Promise<void> {
    try {
      await this.writer!.truncate(offset);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.logger.error('could not undo a failed block append; the store takes no more blocks', {
        channel: this.channelId,
        file: this.path(this.curFile),
        offset,
        cause: String(cause),
        error: String(err),
      });
    }
  }

  private async moveToNextFile(): Promise<void> {
    // The finished file's length goes to the index first: open() checks completed files against it.
    await this.index.write([ChannelIndex.fileEndOp(this.curFile, this.curSize)]);
    const previous = this.writer;
    await this.createFile(this.curFile + 1);
    await previous?.close();
  }

  private async createFile(num: number): Promise<void> {
    const fh = await open(this.path(num), 'wx');
    if (this.params.sync) await syncDir(this.chainDir);
    this.writer = fh;
    this.curFile = num;
    this.curSize = 0;
  }

  private remember(num: number, bytes: Buffer): void {
    const budget = this.params.cacheBytes;
    if (bytes.length > budget) return;
    this.cache.set(num, bytes);
    this.cacheTotal += bytes.length;
    for (const [n, b] of this.cache) {
      if (this.cacheTotal <= budget) break;
      this.cache.delete(n);
      this.cacheTotal -= b.length;
    }
  }

  // ---- reading --------------------------------------------------------------------------------

  info(): ChainInfo {
    return {
      height: this.heightValue,
      currentBlockHash: Uint8Array.from(this.lastHash),
      previousBlockHash: Uint8Array.from(this.lastPreviousHash),
    };
  }

  height(): number {
    return this.heightValue;
  }

  async getBlockBytes(blockNum: number): Promise<Uint8Array | undefined> {
    this.assertOpen();
    if (!Number.isSafeInteger(blockNum) || blockNum < 0) {
      throw new BlockStoreError('INVALID_ARGUMENT', `invalid block number ${blockNum}`);
    }
    if (blockNum >= this.heightValue) return undefined;
    const cached = this.cache.get(blockNum);
    if (cached !== undefined) return Buffer.from(cached);
    const loc = await this.index.blockLoc(blockNum);
    if (loc === undefined) {
      throw mismatch(
        `block ${blockNum} is below the height ${this.heightValue} but not in the index`,
        {
          blockNum,
        },
      );
    }
    return this.readRecord(loc, blockNum);
  }

  async getBlockByNumber(blockNum: number): Promise<common.Block | undefined> {
    const bytes = await this.getBlockBytes(blockNum);
    return bytes === undefined ? undefined : common.Block.decode(bytes);
  }

  readBlock(blockNum: number): Promise<common.Block | undefined> {
    return this.getBlockByNumber(blockNum);
  }

  async getBlockByHash(headerHash: Uint8Array): Promise<common.Block | undefined> {
    this.assertOpen();
    const num = await this.index.blockNumByHash(headerHash);
    return num === undefined || num >= this.heightValue ? undefined : this.getBlockByNumber(num);
  }

  async getTxLocation(txId: string): Promise<TxLocation | undefined> {
    this.assertOpen();
    const hit = await this.index.firstTx(txId, this.heightValue);
    return (
      hit && { blockNum: hit.blockNum, txNum: hit.txNum, validationCode: hit.loc.validationCode }
    );
  }

  async txIdExists(txId: string): Promise<boolean> {
    this.assertOpen();
    return (await this.index.firstTx(txId, this.heightValue)) !== undefined;
  }

  async getTxEnvelope(
    txId: string,
  ): Promise<{ envelope: Uint8Array; location: TxLocation } | undefined> {
    this.assertOpen();
    const hit = await this.index.firstTx(txId, this.heightValue);
    if (hit === undefined) return undefined;
    const { loc } = hit;
    const path = this.path(loc.file);
    const envelope = await this.withFile(path, hit.blockNum, (fh) =>
      readAt(fh, loc.offset, loc.length),
    );
    if (envelope.length !== loc.length || crc32(envelope) !== loc.crc) {
      throw corrupt(
        path,
        loc.offset,
        `envelope of transaction ${txId} (block ${hit.blockNum}, tx ${hit.txNum}) does not match its checksum`,
        {
          blockNum: hit.blockNum,
          txNum: hit.txNum,
        },
      );
    }
    return {
      envelope,
      location: { blockNum: hit.blockNum, txNum: hit.txNum, validationCode: loc.validationCode },
    };
  }

  async getBlockByTxId(txId: string): Promise<common.Block | undefined> {
    this.assertOpen();
    const hit = await this.index.firstTx(txId, this.heightValue);
    return hit === undefined ? undefined : this.getBlockByNumber(hit.blockNum);
  }

  /** Reads and checks the record of `blockNum` at `loc`. */
  async readRecord(loc: BlockLoc, blockNum: number): Promise<Buffer> {
    const path = this.path(loc.file);
    return this.withFile(path, blockNum, async (fh) => {
      const buf = await readAt(fh, loc.offset, RECORD_HEADER_SIZE + loc.length);
      if (buf.length < RECORD_HEADER_SIZE + loc.length) {
        throw mismatch(
          `block ${blockNum} is listed at offset ${loc.offset} of ${path} (${loc.length} bytes) but the file ends first`,
          { file: path, offset: loc.offset, blockNum },
        );
      }
      const header = parseRecordHeader(buf.subarray(0, RECORD_HEADER_SIZE));
      if (typeof header === 'string')
        throw corrupt(path, loc.offset, `${header} (block ${blockNum})`, { blockNum });
      if (header.blockNum !== blockNum || header.length !== loc.length) {
        throw mismatch(
          `block file ${path} at offset ${loc.offset} holds block ${header.blockNum} (${header.length} bytes) ` +
            `where the index lists block ${blockNum} (${loc.length} bytes)`,
          { file: path, offset: loc.offset, blockNum },
        );
      }
      const payload = buf.subarray(RECORD_HEADER_SIZE);
      if (!payloadMatches(header, payload)) {
        throw corrupt(path, loc.offset, `payload checksum mismatch (block ${blockNum})`, {
          blockNum,
        });
      }
      return payload;
    });
  }

  private async withFile<T>(
    path: string,
    blockNum: number,
    use: (fh: FileHandle) => Promise<T>,
  ): Promise<T> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        throw mismatch(`block ${blockNum} is listed in ${path}, which is missing`, {
          file: path,
          blockNum,
        });
      }
      throw err;
    }
    try {
      return await use(fh);
    } finally {
      await fh.close();
    }
  }

  // ---- iterators ------------------------------------------------------------------------------

  iterator(startNum: number): BlockIterator {
    this.assertOpen();
    if (!Number.isSafeInteger(startNum) || startNum < 0) {
      throw new BlockStoreError('INVALID_ARGUMENT', `invalid iterator start ${startNum}`);
    }
    const it = new BlockIteratorImpl(this, startNum);
    this.iterators.add(it);
    return it;
  }

  onNextBlock(wake: () => void): () => void {
    if (this.closed) {
      queueMicrotask(wake);
      return () => undefined;
    }
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  release(it: BlockIteratorImpl): void {
    this.iterators.delete(it);
  }

  // ---- life -----------------------------------------------------------------------------------

  /** Starts filling the txid filter; `txIdExists` uses the index alone until it is full. */
  loadTxIdFilter(): void {
    const started = performance.now();
    this.txIdFilterLoad = this.index
      .loadTxIdFilter(() => this.closed)
      .then(
        (entries) => {
          if (entries === undefined) return;
          this.logger.debug('txid filter loaded', {
            channel: this.channelId,
            txids: entries,
            ms: Math.round(performance.now() - started),
          });
        },
        (err: unknown) => {
          this.logger.warn('could not fill the txid filter; txid lookups use the index alone', {
            channel: this.channelId,
            error: String(err),
          });
        },
      );
  }

  /** Resolves when the txid filter is full (or its fill stopped). */
  get txIdFilterLoaded(): Promise<void> {
    return this.txIdFilterLoad;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const it of [...this.iterators]) it.close();
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
    await this.writeQueue;
    await this.txIdFilterLoad;
    await this.writer?.close();
    this.writer = undefined;
    this.cache.clear();
    await this.params.release();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new BlockStoreError('CLOSED', `the block store of channel ${this.channelId} is closed`);
    }
  }

  path(file: number): string {
    return blockFilePath(this.chainDir, file);
  }

  get sync(): boolean {
    return this.params.sync;
  }

  get channelIndex(): ChannelIndex {
    return this.index;
  }
}

/** One pass over the block files at open: checks committed records, indexes the rest. */
class RecoveryPass {
  /** The number the next record must have; undefined until the first record of a pass that starts after file 0. */
  private expect: number | undefined;
  private prevHash: Buffer = EMPTY;
  lastHash: Buffer = EMPTY;
  lastPreviousHash: Buffer = EMPTY;
  reindexed = 0;
  private committedLastHash: Buffer | undefined;

  constructor(
    private readonly store: BlockStoreImpl,
    private readonly cp: Checkpoint | undefined,
  ) {}

  /** The height after the pass. */
  get next(): number {
    return this.expect ?? 0;
  }

  /** Reads file `f` from its start; returns its length after any cut. */
  async scanFile(f: number, size: number, isLast: boolean): Promise<number> {
    const path = this.store.path(f);
    const index = this.store.channelIndex;
    const cp = this.cp;
    if (f === 0) this.expect = 0;
    const toCheck: { num: number; loc: BlockLoc }[] = [];
    const fh = await open(path, 'r');
    let end = size;
    try {
      const reader = new RecordReader(fh, size, 0);
      for (;;) {
        const r = await reader.next();
        if (r.kind === 'eof') break;
        const committed = cp !== undefined && (f < cp.file || (f === cp.file && r.offset < cp.end));
        if (r.kind !== 'record') {
          if (r.kind === 'torn' && isLast && !committed) {
            await fh.close().catch(() => undefined);
            await this.store.cutTornTail(f, r.offset, size, r.reason);
            end = r.offset;
            break;
          }
          const why = committed
            ? `${r.reason}, inside blocks the index lists as committed`
            : r.kind === 'torn'
              ? `${r.reason}, but ${this.store.path(f + 1)} follows this file`
              : `${r.reason}, with more data after it; nothing was cut: restore the file from a backup or another peer`;
          throw corrupt(path, r.offset, why);
        }
        if (this.expect === undefined) {
          if (r.blockNum === 0)
            throw corrupt(path, r.offset, 'block 0 found after the first block file');
          this.expect = r.blockNum;
          this.prevHash = await this.hashOf(r.blockNum - 1);
        }
        if (r.blockNum !== this.expect) {
          throw corrupt(
            path,
            r.offset,
            `holds block ${r.blockNum} where block ${this.expect} should follow`,
          );
        }
        let info: BlockInfo;
        try {
          info = blockInfoOf(r.payload);
        } catch (err) {
          throw corrupt(
            path,
            r.offset,
            `record of block ${r.blockNum} does not hold a block: ${String(err)}`,
          );
        }
        if (info.number !== r.blockNum) {
          throw corrupt(path, r.offset, `record of block ${r.blockNum} holds block ${info.number}`);
        }
        if (!info.previousHash.equals(this.prevHash)) {
          throw corrupt(
            path,
            r.offset,
            `block ${r.blockNum} does not chain to block ${r.blockNum - 1} (previous_hash differs)`,
          );
        }
        const loc: BlockLoc = { file: f, offset: r.offset, length: r.payload.length };
        if (committed) {
          toCheck.push({ num: r.blockNum, loc });
          if (r.blockNum === cp.height - 1) this.committedLastHash = info.headerHash;
        } else {
          if (cp !== undefined && r.blockNum < cp.height) {
            throw mismatch(
              `block file ${path} holds block ${r.blockNum} at offset ${r.offset}, after the checkpoint's end of committed blocks`,
              { file: path, offset: r.offset, blockNum: r.blockNum },
            );
          }
          const ops: BatchOp[] = ChannelIndex.blockOps(info, f, r.offset, r.payload.length);
          await index.write(ops);
          this.reindexed++;
        }
        this.prevHash = info.headerHash;
        this.lastHash = info.headerHash;
        this.lastPreviousHash = info.previousHash;
        this.expect++;
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
    for (let i = 0; i < toCheck.length; i += 1000) {
      const chunk = toCheck.slice(i, i + 1000);
      const locs = await index.blockLocs(chunk.map((c) => c.num));
      chunk.forEach((c, j) => {
        const l = locs[j];
        if (
          l === undefined ||
          l.file !== c.loc.file ||
          l.offset !== c.loc.offset ||
          l.length !== c.loc.length
        ) {
          throw mismatch(
            `block file ${path} holds block ${c.num} at offset ${c.loc.offset} but the index ` +
              (l === undefined
                ? 'has no entry for it'
                : `places it in ${this.store.path(l.file)} at offset ${l.offset}`),
            { file: path, offset: c.loc.offset, blockNum: c.num },
          );
        }
      });
    }
    return end;
  }

  /** After the last file: every committed block was seen, and the last one's hash is indexed. */
  finish(): void {
    const cp = this.cp;
    if (cp === undefined) return;
    if (this.next < cp.height || this.committedLastHash === undefined) {
      throw mismatch(
        `the index lists ${cp.height} blocks but the block files end at block ${this.next - 1}`,
        { height: cp.height },
      );
    }
  }

  /** Checks the hash index entry of the last committed block (after the pass). */
  async checkHashIndex(): Promise<void> {
    const cp = this.cp;
    if (cp === undefined || this.committedLastHash === undefined) return;
    const num = await this.store.channelIndex.blockNumByHash(this.committedLastHash);
    if (num !== cp.height - 1) {
      throw mismatch(
        `block ${cp.height - 1} in the block files has hash ${this.committedLastHash.toString('hex')}, ` +
          'which the index does not list: the files and the index are of different chains',
        { blockNum: cp.height - 1 },
      );
    }
  }

  private async hashOf(blockNum: number): Promise<Buffer> {
    const loc = await this.store.channelIndex.blockLoc(blockNum);
    if (loc === undefined) {
      throw mismatch(`block ${blockNum} is not in the index`, { blockNum });
    }
    return blockInfoOf(await this.store.readRecord(loc, blockNum)).headerHash;
  }
}
