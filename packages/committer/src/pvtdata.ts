/**
 * Private data at commit (Fabric's gossip/privdata coordinator and PvtdataProvider, the local part):
 * for each transaction of the block found valid so far, each collection it writes (hashed writes or
 * metadata writes, with a `pvt_rwset_hash`) that this peer's org is eligible for is looked up in
 * the transient store; a write set whose SHA-256 is the hash in the block is taken. What is found
 * goes to the ledger with the block, by transaction index; what is not is logged and committed as
 * missing (fetching it from other peers is gossip's business). Afterwards the block's transactions
 * are purged from the transient store, and every `transientstoreMaxBlockRetention` blocks whatever
 * was endorsed more than that many blocks ago.
 */
import { createHash } from 'node:crypto';
import type { IdentityDeserializer, Logger } from '@fabric-peer/api';
import type { CollectionConfigProvider, SimpleQueryExecutor, TxRwSet } from '@fabric-peer/ledger';
import { common, msp, protos, rwset as rwsetProto } from '@fabric-peer/protos';

import { messageOf } from './errors.js';
import type { ChannelTransientStore } from './transient-store.js';

const IMPLICIT_PREFIX = '_implicit_org_';
const VALID = protos.TxValidationCode.VALID as number;

/** Decides whether this peer's org may hold a collection's private data. */
export type CollectionEligibility = (
  namespace: string,
  collection: string,
  qe: SimpleQueryExecutor,
) => Promise<boolean>;

/**
 * Fabric's eligibility as far as this peer can tell it: the org's own implicit collection
 * (`_implicit_org_<localMspId>`) yes, other orgs' implicit collections no; an explicit collection
 * when its member-orgs policy names the local MSP (Fabric's MemberOrgs: the MSP ids of its ROLE,
 * ORGANIZATION_UNIT and IDENTITY principals), read through `collections` when given (without it,
 * explicit collections are not eligible).
 */
export function memberOrgsEligibility(options: {
  readonly channelId: string;
  readonly localMspId: string;
  readonly collections?: CollectionConfigProvider;
  readonly deserializer?: () => IdentityDeserializer;
}): CollectionEligibility {
  return async (namespace, collection, qe) => {
    if (collection.startsWith(IMPLICIT_PREFIX)) {
      return collection === IMPLICIT_PREFIX + options.localMspId;
    }
    if (options.collections === undefined) return false;
    const pkg = await options.collections.allCollectionsConfigPkg(options.channelId, namespace, qe);
    const config = pkg?.config?.find(
      (c) => c.staticCollectionConfig?.name === collection,
    )?.staticCollectionConfig;
    const identities = config?.memberOrgsPolicy?.signaturePolicy?.identities ?? [];
    for (const principal of identities) {
      try {
        const bytes = principal.principal ?? new Uint8Array(0);
        let mspId: string | undefined;
        switch (principal.principalClassification) {
          case common.MSPPrincipal.Classification.ROLE:
            mspId = common.MSPRole.decode(bytes).mspIdentifier;
            break;
          case common.MSPPrincipal.Classification.ORGANIZATION_UNIT:
            mspId = common.OrganizationUnit.decode(bytes).mspIdentifier;
            break;
          case common.MSPPrincipal.Classification.IDENTITY:
            mspId = options.deserializer
              ? options.deserializer().deserializeIdentity(bytes).mspId
              : msp.SerializedIdentity.decode(bytes).mspid;
            break;
          default:
            break;
        }
        if (mspId === options.localMspId) return true;
      } catch {
        // Fabric skips a principal that does not decode.
      }
    }
    return false;
  };
}

/** What a block's private data collection found. */
export interface BlockPrivateData {
  /** TxPvtReadWriteSet bytes by transaction index, for the ledger. */
  readonly pvtData: Map<number, Uint8Array>;
  /** The txids of the block's transactions (to purge). */
  readonly txIds: readonly string[];
  /** Eligible collections whose write set was not found: `txIndex:namespace:collection`. */
  readonly missing: readonly string[];
}

interface Wanted {
  readonly namespace: string;
  readonly collection: string;
  readonly hash: Uint8Array;
}

function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

/** The collections one transaction writes that come with a private write set hash. */
function privateWrites(rwset: TxRwSet): Wanted[] {
  const wanted: Wanted[] = [];
  for (const ns of rwset.nsRwSets) {
    for (const c of ns.collHashedRwSets) {
      const writes = c.hashedRwSet.hashedWrites.length + c.hashedRwSet.metadataWrites.length;
      if (writes === 0 || c.pvtRwSetHash === undefined) continue;
      wanted.push({ namespace: ns.namespace, collection: c.collectionName, hash: c.pvtRwSetHash });
    }
  }
  return wanted;
}

/**
 * Collects, from the transient store, the private write sets of the block's transactions whose
 * code is still VALID; see the module comment.
 */
export async function collectPrivateData(options: {
  /** Per transaction: its txid and, for an endorser transaction, its public read-write set. */
  readonly txs: readonly { readonly txId: string; readonly rwset?: TxRwSet }[];
  readonly codes: Uint8Array;
  readonly blockNumber: number;
  readonly store: ChannelTransientStore;
  readonly eligible: CollectionEligibility;
  readonly qe: SimpleQueryExecutor;
  readonly logger?: Logger;
}): Promise<BlockPrivateData> {
  const pvtData = new Map<number, Uint8Array>();
  const missing: string[] = [];
  for (let i = 0; i < options.txs.length; i++) {
    const tx = options.txs[i]!;
    if (options.codes[i] !== VALID || tx.rwset === undefined) continue;
    const wanted = privateWrites(tx.rwset);
    if (wanted.length === 0) continue;
    const found = { txId: tx.txId };
    const eligible: Wanted[] = [];
    for (const w of wanted) {
      if (await options.eligible(w.namespace, w.collection, options.qe)) eligible.push(w);
    }
    if (eligible.length === 0) continue;
    const taken = new Map<string, { namespace: string; collection: string; rwset: Uint8Array }>();
    for (const entry of await options.store.getTxPvtRwSetByTxid(found.txId)) {
      let pvt: rwsetProto.TxPvtReadWriteSet;
      try {
        pvt = rwsetProto.TxPvtReadWriteSet.decode(entry.privateRwset);
      } catch (err) {
        options.logger?.warn('transient store entry does not decode; skipped', {
          txId: found.txId,
          error: messageOf(err),
        });
        continue;
      }
      for (const ns of pvt.nsPvtRwset) {
        const namespace = ns.namespace ?? '';
        for (const coll of ns.collectionPvtRwset ?? []) {
          const collection = coll.collectionName ?? '';
          const rwset = coll.rwset ?? new Uint8Array(0);
          const id = `${namespace}\u0000${collection}`;
          if (taken.has(id)) continue;
          const want = eligible.find(
            (w) => w.namespace === namespace && w.collection === collection,
          );
          if (want === undefined || !sha256(rwset).equals(want.hash)) continue;
          taken.set(id, { namespace, collection, rwset });
        }
      }
    }
    for (const w of eligible) {
      if (!taken.has(`${w.namespace}\u0000${w.collection}`)) {
        missing.push(`${i}:${w.namespace}:${w.collection}`);
      }
    }
    if (taken.size === 0) continue;
    const byNs = new Map<string, { collectionName: string; rwset: Uint8Array }[]>();
    for (const t of taken.values()) {
      const list = byNs.get(t.namespace) ?? [];
      list.push({ collectionName: t.collection, rwset: t.rwset });
      byNs.set(t.namespace, list);
    }
    pvtData.set(
      i,
      rwsetProto.TxPvtReadWriteSet.encode({
        dataModel: rwsetProto.TxReadWriteSet.DataModel.KV,
        nsPvtRwset: [...byNs].map(([namespace, collectionPvtRwset]) => ({
          namespace,
          collectionPvtRwset,
        })),
      }).finish(),
    );
  }
  if (missing.length > 0) {
    options.logger?.warn(
      `Could not fetch ${missing.length} eligible collection private write sets for block [${options.blockNumber}]. Will commit block with missing private write sets`,
      { block: options.blockNumber, missing },
    );
  }
  return { pvtData, txIds: options.txs.map((t) => t.txId), missing };
}
