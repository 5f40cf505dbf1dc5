/**
 * The history database (Fabric v2.5 `kvledger/history`): one LevelDB for all channels
 * (`<ledgersData>/historyLeveldb`), recording for each public write of each valid endorser
 * transaction an empty-valued key (see keys.ts), and a savepoint per channel. Values are not stored:
 * a query re-reads each transaction from the block store. Private writes, metadata-only writes,
 * invalid transactions and non-endorser transactions (CONFIG) are not recorded.
 */
import type { Height } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import type { BlockStore } from '../blockstore/types.js';
import { LedgerError } from '../txmgmt/errors.js';
import { heightFromBytes, heightToBytes, uint64ToNumber } from '../txmgmt/height.js';
import { decodeTxRwSet, isKVWriteDelete } from '../txmgmt/rwset.js';
import type { HistoryIterator, HistoryQueryExecutor, KeyModification } from '../txmgmt/types.js';
import { chaincodeActionFromEnvelope } from '../txmgmt/validation.js';
import {
  CURRENT_FORMAT,
  FORMAT_KEY,
  SAVEPOINT_KEY,
  channelKey,
  channelRange,
  decodeHistoryHeight,
  historyDataKey,
  historyKeyPrefix,
} from './keys.js';
import { isEmpty, openLevel, utf8, type BinaryLevel } from './level.js';

const EMPTY = new Uint8Array(0);
const TRANSACTIONS_FILTER = common.BlockMetadataIndex.TRANSACTIONS_FILTER;
const ENDORSER_TRANSACTION: number = common.HeaderType.ENDORSER_TRANSACTION;

/** The history of one channel. */
export interface HistoryDB extends HistoryQueryExecutor {
  readonly channelId: string;
  /** Records the block's valid endorser transactions' public writes and the savepoint. */
  commit(block: common.IBlock): Promise<void>;
  /** Height (block number, transactions in it) of the last recorded block, if any. */
  getLastSavepoint(): Promise<Height | undefined>;
}

/** The shared history LevelDB. */
export interface HistoryDBProvider {
  /** The channel's history; queries re-read transactions from `blockStore`. */
  handle(channelId: string, blockStore: BlockStore): HistoryDB;
  /** Removes a channel's history. */
  drop(channelId: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating) the history LevelDB at `path` and checks its data format ("2.0"). */
export async function openHistoryDBProvider(path: string): Promise<HistoryDBProvider> {
  const db = await openLevel(path, 'history');
  try {
    if (await isEmpty(db)) {
      await db.put(FORMAT_KEY, utf8(CURRENT_FORMAT));
    } else {
      const format = await db.get(FORMAT_KEY);
      const text = format === undefined ? '' : Buffer.from(format).toString('utf8');
      if (text !== CURRENT_FORMAT) {
        throw new LedgerError(
          'DB_FORMAT_MISMATCH',
          `the history database at ${path} has data format [${text}], expected [${CURRENT_FORMAT}]; drop it (it is rebuilt from the block store at the next start)`,
        );
      }
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  return new HistoryDBProviderImpl(db);
}

class HistoryDBProviderImpl implements HistoryDBProvider {
  constructor(private readonly db: BinaryLevel) {}

  handle(channelId: string, blockStore: BlockStore): HistoryDB {
    return new HistoryDBImpl(this.db, channelId, blockStore);
  }

  async drop(channelId: string): Promise<void> {
    await this.db.clear(channelRange(channelId));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

class HistoryDBImpl implements HistoryDB {
  constructor(
    private readonly db: BinaryLevel,
    readonly channelId: string,
    private readonly blockStore: BlockStore,
  ) {}

  async commit(block: common.IBlock): Promise<void> {
    const blockNum = uint64ToNumber(block.header?.number);
    const envelopes = block.data?.data ?? [];
    const filter = block.metadata?.metadata?.[TRANSACTIONS_FILTER] ?? EMPTY;
    const batch = this.db.batch();
    let tranNo = 0;
    for (const envBytes of envelopes) {
      const code = filter[tranNo];
      if (code === undefined) {
        throw new LedgerError(
          'BLOCK_INVALID',
          `block [${blockNum}] has no validation code for transaction [${tranNo}]`,
        );
      }
      if (code !== 0) {
        tranNo++;
        continue;
      }
      const env = common.Envelope.decode(envBytes);
      const payload = common.Payload.decode(env.payload);
      const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? EMPTY);
      if (chdr.type === ENDORSER_TRANSACTION) {
        const rwset = decodeTxRwSet(chaincodeActionFromEnvelope(envBytes).results);
        for (const ns of rwset.nsRwSets) {
          for (const w of ns.kvRwSet.writes) {
            batch.put(
              channelKey(this.channelId, historyDataKey(ns.namespace, w.key, blockNum, tranNo)),
              EMPTY,
            );
          }
        }
      }
      tranNo++;
    }
    batch.put(
      channelKey(this.channelId, SAVEPOINT_KEY),
      heightToBytes({ blockNum, txNum: tranNo }),
    );
    await batch.write();
  }

  async getLastSavepoint(): Promise<Height | undefined> {
    const b = await this.db.get(channelKey(this.channelId, SAVEPOINT_KEY));
    return b === undefined ? undefined : heightFromBytes(b);
  }

  getHistoryForKey(namespace: string, key: string): Promise<HistoryIterator> {
    const prefix = historyKeyPrefix(namespace, key);
    const start = channelKey(this.channelId, prefix);
    const end = new Uint8Array(start.length + 1);
    end.set(start);
    end[start.length] = 0xff;
    // Fabric v2.5 walks the range backwards: newest modification first.
    const it = this.db.keys({ gte: start, lt: end, reverse: true });
    return Promise.resolve(new HistoryScanner(it, start, namespace, key, this.blockStore));
  }
}

type KeyIt = ReturnType<BinaryLevel['keys']>;

class HistoryScanner implements HistoryIterator {
  private closed = false;
  private cached: { num: number; block: common.Block } | undefined;

  constructor(
    private readonly it: KeyIt,
    private readonly prefix: Uint8Array,
    private readonly namespace: string,
    private readonly key: string,
    private readonly blockStore: BlockStore,
  ) {}

  async next(): Promise<KeyModification | undefined> {
    if (this.closed) return undefined;
    const k = (await this.it.next()) as Uint8Array | undefined;
    if (k === undefined) return undefined;
    const { blockNum, tranNum } = decodeHistoryHeight(this.prefix, k);
    const block = await this.block(blockNum);
    const envBytes = block.data?.data?.[tranNum];
    if (envBytes === undefined) {
      throw new LedgerError(
        'DB_ERROR',
        `history refers to transaction [${tranNum}] of block [${blockNum}], which the block store does not have`,
      );
    }
    const mod = keyModification(envBytes, this.namespace, this.key);
    if (mod === undefined) {
      throw new LedgerError(
        'DB_ERROR',
        `no namespace or key is found for namespace ${this.namespace} and key ${this.key} with decoded blockNum ${blockNum} and tranNum ${tranNum}`,
      );
    }
    return mod;
  }

  private async block(num: number): Promise<common.Block> {
    if (this.cached?.num === num) return this.cached.block;
    const block = await this.blockStore.getBlockByNumber(num);
    if (block === undefined) {
      throw new LedgerError(
        'DB_ERROR',
        `history refers to block [${num}], which the block store does not have`,
      );
    }
    this.cached = { num, block };
    return block;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.it.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeyModification> {
    try {
      for (;;) {
        const m = await this.next();
        if (m === undefined) return;
        yield m;
      }
    } finally {
      await this.close();
    }
  }
}

/** Fabric's getKeyModificationFromTran. */
function keyModification(
  envBytes: Uint8Array,
  namespace: string,
  key: string,
): KeyModification | undefined {
  const env = common.Envelope.decode(envBytes);
  const payload = common.Payload.decode(env.payload);
  const action = chaincodeActionFromEnvelope(envBytes);
  const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? EMPTY);
  const rwset = decodeTxRwSet(action.results);
  for (const ns of rwset.nsRwSets) {
    if (ns.namespace !== namespace) continue;
    for (const w of ns.kvRwSet.writes) {
      if (w.key === key) {
        return {
          txId: chdr.txId,
          value: w.value,
          timestamp: chdr.timestamp ?? null,
          isDelete: isKVWriteDelete(w),
        };
      }
    }
    return undefined;
  }
  return undefined;
}
