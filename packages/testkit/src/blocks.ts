// Synthetic blocks for tests and benchmarks: endorser transactions carrying a given read-write set,
// CONFIG transactions, and a chain builder that sets numbers, previous hashes and data hashes.
// Nothing is signed: the kvledger does not check signatures (the validation steps before it do).
import { createHash } from 'node:crypto';
import {
  Long,
  blockDataHash,
  blockHeaderHash,
  common,
  kvrwset,
  protos,
  rwset as rwsetProto,
  timestampFromMillis,
} from '@fabric-peer/protos';

export const TEST_CHANNEL = 'testchannel';

let counter = 0;

/** A fresh transaction id. */
export function newTxId(): string {
  counter++;
  return createHash('sha256').update(`tx-${counter}-${Math.random()}`).digest('hex');
}

function channelHeader(type: number, txId: string, channelId: string, millis: number): Uint8Array {
  return common.ChannelHeader.encode({
    type,
    channelId,
    txId,
    timestamp: timestampFromMillis(millis),
  }).finish();
}

export interface EndorserTxOptions {
  readonly txId?: string;
  readonly channelId?: string;
  readonly chaincode?: string;
  /** Milliseconds since the epoch for the channel header timestamp. */
  readonly time?: number;
}

/** An endorser transaction envelope whose chaincode action results are `results`. */
export function endorserTx(results: Uint8Array, options: EndorserTxOptions = {}): Uint8Array {
  const txId = options.txId ?? newTxId();
  const action = protos.ChaincodeAction.encode({
    results,
    response: { status: 200 },
    chaincodeId: { name: options.chaincode ?? 'basic', version: '1.0' },
  }).finish();
  const prp = protos.ProposalResponsePayload.encode({
    proposalHash: new Uint8Array(32),
    extension: action,
  }).finish();
  const cap = protos.ChaincodeActionPayload.encode({
    chaincodeProposalPayload: new Uint8Array(0),
    action: { proposalResponsePayload: prp, endorsements: [] },
  }).finish();
  const tx = protos.Transaction.encode({
    actions: [{ header: Uint8Array.of(1), payload: cap }],
  }).finish();
  const payload = common.Payload.encode({
    header: {
      channelHeader: channelHeader(
        common.HeaderType.ENDORSER_TRANSACTION,
        txId,
        options.channelId ?? TEST_CHANNEL,
        options.time ?? Date.now(),
      ),
      signatureHeader: Uint8Array.of(1),
    },
    data: tx,
  }).finish();
  return common.Envelope.encode({ payload, signature: Uint8Array.of(1) }).finish();
}

/** A CONFIG envelope whose payload data is `configEnvelope` (any bytes will do for the ledger). */
export function configTx(
  configEnvelope: Uint8Array = common.ConfigEnvelope.encode({ config: { sequence: 1 } }).finish(),
  channelId = TEST_CHANNEL,
): Uint8Array {
  const payload = common.Payload.encode({
    header: {
      channelHeader: channelHeader(common.HeaderType.CONFIG, '', channelId, Date.now()),
      signatureHeader: Uint8Array.of(1),
    },
    data: configEnvelope,
  }).finish();
  return common.Envelope.encode({ payload, signature: Uint8Array.of(1) }).finish();
}

/** A namespace's sets for rwsetBytes. */
export interface NsSets {
  readonly namespace: string;
  readonly kv?: kvrwset.IKVRWSet;
  readonly collections?: readonly {
    readonly name: string;
    readonly hashed?: kvrwset.IHashedRWSet;
    readonly pvtRwSetHash?: Uint8Array;
  }[];
}

/** A TxReadWriteSet's bytes, for transactions written by hand (not through the builder). */
export function rwsetBytes(...namespaces: NsSets[]): Uint8Array {
  return rwsetProto.TxReadWriteSet.encode({
    nsRwset: namespaces.map((ns) => ({
      namespace: ns.namespace,
      rwset: kvrwset.KVRWSet.encode(ns.kv ?? {}).finish(),
      collectionHashedRwset: (ns.collections ?? []).map((c) => ({
        collectionName: c.name,
        hashedRwset: kvrwset.HashedRWSet.encode(c.hashed ?? {}).finish(),
        ...(c.pvtRwSetHash !== undefined ? { pvtRwsetHash: c.pvtRwSetHash } : {}),
      })),
    })),
  }).finish();
}

/** Builds a chain of blocks: numbers, previous hashes and data hashes follow. */
export class ChainBuilder {
  private previous: common.IBlockHeader | undefined;
  private next = 0;

  /** Continues after an existing block (e.g. one read back from a ledger). */
  static after(block: common.IBlock): ChainBuilder {
    const b = new ChainBuilder();
    b.previous = block.header ?? undefined;
    b.next = Number(block.header?.number ?? 0) + 1;
    return b;
  }

  /** The next block with these envelopes and, by default, a filter of all VALID. */
  block(envelopes: readonly Uint8Array[], filter?: Uint8Array): common.Block {
    const data = { data: [...envelopes] };
    const header: common.IBlockHeader = {
      number: Long.fromNumber(this.next, true),
      previousHash:
        this.previous === undefined ? new Uint8Array(0) : blockHeaderHash(this.previous),
      dataHash: blockDataHash(data),
    };
    this.previous = header;
    this.next++;
    const metadata = [
      new Uint8Array(0),
      new Uint8Array(0),
      filter ?? new Uint8Array(envelopes.length),
      new Uint8Array(0),
      new Uint8Array(0),
    ];
    return common.Block.create({ header, data, metadata: { metadata } });
  }
}

export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export function text(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : Buffer.from(b).toString('utf8');
}
