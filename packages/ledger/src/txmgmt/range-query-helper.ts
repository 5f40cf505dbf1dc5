/**
 * Fabric's RangeQueryResultsHelper (`rwsetutil/query_results_helper.go`): the reads of a range
 * query are kept as they are while there are at most `maxDegree` of them; beyond that they are
 * folded into a Merkle tree whose leaves are SHA-256 hashes of batches of `maxDegree + 1` reads
 * (each batch marshaled as `kvrwset.QueryReads`), and whose nodes hash the concatenation of up to
 * `maxDegree + 1` children. The simulator records either the raw reads or the tree's summary
 * (`QueryReadsMerkleSummary{max_degree, max_level, max_level_hashes}`); the validator rebuilds the
 * same summary from committed state to detect phantoms.
 */
import { LedgerError } from './errors.js';
import type { KVRead, MerkleSummary } from './rwset.js';
import { encodeQueryReads } from './rwset.js';

/** Fabric's `maxDegreeQueryReadsHashing` (`txmgr/query_executor.go`). */
export const MAX_DEGREE_QUERY_READS_HASHING = 50;
/** Fabric's `queryReadsHashingEnabled` (`txmgr/query_executor.go`). */
export const QUERY_READS_HASHING_ENABLED = true;

export type HashFunc = (data: Uint8Array) => Uint8Array;

const LEAF_LEVEL = 1;

class MerkleTree {
  private readonly tree = new Map<number, Uint8Array[]>();
  maxLevel = 1;

  constructor(
    readonly maxDegree: number,
    private readonly hash: HashFunc,
  ) {
    if (maxDegree < 2) {
      throw new LedgerError(
        'MALFORMED',
        `maxDegree [${maxDegree}] should not be less than 2 in the merkle tree`,
      );
    }
  }

  private level(l: number): Uint8Array[] {
    let hashes = this.tree.get(l);
    if (hashes === undefined) {
      hashes = [];
      this.tree.set(l, hashes);
    }
    return hashes;
  }

  update(leafHash: Uint8Array): void {
    this.level(LEAF_LEVEL).push(leafHash);
    let current = LEAF_LEVEL;
    for (;;) {
      const hashes = this.tree.get(current) ?? [];
      if (hashes.length <= this.maxDegree) return;
      const next = this.combined(hashes);
      this.tree.delete(current);
      const nextLevel = current + 1;
      this.level(nextLevel).push(next);
      if (nextLevel > this.maxLevel) this.maxLevel = nextLevel;
      current = nextLevel;
    }
  }

  done(): void {
    let current = LEAF_LEVEL;
    let h: Uint8Array | undefined;
    while (current < this.maxLevel) {
      const hashes = this.tree.get(current) ?? [];
      if (hashes.length === 0) {
        current++;
        continue;
      }
      // One hash moves up as it is; several are combined.
      h = hashes.length === 1 ? hashes[0]! : this.combined(hashes);
      this.tree.delete(current);
      current++;
      this.level(current).push(h);
    }
    const finalHashes = this.tree.get(this.maxLevel) ?? [];
    if (finalHashes.length > this.maxDegree) {
      this.tree.delete(this.maxLevel);
      this.maxLevel++;
      this.tree.set(this.maxLevel, [this.combined(finalHashes)]);
    }
  }

  summary(): MerkleSummary {
    return {
      maxDegree: this.maxDegree,
      maxLevel: this.maxLevel,
      maxLevelHashes: [...(this.tree.get(this.maxLevel) ?? [])],
    };
  }

  isEmpty(): boolean {
    return this.maxLevel === 1 && (this.tree.get(this.maxLevel) ?? []).length === 0;
  }

  private combined(hashes: readonly Uint8Array[]): Uint8Array {
    return this.hash(Buffer.concat(hashes));
  }
}

/** Collects a range query's reads into raw reads or a Merkle summary. */
export class RangeQueryResultsHelper {
  private pending: KVRead[] = [];
  private readonly mt: MerkleTree | undefined;

  constructor(
    private readonly hashingEnabled: boolean,
    readonly maxDegree: number,
    private readonly hash: HashFunc,
  ) {
    this.mt = hashingEnabled ? new MerkleTree(maxDegree, hash) : undefined;
  }

  addResult(read: KVRead): void {
    this.pending.push(read);
    if (this.mt !== undefined && this.pending.length > this.maxDegree) this.processPending();
  }

  /**
   * Ends the collection: the raw reads when the tree is empty (at most maxDegree results, or
   * hashing disabled), else the tree's summary (and no raw reads).
   */
  done(): { reads: KVRead[]; summary?: MerkleSummary } {
    if (this.mt === undefined || this.mt.isEmpty()) return { reads: this.pending };
    if (this.pending.length !== 0) this.processPending();
    this.mt.done();
    return { reads: this.pending, summary: this.mt.summary() };
  }

  /** The summary so far (Fabric's GetMerkleSummary); undefined when hashing is disabled. */
  merkleSummary(): MerkleSummary | undefined {
    return this.mt?.summary();
  }

  private processPending(): void {
    const b = encodeQueryReads(this.pending);
    this.pending = [];
    this.mt!.update(this.hash(b));
  }
}
