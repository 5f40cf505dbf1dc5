/**
 * The expiry schedule of private state (Fabric's `pvtstatepurgemgmt` expiryKeeper): for each block
 * that committed private writes to collections with a block-to-live, the keys written and the block
 * at whose commit they expire. One LevelDB for all channels, `<ledgersData>/bookkeeper` as Fabric's
 * bookkeeping database, in the channel's part (`<channel> 0x00`):
 *
 *   '1' ovarint(expiringBlock) ovarint(committingBlock) → JSON [[namespace, collection, keyHash hex, key?], ...]
 *
 * so the entries due at a block are one range. The key is there when this peer had the private
 * value (its private state holds it), absent when it committed the hash only. The value is this
 * peer's own format (Fabric writes its PvtdataKeys message): nothing outside the peer reads it.
 */
import { channelKey, channelRange } from '../history/keys.js';
import { concatBytes, openLevel, type BinaryLevel } from '../history/level.js';
import { LedgerError } from '../txmgmt/errors.js';
import { decodeOrderedVarUint64, encodeOrderedVarUint64 } from '../txmgmt/height.js';

/** Fabric's expiryPrefix. */
const EXPIRY_PREFIX = 0x31;

/** One private key (or only its hash) scheduled to expire. */
export interface ExpiringKey {
  readonly namespace: string;
  readonly collection: string;
  readonly keyHash: Uint8Array;
  /** The key itself, when this peer committed the private value. */
  readonly key?: string;
}

/** The keys a block committed that expire at the same later block. */
export interface ScheduledExpiry {
  readonly committingBlock: number;
  readonly expiringBlock: number;
  readonly keys: readonly ExpiringKey[];
}

/** A channel's schedule. */
export interface ExpirySchedule {
  /** Records entries (an entry for the same two blocks is replaced: replaying a block is harmless). */
  add(entries: readonly ScheduledExpiry[]): Promise<void>;
  /** The entries that expire at the commit of `block`. */
  expiringAt(block: number): Promise<ScheduledExpiry[]>;
  /** Forgets the entries that expired at the commit of `block`. */
  clear(block: number): Promise<void>;
}

/** The shared bookkeeping LevelDB. */
export interface ExpiryScheduleProvider {
  handle(channelId: string): ExpirySchedule;
  /** Removes a channel's schedule. */
  drop(channelId: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating) the bookkeeping LevelDB at `path`; writes are synced unless `sync` is false. */
export async function openExpiryScheduleProvider(
  path: string,
  options: { readonly sync?: boolean } = {},
): Promise<ExpiryScheduleProvider> {
  const db = await openLevel(path, 'bookkeeping');
  const sync = options.sync ?? true;
  return {
    handle: (channelId) => new LevelExpirySchedule(db, channelId, sync),
    drop: (channelId) => db.clear(channelRange(channelId)),
    close: () => db.close(),
  };
}

function dueKey(expiringBlock: number, committingBlock?: number): Uint8Array {
  return concatBytes(
    Uint8Array.of(EXPIRY_PREFIX),
    encodeOrderedVarUint64(expiringBlock),
    ...(committingBlock === undefined ? [] : [encodeOrderedVarUint64(committingBlock)]),
  );
}

type StoredKey = [string, string, string] | [string, string, string, string];

function encodeKeys(keys: readonly ExpiringKey[]): Uint8Array {
  const list: StoredKey[] = keys.map((k) => {
    const hash = Buffer.from(k.keyHash).toString('hex');
    return k.key === undefined
      ? [k.namespace, k.collection, hash]
      : [k.namespace, k.collection, hash, k.key];
  });
  return Buffer.from(JSON.stringify(list));
}

function decodeEntry(key: Uint8Array, value: Uint8Array): ScheduledExpiry {
  try {
    if (key[0] !== EXPIRY_PREFIX) throw new Error('not an expiry key');
    const expiring = decodeOrderedVarUint64(key, 1);
    const committing = decodeOrderedVarUint64(key, 1 + expiring.consumed);
    const list = JSON.parse(Buffer.from(value).toString()) as StoredKey[];
    return {
      expiringBlock: Number(expiring.value),
      committingBlock: Number(committing.value),
      keys: list.map(([namespace, collection, hash, k]) => ({
        namespace,
        collection,
        keyHash: Buffer.from(hash, 'hex'),
        ...(k !== undefined ? { key: k } : {}),
      })),
    };
  } catch (err) {
    throw new LedgerError(
      'MALFORMED',
      `a private data expiry entry does not decode: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

class LevelExpirySchedule implements ExpirySchedule {
  private readonly prefixLength: number;

  constructor(
    private readonly db: BinaryLevel,
    private readonly channelId: string,
    private readonly sync: boolean,
  ) {
    this.prefixLength = channelKey(channelId, new Uint8Array(0)).length;
  }

  private range(block: number): { gte: Uint8Array; lt: Uint8Array } {
    return {
      gte: channelKey(this.channelId, dueKey(block)),
      lt: channelKey(this.channelId, dueKey(block + 1)),
    };
  }

  async add(entries: readonly ScheduledExpiry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.write(() =>
      this.db.batch(
        entries.map((e) => ({
          type: 'put' as const,
          key: channelKey(this.channelId, dueKey(e.expiringBlock, e.committingBlock)),
          value: encodeKeys(e.keys),
        })),
        { sync: this.sync },
      ),
    );
  }

  async expiringAt(block: number): Promise<ScheduledExpiry[]> {
    const out: ScheduledExpiry[] = [];
    for await (const [k, v] of this.db.iterator(this.range(block))) {
      out.push(decodeEntry(k.subarray(this.prefixLength), v));
    }
    return out;
  }

  async clear(block: number): Promise<void> {
    await this.write(() => this.db.clear(this.range(block)));
  }

  private async write(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      throw new LedgerError(
        'DB_ERROR',
        `cannot update the private data expiry schedule of channel [${this.channelId}]: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
