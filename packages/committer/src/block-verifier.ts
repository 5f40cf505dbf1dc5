/**
 * Block verification before validation: what Fabric's deliver client asks of every block it
 * receives (gossip's MCS `VerifyBlock`), plus the hash chain the block store enforces at commit,
 * checked here so that a bad block is refused before anything is validated or written.
 *
 * In Fabric's order: header present; number = ledger height (and previous_hash = hash of the last
 * block); the first envelope's channel id is the channel; metadata present and the SIGNATURES slot
 * decodes; the transactions are well formed (each envelope decodes, has a payload and a signature,
 * and re-marshals to exactly its bytes; a config block is exempt); data_hash = SHA-256 of the data;
 * the orderer signatures satisfy `/Channel/Orderer/BlockValidation` of the current configuration.
 */
import type { SignedData } from '@fabric-peer/api';
import { blockDataHash, blockHeaderBytes, common } from '@fabric-peer/protos';
import type { ChannelConfigBundle } from '@fabric-peer/policies';

import { CommitterError, messageOf } from './errors.js';
import {
  decodeChannelHeader,
  decodeEnvelope,
  decodePayload,
  isMarshaledForm,
  marshaledLength,
  type ChannelHeader,
} from './wire.js';

const EMPTY = new Uint8Array(0);
const BLOCK_VALIDATION = '/Channel/Orderer/BlockValidation';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A block number as a JavaScript number (blocks never get near 2^53). */
export function blockNumber(block: common.IBlock): number {
  const n = block.header?.number;
  if (n === null || n === undefined) return 0;
  return typeof n === 'number' ? n : Number(n.toString());
}

/** Fabric's GetChannelIDFromBlock: the channel header of the first envelope. */
function firstChannelHeader(block: common.IBlock): ChannelHeader {
  const first = block.data?.data?.[0];
  if (first === undefined) throw new Error('failed to retrieve channel id - block is empty');
  const payload = decodePayload(decodeEnvelope(first).payload);
  if (payload.header === undefined) {
    throw new Error('failed to retrieve channel id - payload header is empty');
  }
  return decodeChannelHeader(payload.header.channelHeader);
}

/** Fabric's protoutil.IsConfigBlock: one envelope, of type CONFIG (or ORDERER_TRANSACTION). */
export function isConfigBlock(block: common.IBlock): boolean {
  const data = block.data?.data;
  if (data === null || data === undefined || data.length !== 1) return false;
  try {
    const type = firstChannelHeader(block).type;
    return (
      type === (common.HeaderType.CONFIG as number) ||
      type === (common.HeaderType.ORDERER_TRANSACTION as number)
    );
  } catch {
    return false;
  }
}

/** Fabric's protoutil.VerifyTransactionsAreWellFormed; throws saying what is wrong. */
function verifyTransactionsAreWellFormed(block: common.IBlock): void {
  const data = block.data?.data;
  if (data === null || data === undefined || data.length === 0) throw new Error('empty block');
  if (isConfigBlock(block)) return;
  data.forEach((raw, i) => {
    let env;
    try {
      env = decodeEnvelope(raw);
    } catch (err) {
      throw new Error(`transaction ${i} is invalid: ${messageOf(err)}`);
    }
    if (env.payload === undefined) throw new Error(`transaction ${i} has no payload`);
    if (env.signature === undefined) throw new Error(`transaction ${i} has no signature`);
    const expected = marshaledLength(env);
    if (expected < raw.length) {
      throw new Error(`transaction ${i} has ${raw.length - expected} trailing bytes`);
    }
    if (!isMarshaledForm(env, raw)) {
      throw new Error(`transaction ${i} does not match its raw form`);
    }
  });
}

/** Where the ledger stands: the block it expects next. */
export interface ChainPosition {
  /** The ledger height (the number of the next block). */
  readonly height: number;
  /** The hash of the last block (empty at height 0). */
  readonly currentBlockHash: Uint8Array;
}

/**
 * The structural checks of a block (everything but the orderer signatures). Throws a
 * {@link CommitterError} with Fabric's wording where Fabric has one.
 */
export function verifyBlockStructure(
  block: common.IBlock,
  channelId: string,
  position: ChainPosition,
): void {
  const header = block.header;
  if (header === null || header === undefined) {
    throw new CommitterError(
      'BLOCK_INVALID',
      `Invalid Block on channel [${channelId}]. Header must be different from nil.`,
    );
  }
  const number = blockNumber(block);
  if (number !== position.height) {
    throw new CommitterError(
      'BLOCK_OUT_OF_SEQUENCE',
      `Claimed seqNum is [${position.height}] but actual seqNum inside block is [${number}]`,
      { details: { expected: position.height, got: number } },
    );
  }
  const previous = header.previousHash ?? EMPTY;
  if (position.height > 0 && !bytesEqual(previous, position.currentBlockHash)) {
    throw new CommitterError(
      'BLOCK_PREVIOUS_HASH_MISMATCH',
      `unexpected Previous block hash. Expected PreviousHash = [${hex(position.currentBlockHash)}], PreviousHash referred in the latest block= [${hex(previous)}]`,
      { details: { block: number } },
    );
  }
  let blockChannel: string;
  try {
    blockChannel = firstChannelHeader(block).channelId;
  } catch (err) {
    throw new CommitterError(
      'BLOCK_INVALID',
      `Failed getting channel id from block with id [${number}] on channel [${channelId}]: [${messageOf(err)}]`,
      { cause: err },
    );
  }
  if (blockChannel !== channelId) {
    throw new CommitterError(
      'BLOCK_INVALID',
      `Invalid block's channel id. Expected [${channelId}]. Given [${blockChannel}]`,
    );
  }
  const metadata = block.metadata?.metadata;
  if (metadata === null || metadata === undefined || metadata.length === 0) {
    throw new CommitterError(
      'BLOCK_INVALID',
      `Block with id [${number}] on channel [${channelId}] does not have metadata. Block not valid.`,
    );
  }
  try {
    common.Metadata.decode(metadata[common.BlockMetadataIndex.SIGNATURES] ?? EMPTY);
  } catch (err) {
    throw new CommitterError(
      'BLOCK_INVALID',
      `Failed unmarshalling medatata for signatures [${messageOf(err)}]`,
      { cause: err },
    );
  }
  try {
    verifyTransactionsAreWellFormed(block);
  } catch (err) {
    throw new CommitterError(
      'BLOCK_INVALID',
      `block has malformed transactions: ${messageOf(err)}`,
      { cause: err, details: { block: number } },
    );
  }
  if (!bytesEqual(blockDataHash(block.data), header.dataHash ?? EMPTY)) {
    throw new CommitterError(
      'BLOCK_DATA_HASH_MISMATCH',
      `Header.DataHash is different from Hash(block.Data) for block with id [${number}] on channel [${channelId}]`,
      { details: { block: number } },
    );
  }
}

/** The orderer signatures of a block as signed data, with Fabric's errors. */
export function blockSignatureSet(block: common.IBlock, channelId: string): SignedData[] {
  const number = blockNumber(block);
  const metadata = common.Metadata.decode(
    block.metadata?.metadata?.[common.BlockMetadataIndex.SIGNATURES] ?? EMPTY,
  );
  const headerBytes = blockHeaderBytes(block.header ?? {});
  return metadata.signatures.map((s) => {
    let creator: Uint8Array;
    try {
      creator = common.SignatureHeader.decode(s.signatureHeader ?? EMPTY).creator;
    } catch (err) {
      throw new CommitterError(
        'BLOCK_SIGNATURE_INVALID',
        `Failed unmarshalling signature header for block with id [${number}] on channel [${channelId}]: [${messageOf(err)}]`,
        { cause: err },
      );
    }
    return {
      identity: creator,
      data: concat(metadata.value ?? EMPTY, s.signatureHeader ?? EMPTY, headerBytes),
      signature: s.signature ?? EMPTY,
    };
  });
}

/**
 * Evaluates the channel's `/Channel/Orderer/BlockValidation` policy over the block's orderer
 * signatures. Throws `BLOCK_SIGNATURE_INVALID`. A channel without that policy refuses every block,
 * as Fabric's reject policy does.
 */
export async function verifyBlockSignatures(
  block: common.IBlock,
  bundle: ChannelConfigBundle,
): Promise<void> {
  const signatures = blockSignatureSet(block, bundle.channelId);
  const policy = bundle.policyManager.policyOrReject(BLOCK_VALIDATION);
  try {
    await policy.evaluateSignedData(signatures);
  } catch (err) {
    throw new CommitterError(
      'BLOCK_SIGNATURE_INVALID',
      `block from orderer could not be verified: block [${blockNumber(block)}] of channel [${bundle.channelId}]: ${BLOCK_VALIDATION} not satisfied by its ${signatures.length} signature(s): ${messageOf(err)}`,
      { cause: err, details: { block: blockNumber(block), signatures: signatures.length } },
    );
  }
}
