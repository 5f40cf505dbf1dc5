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
  txIdKey,
  txIdPrefix,
  txIdUpperBound,
  type BlockLoc,
  type Checkpoint,
  type TxLoc,
} from './keys.js';
import { RECORD_HEADER_SIZE } from './record.js';

export type BatchOp = { type: 'put'; key: Buffer; value: Buffer };

/** What the index uses of a ClassicLevel sublevel with byte keys and values. */
export interface BytesLevel {
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  batch(ops: BatchOp[]): Promise<void>;
  iterator(options: { gte: Buffer; lte: Buffer; limit: number }): {
    all(): Promise<[Buffer, Buffer][]>;
  };
}

/** The first indexed occurrence of a txid. */
export interface TxHit {
  readonly blockNum: number;
  readonly txNum: number;
  readonly loc: TxLoc;
}

export class ChannelIndex {
  constructor(private readonly db: BytesLevel) {}

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
    const entries = await this.db
      .iterator({ gte: txIdPrefix(txId), lte: txIdUpperBound(txId), limit: 1 })
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

  async write(ops: BatchOp[]): Promise<void> {
    await this.db.batch(ops);
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
