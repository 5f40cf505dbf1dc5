// Helpers for the block store tests: the Fabric corpus, synthetic blocks, temporary folders, and
// direct access to the index (to dump it or to make it lag, as after a crash).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockDataHash, blockHeaderHash, common } from '@fabric-peer/protos';
import { blockInfoOf } from '../src/blockstore/block-info.js';
import type { BlockIndexDb } from '../src/blockstore/index.js';
import {
  blockHashKey,
  blockNumKey,
  CHECKPOINT_KEY,
  decodeBlockLoc,
  encodeCheckpoint,
  fileKey,
  txIdKey,
} from '../src/blockstore/keys.js';
import { RECORD_HEADER_SIZE } from '../src/blockstore/record.js';

/** The package folder, found from this compiled file in dist/test-support/. */
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Fabric v2.4.9 corpus (87 blocks of channel `mychannel`). */
export function corpusDir(): string {
  const dir = resolve(
    packageDir,
    '..',
    '..',
    '..',
    'shared',
    'fixtures',
    'fabric-2.4.9',
    'corpus-basic',
  );
  if (!existsSync(join(dir, 'block-0.pb'))) {
    throw new Error(`Fabric block corpus not found at ${dir}: the block store tests need it`);
  }
  return dir;
}

export const CORPUS_CHANNEL = 'mychannel';
export const CORPUS_HEIGHT = 87;

const bytesCache = new Map<number, Buffer>();

/** The bytes of corpus block `n`, exactly as Fabric's deliver service sent them. */
export function corpusBytes(n: number): Buffer {
  let b = bytesCache.get(n);
  if (b === undefined) {
    b = readFileSync(join(corpusDir(), `block-${n}.pb`));
    bytesCache.set(n, b);
  }
  return b;
}

/** Corpus block `n`, freshly decoded. */
export function corpusBlock(n: number): common.Block {
  return common.Block.decode(corpusBytes(n));
}

/** One transaction of validation-codes.json. */
export interface CorpusTx {
  readonly blockNum: number;
  readonly txNum: number;
  readonly txId: string;
  readonly validationCode: number;
}

/** Every transaction of the corpus with the validation code Fabric gave it. */
export function corpusTxs(): CorpusTx[] {
  const json = JSON.parse(readFileSync(join(corpusDir(), 'validation-codes.json'), 'utf8')) as {
    blocks: {
      number: number;
      transactions: { index: number; txid: string; validation_code_value: number }[];
    }[];
  };
  return json.blocks.flatMap((b) =>
    b.transactions.map((t) => ({
      blockNum: b.number,
      txNum: t.index,
      txId: t.txid,
      validationCode: t.validation_code_value,
    })),
  );
}

/** A fresh folder under os.tmpdir() and a function that removes it. */
export async function tempDir(
  prefix = 'blockstore-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `<dir>/chains/<channel>/blockfile_NNNNNN`. */
export function blockFile(dir: string, channelId: string, num = 0): string {
  return join(dir, 'chains', channelId, 'blockfile_' + String(num).padStart(6, '0'));
}

/** An endorser-transaction envelope; without `txId` Fabric computes it from nonce and creator. */
export function makeEnvelope(opts: {
  txId?: string;
  nonce?: Uint8Array;
  creator?: Uint8Array;
  channelId?: string;
  filler?: number;
}): Buffer {
  const channelHeader = common.ChannelHeader.encode({
    type: common.HeaderType.ENDORSER_TRANSACTION,
    channelId: opts.channelId ?? 'synthetic',
    ...(opts.txId !== undefined ? { txId: opts.txId } : {}),
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({
    creator: opts.creator ?? Buffer.from('creator'),
    nonce: opts.nonce ?? Buffer.from('nonce'),
  }).finish();
  const payload = common.Payload.encode({
    header: { channelHeader, signatureHeader },
    data: Buffer.alloc(opts.filler ?? 16, 7),
  }).finish();
  return Buffer.from(common.Envelope.encode({ payload, signature: Buffer.from('sig') }).finish());
}

/**
 * A block that chains to `previous` (or a block 0 when it is undefined), with the given envelopes
 * and TRANSACTIONS_FILTER (all VALID unless given; `null` leaves the metadata out).
 */
export function makeBlock(
  previous: common.IBlock | undefined,
  envelopes: Uint8Array[],
  filter?: number[] | null,
): common.Block {
  const number = previous === undefined ? 0 : Number(previous.header!.number) + 1;
  const previousHash = previous === undefined ? Buffer.alloc(0) : blockHeaderHash(previous.header!);
  const data = { data: envelopes };
  const metadata =
    filter === null
      ? []
      : [
          Buffer.alloc(0),
          Buffer.alloc(0),
          Buffer.from(filter ?? envelopes.map(() => 0)),
          Buffer.alloc(0),
          Buffer.alloc(0),
        ];
  return common.Block.decode(
    common.Block.encode({
      header: { number, previousHash, dataHash: blockDataHash(data) },
      data,
      metadata: { metadata },
    }).finish(),
  );
}

/** A chain of `count` synthetic blocks, each with `txsPerBlock` transactions of unique txids. */
export function syntheticChain(count: number, txsPerBlock = 2, tag = 'syn'): common.Block[] {
  const blocks: common.Block[] = [];
  for (let n = 0; n < count; n++) {
    const envs = Array.from({ length: txsPerBlock }, (_, i) =>
      makeEnvelope({ txId: `${tag}-${n}-${i}` }),
    );
    blocks.push(makeBlock(blocks[n - 1], envs));
  }
  return blocks;
}

/** The channel's sublevel of the index, with byte keys and values. */
function channelLevel(db: BlockIndexDb, channelId: string) {
  return db.sublevel(channelId, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
}

/** Every key=value of the channel's index, hex, in key order. */
export async function dumpIndex(db: BlockIndexDb, channelId: string): Promise<string[]> {
  const sub = channelLevel(db, channelId) as unknown as {
    iterator(): { all(): Promise<[Buffer, Buffer][]> };
  };
  const entries = await sub.iterator().all();
  return entries.map(([k, v]) => `${k.toString('hex')}=${v.toString('hex')}`);
}

/**
 * Makes the index lag, as if the last `count` blocks (of `blocks`, the bytes of blocks 0..height-1)
 * had been appended to the files but never indexed: deletes their number, hash and txid entries,
 * the lengths of the files from the first such block's file on, and moves the checkpoint back.
 */
export async function dropIndexOfLastBlocks(
  db: BlockIndexDb,
  channelId: string,
  blocks: readonly Uint8Array[],
  count: number,
): Promise<void> {
  const sub = channelLevel(db, channelId);
  const height = blocks.length;
  const keep = height - count;
  const keys: Buffer[] = [];
  for (let n = keep; n < height; n++) {
    const info = blockInfoOf(blocks[n]!);
    keys.push(blockNumKey(n), blockHashKey(info.headerHash));
    info.txs.forEach((tx, i) => keys.push(txIdKey(tx.txId, n, i)));
  }
  const firstDropped = await sub.get(blockNumKey(keep));
  if (firstDropped === undefined) throw new Error(`block ${keep} is not indexed`);
  const fromFile = decodeBlockLoc(firstDropped).file;
  for (let f = fromFile; f < fromFile + 1000; f++) keys.push(fileKey(f));
  const ops: { type: 'put' | 'del'; key: Buffer; value?: Buffer }[] = keys.map((key) => ({
    type: 'del',
    key,
  }));
  if (keep === 0) {
    ops.push({ type: 'del', key: CHECKPOINT_KEY });
  } else {
    const lastKept = await sub.get(blockNumKey(keep - 1));
    if (lastKept === undefined) throw new Error(`block ${keep - 1} is not indexed`);
    const loc = decodeBlockLoc(lastKept);
    ops.push({
      type: 'put',
      key: CHECKPOINT_KEY,
      value: encodeCheckpoint({
        height: keep,
        file: loc.file,
        end: loc.offset + RECORD_HEADER_SIZE + loc.length,
      }),
    });
  }
  await (sub as unknown as { batch(ops: unknown[]): Promise<void> }).batch(ops);
}

/** Where the index says block `n`'s record starts and ends. */
export async function recordSpan(
  db: BlockIndexDb,
  channelId: string,
  n: number,
): Promise<{ file: number; offset: number; end: number }> {
  const v = await channelLevel(db, channelId).get(blockNumKey(n));
  if (v === undefined) throw new Error(`block ${n} is not indexed`);
  const loc = decodeBlockLoc(v);
  return { file: loc.file, offset: loc.offset, end: loc.offset + RECORD_HEADER_SIZE + loc.length };
}
