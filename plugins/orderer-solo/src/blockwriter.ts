/**
 * Fabric's block writer (orderer/common/multichannel/blockwriter.go): makes the next block of a
 * chain from a batch (number, previous hash, data hash, empty metadata slots), then writes the
 * LAST_CONFIG slot and the orderer's signature in SIGNATURES and appends it to the block store.
 */
import { randomBytes } from 'node:crypto';
import type { Signer } from '@fabric-peer/api';
import type { BlockStore } from '@fabric-peer/ledger';
import {
  blockDataHash,
  blockHeaderBytes,
  blockHeaderHash,
  common,
  Long,
} from '@fabric-peer/protos';

/** Number of metadata slots Fabric's protoutil.NewBlock makes (SIGNATURES ... COMMIT_HASH). */
const METADATA_SLOTS = 5;

/** A uint64 as protobufjs decodes it, as a number (block numbers stay far below 2^53). */
export function toNumber(value: Long | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Long.fromValue(value).toNumber();
}

/**
 * Fabric's protoutil.GetLastConfigIndexFromBlock: the last config index in the SIGNATURES slot's
 * OrdererBlockMetadata, or else in the (pre-v2) LAST_CONFIG slot; undefined when neither has one.
 */
export function lastConfigIndex(block: common.IBlock): number | undefined {
  const slots = block.metadata?.metadata ?? [];
  try {
    const raw = slots[common.BlockMetadataIndex.SIGNATURES];
    if (raw !== undefined && raw.length > 0) {
      const obm = common.OrdererBlockMetadata.decode(common.Metadata.decode(raw).value);
      if (obm.lastConfig !== null && obm.lastConfig !== undefined) {
        return toNumber(obm.lastConfig.index);
      }
    }
  } catch {
    // fall through to the older slot
  }
  try {
    const raw = slots[common.BlockMetadataIndex.LAST_CONFIG];
    if (raw !== undefined && raw.length > 0) {
      return toNumber(common.LastConfig.decode(common.Metadata.decode(raw).value).index);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Where a chain's writer starts: its last block and its last config. */
export interface BlockWriterState {
  readonly lastBlock: common.IBlock;
  readonly lastConfigBlockNum: number;
  readonly lastConfigSeq: bigint;
}

/** Makes, signs and appends the blocks of one chain, one at a time. */
export class BlockWriter {
  #lastHeader: common.IBlockHeader;
  #lastConfigBlockNum: number;
  #lastConfigSeq: bigint;

  constructor(
    private readonly store: BlockStore,
    private readonly signer: Signer,
    /** The channel's current config sequence (read when a block is written). */
    private readonly sequence: () => bigint,
    state: BlockWriterState,
  ) {
    this.#lastHeader = state.lastBlock.header ?? {};
    this.#lastConfigBlockNum = state.lastConfigBlockNum;
    this.#lastConfigSeq = state.lastConfigSeq;
  }

  /** Number of the last config block (what LAST_CONFIG of the next block says, unless it is one). */
  get lastConfigBlockNum(): number {
    return this.#lastConfigBlockNum;
  }

  /** Fabric's CreateNextBlock: the block after the last one, holding `envelopes`. */
  createNextBlock(envelopes: readonly common.IEnvelope[]): common.Block {
    const data = { data: envelopes.map((e) => common.Envelope.encode(e).finish()) };
    return common.Block.create({
      header: {
        number: toNumber(this.#lastHeader.number) + 1,
        previousHash: blockHeaderHash(this.#lastHeader),
        dataHash: blockDataHash(data),
      },
      data,
      metadata: { metadata: Array.from({ length: METADATA_SLOTS }, () => new Uint8Array(0)) },
    });
  }

  /**
   * Fabric's commitBlock: LAST_CONFIG (moved to this block when the config sequence advanced),
   * the orderer's signature over `OrdererBlockMetadata ‖ signature header ‖ header ASN.1`, then
   * the durable append. On failure nothing changes and the error is thrown.
   */
  async commit(block: common.Block): Promise<void> {
    const number = toNumber(block.header?.number);
    const seq = this.sequence();
    let lastConfigBlockNum = this.#lastConfigBlockNum;
    if (seq > this.#lastConfigSeq) lastConfigBlockNum = number;

    const metadata = block.metadata?.metadata ?? [];
    metadata[common.BlockMetadataIndex.LAST_CONFIG] = common.Metadata.encode({
      value: common.LastConfig.encode({ index: lastConfigBlockNum }).finish(),
    }).finish();

    const signatureHeader = common.SignatureHeader.encode({
      creator: this.signer.serialize(),
      nonce: randomBytes(24),
    }).finish();
    // Solo has no consenter metadata: Fabric marshals an empty Metadata, which is no bytes.
    const value = common.OrdererBlockMetadata.encode({
      lastConfig: { index: lastConfigBlockNum },
    }).finish();
    const signature = await this.signer.sign(
      Buffer.concat([value, signatureHeader, blockHeaderBytes(block.header ?? {})]),
    );
    metadata[common.BlockMetadataIndex.SIGNATURES] = common.Metadata.encode({
      value,
      signatures: [{ signatureHeader, signature }],
    }).finish();

    await this.store.addBlock(block);
    this.#lastHeader = block.header ?? {};
    this.#lastConfigBlockNum = lastConfigBlockNum;
    this.#lastConfigSeq = seq;
  }
}
