/**
 * Fabric's ValidateAndPrepareBatch (`txmgmt/validation/batch_preparer.go`, `validator.go`,
 * `tx_ops.go`): the last validation step of a block, and the construction of its updates.
 *
 * 1. Preprocess each transaction the earlier steps left VALID: an endorser transaction whose
 *    chaincode action cannot be extracted is NIL_TXACTION, one whose read-write set does not decode
 *    is INVALID_OTHER_REASON; other types get their read-write set from the custom processor of
 *    their header type (CONFIG: the channel configuration); a public write the state database
 *    refuses (validateKeyValue) makes the transaction INVALID_WRITESET.
 * 2. MVCC, in block order: each public read must still be at its recorded version and not written
 *    by an earlier valid transaction of the block (MVCC_READ_CONFLICT); each range query must read
 *    the same (PHANTOM_READ_CONFLICT); each hashed private read as a public read
 *    (MVCC_READ_CONFLICT).
 * 3. The writes of each valid transaction go into the batch at version {block, tx}: values,
 *    metadata (a metadata-only write keeps the latest value, a value-only write keeps the latest
 *    metadata), hashes, and private values when the block comes with them (checked against the
 *    hashes).
 *
 * Conditions where Fabric's commit fails (or its peer panics) instead of marking a transaction
 * throw LedgerError('BLOCK_UNCOMMITTABLE'), before anything is written.
 */
import type { Height, Logger } from '@fabric-peer/api';
import { common, protos } from '@fabric-peer/protos';
import type { CustomTxProcessor } from './custom-tx.js';
import { InvalidTxError, LedgerError } from './errors.js';
import { bytesEqual, sha256, sha256String, toHex } from './hashing.js';
import { formatHeight, sameVersion } from './height.js';
import { serializeMetadata } from './metadata.js';
import { hashedDataNamespace, type PrivacyAwareState } from './privacy.js';
import type { HashFunc } from './range-query-helper.js';
import { validateRangeQuery } from './range-validation.js';
import {
  decodeTxPvtRwSet,
  decodeTxRwSet,
  isKVWriteDelete,
  WireError,
  type KVMetadataWrite,
  type KVWrite,
  type KVWriteHash,
  type TxPvtRwSet,
  type TxRwSet,
} from './rwset.js';
import type { TxSimulator } from './types.js';
import { newUpdateBatch, type UpdateBatch } from './update-batch.js';

const V = protos.TxValidationCode;
/** Codes and header types as plain numbers (filters and headers hold numbers). */
const VALID: number = V.VALID;
const ENDORSER_TRANSACTION: number = common.HeaderType.ENDORSER_TRANSACTION;

/** What validation needs from the ledger. */
export interface ValidationContext {
  readonly state: PrivacyAwareState;
  readonly hash: HashFunc;
  readonly customTxProcessors: ReadonlyMap<number, CustomTxProcessor>;
  /** A simulator for custom processors (Fabric's post-order simulator); it holds no lock. */
  newPostOrderSimulator(txId: string): TxSimulator;
  readonly logger?: Logger;
}

/** A block as validation sees it. */
export interface BlockToValidate {
  readonly blockNum: number;
  /** `block.data.data`. */
  readonly envelopes: readonly Uint8Array[];
  /** The TRANSACTIONS_FILTER the earlier validation steps produced (one code per transaction). */
  readonly filter: Uint8Array;
  /** Private write sets (TxPvtReadWriteSet bytes) by transaction index, when available. */
  readonly pvtData?: ReadonlyMap<number, Uint8Array>;
  /**
   * `pvtData` was read back from the private data store, where app-initiated purges remove writes
   * from stored write sets: in one that no longer matches its hash, each remaining write is
   * checked against its own hashed write and applied if it matches (the purged ones are gone; the
   * hashes still apply), instead of the block being uncommittable.
   */
  readonly pvtDataFromStore?: boolean;
}

/** One transaction of the block after validation. */
export interface ValidatedTx {
  readonly index: number;
  /** From the channel header ('' when it does not decode). */
  readonly txId: string;
  /** The header type, or -1 when the envelope does not decode. */
  readonly headerType: number;
  readonly validationCode: number;
  /** The transaction's public read-write set, when it has one and was not refused before MVCC. */
  readonly rwset?: TxRwSet;
}

export interface BlockValidationResult {
  /** The final TRANSACTIONS_FILTER. */
  readonly filter: Uint8Array;
  readonly batch: UpdateBatch;
  readonly txs: readonly ValidatedTx[];
}

interface Tx {
  readonly index: number;
  readonly id: string;
  readonly rwset: TxRwSet;
  readonly containsPostOrderWrites: boolean;
  validationCode: number;
}

const EMPTY = new Uint8Array(0);

/** Fabric's protoutil.GetActionFromEnvelope; throws where Fabric returns an error. */
export function chaincodeActionFromEnvelope(envBytes: Uint8Array): protos.ChaincodeAction {
  const env = common.Envelope.decode(envBytes);
  const payload = common.Payload.decode(env.payload);
  const tx = protos.Transaction.decode(payload.data);
  const action = tx.actions[0];
  if (action === undefined) throw new Error('at least one TransactionAction required');
  const ccPayload = protos.ChaincodeActionPayload.decode(action.payload ?? EMPTY);
  const prpBytes = ccPayload.action?.proposalResponsePayload ?? EMPTY;
  // Go decodes a zero-length bytes field as nil: "absent" and "empty" are the same here.
  if (prpBytes.length === 0) throw new Error('no payload in ChaincodeActionPayload');
  const prp = protos.ProposalResponsePayload.decode(prpBytes);
  const extension = prp.extension ?? EMPTY;
  if (extension.length === 0) throw new Error('response payload is missing extension');
  return protos.ChaincodeAction.decode(extension);
}

function decodeHeaders(
  envBytes: Uint8Array,
): { env: common.Envelope; chdr: common.ChannelHeader } | { error: unknown } {
  try {
    const env = common.Envelope.decode(envBytes);
    const payload = common.Payload.decode(env.payload);
    if (payload.header === null || payload.header === undefined) {
      return { error: new Error('payload has no header') };
    }
    const chdr = common.ChannelHeader.decode(payload.header.channelHeader ?? EMPTY);
    return { env, chdr };
  } catch (error) {
    return { error };
  }
}

/** Validates a block's transactions and prepares its updates; writes nothing. */
export async function validateAndPrepareBatch(
  ctx: ValidationContext,
  block: BlockToValidate,
  doMVCCValidation: boolean,
): Promise<BlockValidationResult> {
  if (block.filter.length !== block.envelopes.length) {
    throw new LedgerError(
      'BLOCK_INVALID',
      `block [${block.blockNum}] has ${block.envelopes.length} transactions but a TRANSACTIONS_FILTER of ${block.filter.length} bytes`,
    );
  }
  const filter = Uint8Array.from(block.filter);
  const info: { txId: string; headerType: number }[] = [];
  const txs: Tx[] = [];

  // 1. Preprocess.
  for (let i = 0; i < block.envelopes.length; i++) {
    const envBytes = block.envelopes[i]!;
    const decoded = decodeHeaders(envBytes);
    const chdr = 'chdr' in decoded ? decoded.chdr : undefined;
    info.push({ txId: chdr?.txId ?? '', headerType: chdr?.type ?? -1 });
    if (filter[i] !== VALID) continue;
    if ('error' in decoded) {
      throw new LedgerError(
        'BLOCK_UNCOMMITTABLE',
        `block [${block.blockNum}] transaction [${i}] is marked valid but its envelope does not decode: ${String(decoded.error)}`,
        { cause: decoded.error },
      );
    }
    const { env } = decoded;
    const txId = decoded.chdr.txId;
    let rwset: TxRwSet | undefined;
    let containsPostOrderWrites = false;
    if (decoded.chdr.type === ENDORSER_TRANSACTION) {
      let action: protos.ChaincodeAction;
      try {
        action = chaincodeActionFromEnvelope(envBytes);
      } catch {
        filter[i] = V.NIL_TXACTION;
        continue;
      }
      try {
        rwset = decodeTxRwSet(action.results);
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        filter[i] = V.INVALID_OTHER_REASON;
        continue;
      }
    } else {
      const processor = ctx.customTxProcessors.get(decoded.chdr.type);
      if (processor !== undefined) {
        const sim = ctx.newPostOrderSimulator(txId);
        let publicRwset: Uint8Array;
        try {
          await processor.generateSimulationResults(env, sim, !doMVCCValidation);
          publicRwset = (await sim.getTxSimulationResults()).publicRwset;
        } catch (err) {
          if (err instanceof InvalidTxError) {
            filter[i] = V.INVALID_OTHER_REASON;
            continue;
          }
          throw new LedgerError(
            'BLOCK_UNCOMMITTABLE',
            `custom processing of transaction [${i}] (${txId}) of block [${block.blockNum}] failed: ${(err as Error).message}`,
            { cause: err },
          );
        } finally {
          sim.done();
        }
        rwset = decodeTxRwSet(publicRwset);
        containsPostOrderWrites = true;
      }
    }
    if (rwset === undefined) continue;
    const refused = refusedWrite(ctx, rwset);
    if (refused !== undefined) {
      ctx.logger?.warn('transaction marked INVALID_WRITESET', {
        block: block.blockNum,
        tx: i,
        txId,
        reason: refused,
      });
      filter[i] = V.INVALID_WRITESET;
      continue;
    }
    txs.push({ index: i, id: txId, rwset, containsPostOrderWrites, validationCode: V.VALID });
  }

  // 2 and 3. MVCC and the update batch.
  const batch = newUpdateBatch();
  if (doMVCCValidation) await preloadVersions(ctx, txs);
  for (const tx of txs) {
    tx.validationCode = doMVCCValidation ? await validateTx(ctx, tx.rwset, batch) : V.VALID;
    if (tx.validationCode === VALID) {
      await applyWriteSet(ctx, tx.rwset, { blockNum: block.blockNum, txNum: tx.index }, batch);
    } else {
      ctx.logger?.warn('transaction marked invalid by state validation', {
        block: block.blockNum,
        tx: tx.index,
        txId: tx.id,
        code: protos.TxValidationCode[tx.validationCode],
      });
    }
  }
  await preparePvtBatch(ctx, block, txs, batch);

  for (const tx of txs) filter[tx.index] = tx.validationCode;
  const byIndex = new Map(txs.map((t) => [t.index, t]));
  return {
    filter,
    batch,
    txs: info.map((t, index) => {
      const tx = byIndex.get(index);
      const out = { index, txId: t.txId, headerType: t.headerType, validationCode: filter[index]! };
      return tx === undefined ? out : { ...out, rwset: tx.rwset };
    }),
  };
}

/** Fabric's validateWriteset: the reason the database refuses a public write, if it does. */
function refusedWrite(ctx: ValidationContext, rwset: TxRwSet): string | undefined {
  for (const ns of rwset.nsRwSets) {
    for (const w of ns.kvRwSet.writes) {
      const problem = ctx.state.db.validateKeyValue(w.key, w.value);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/**
 * Fabric's preLoadCommittedVersionOfRSet, when the database offers bulk loading — extended to the
 * write sets: applying a plain upsert reads the key's committed metadata (Fabric's
 * retrieveLatestMetadata), and one bulk read per block is far cheaper than one read per write.
 * Only which reads are cached changes, not what is read.
 */
async function preloadVersions(ctx: ValidationContext, txs: readonly Tx[]): Promise<void> {
  const db = ctx.state.db;
  if (db.loadCommittedVersions === undefined) return;
  const keys = committedKeysOf(
    ctx,
    txs.map((tx) => tx.rwset),
  );
  if (keys.length > 0) await db.loadCommittedVersions(keys);
}

/** Every state key the read and write sets touch, once each (hashed keys in their namespace). */
function committedKeysOf(
  ctx: ValidationContext,
  rwsets: readonly TxRwSet[],
): { namespace: string; key: string }[] {
  const seen = new Set<string>();
  const keys: { namespace: string; key: string }[] = [];
  const add = (namespace: string, key: string): void => {
    const id = `${namespace}\u0000${key}`;
    if (seen.has(id)) return;
    seen.add(id);
    keys.push({ namespace, key });
  };
  for (const rwset of rwsets) {
    for (const ns of rwset.nsRwSets) {
      for (const r of ns.kvRwSet.reads) add(ns.namespace, r.key);
      for (const w of ns.kvRwSet.writes) add(ns.namespace, w.key);
      for (const m of ns.kvRwSet.metadataWrites) add(ns.namespace, m.key);
      for (const c of ns.collHashedRwSets) {
        const hashedNs = hashedDataNamespace(ns.namespace, c.collectionName);
        for (const r of c.hashedRwSet.hashedReads) add(hashedNs, ctx.state.hashedKey(r.keyHash));
        for (const w of c.hashedRwSet.hashedWrites) add(hashedNs, ctx.state.hashedKey(w.keyHash));
        for (const m of c.hashedRwSet.metadataWrites) add(hashedNs, ctx.state.hashedKey(m.keyHash));
      }
    }
  }
  return keys;
}

/**
 * Before a block is validated: where every read is a round trip (CouchDB, `remote`) and the
 * database loads in bulk, reads the committed state of every key the block's endorser
 * transactions touch in one go, so that the lookups of the validation that follows (key-level
 * endorsement policies, then MVCC) are answered from memory instead of one request each. A
 * transaction that does not decode is skipped: validation reports it. Nothing happens otherwise.
 */
export async function preloadBlockState(
  ctx: ValidationContext,
  envelopes: readonly Uint8Array[],
): Promise<void> {
  const db = ctx.state.db;
  if (db.loadCommittedVersions === undefined || db.remote !== true) return;
  const rwsets: TxRwSet[] = [];
  for (const envBytes of envelopes) {
    const decoded = decodeHeaders(envBytes);
    if ('error' in decoded || decoded.chdr.type !== ENDORSER_TRANSACTION) continue;
    try {
      rwsets.push(decodeTxRwSet(chaincodeActionFromEnvelope(envBytes).results));
    } catch {
      continue;
    }
  }
  const keys = committedKeysOf(ctx, rwsets);
  if (keys.length > 0) await db.loadCommittedVersions(keys);
}

/** Fabric's validateTx. */
async function validateTx(
  ctx: ValidationContext,
  rwset: TxRwSet,
  batch: UpdateBatch,
): Promise<number> {
  for (const ns of rwset.nsRwSets) {
    const namespace = ns.namespace;
    for (const read of ns.kvRwSet.reads) {
      if (batch.pub.exists(namespace, read.key)) {
        ctx.logger?.warn(
          'Transaction invalidation due to version mismatch, key in readset has been updated in a prior transaction in this block',
          { namespace, key: read.key, readVersion: formatHeight(read.version) },
        );
        return V.MVCC_READ_CONFLICT;
      }
      const committed = await ctx.state.getVersion(namespace, read.key);
      if (!sameVersion(committed, read.version)) {
        ctx.logger?.warn(
          'Transaction invalidation due to version mismatch, readset version does not match committed version',
          {
            namespace,
            key: read.key,
            readVersion: formatHeight(read.version),
            committedVersion: formatHeight(committed),
          },
        );
        return V.MVCC_READ_CONFLICT;
      }
    }
    for (const rqi of ns.kvRwSet.rangeQueriesInfo) {
      if (!(await validateRangeQuery(ctx.state, batch.pub, namespace, rqi, ctx.hash))) {
        return V.PHANTOM_READ_CONFLICT;
      }
    }
    for (const coll of ns.collHashedRwSets) {
      for (const read of coll.hashedRwSet.hashedReads) {
        if (batch.hashed.contains(namespace, coll.collectionName, read.keyHash)) {
          return V.MVCC_READ_CONFLICT;
        }
        const committed = await ctx.state.getKeyHashVersion(
          namespace,
          coll.collectionName,
          read.keyHash,
        );
        if (!sameVersion(committed, read.version)) return V.MVCC_READ_CONFLICT;
      }
    }
  }
  return V.VALID;
}

// Fabric's tx_ops.go. The flags are added, not or-ed, as in Fabric (a uint8): a crafted read-write
// set that writes a key twice therefore behaves exactly as it does in Fabric.
const UPSERT_VAL = 1;
const METADATA_UPDATE = 2;
const METADATA_DELETE = 4;
const KEY_DELETE = 8;

interface KeyOps {
  readonly ns: string;
  /** '' for public keys. */
  readonly coll: string;
  /** The key, or the key hash for collections. */
  readonly key: string;
  readonly keyHash?: Uint8Array;
  flag: number;
  value?: Uint8Array;
  metadata?: Uint8Array;
}

function isDelete(k: KeyOps): boolean {
  return (k.flag & KEY_DELETE) === KEY_DELETE;
}
function isUpsertAndMetadataUpdate(k: KeyOps): boolean {
  if ((k.flag & UPSERT_VAL) === UPSERT_VAL) {
    return (
      (k.flag & METADATA_UPDATE) === METADATA_UPDATE ||
      (k.flag & METADATA_DELETE) === METADATA_DELETE
    );
  }
  return false;
}
function isOnlyUpsert(k: KeyOps): boolean {
  return (k.flag | UPSERT_VAL) === UPSERT_VAL;
}

function binary(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

class TxOps {
  readonly ops = new Map<string, KeyOps>();

  private entry(ns: string, coll: string, key: string, keyHash?: Uint8Array): KeyOps {
    const id = JSON.stringify([ns, coll, key]);
    let k = this.ops.get(id);
    if (k === undefined) {
      k = keyHash === undefined ? { ns, coll, key, flag: 0 } : { ns, coll, key, keyHash, flag: 0 };
      this.ops.set(id, k);
    }
    return k;
  }

  applyKVWrite(ns: string, coll: string, w: KVWrite, keyHash?: Uint8Array): void {
    const k = this.entry(ns, coll, w.key, keyHash);
    if (isKVWriteDelete(w)) {
      k.flag = (k.flag + KEY_DELETE) & 0xff;
    } else {
      k.flag = (k.flag + UPSERT_VAL) & 0xff;
      k.value = w.value;
    }
  }

  applyMetadata(ns: string, coll: string, m: KVMetadataWrite, keyHash?: Uint8Array): void {
    const k = this.entry(ns, coll, m.key, keyHash);
    if (m.entries.length === 0) {
      k.flag = (k.flag + METADATA_DELETE) & 0xff;
    } else {
      k.flag = (k.flag + METADATA_UPDATE) & 0xff;
      k.metadata = serializeMetadata(m.entries);
    }
  }

  delete(k: KeyOps): void {
    this.ops.delete(JSON.stringify([k.ns, k.coll, k.key]));
  }
}

function hashedAsKVWrite(w: KVWriteHash): KVWrite {
  // Fabric's IsKVWriteHashDelete: flagged, empty, or the hash of empty bytes.
  const del = w.isDelete || w.valueHash.length === 0 || bytesEqual(w.valueHash, HASH_OF_EMPTY);
  return { key: binary(w.keyHash), isDelete: del, value: w.valueHash };
}
const HASH_OF_EMPTY = sha256(EMPTY);

/** Fabric's applyWriteSet (prepareTxOps + the batch updates). */
async function applyWriteSet(
  ctx: ValidationContext,
  rwset: TxRwSet,
  height: Height,
  batch: UpdateBatch,
): Promise<void> {
  const txops = new TxOps();
  for (const ns of rwset.nsRwSets) {
    for (const w of ns.kvRwSet.writes) txops.applyKVWrite(ns.namespace, '', w);
    for (const m of ns.kvRwSet.metadataWrites) txops.applyMetadata(ns.namespace, '', m);
    for (const c of ns.collHashedRwSets) {
      for (const w of c.hashedRwSet.hashedWrites) {
        txops.applyKVWrite(ns.namespace, c.collectionName, hashedAsKVWrite(w), w.keyHash);
      }
      for (const m of c.hashedRwSet.metadataWrites) {
        txops.applyMetadata(
          ns.namespace,
          c.collectionName,
          { key: binary(m.keyHash), entries: m.entries },
          m.keyHash,
        );
      }
    }
  }
  for (const k of [...txops.ops.values()]) {
    if (isDelete(k) || isUpsertAndMetadataUpdate(k)) continue;
    if (isOnlyUpsert(k)) {
      const latest = await latestMetadata(ctx, batch, k);
      if (latest === undefined) delete k.metadata;
      else k.metadata = latest;
      continue;
    }
    const latest = await latestState(ctx, batch, k);
    if (latest !== undefined) {
      if (latest.value === undefined) delete k.value;
      else k.value = latest.value;
    } else {
      txops.delete(k);
    }
  }
  for (const k of txops.ops.values()) {
    if (k.coll === '') {
      if (isDelete(k)) batch.pub.delete(k.ns, k.key, height);
      else batch.pub.put(k.ns, k.key, nonNil(k), k.metadata, height);
    } else {
      if (isDelete(k)) batch.hashed.delete(k.ns, k.coll, k.keyHash!, height);
      else batch.hashed.put(k.ns, k.coll, k.keyHash!, nonNil(k), k.metadata, height);
    }
  }
}

/** Fabric's UpdateBatch.PutValAndMetadata panics on a nil value; its peer cannot commit the block. */
function nonNil(k: KeyOps): Uint8Array {
  if (k.value === undefined) {
    throw new LedgerError(
      'BLOCK_UNCOMMITTABLE',
      `metadata write to key [${k.coll === '' ? k.key : toHex(k.keyHash!)}] of namespace [${k.ns}] after its deletion in the same block (Fabric's peer panics: "Nil value not allowed")`,
    );
  }
  return k.value;
}

async function latestState(
  ctx: ValidationContext,
  batch: UpdateBatch,
  k: KeyOps,
): Promise<{ value?: Uint8Array } | undefined> {
  if (k.coll === '')
    return batch.pub.get(k.ns, k.key) ?? (await ctx.state.db.getState(k.ns, k.key));
  return (
    batch.hashed.get(k.ns, k.coll, k.keyHash!) ??
    (await ctx.state.getValueHash(k.ns, k.coll, k.keyHash!))
  );
}

async function latestMetadata(
  ctx: ValidationContext,
  batch: UpdateBatch,
  k: KeyOps,
): Promise<Uint8Array | undefined> {
  if (k.coll === '') {
    const v = batch.pub.get(k.ns, k.key);
    if (v !== undefined) return v.metadata;
    return (await ctx.state.db.getState(k.ns, k.key))?.metadata;
  }
  const v = batch.hashed.get(k.ns, k.coll, k.keyHash!);
  if (v !== undefined) return v.metadata;
  return (await ctx.state.getValueHash(k.ns, k.coll, k.keyHash!))?.metadata;
}

/** Whether a private write is the one a hashed write of the public read-write set stands for. */
function matchesHashedWrite(w: KVWrite, hashedWrites: readonly KVWriteHash[]): boolean {
  const keyHash = sha256String(w.key);
  const h = hashedWrites.find((x) => bytesEqual(x.keyHash, keyHash));
  if (h === undefined) return false;
  const del = hashedAsKVWrite(h).isDelete;
  return isKVWriteDelete(w) ? del : !del && bytesEqual(sha256(w.value), h.valueHash);
}

/** Fabric's validateAndPreparePvtBatch. */
async function preparePvtBatch(
  ctx: ValidationContext,
  block: BlockToValidate,
  txs: readonly Tx[],
  batch: UpdateBatch,
): Promise<void> {
  const metadataKeys = new Map<string, { ns: string; coll: string; key: string }>();
  for (const tx of txs) {
    if (tx.validationCode !== VALID) continue;
    if (
      !tx.rwset.nsRwSets.some((ns) => ns.collHashedRwSets.some((c) => c.pvtRwSetHash !== undefined))
    ) {
      continue;
    }
    const bytes = block.pvtData?.get(tx.index);
    if (bytes === undefined) continue;
    let pvt: TxPvtRwSet;
    try {
      pvt = decodeTxPvtRwSet(bytes);
    } catch (err) {
      throw new LedgerError(
        'BLOCK_UNCOMMITTABLE',
        `private data of transaction [${tx.index}] of block [${block.blockNum}] does not decode: ${(err as Error).message}`,
        { cause: err },
      );
    }
    /** Collections whose stored write set a purge trimmed: their writes are checked one by one. */
    const trimmed = new Map<string, readonly KVWriteHash[]>();
    for (const ns of pvt.nsPvtRwSets) {
      for (const c of ns.collPvtRwSets) {
        const hashedSet = tx.rwset.nsRwSets
          .find((n) => n.namespace === ns.namespace)
          ?.collHashedRwSets.find((h) => h.collectionName === c.collectionName);
        const inPublic = hashedSet?.pvtRwSetHash;
        if (!bytesEqual(sha256(c.rwsetBytes), inPublic ?? EMPTY)) {
          if (block.pvtDataFromStore === true) {
            trimmed.set(
              `${ns.namespace}\u0000${c.collectionName}`,
              hashedSet?.hashedRwSet.hashedWrites ?? [],
            );
            continue;
          }
          throw new LedgerError(
            'BLOCK_UNCOMMITTABLE',
            `hash of pvt data for collection [${ns.namespace}:${c.collectionName}] does not match with the corresponding hash in the public data. public hash = [${toHex(inPublic ?? EMPTY)}], pvt data hash = [${toHex(sha256(c.rwsetBytes))}]`,
          );
        }
      }
    }
    const height = { blockNum: block.blockNum, txNum: tx.index };
    for (const ns of pvt.nsPvtRwSets) {
      for (const c of ns.collPvtRwSets) {
        const hashedWrites = trimmed.get(`${ns.namespace}\u0000${c.collectionName}`);
        for (const w of c.kvRwSet.writes) {
          if (hashedWrites !== undefined && !matchesHashedWrite(w, hashedWrites)) continue;
          if (!isKVWriteDelete(w))
            batch.pvt.put(ns.namespace, c.collectionName, w.key, w.value, height);
          else batch.pvt.delete(ns.namespace, c.collectionName, w.key, height);
        }
        for (const m of c.kvRwSet.metadataWrites) {
          metadataKeys.set(JSON.stringify([ns.namespace, c.collectionName, m.key]), {
            ns: ns.namespace,
            coll: c.collectionName,
            key: m.key,
          });
        }
      }
    }
  }
  // Fabric's incrementPvtdataVersionIfNeeded: a metadata-only change moves the hash's version; the
  // private value follows when it is the value the hash is of.
  for (const { ns, coll, key } of metadataKeys.values()) {
    const hashed = batch.hashed.get(ns, coll, sha256String(key));
    if (hashed === undefined) continue;
    const latest = batch.pvt.get(ns, coll, key) ?? (await ctx.state.getPrivateData(ns, coll, key));
    if (latest === undefined || sameVersion(latest.version, hashed.version)) continue;
    if (latest.value !== undefined && bytesEqual(sha256(latest.value), hashed.value)) {
      batch.pvt.put(ns, coll, key, latest.value, hashed.version);
    }
  }
}
