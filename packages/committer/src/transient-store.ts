/**
 * The transient store (Fabric's core/transientstore): private write sets held between endorsement
 * and commit. The endorser persists each transaction's private write set here (it implements the
 * endorser's `PrivateDataDistributor` shape); the committer reads the write sets of a block's
 * transactions at commit, then purges them, and purges whatever is older than
 * `peer.gossip.pvtData.transientstoreMaxBlockRetention` blocks.
 *
 * One LevelDB (classic-level) under `<peer.fileSystemPath>/transientstore` holds every channel.
 * Keys (Fabric's layout is not kept; nothing outside this peer reads it):
 *
 * - `D 0x00 <channel> 0x00 <txid> 0x00 <seq>` → `<endorsedAt: 8 bytes BE> ‖ TxPvtReadWriteSet bytes`
 * - `H 0x00 <channel> 0x00 <endorsedAt: 8 bytes BE> <txid> 0x00 <seq>` → empty (purge by height)
 *
 * `seq` (8 bytes BE) orders several write sets of one txid (Fabric keeps one per endorsement).
 */
import { ClassicLevel } from 'classic-level';
import type { rwset } from '@fabric-peer/protos';

import { CommitterError, messageOf } from './errors.js';

type Level = ClassicLevel<Uint8Array, Uint8Array>;

const DATA = 0x44; // 'D'
const HEIGHT = 0x48; // 'H'
const SEP = 0x00;

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function u64(n: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function readU64(b: Uint8Array, at: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at));
}

const enc = new TextEncoder();
/** Endorsed transactions have hex txids; anything else could reach into another key's range. */
const TXID = /^[0-9a-f]{64}$/;
const dec = new TextDecoder();

function key(...parts: (number | Uint8Array | string)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'number' ? Uint8Array.of(p) : typeof p === 'string' ? enc.encode(p) : p,
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The exclusive upper bound of every key starting with `prefix`. */
function after(prefix: Uint8Array): Uint8Array {
  return key(prefix, 0xff);
}

/** One private write set as the endorser left it. */
export interface TransientEntry {
  /** The ledger height when the transaction was endorsed (Fabric's EndorsedAt). */
  readonly endorsedAt: number;
  /** The marshaled `rwset.TxPvtReadWriteSet`. */
  readonly privateRwset: Uint8Array;
}

/** What the endorser hands over (the endorser's `PrivateDataDistributor` request). */
export interface PrivateDataRequest {
  readonly channelId: string;
  readonly txId: string;
  readonly privateRwset: Uint8Array;
  readonly privateRwsetProto?: rwset.TxPvtReadWriteSet;
  readonly endorsedAt: number;
}

/**
 * The private write sets of one channel awaiting commit (Fabric's transientstore.Store).
 * Every method rejects with `COMMITTER_CLOSED` once the store is closed.
 */
export interface ChannelTransientStore {
  readonly channelId: string;
  /** Stores the private write set of `txId` endorsed at ledger height `endorsedAt`. */
  persist(txId: string, endorsedAt: number, privateRwset: Uint8Array): Promise<void>;
  /** Every write set stored for `txId`, oldest first. */
  getTxPvtRwSetByTxid(txId: string): Promise<TransientEntry[]>;
  /** Removes every write set of these transactions. */
  purgeByTxids(txIds: Iterable<string>): Promise<void>;
  /** Removes every write set endorsed below `height`. */
  purgeBelowHeight(height: number): Promise<void>;
}

/** Opens the transient store at `path` (Fabric's `<peer.fileSystemPath>/transientstore`). */
export async function openTransientStore(path: string): Promise<TransientStore> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  try {
    await db.open({ createIfMissing: true });
  } catch (err) {
    if (causeCode(err) === 'LEVEL_LOCKED') {
      throw new CommitterError(
        'TRANSIENT_STORE_FAILED',
        `the transient store at ${path} is in use by another process (or is already open in this one); stop the other peer or use another peer.fileSystemPath`,
        { cause: err },
      );
    }
    throw new CommitterError(
      'TRANSIENT_STORE_FAILED',
      `cannot open the transient store at ${path}: ${messageOf(err)}`,
      { cause: err },
    );
  }
  return new TransientStore(db);
}

/**
 * The peer's transient store: a view per channel, and the endorser's `PrivateDataDistributor`
 * (persisting only; disseminating to other peers is gossip's business).
 */
export class TransientStore {
  readonly #db: Level;
  readonly #channels = new Map<string, ChannelTransientStore>();
  #seq = 0;
  #closed = false;

  constructor(db: Level) {
    this.#db = db;
  }

  /** The store of one channel. */
  channel(channelId: string): ChannelTransientStore {
    let found = this.#channels.get(channelId);
    if (found === undefined) {
      found = this.#channelStore(channelId);
      this.#channels.set(channelId, found);
    }
    return found;
  }

  /** The endorser's PrivateDataDistributor: keeps the write set for the commit. */
  distributePrivateData(request: PrivateDataRequest): Promise<void> {
    return this.channel(request.channelId).persist(
      request.txId,
      request.endorsedAt,
      request.privateRwset,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.close();
  }

  #check(): void {
    if (this.#closed) throw new CommitterError('COMMITTER_CLOSED', 'the transient store is closed');
  }

  #channelStore(channelId: string): ChannelTransientStore {
    const db = this.#db;
    const dataPrefix = (txId: string) => key(DATA, SEP, channelId, SEP, txId, SEP);
    const heightPrefix = key(HEIGHT, SEP, channelId, SEP);

    const remove = async (dataKeys: Uint8Array[], values: Uint8Array[], txIds: string[]) => {
      const batch = db.batch();
      dataKeys.forEach((k, i) => {
        batch.del(k);
        const seq = k.subarray(k.length - 8);
        batch.del(key(heightPrefix, values[i]!.subarray(0, 8), txIds[i]!, SEP, seq));
      });
      await batch.write();
    };

    return {
      channelId,
      persist: async (txId, endorsedAt, privateRwset) => {
        this.#check();
        if (!TXID.test(txId)) {
          throw new CommitterError(
            'TRANSIENT_STORE_FAILED',
            `transient store: txid [${txId}] is not a transaction id (64 lowercase hex digits)`,
          );
        }
        const seq = u64(++this.#seq + Date.now() * 1000);
        const height = u64(endorsedAt);
        const batch = db.batch();
        batch.put(key(dataPrefix(txId), seq), key(height, privateRwset));
        batch.put(key(heightPrefix, height, txId, SEP, seq), new Uint8Array(0));
        await batch.write();
      },
      getTxPvtRwSetByTxid: async (txId) => {
        this.#check();
        if (!TXID.test(txId)) return [];
        const prefix = dataPrefix(txId);
        const out: TransientEntry[] = [];
        for await (const value of db.values({ gte: prefix, lt: after(prefix) })) {
          out.push({ endorsedAt: readU64(value, 0), privateRwset: value.subarray(8) });
        }
        return out;
      },
      purgeByTxids: async (txIds) => {
        this.#check();
        const keys: Uint8Array[] = [];
        const values: Uint8Array[] = [];
        const ids: string[] = [];
        for (const txId of new Set(txIds)) {
          if (!TXID.test(txId)) continue;
          const prefix = dataPrefix(txId);
          for await (const [k, v] of db.iterator({ gte: prefix, lt: after(prefix) })) {
            keys.push(k);
            values.push(v);
            ids.push(txId);
          }
        }
        if (keys.length > 0) await remove(keys, values, ids);
      },
      purgeBelowHeight: async (height) => {
        this.#check();
        const keys: Uint8Array[] = [];
        const values: Uint8Array[] = [];
        const ids: string[] = [];
        const lt = key(heightPrefix, u64(height));
        for await (const k of db.keys({ gte: heightPrefix, lt })) {
          // <prefix> <height 8> <txid> 0x00 <seq 8>
          const rest = k.subarray(heightPrefix.length);
          const txId = dec.decode(rest.subarray(8, rest.length - 9));
          const seq = rest.subarray(rest.length - 8);
          keys.push(key(dataPrefix(txId), seq));
          values.push(rest.subarray(0, 8));
          ids.push(txId);
        }
        if (keys.length > 0) await remove(keys, values, ids);
      },
    };
  }
}
