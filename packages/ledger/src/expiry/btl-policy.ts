/**
 * Block-to-live (Fabric's `core/ledger/pvtdatapolicy`): how long a collection's private data lives.
 * A collection's `blockToLive` comes from its chaincode's definition (the peer gives `_lifecycle`'s
 * and lscc's through a {@link BlockToLiveSource}); data committed in block `c` of a collection with
 * BTL `b > 0` expires at block `c + b + 1`: it is readable while blocks `c+1 .. c+b` are committed
 * and removed with the commit of block `c + b + 1`. BTL 0 (and a collection the source does not
 * know) never expires. Like Fabric, a BTL once read is kept for the ledger's life: a collection's
 * blockToLive cannot change after it is defined.
 */
import type { Logger } from '@fabric-peer/api';

/** What the BTL of a collection is read through: the channel's committed state. */
export interface StateGetter {
  getState(namespace: string, key: string): Promise<Uint8Array | undefined>;
}

/** Where the ledger finds a collection's blockToLive (Fabric's collectionInfoProvider). */
export interface BlockToLiveSource {
  /**
   * The collection's `blockToLive` (0: never expires), or undefined when the namespace has no
   * such collection. Reads the definitions through `state`.
   */
  blockToLive(
    channelId: string,
    namespace: string,
    collection: string,
    state: StateGetter,
  ): Promise<number | undefined>;
}

/** Fabric's ComputeExpiringBlock; undefined: never expires (also past 2^53, Fabric's overflow). */
export function expiringBlock(committingBlock: number, btl: number): number | undefined {
  if (!(btl > 0)) return undefined;
  const at = committingBlock + btl + 1;
  return Number.isSafeInteger(at) ? at : undefined;
}

/** A channel's BTL policy (Fabric's LSCCBasedBTLPolicy), with its cache. */
export class BtlPolicy {
  private readonly cache = new Map<string, number>();
  /** Collections already reported as unknown (one warning each). */
  private readonly unknown = new Set<string>();

  constructor(
    private readonly channelId: string,
    private readonly source: BlockToLiveSource,
    private readonly state: StateGetter,
    private readonly logger?: Logger,
  ) {}

  /** The collection's BTL; 0 when it never expires or is not defined. */
  async btl(namespace: string, collection: string): Promise<number> {
    const id = `${namespace}\u0000${collection}`;
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const btl = await this.source.blockToLive(this.channelId, namespace, collection, this.state);
    if (btl === undefined) {
      // Fabric fails the commit here (NoSuchCollectionError); validation never lets such a write
      // through, so this is data of a definition this peer cannot read: keep it.
      if (!this.unknown.has(id)) {
        this.unknown.add(id);
        this.logger?.warn(
          `[${this.channelId}] no collection [${collection}] of chaincode [${namespace}]: its private data is kept without expiry`,
        );
      }
      return 0;
    }
    this.cache.set(id, btl);
    return btl;
  }

  /** The block at whose commit data of `committingBlock` expires; undefined: never. */
  async expiringBlock(
    namespace: string,
    collection: string,
    committingBlock: number,
  ): Promise<number | undefined> {
    return expiringBlock(committingBlock, await this.btl(namespace, collection));
  }
}
