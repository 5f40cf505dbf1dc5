/**
 * The ledger ids and their status (Fabric's idStore in `kvledger/kv_ledger_provider.go`), in the
 * LevelDB at `<ledgersData>/ledgerProvider`: key "f" → the data format "2.0", and for each ledger
 * key `s<ledgerId>` → a marshaled `msgs.LedgerMetadata{status}` (ACTIVE 0, INACTIVE 1,
 * UNDER_CONSTRUCTION 2, UNDER_DELETION 3).
 */
import { concatBytes, isEmpty, openLevel, utf8, type BinaryLevel } from '../history/level.js';
import { LedgerError } from '../txmgmt/errors.js';
import { WireError, WireReader, WireWriter } from '../txmgmt/wire.js';

/** Fabric's msgs.Status. */
export enum LedgerStatus {
  ACTIVE = 0,
  INACTIVE = 1,
  UNDER_CONSTRUCTION = 2,
  UNDER_DELETION = 3,
}

const FORMAT_KEY = utf8('f');
const METADATA_PREFIX = 0x73; // 's'
/** This peer's own key (Fabric keeps the height in a file beside the blocks). */
const PRE_RESET_PREFIX = 0x72; // 'r'
const CURRENT_FORMAT = '2.0';

function metadataKey(ledgerId: string): Uint8Array {
  return concatBytes(Uint8Array.of(METADATA_PREFIX), utf8(ledgerId));
}

function preResetKey(ledgerId: string): Uint8Array {
  return concatBytes(Uint8Array.of(PRE_RESET_PREFIX), utf8(ledgerId));
}

/** msgs.LedgerMetadata{status} (no boot snapshot metadata: ledgers join from a genesis block). */
export function encodeLedgerMetadata(status: LedgerStatus): Uint8Array {
  return new WireWriter().varintFieldNoZero(1, status).finish();
}

/** The status in a marshaled msgs.LedgerMetadata. */
export function decodeLedgerStatus(bytes: Uint8Array): LedgerStatus {
  const r = new WireReader(bytes);
  let status = 0;
  while (!r.done) {
    const { num, wireType } = r.tag();
    if (num === 1 && wireType === 0) status = Number(BigInt.asIntN(32, r.varint()));
    else r.skip(num, wireType);
  }
  return status;
}

export class IdStore {
  private constructor(
    private readonly db: BinaryLevel,
    private readonly path: string,
  ) {}

  static async open(path: string): Promise<IdStore> {
    const db = await openLevel(path, 'ledger id');
    try {
      if (await isEmpty(db)) {
        await db.put(FORMAT_KEY, utf8(CURRENT_FORMAT));
      } else {
        const f = await db.get(FORMAT_KEY);
        const text = f === undefined ? '' : Buffer.from(f).toString('utf8');
        if (text !== CURRENT_FORMAT) {
          throw new LedgerError(
            'DB_FORMAT_MISMATCH',
            `the ledger id database at ${path} has data format [${text}], expected [${CURRENT_FORMAT}]`,
          );
        }
      }
    } catch (err) {
      await db.close();
      throw err;
    }
    return new IdStore(db, path);
  }

  async status(ledgerId: string): Promise<LedgerStatus | undefined> {
    const v = await this.db.get(metadataKey(ledgerId));
    if (v === undefined) return undefined;
    try {
      return decodeLedgerStatus(v);
    } catch (err) {
      if (err instanceof WireError) {
        throw new LedgerError(
          'MALFORMED',
          `error unmarshalling ledger metadata of [${ledgerId}] in ${this.path}`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  async create(ledgerId: string, status: LedgerStatus): Promise<void> {
    const existing = await this.status(ledgerId);
    if (existing !== undefined) {
      throw new LedgerError(
        'LEDGER_EXISTS',
        `ledger [${ledgerId}] already exists with state [${LedgerStatus[existing] ?? existing}]`,
      );
    }
    await this.db.put(metadataKey(ledgerId), encodeLedgerMetadata(status));
  }

  async updateStatus(ledgerId: string, status: LedgerStatus): Promise<void> {
    const existing = await this.status(ledgerId);
    if (existing === undefined) {
      throw new LedgerError(
        'LEDGER_NOT_FOUND',
        `cannot update ledger status, ledger [${ledgerId}] does not exist`,
      );
    }
    if (existing === status) return;
    await this.db.put(metadataKey(ledgerId), encodeLedgerMetadata(status));
  }

  async delete(ledgerId: string): Promise<void> {
    await this.db.batch([
      { type: 'del', key: metadataKey(ledgerId) },
      { type: 'del', key: preResetKey(ledgerId) },
    ]);
  }

  /**
   * Records the height a ledger had before `peer node reset` (Fabric keeps it in the chain's
   * `__preResetHeight` file), keeping a greater one already recorded (a second reset before the
   * ledger caught up).
   */
  async recordPreResetHeight(ledgerId: string, height: number): Promise<void> {
    const previous = (await this.preResetHeights()).get(ledgerId) ?? 0;
    if (height > previous) await this.db.put(preResetKey(ledgerId), utf8(String(height)));
  }

  /** The recorded pre-reset heights, by ledger id. */
  async preResetHeights(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for await (const [k, v] of this.db.iterator({
      gte: Uint8Array.of(PRE_RESET_PREFIX),
      lt: Uint8Array.of(PRE_RESET_PREFIX + 1),
    })) {
      out.set(Buffer.from(k.subarray(1)).toString('utf8'), Number(Buffer.from(v).toString()));
    }
    return out;
  }

  /** Forgets every pre-reset height (the ledgers caught up). */
  async clearPreResetHeights(): Promise<void> {
    await this.db.clear({
      gte: Uint8Array.of(PRE_RESET_PREFIX),
      lt: Uint8Array.of(PRE_RESET_PREFIX + 1),
    });
  }

  /** Ledger ids with one of `statuses`, in key order. */
  async ids(statuses: readonly LedgerStatus[]): Promise<string[]> {
    const out: string[] = [];
    const it = this.db.iterator({
      gte: Uint8Array.of(METADATA_PREFIX),
      lt: Uint8Array.of(METADATA_PREFIX + 1),
    });
    try {
      for (;;) {
        const entry = await it.next();
        if (entry === undefined) break;
        const [k, v] = entry;
        if (statuses.includes(decodeLedgerStatus(v)))
          out.push(Buffer.from(k.subarray(1)).toString('utf8'));
      }
    } finally {
      await it.close();
    }
    return out;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
