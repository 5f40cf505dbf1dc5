/**
 * Signed transactions and orderer-signed blocks built layer by layer as a Fabric client, endorsing
 * peers and an orderer build them, with hooks to break any layer (for the validation-code tests).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  Long,
  blockDataHash,
  blockHeaderBytes,
  blockHeaderHash,
  common,
  computeTxId,
  kvrwset,
  protos,
  rwset as rwsetProto,
  timestampFromMillis,
} from '@fabric-peer/protos';

/** Anything that signs with an identity (the MSP's signing identities). */
export interface TestSigner {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** One collection of a namespace's read-write set (hashed). */
export interface CollSpec {
  readonly name: string;
  readonly hashedWrites?: readonly {
    keyHash: Uint8Array;
    valueHash: Uint8Array;
    isDelete?: boolean;
  }[];
  readonly hashedMetadataWrites?: readonly {
    keyHash: Uint8Array;
    entries: readonly { name: string; value: Uint8Array }[];
  }[];
  readonly pvtRwSetHash?: Uint8Array;
}

/** One namespace of a read-write set. */
export interface NsSpec {
  readonly namespace: string;
  readonly reads?: readonly { key: string; version?: { blockNum: number; txNum: number } }[];
  readonly writes?: readonly { key: string; value?: Uint8Array; isDelete?: boolean }[];
  readonly metadataWrites?: readonly {
    key: string;
    entries: readonly { name: string; value: Uint8Array }[];
  }[];
  readonly collections?: readonly {
    readonly name: string;
    readonly hashedWrites?: readonly {
      keyHash: Uint8Array;
      valueHash: Uint8Array;
      isDelete?: boolean;
    }[];
    readonly hashedMetadataWrites?: readonly {
      keyHash: Uint8Array;
      entries: readonly { name: string; value: Uint8Array }[];
    }[];
    readonly pvtRwSetHash?: Uint8Array;
  }[];
}

/** TxReadWriteSet bytes. */
export function rwsetOf(...namespaces: NsSpec[]): Uint8Array {
  return rwsetProto.TxReadWriteSet.encode({
    dataModel: rwsetProto.TxReadWriteSet.DataModel.KV,
    nsRwset: namespaces.map((ns) => ({
      namespace: ns.namespace,
      rwset: kvrwset.KVRWSet.encode({
        reads: (ns.reads ?? []).map((r) => ({
          key: r.key,
          ...(r.version
            ? {
                version: {
                  blockNum: Long.fromNumber(r.version.blockNum, true),
                  txNum: Long.fromNumber(r.version.txNum, true),
                },
              }
            : {}),
        })),
        writes: (ns.writes ?? []).map((w) => ({
          key: w.key,
          isDelete: w.isDelete ?? false,
          value: w.value ?? new Uint8Array(0),
        })),
        metadataWrites: (ns.metadataWrites ?? []).map((m) => ({
          key: m.key,
          entries: m.entries.map((e) => ({ name: e.name, value: e.value })),
        })),
      }).finish(),
      collectionHashedRwset: (ns.collections ?? []).map((c) => ({
        collectionName: c.name,
        hashedRwset: kvrwset.HashedRWSet.encode({
          hashedWrites: (c.hashedWrites ?? []).map((w) => ({
            keyHash: w.keyHash,
            valueHash: w.valueHash,
            isDelete: w.isDelete ?? false,
          })),
          metadataWrites: (c.hashedMetadataWrites ?? []).map((m) => ({
            keyHash: m.keyHash,
            entries: m.entries.map((e) => ({ name: e.name, value: e.value })),
          })),
        }).finish(),
        ...(c.pvtRwSetHash !== undefined ? { pvtRwsetHash: c.pvtRwSetHash } : {}),
      })),
    })),
  }).finish();
}

/** What makes up an endorser transaction; every layer can be replaced to break it. */
export interface TxSpec {
  readonly channelId: string;
  readonly creator: TestSigner;
  readonly endorsers: readonly TestSigner[];
  readonly chaincode: string;
  readonly version?: string;
  readonly results: Uint8Array;
  readonly events?: Uint8Array;
  readonly nonce?: Uint8Array;
  readonly txId?: string;
  readonly type?: number;
  readonly epoch?: number;
  /** The chaincode name in the action (default: `chaincode`). */
  readonly actionChaincode?: string;
  /** Rewrites the channel header bytes. */
  readonly channelHeader?: (bytes: Uint8Array) => Uint8Array;
  readonly extension?: Uint8Array;
  /** Rewrites the proposal response payload before endorsement. */
  readonly prp?: (prp: protos.IProposalResponsePayload) => protos.IProposalResponsePayload;
  /** Rewrites the endorsements after signing. */
  readonly endorsements?: (e: protos.IEndorsement[]) => protos.IEndorsement[];
  /** Rewrites the Transaction bytes. */
  readonly transaction?: (tx: protos.ITransaction) => protos.ITransaction;
  /** Rewrites the payload bytes before the creator signs them. */
  readonly payload?: (bytes: Uint8Array) => Uint8Array;
  /** Replaces the envelope signature. */
  readonly signature?: (sig: Uint8Array) => Uint8Array;
}

/** A transaction as built: envelope bytes and its txid. */
export interface BuiltTx {
  readonly envelope: Uint8Array;
  readonly txId: string;
}

/** Builds and signs an endorser transaction. */
export async function endorserTx(spec: TxSpec): Promise<BuiltTx> {
  const creator = spec.creator.serialize();
  const nonce = spec.nonce ?? randomBytes(24);
  const txId = spec.txId ?? computeTxId(nonce, creator);
  let chdr: Uint8Array = common.ChannelHeader.encode({
    type: spec.type ?? common.HeaderType.ENDORSER_TRANSACTION,
    version: 0,
    channelId: spec.channelId,
    txId,
    epoch: spec.epoch ?? 0,
    timestamp: timestampFromMillis(Date.now()),
    extension:
      spec.extension ??
      protos.ChaincodeHeaderExtension.encode({ chaincodeId: { name: spec.chaincode } }).finish(),
  }).finish();
  if (spec.channelHeader) chdr = spec.channelHeader(chdr);
  const shdr = common.SignatureHeader.encode({ creator, nonce }).finish();
  const ccpp = protos.ChaincodeProposalPayload.encode({
    input: protos.ChaincodeInvocationSpec.encode({
      chaincodeSpec: {
        type: protos.ChaincodeSpec.Type.NODE,
        chaincodeId: { name: spec.chaincode },
        input: { args: [new TextEncoder().encode('invoke')] },
      },
    }).finish(),
  }).finish();
  const action = protos.ChaincodeAction.encode({
    results: spec.results,
    ...(spec.events !== undefined ? { events: spec.events } : {}),
    response: { status: 200, message: '' },
    chaincodeId: { name: spec.actionChaincode ?? spec.chaincode, version: spec.version ?? '1.0' },
  }).finish();
  let prpMsg: protos.IProposalResponsePayload = {
    proposalHash: sha256(chdr, shdr, ccpp),
    extension: action,
  };
  if (spec.prp) prpMsg = spec.prp(prpMsg);
  const prp = protos.ProposalResponsePayload.encode(prpMsg).finish();
  let endorsements: protos.IEndorsement[] = await Promise.all(
    spec.endorsers.map(async (e) => {
      const endorser = e.serialize();
      return { endorser, signature: await e.sign(concat(prp, endorser)) };
    }),
  );
  if (spec.endorsements) endorsements = spec.endorsements(endorsements);
  let tx: protos.ITransaction = {
    actions: [
      {
        header: shdr,
        payload: protos.ChaincodeActionPayload.encode({
          chaincodeProposalPayload: ccpp,
          action: { proposalResponsePayload: prp, endorsements },
        }).finish(),
      },
    ],
  };
  if (spec.transaction) tx = spec.transaction(tx);
  let payload: Uint8Array = common.Payload.encode({
    header: { channelHeader: chdr, signatureHeader: shdr },
    data: protos.Transaction.encode(tx).finish(),
  }).finish();
  if (spec.payload) payload = spec.payload(payload);
  let signature = await spec.creator.sign(payload);
  if (spec.signature) signature = spec.signature(signature);
  return { envelope: common.Envelope.encode({ payload, signature }).finish(), txId };
}

/** Signs blocks as an orderer does and chains them after a given block. */
export class BlockMaker {
  #previous: common.IBlockHeader;

  constructor(
    private readonly orderer: TestSigner | undefined,
    after: common.IBlock,
  ) {
    this.#previous = after.header!;
  }

  /** Continues after `block` (e.g. after a block that was refused). */
  reset(after: common.IBlock): void {
    this.#previous = after.header!;
  }

  /** The next block with these envelopes, signed (unless `unsigned`), not yet chained on. */
  async make(
    envelopes: readonly Uint8Array[],
    options: { signer?: TestSigner | null; header?: Partial<common.IBlockHeader> } = {},
  ): Promise<common.Block> {
    const data = { data: [...envelopes] };
    const header: common.IBlockHeader = {
      number: Long.fromNumber(Number(this.#previous.number ?? 0) + 1, true),
      previousHash: blockHeaderHash(this.#previous),
      dataHash: blockDataHash(data),
      ...options.header,
    };
    const signer = options.signer === undefined ? this.orderer : (options.signer ?? undefined);
    const value = common.OrdererBlockMetadata.encode({ lastConfig: { index: 0 } }).finish();
    const signatures: common.IMetadataSignature[] = [];
    if (signer !== undefined) {
      const signatureHeader = common.SignatureHeader.encode({
        creator: signer.serialize(),
        nonce: randomBytes(24),
      }).finish();
      signatures.push({
        signatureHeader,
        signature: await signer.sign(concat(value, signatureHeader, blockHeaderBytes(header))),
      });
    }
    const metadata = [
      common.Metadata.encode({ value, signatures }).finish(),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
    ];
    return common.Block.create({ header, data, metadata: { metadata } });
  }

  /** Records `block` as the last one (after it committed). */
  chain(block: common.IBlock): void {
    this.#previous = block.header!;
  }

  /** make + chain. */
  async next(envelopes: readonly Uint8Array[]): Promise<common.Block> {
    const block = await this.make(envelopes);
    this.chain(block);
    return block;
  }
}

/** SHA-256 (for hashed keys and values in tests). */
export function hash(data: Uint8Array | string): Uint8Array {
  return sha256(typeof data === 'string' ? new TextEncoder().encode(data) : data);
}
