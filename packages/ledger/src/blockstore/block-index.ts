// The channel's part of the block index: typed reads and batch writes over its sublevel.
import type { BlockInfo } from './block-info.js';
import {
  blockHashKey,
  blockNumKey,
  CHECKPOINT_KEY,
  decodeBlockLoc,
  decodeCheckpoint,
  decodeTxIdKeyTail,
  decodeTxLoc,
  decodeU64,
  encodeBlockLoc,
  encodeCheckpoint,
  encodeTxLoc,
  encodeU64,
  fileKey,
  isTxIdKey,
  TXID_KEYS_END,
  TXID_KEYS_START,
  txIdKey,
  txIdPrefixOfKey,
  txIdPrefix,
  txIdUpperBound,
  type BlockLoc,
  type Checkpoint,
  type TxLoc,
} from './keys.js';
import { RECORD_HEADER_SIZE } from './record.js';
import { TxIdFilter } from './txid-filter.js';

export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** What the index uses of a ClassicLevel sublevel with byte keys and values. */
export interface BytesLevel {
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  batch(ops: BatchOp[]): Promise<void>;
  iterator(options: { gte: Buffer; lte: Buffer; limit: number }): {
    all(): Promise<[Buffer, Buffer][]>;
  };
  keys(options: { gte: Buffer; lt: Buffer }): {
    nextv(size: number): Promise<Buffer[]>;
    close(): Promise<void>;
  };
}

/** The first indexed occurrence of a txid. */
export interface TxHit {
  readonly blockNum: number;
  readonly txNum: number;
  readonly loc: TxLoc;
}

/** How many txid keys one read of the filter's initial scan takes. */
const SCAN_BATCH = 4096;

export class ChannelIndex {
  /** Txids written since the filter's scan began, then every txid; undefined before the scan. */
  #txIds: TxIdFilter | undefined;
  /** Set once the scan has added every txid that was indexed before it began. */
  #txIdsComplete = false;

  constructor(private readonly db: BytesLevel) {}

  /**
   * Fills the txid filter from the index (run once, in the background, after recovery); until it
   * completes, `firstTx` asks the index every time. Stops early, leaving the filter unused, when
   * `stopped()` turns true. Resolves the number of txids in the filter (undefined when stopped).
   */
  async loadTxIdFilter(stopped: () => boolean): Promise<number | undefined> {
    // The filter exists before the scan's snapshot is taken, so a block indexed from now on is
    // either in the snapshot or added by `write`.
    const filter = new TxIdFilter();
    this.#txIds = filter;
    const it = this.db.keys({ gte: TXID_KEYS_START, lt: TXID_KEYS_END });
    try {
      for (;;) {
        if (stopped()) return undefined;
        const keys = await it.nextv(SCAN_BATCH);
        if (keys.length === 0) break;
        for (const key of keys) filter.add(txIdPrefixOfKey(key));
      }
    } finally {
      await it.close();
    }
    this.#txIdsComplete = true;
    return filter.entries;
  }

  async checkpoint(): Promise<Checkpoint | undefined> {
    const v = await this.db.get(CHECKPOINT_KEY);
    return v === undefined ? undefined : decodeCheckpoint(v);
  }

  async blockLoc(blockNum: number): Promise<BlockLoc | undefined> {
    const v = await this.db.get(blockNumKey(blockNum));
    return v === undefined ? undefined : decodeBlockLoc(v);
  }

  async blockLocs(blockNums: readonly number[]): Promise<(BlockLoc | undefined)[]> {
    const vs = await this.db.getMany(blockNums.map(blockNumKey));
    return vs.map((v) => (v === undefined ? undefined : decodeBlockLoc(v)));
  }

  async blockNumByHash(hash: Uint8Array): Promise<number | undefined> {
    const v = await this.db.get(blockHashKey(hash));
    return v === undefined ? undefined : decodeU64(v);
  }

  /** Recorded length of a block file that is followed by another. */
  async fileEnd(file: number): Promise<number | undefined> {
    const v = await this.db.get(fileKey(file));
    return v === undefined ? undefined : decodeU64(v);
  }

  /** The first occurrence of `txId` in a block below `height` (keys sort by block, then tx number). */
  async firstTx(txId: string, height: number): Promise<TxHit | undefined> {
    const prefix = txIdPrefix(txId);
    if (this.#txIdsComplete && !this.#txIds!.mightContain(prefix)) return undefined;
    const entries = await this.db
      .iterator({ gte: prefix, lte: txIdUpperBound(txId), limit: 1 })
      .all();
    const first = entries[0];
    if (first === undefined) return undefined;
    const { blockNum, txNum } = decodeTxIdKeyTail(first[0]);
    if (blockNum >= height) return undefined;
    return { blockNum, txNum, loc: decodeTxLoc(first[1]) };
  }

  /**
   * The entries that index a block whose record starts at `offset` of `file`: number, hash, every
   * transaction (Fabric indexes all of them, valid or not, and duplicates too), and the checkpoint.
   */
  static blockOps(info: BlockInfo, file: number, offset: number, length: number): BatchOp[] {
    const ops: BatchOp[] = [
      {
        type: 'put',
        key: blockNumKey(info.number),
        value: encodeBlockLoc({ file, offset, length }),
      },
      { type: 'put', key: blockHashKey(info.headerHash), value: encodeU64(info.number) },
    ];
    const payloadStart = offset + RECORD_HEADER_SIZE;
    info.txs.forEach((tx, txNum) => {
      ops.push({
        type: 'put',
        key: txIdKey(tx.txId, info.number, txNum),
        value: encodeTxLoc({
          validationCode: tx.validationCode,
          file,
          offset: payloadStart + tx.offset,
          length: tx.length,
          crc: tx.crc,
        }),
      });
    });
    ops.push({
      type: 'put',
      key: CHECKPOINT_KEY,
      value: encodeCheckpoint({ height: info.number + 1, file, end: payloadStart + length }),
    });
    return ops;
  }

  static fileEndOp(file: number, end: number): BatchOp {
    return { type: 'put', key: fileKey(file), value: encodeU64(end) };
  }

  /**
   * The entries that remove a block from the index (its number, hash and transactions), for a
   * rollback; the checkpoint is rewritten separately.
   */
  static removeBlockOps(info: BlockInfo): BatchOp[] {
    return [
      { type: 'del', key: blockNumKey(info.number) },
      { type: 'del', key: blockHashKey(info.headerHash) },
      ...info.txs.map((tx, txNum): BatchOp => ({
        type: 'del',
        key: txIdKey(tx.txId, info.number, txNum),
      })),
    ];
  }

  /** The checkpoint of a chain whose last block ends at `end` of `file`. */
  static checkpointOp(height: number, file: number, end: number): BatchOp {
    return { type: 'put', key: CHECKPOINT_KEY, value: encodeCheckpoint({ height, file, end }) };
  }

  /** Forgets the recorded length of a block file (a rollback made it shorter or removed it). */
  static forgetFileEndOp(file: number): BatchOp {
    return { type: 'del', key: fileKey(file) };
  }

  async write(ops: BatchOp[]): Promise<void> {
    await this.db.batch(ops);
    const filter = this.#txIds;
    if (filter === undefined) return;
    // A removed txid stays in the filter: a "maybe" is confirmed by the index anyway.
    for (const op of ops) {
      if (op.type === 'put' && isTxIdKey(op.key)) filter.add(txIdPrefixOfKey(op.key));
    }
  }
}

/**
 * The index database shared by every channel of a peer (`<dir>/index`), as returned by
 * {@link openBlockIndexDb}; any ClassicLevel works, each channel lives in its own sublevel.
 */
export interface BlockIndexDb {
  sublevel(name: string, options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }): BytesLevel;
  close(): Promise<void>;
}
