// What the index needs from a block's bytes: number, hashes, and for each transaction its txid,
// validation code and the span of its envelope inside the bytes. The same function serves addBlock
// and re-indexing after a crash, so both write the same entries.
import { crc32 } from 'node:zlib';
import { blockHeaderHash, common, computeTxId, Long } from '@fabric-peer/protos';

/** Fabric's NOT_VALIDATED, reported when the TRANSACTIONS_FILTER has no entry for a transaction. */
export const NOT_VALIDATED = 254;
const TRANSACTIONS_FILTER = 2;

export interface TxInfo {
  /** Fabric's txid: the channel header's, computed from nonce and creator when that is empty, '' when the envelope is malformed. */
  readonly txId: string;
  readonly validationCode: number;
  /** Offset of the envelope in the block bytes. */
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

export interface BlockInfo {
  readonly number: number;
  readonly headerHash: Buffer;
  readonly previousHash: Buffer;
  readonly txs: readonly TxInfo[];
}

/** A uint64 as a safe integer, or undefined when it is not one. */
export function toSafeNumber(v: number | Long | null | undefined): number | undefined {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const u = Long.fromValue(v).toUnsigned();
  return u.greaterThan(Number.MAX_SAFE_INTEGER) ? undefined : u.toNumber();
}

/**
 * Fabric's protoutil.GetOrComputeTxIDFromEnvelope: the channel header's tx_id, or SHA-256(nonce ‖
 * creator) when it is empty; '' when the envelope cannot be read that far (Fabric logs and indexes
 * the transaction under the empty txid).
 */
export function txIdOfEnvelope(envelope: Uint8Array): string {
  try {
    const env = common.Envelope.decode(envelope);
    const payload = common.Payload.decode(env.payload ?? new Uint8Array());
    if (!payload.header) return '';
    const chdr = common.ChannelHeader.decode(payload.header.channelHeader ?? new Uint8Array());
    if (chdr.txId) return chdr.txId;
    const shdr = common.SignatureHeader.decode(payload.header.signatureHeader ?? new Uint8Array());
    return computeTxId(shdr.nonce ?? new Uint8Array(), shdr.creator ?? new Uint8Array());
  } catch {
    return '';
  }
}

/** Reads a varint at `pos`; returns [value, next position]. */
function varint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error('truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
  throw new Error('varint too long');
}

/** Skips a field's value of the given wire type; returns the next position. */
function skip(buf: Uint8Array, pos: number, end: number, wireType: number, field: number): number {
  switch (wireType) {
    case 0:
      return varint(buf, pos, end)[1];
    case 1:
      return pos + 8;
    case 2: {
      const [len, p] = varint(buf, pos, end);
      return p + len;
    }
    case 3:
      // A group: skip fields until its end-group tag.
      for (;;) {
        if (pos >= end) throw new Error('unterminated group');
        const [tag, p] = varint(buf, pos, end);
        if ((tag & 7) === 4) {
          if (Math.floor(tag / 8) !== field) throw new Error('mismatched end group');
          return p;
        }
        pos = skip(buf, p, end, tag & 7, Math.floor(tag / 8));
      }
    case 5:
      return pos + 4;
    default:
      throw new Error(`invalid wire type ${wireType}`);
  }
}

/**
 * Calls `onField(field, start, end)` for each length-delimited field of the message in
 * buf[start, end), skipping the others.
 */
function eachBytesField(
  buf: Uint8Array,
  start: number,
  end: number,
  onField: (field: number, from: number, to: number) => void,
): void {
  let pos = start;
  while (pos < end) {
    const [tag, p] = varint(buf, pos, end);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 2) {
      const [len, q] = varint(buf, p, end);
      if (q + len > end) throw new Error('field runs past its message');
      onField(field, q, q + len);
      pos = q + len;
    } else {
      pos = skip(buf, p, end, wireType, field);
    }
    if (pos > end) throw new Error('field runs past its message');
  }
}

/** Spans of the envelopes (Block.data.data entries) in a block's protobuf bytes, in order. */
export function envelopeSpans(bytes: Uint8Array): { offset: number; length: number }[] {
  const spans: { offset: number; length: number }[] = [];
  eachBytesField(bytes, 0, bytes.length, (field, from, to) => {
    if (field !== 2) return; // Block.data
    eachBytesField(bytes, from, to, (f, a, b) => {
      if (f === 1) spans.push({ offset: a, length: b - a }); // BlockData.data
    });
  });
  return spans;
}

/** Everything the index needs from a block's bytes; throws when they are not a usable block. */
export function blockInfoOf(bytes: Uint8Array): BlockInfo {
  const block = common.Block.decode(bytes);
  if (!block.header) throw new Error('block has no header');
  const number = toSafeNumber(block.header.number);
  if (number === undefined) throw new Error('block number is beyond 2^53');
  const envelopes = block.data?.data ?? [];
  const spans = envelopeSpans(bytes);
  if (spans.length !== envelopes.length) {
    throw new Error(`found ${spans.length} envelopes where the decoder found ${envelopes.length}`);
  }
  const filter = block.metadata?.metadata?.[TRANSACTIONS_FILTER] ?? new Uint8Array();
  const txs = spans.map((span, i): TxInfo => {
    const env = bytes.subarray(span.offset, span.offset + span.length);
    return {
      txId: txIdOfEnvelope(env),
      validationCode: filter[i] ?? NOT_VALIDATED,
      offset: span.offset,
      length: span.length,
      crc: crc32(env),
    };
  });
  return {
    number,
    headerHash: blockHeaderHash(block.header),
    previousHash: Buffer.from(block.header.previousHash ?? new Uint8Array()),
    txs,
  };
}
