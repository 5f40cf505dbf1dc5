/**
 * Expiry of private state (Fabric's `pvtstatepurgemgmt` PurgeMgr as the txmgr drives it at each
 * commit). For block N, before its update batch is applied:
 *
 * 1. the entries of the schedule due at N are read, and each key is checked against the committed
 *    state: a hash whose version is still the entry's committing block expires with its private
 *    value; when the hash was rewritten since but this peer's private value is still the old one
 *    (it did not get the new value), the private value alone expires; otherwise nothing does;
 * 2. the private and hashed writes of N are scheduled (committing block N, expiring at N + BTL + 1,
 *    collections with BTL 0 never), before the state changes, so that a crash is replayed;
 * 3. the deletes of what expires are added to the batch, except for keys N itself writes.
 *
 * Once the batch is applied, the entries due at N are forgotten. Validation of N (MVCC) has seen
 * the state before the expiry, as in Fabric, and the commit hash does not include these deletes.
 */
import type { Height, Logger } from '@fabric-peer/api';
import { hashedDataNamespace, type PrivacyAwareState } from '../txmgmt/privacy.js';
import type { UpdateBatch } from '../txmgmt/update-batch.js';
import { sha256String } from '../txmgmt/hashing.js';
import type { BtlPolicy } from './btl-policy.js';
import type { ExpiringKey, ExpirySchedule, ScheduledExpiry } from './schedule.js';

/** What expires at a block, once checked against the committed state. */
interface DueKey extends ExpiringKey {
  readonly committingBlock: number;
  /** The hash was rewritten since; only this peer's stale private value goes. */
  keyOnly: boolean;
}

function hashId(ns: string, coll: string, keyHash: Uint8Array): string {
  return `${ns}\u0000${coll}\u0000${Buffer.from(keyHash).toString('latin1')}`;
}

export class PrivateStateExpiry {
  /** The block whose schedule entries the last call found (only those need clearing). */
  private dueFoundAt: number | undefined;

  constructor(
    private readonly schedule: ExpirySchedule,
    private readonly btl: BtlPolicy,
    private readonly state: PrivacyAwareState,
    private readonly logger?: Logger,
  ) {}

  /** Steps 1–3 for block `height.blockNum`, whose batch is `batch`; `height` versions the deletes. */
  async addExpiredToBatch(batch: UpdateBatch, height: Height): Promise<number> {
    const due = await this.dueAt(height.blockNum);
    await this.schedule.add(await this.scheduleOf(batch));
    let expired = 0;
    for (const k of due) {
      const hashUpdated = batch.hashed.contains(k.namespace, k.collection, k.keyHash);
      if (!hashUpdated && !k.keyOnly) {
        batch.hashed.delete(k.namespace, k.collection, k.keyHash, height);
        expired++;
      }
      if (k.key !== undefined && batch.pvt.get(k.namespace, k.collection, k.key) === undefined) {
        batch.pvt.delete(k.namespace, k.collection, k.key, height);
      }
    }
    if (due.length > 0) {
      this.logger?.debug(`private data expiring at block [${height.blockNum}]`, {
        scheduled: due.length,
        hashesRemoved: expired,
      });
    }
    return expired;
  }

  /** Forgets the entries due at `blockNum`, once its batch is applied. */
  async committed(blockNum: number): Promise<void> {
    // Most blocks have none: skipping the range delete halves the cost of a block without any.
    if (this.dueFoundAt !== blockNum) return;
    await this.schedule.clear(blockNum);
    this.dueFoundAt = undefined;
  }

  private async dueAt(blockNum: number): Promise<DueKey[]> {
    const byHash = new Map<string, DueKey>();
    const entries = await this.schedule.expiringAt(blockNum);
    this.dueFoundAt = entries.length > 0 ? blockNum : undefined;
    for (const entry of entries) {
      for (const k of entry.keys) {
        byHash.set(hashId(k.namespace, k.collection, k.keyHash), {
          ...k,
          committingBlock: entry.committingBlock,
          keyOnly: false,
        });
      }
    }
    const db = this.state.db;
    if (byHash.size > 0 && db.remote === true && db.loadCommittedVersions !== undefined) {
      await db.loadCommittedVersions(
        [...byHash.values()].map((k) => ({
          namespace: hashedDataNamespace(k.namespace, k.collection),
          key: this.state.hashedKey(k.keyHash),
        })),
      );
    }
    const out: DueKey[] = [];
    for (const k of byHash.values()) {
      const hashVersion = await this.state.getKeyHashVersion(k.namespace, k.collection, k.keyHash);
      if (hashVersion?.blockNum === k.committingBlock) {
        out.push(k);
        continue;
      }
      if (k.key !== undefined) {
        const pvt = await this.state.getPrivateData(k.namespace, k.collection, k.key);
        if (pvt?.version.blockNum === k.committingBlock) {
          k.keyOnly = true;
          out.push(k);
        }
      }
    }
    return out;
  }

  /** Fabric's buildExpirySchedule: the batch's non-delete private and hashed writes, by expiry. */
  private async scheduleOf(batch: UpdateBatch): Promise<ScheduledExpiry[]> {
    const groups = new Map<
      string,
      { committingBlock: number; expiringBlock: number; keys: ExpiringKey[] }
    >();
    const add = async (k: ExpiringKey, version: Height): Promise<void> => {
      const expiring = await this.btl.expiringBlock(k.namespace, k.collection, version.blockNum);
      if (expiring === undefined) return;
      const id = `${version.blockNum}:${expiring}`;
      let g = groups.get(id);
      if (g === undefined) {
        g = { committingBlock: version.blockNum, expiringBlock: expiring, keys: [] };
        groups.set(id, g);
      }
      g.keys.push(k);
    };
    const withKey = new Set<string>();
    for (const [namespace, colls] of batch.pvt.updates) {
      for (const [collection, m] of colls) {
        for (const [key, v] of m) {
          if (v.value === undefined) continue;
          const keyHash = sha256String(key);
          withKey.add(hashId(namespace, collection, keyHash));
          await add({ namespace, collection, keyHash, key }, v.version);
        }
      }
    }
    for (const [namespace, colls] of batch.hashed.updates) {
      for (const [collection, m] of colls) {
        for (const v of m.values()) {
          if (v.value === undefined) continue;
          if (withKey.has(hashId(namespace, collection, v.keyHash))) continue;
          await add({ namespace, collection, keyHash: v.keyHash }, v.version);
        }
      }
    }
    return [...groups.values()];
  }
}
