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
const CURRENT_FORMAT = '2.0';

function metadataKey(ledgerId: string): Uint8Array {
  return concatBytes(Uint8Array.of(METADATA_PREFIX), utf8(ledgerId));
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
    await this.db.del(metadataKey(ledgerId));
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
