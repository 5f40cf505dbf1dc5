/**
 * Phantom-read detection (Fabric's `validation/rangequery_validator.go` and
 * `validation/combined_iterator.go`): a range query recorded at simulation is executed again over
 * committed state merged with the updates of the block's earlier valid transactions, and its
 * results are compared with the recorded raw reads, or folded into a Merkle summary compared with
 * the recorded one. When the simulation stopped before the end of the range (`itr_exhausted`
 * false), the recorded end key is the last key read and is included.
 */
import { compareKeys, type Height, type StateIterator } from '@fabric-peer/api';
import { LedgerError } from './errors.js';
import { bytesEqual } from './hashing.js';
import { rwVersionOf, sameVersion } from './height.js';
import type { PrivacyAwareState } from './privacy.js';
import { RangeQueryResultsHelper, type HashFunc } from './range-query-helper.js';
import type { MerkleSummary, RangeQueryInfo } from './rwset.js';
import type { PubUpdateBatch } from './update-batch.js';

interface Item {
  readonly key: string;
  /** Undefined for a delete (only in block updates). */
  readonly value?: Uint8Array;
  readonly version: Height;
}

/** Fabric's combinedIterator. */
class CombinedIterator {
  private dbItem: Item | undefined;
  private updItem: Item | undefined;
  private updIndex = 0;
  private endKeyServed = false;

  private constructor(
    private readonly state: PrivacyAwareState,
    private readonly updates: PubUpdateBatch,
    private readonly ns: string,
    private readonly endKey: string,
    private readonly includeEndKey: boolean,
    private readonly dbItr: StateIterator,
    private readonly updKeys: readonly string[],
  ) {}

  static async create(
    state: PrivacyAwareState,
    updates: PubUpdateBatch,
    ns: string,
    startKey: string,
    endKey: string,
    includeEndKey: boolean,
  ): Promise<CombinedIterator> {
    const dbItr = await state.db.getStateRangeScanIterator(ns, startKey, endKey);
    const itr = new CombinedIterator(
      state,
      updates,
      ns,
      endKey,
      includeEndKey,
      dbItr,
      updates.rangeKeys(ns, startKey, endKey),
    );
    try {
      itr.dbItem = await itr.nextDb();
      itr.updItem = itr.nextUpd();
    } catch (err) {
      await dbItr.close();
      throw err;
    }
    return itr;
  }

  private async nextDb(): Promise<Item | undefined> {
    const r = await this.dbItr.next();
    return r === undefined ? undefined : { key: r.key, value: r.value, version: r.version };
  }

  private nextUpd(): Item | undefined {
    const key = this.updKeys[this.updIndex++];
    if (key === undefined) return undefined;
    const v = this.updates.get(this.ns, key)!;
    return v.value === undefined
      ? { key, version: v.version }
      : { key, value: v.value, version: v.version };
  }

  async next(): Promise<Item | undefined> {
    for (;;) {
      if (this.dbItem === undefined && this.updItem === undefined)
        return this.serveEndKeyIfNeeded();
      let selected: Item;
      const c = compare(this.dbItem, this.updItem);
      if (c < 0) {
        selected = this.dbItem!;
        this.dbItem = await this.nextDb();
      } else if (c === 0) {
        selected = this.updItem!;
        this.dbItem = await this.nextDb();
        this.updItem = this.nextUpd();
      } else {
        selected = this.updItem!;
        this.updItem = this.nextUpd();
      }
      if (selected.value === undefined) continue;
      return selected;
    }
  }

  private async serveEndKeyIfNeeded(): Promise<Item | undefined> {
    if (!this.includeEndKey || this.endKeyServed) return undefined;
    let vv: { value?: Uint8Array; version: Height } | undefined = this.updates.get(
      this.ns,
      this.endKey,
    );
    if (vv === undefined) vv = await this.state.db.getState(this.ns, this.endKey);
    this.endKeyServed = true;
    if (vv === undefined || vv.value === undefined) return undefined;
    return { key: this.endKey, value: vv.value, version: vv.version };
  }

  close(): Promise<void> {
    return this.dbItr.close();
  }
}

function compare(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  const c = compareKeys(a.key, b.key);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

function merkleSummariesEqual(ms: MerkleSummary, other: MerkleSummary | undefined): boolean {
  if (other === undefined) return false;
  if (
    ms.maxDegree !== other.maxDegree ||
    ms.maxLevel !== other.maxLevel ||
    ms.maxLevelHashes.length !== other.maxLevelHashes.length
  ) {
    return false;
  }
  return ms.maxLevelHashes.every((h, i) => bytesEqual(h, other.maxLevelHashes[i]));
}

async function validateRawReads(rqi: RangeQueryInfo, itr: CombinedIterator): Promise<boolean> {
  const reads = rqi.rawReads ?? [];
  let result = await itr.next();
  if (reads.length === 0) return result === undefined;
  for (const read of reads) {
    if (result === undefined) return false;
    if (result.key !== read.key) return false;
    if (read.version === undefined) {
      // Fabric dereferences the missing version and its peer panics: the block cannot be committed.
      throw new LedgerError(
        'BLOCK_UNCOMMITTABLE',
        `range query read of key [${read.key}] has no version (Fabric's peer cannot validate this block)`,
      );
    }
    if (!sameVersion(rwVersionOf(result.version), read.version)) return false;
    result = await itr.next();
  }
  return result === undefined;
}

async function validateMerkle(
  rqi: RangeQueryInfo,
  inMerkle: MerkleSummary,
  itr: CombinedIterator,
  hash: HashFunc,
): Promise<boolean> {
  let helper: RangeQueryResultsHelper;
  try {
    helper = new RangeQueryResultsHelper(true, inMerkle.maxDegree, hash);
  } catch (err) {
    // Fabric's validateRangeQuery returns this error and the block's commit fails.
    throw new LedgerError(
      'BLOCK_UNCOMMITTABLE',
      `range query [${rqi.startKey}, ${rqi.endKey}) has an unusable Merkle summary: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let lastMatchedIndex = -1;
  for (;;) {
    const result = await itr.next();
    if (result === undefined) {
      return merkleSummariesEqual(inMerkle, helper.done().summary);
    }
    helper.addResult({ key: result.key, version: rwVersionOf(result.version) });
    const merkle = helper.merkleSummary()!;
    if (merkle.maxLevel < inMerkle.maxLevel) continue;
    if (lastMatchedIndex === merkle.maxLevelHashes.length - 1) continue;
    if (merkle.maxLevelHashes.length > inMerkle.maxLevelHashes.length) return false;
    lastMatchedIndex++;
    if (
      !bytesEqual(
        merkle.maxLevelHashes[lastMatchedIndex],
        inMerkle.maxLevelHashes[lastMatchedIndex],
      )
    ) {
      return false;
    }
  }
}

/** Fabric's validateRangeQuery: true when the range reads the same as at simulation. */
export async function validateRangeQuery(
  state: PrivacyAwareState,
  updates: PubUpdateBatch,
  ns: string,
  rqi: RangeQueryInfo,
  hash: HashFunc,
): Promise<boolean> {
  const itr = await CombinedIterator.create(
    state,
    updates,
    ns,
    rqi.startKey,
    rqi.endKey,
    !rqi.itrExhausted,
  );
  try {
    return rqi.readsMerkleHashes !== undefined
      ? await validateMerkle(rqi, rqi.readsMerkleHashes, itr, hash)
      : await validateRawReads(rqi, itr);
  } finally {
    await itr.close();
  }
}
