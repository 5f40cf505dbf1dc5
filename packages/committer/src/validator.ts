/**
 * Fabric's v20 TxValidator (core/committer/txvalidator/v20): the validation codes of a block's
 * transactions, before MVCC (which the ledger does at commit).
 *
 * Per transaction, as `validateTx`: the structural checks and the creator signature
 * ({@link validateTransaction}); for an endorser transaction, a txid already in the ledger is
 * DUPLICATE_TXID, then the plugin dispatcher: its structural checks ({@link dispatchInfo}), and for
 * each namespace to validate, the validation info (plugin name and parameter) and the plugin's
 * verdict; for a config transaction, the config update is validated against the current
 * configuration (an invalid one stops the block, as in Fabric). Transactions are validated
 * concurrently; codes land at their index, and after all of them a txid seen in an earlier VALID
 * transaction of the block makes a later one DUPLICATE_TXID.
 *
 * Conditions where Fabric stops committing (a plugin that cannot run, a definition that cannot be
 * read, a ledger failure) reject with a CommitterError naming the first such transaction.
 */
import type {
  IdentityDeserializer,
  Logger,
  SignedData,
  ValidationDependencies,
  ValidationPlugin,
  ValidationStateReader,
} from '@fabric-peer/api';
import { EndorsementPolicyFailure, ValidationExecutionError } from '@fabric-peer/api';
import type { ChaincodeValidationInfo, ValidationInfoSource } from '@fabric-peer/chaincode';
import type { KvLedger, QueryExecutor, TxRwSet } from '@fabric-peer/ledger';
import { applyConfigEnvelope, type ChannelConfigBundle } from '@fabric-peer/policies';
import { common, protos } from '@fabric-peer/protos';

import {
  creatorCheck,
  dispatchInfo,
  isFailure,
  validateTransaction,
  type CheckedTransaction,
  type CreatorCheck,
} from './checks.js';
import { CommitterError, messageOf } from './errors.js';
import { createValidationPolicyEvaluator } from './policy-evaluator.js';
import { Verdicts } from './verdicts.js';

const V = protos.TxValidationCode;
const H = common.HeaderType;
const EMPTY = new Uint8Array(0);

/** Returns a new validation plugin for a name (`peer.handlers.validators`), or undefined. */
export type ValidationPluginFactory = (
  name: string,
  channelId: string,
) => ValidationPlugin | undefined | Promise<ValidationPlugin | undefined>;

/** What the validator of a channel is built with. */
export interface TxValidatorOptions {
  readonly channelId: string;
  readonly ledger: KvLedger;
  readonly validationInfo: ValidationInfoSource;
  readonly validationPlugin: ValidationPluginFactory;
  /**
   * Deserializers of other joined channels, for a transaction whose header names another channel
   * (Fabric checks its creator with that channel's MSPs). Default: none, so such a creator fails.
   */
  readonly otherChannelDeserializer?: (channelId: string) => IdentityDeserializer | undefined;
  /** Pre-checks transactions off the main thread (see pool.ts); absent: everything runs here. */
  readonly pool?: PrecheckPool;
  /** How many transactions are validated at once (default 64). */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

/** What the validator pool tells about one transaction. */
export interface Precheck {
  /** The code of the checks run there (VALID when they all passed). */
  readonly code: number;
  readonly reason?: string;
  /** For each endorsement, whether its signature verified (when the checks passed). */
  readonly endorsements?: readonly boolean[];
}

/** The validator pool as the validator sees it. */
export interface PrecheckPool {
  /**
   * One promise per transaction of the block, settling as the pool gets to it; undefined means
   * the pool did not check that transaction (the validator then checks it itself).
   */
  precheck(block: common.IBlock, bundle: ChannelConfigBundle): Promise<Precheck | undefined>[];
}

/** The outcome of a block's validation. */
export interface BlockValidation {
  /** One code per transaction (MVCC still to come). */
  readonly codes: Uint8Array;
  /** The configuration the block's config transaction makes, if it has one. */
  readonly nextBundle?: ChannelConfigBundle;
  /** Per transaction: its txid ('' when it has none) and, once dispatched, its read-write set. */
  readonly txs: readonly { readonly txId: string; readonly rwset?: TxRwSet }[];
}

interface TxOutcome {
  readonly code: number;
  readonly txId?: string;
  readonly rwset?: TxRwSet;
  readonly reason?: string;
  readonly error?: CommitterError;
  readonly nextBundle?: ChannelConfigBundle;
}

/** Per-block state shared by the transactions of the block. */
interface BlockContext {
  readonly block: common.IBlock;
  readonly number: number;
  readonly bundle: ChannelConfigBundle;
  readonly qe: QueryExecutor;
  readonly verdicts: Verdicts;
  readonly infos: Map<string, Promise<InfoLookup>>;
  readonly done: number[];
}

type InfoLookup =
  | { readonly plugin: string; readonly policy: Uint8Array }
  | { readonly invalid: string }
  | { readonly error: unknown };

function isExecutionError(err: unknown): boolean {
  return (
    err instanceof ValidationExecutionError ||
    (err instanceof Error && (err as { code?: unknown }).code === 'VALIDATION_EXECUTION_FAILED')
  );
}

function errorCode(err: unknown): unknown {
  return err instanceof Error ? (err as { code?: unknown }).code : undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Fabric's ValidationInfoRetrieveShim: lscc's vscc policy as an ApplicationPolicy. */
function asApplicationPolicy(info: ChaincodeValidationInfo): Uint8Array {
  if (info.legacy !== true || info.validationPlugin !== 'vscc') return info.validationParameter;
  if (info.validationParameter.length === 0) return info.validationParameter;
  try {
    const envelope = common.SignaturePolicyEnvelope.decode(info.validationParameter);
    return protos.ApplicationPolicy.encode({ signaturePolicy: envelope }).finish();
  } catch {
    return info.validationParameter;
  }
}

/** Fabric's application capability checks: a later validation level implies the earlier ones. */
function hasCapability(bundle: ChannelConfigBundle, name: string): boolean {
  const caps = bundle.capabilities.application;
  if (caps === undefined) return false;
  switch (name) {
    case 'V1_1':
      return caps.v1_1Validation;
    case 'V1_2':
      return caps.v1_2Validation;
    case 'V1_3':
      return caps.v1_3Validation;
    case 'V2_0':
      return caps.v2_0Validation;
    default:
      return caps.has(name);
  }
}

export class TxValidator {
  readonly #o: TxValidatorOptions;
  readonly #plugins = new Map<string, Promise<ValidationPlugin | undefined>>();
  readonly #live = new Set<ValidationPlugin>();
  readonly #creator: CreatorCheck;
  #ctx: BlockContext | undefined;
  #lastBundle: ChannelConfigBundle | undefined;

  constructor(options: TxValidatorOptions) {
    this.#o = options;
    this.#creator = creatorCheck((channelId) =>
      channelId === options.channelId
        ? this.#bundle().deserializer
        : options.otherChannelDeserializer?.(channelId),
    );
  }

  #bundle(): ChannelConfigBundle {
    const b = this.#ctx?.bundle ?? this.#lastBundle;
    if (b === undefined) throw new Error('no channel configuration yet');
    return b;
  }

  /** Validates `block` under `bundle` (its verification already done). */
  async validate(block: common.IBlock, bundle: ChannelConfigBundle): Promise<BlockValidation> {
    const envelopes = block.data?.data ?? [];
    try {
      // One bulk read (CouchDB) instead of a request per key-level policy lookup below.
      await this.#o.ledger.preloadBlockState(block);
    } catch (err) {
      // The lookups themselves read the database and report what is wrong with it.
      this.#o.logger?.warn('could not preload the state the block touches', {
        block: Number(block.header?.number ?? 0),
        error: messageOf(err),
      });
    }
    const qe = await this.#o.ledger.newQueryExecutor();
    const ctx: BlockContext = {
      // A fresh view per attempt: plugins keep per-block state keyed by it, so a retried block
      // starts afresh.
      block: { header: block.header, data: block.data, metadata: block.metadata },
      number: Number(block.header?.number ?? 0),
      bundle,
      qe,
      verdicts: new Verdicts(),
      infos: new Map(),
      done: [],
    };
    this.#ctx = ctx;
    this.#lastBundle = bundle;
    const outcomes: TxOutcome[] = new Array<TxOutcome>(envelopes.length);
    try {
      const prechecks = this.#o.pool?.precheck(block, bundle);
      let next = 0;
      const lane = async (): Promise<void> => {
        // Transactions start in ascending order, so one waiting on an earlier one never starves it.
        while (next < envelopes.length) {
          const i = next++;
          try {
            const precheck = prechecks === undefined ? undefined : await prechecks[i];
            outcomes[i] = await this.#validateTx(ctx, i, envelopes[i]!, precheck);
          } catch (err) {
            outcomes[i] = {
              code: V.NOT_VALIDATED,
              error:
                err instanceof CommitterError
                  ? err
                  : new CommitterError(
                      'VALIDATION_FAILED',
                      `validation of transaction ${i} of block ${ctx.number} failed: ${messageOf(err)}`,
                      { cause: err },
                    ),
            };
          } finally {
            this.#transactionDone(ctx, i);
          }
        }
      };
      const lanes = Math.max(1, Math.min(this.#o.concurrency ?? 64, envelopes.length));
      await Promise.all(Array.from({ length: lanes }, lane));
    } finally {
      qe.done();
      this.#ctx = undefined;
    }

    // As Fabric: the error of the first transaction that could not be validated.
    const failed = outcomes.find((o) => o.error !== undefined);
    if (failed?.error !== undefined) throw failed.error;

    const codes = new Uint8Array(envelopes.length);
    const seen = new Set<string>();
    let nextBundle: ChannelConfigBundle | undefined;
    outcomes.forEach((o, i) => {
      let code = o.code;
      if (code === (V.VALID as number) && o.txId !== undefined && o.txId !== '') {
        // Fabric's markTXIdDuplicates: only transactions found VALID count.
        if (seen.has(o.txId)) {
          code = V.DUPLICATE_TXID;
          this.#o.logger?.warn('Duplicate txid found in block, marking DUPLICATE_TXID', {
            block: ctx.number,
            tx: i,
            txId: o.txId,
          });
        } else seen.add(o.txId);
      }
      if (code !== (V.VALID as number) && o.reason !== undefined) {
        this.#o.logger?.warn('transaction invalid', {
          channel: this.#o.channelId,
          block: ctx.number,
          tx: i,
          txId: o.txId ?? '',
          code: protos.TxValidationCode[code],
          reason: o.reason,
        });
      }
      codes[i] = code;
      if (o.nextBundle !== undefined) nextBundle = o.nextBundle;
    });
    return {
      codes,
      txs: outcomes.map((o) =>
        o.rwset === undefined ? { txId: o.txId ?? '' } : { txId: o.txId ?? '', rwset: o.rwset },
      ),
      ...(nextBundle !== undefined ? { nextBundle } : {}),
    };
  }

  #transactionDone(ctx: BlockContext, i: number): void {
    ctx.done.push(i);
    for (const plugin of this.#live) {
      try {
        plugin.transactionDone?.(ctx.block, i);
      } catch (err) {
        this.#o.logger?.error('validation plugin failed on transactionDone', {
          tx: i,
          error: messageOf(err),
        });
      }
    }
  }

  async #validateTx(
    ctx: BlockContext,
    i: number,
    envBytes: Uint8Array,
    precheck: Precheck | undefined,
  ): Promise<TxOutcome> {
    if (precheck !== undefined && precheck.code !== (V.VALID as number)) {
      return {
        code: precheck.code,
        ...(precheck.reason !== undefined ? { reason: precheck.reason } : {}),
      };
    }
    // With a precheck, the creator signature was verified in the pool.
    const checked = await validateTransaction(
      envBytes,
      precheck !== undefined ? () => Promise.resolve() : this.#creator,
    );
    if (isFailure(checked)) return checked;
    const chdr = checked.channelHeader;
    if (chdr.type === (H.ENDORSER_TRANSACTION as number)) {
      return this.#validateEndorserTx(ctx, i, checked, precheck);
    }
    if (chdr.type === (H.CONFIG as number)) return this.#validateConfigTx(ctx, i, checked);
    return { code: V.UNKNOWN_TX_TYPE, reason: `Unknown transaction type [${chdr.type}]` };
  }

  async #validateEndorserTx(
    ctx: BlockContext,
    i: number,
    tx: CheckedTransaction,
    precheck: Precheck | undefined,
  ): Promise<TxOutcome> {
    const txId = tx.channelHeader.txId;
    let exists: boolean;
    try {
      exists = await this.#o.ledger.txIdExists(txId);
    } catch (err) {
      throw new CommitterError(
        'VALIDATION_FAILED',
        `Ledger failure while attempting to detect duplicate status for txid ${txId}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    if (exists) return { code: V.DUPLICATE_TXID, txId, reason: 'Duplicate transaction found' };

    const info = dispatchInfo(tx);
    if (isFailure(info)) return { ...info, txId };

    const prp = info.proposalResponsePayload;
    const endorsements: SignedData[] = info.endorsements.map((e, j) => {
      const endorser = e.endorser ?? EMPTY;
      const signed = Object.freeze({
        data: concat(prp, endorser),
        identity: endorser,
        signature: e.signature ?? EMPTY,
      });
      if (precheck?.endorsements?.[j] === true) ctx.verdicts.markVerified(signed);
      return signed;
    });
    Object.freeze(endorsements);

    for (const namespace of info.namespaces) {
      const lookup = await this.#info(ctx, tx.channelHeader.channelId, namespace);
      if ('error' in lookup) {
        throw new CommitterError(
          'VALIDATION_FAILED',
          `Could not retrieve state for chaincode ${namespace}, error ${messageOf(lookup.error)}`,
          { cause: lookup.error, details: { tx: i, namespace } },
        );
      }
      if ('invalid' in lookup) {
        return { code: V.INVALID_CHAINCODE, txId, reason: lookup.invalid };
      }
      const plugin = await this.#plugin(lookup.plugin, ctx);
      if (plugin === undefined) {
        throw new CommitterError(
          'VALIDATION_FAILED',
          `plugin with name ${lookup.plugin} couldn't be used: plugin with name ${lookup.plugin} wasn't found (transaction ${i} of block ${ctx.number}, namespace ${namespace}; check peer.handlers.validators)`,
          { details: { plugin: lookup.plugin, tx: i, namespace } },
        );
      }
      try {
        await plugin.validate({
          block: ctx.block,
          namespace,
          txPosition: i,
          actionPosition: 0,
          policy: lookup.policy,
          endorsements,
          results: info.results,
        });
      } catch (err) {
        if (isExecutionError(err)) {
          throw new CommitterError(
            'VALIDATION_FAILED',
            `validation plugin ${lookup.plugin} could not validate transaction ${i} of block ${ctx.number} (namespace ${namespace}): ${messageOf(err)}`,
            { cause: err, details: { plugin: lookup.plugin, tx: i, namespace } },
          );
        }
        return {
          code: V.ENDORSEMENT_POLICY_FAILURE,
          txId,
          reason: `namespace ${namespace}: ${messageOf(err)}`,
        };
      }
    }
    return { code: V.VALID, txId, rwset: info.rwset };
  }

  async #validateConfigTx(
    ctx: BlockContext,
    i: number,
    tx: CheckedTransaction,
  ): Promise<TxOutcome> {
    let envelope: common.ConfigEnvelope;
    try {
      envelope = common.ConfigEnvelope.decode(tx.payload.data ?? EMPTY);
    } catch (err) {
      throw new CommitterError(
        'CONFIG_UPDATE_INVALID',
        `error unmarshalling config which passed initial validity checks: ${messageOf(err)}`,
        { cause: err, details: { tx: i } },
      );
    }
    try {
      const next = await applyConfigEnvelope(ctx.bundle, envelope);
      this.#o.logger?.info('Config transaction validated and applied to channel resources', {
        channel: this.#o.channelId,
        block: ctx.number,
        sequence: next.sequence.toString(),
      });
      return { code: V.VALID, nextBundle: next };
    } catch (err) {
      throw new CommitterError(
        'CONFIG_UPDATE_INVALID',
        `error validating config which passed initial validity checks: ${messageOf(err)}`,
        { cause: err, details: { tx: i, block: ctx.number } },
      );
    }
  }

  /** Fabric's GetInfoForValidate, once per namespace and block (state does not change within). */
  #info(ctx: BlockContext, channelId: string, namespace: string): Promise<InfoLookup> {
    const key = `${channelId}\u0000${namespace}`;
    let found = ctx.infos.get(key);
    if (found === undefined) {
      found = this.#lookupInfo(ctx, channelId, namespace);
      ctx.infos.set(key, found);
    }
    return found;
  }

  async #lookupInfo(ctx: BlockContext, channelId: string, namespace: string): Promise<InfoLookup> {
    let info: ChaincodeValidationInfo;
    try {
      info = await this.#o.validationInfo.validationInfo(channelId, namespace, ctx.qe);
    } catch (err) {
      if (errorCode(err) === 'CHAINCODE_NOT_DEFINED') return { invalid: messageOf(err) };
      return { error: err };
    }
    if (info.validationPlugin === '') {
      return {
        invalid: `chaincode definition for [${namespace}] is invalid, plugin field must be set`,
      };
    }
    const policy = asApplicationPolicy(info);
    if (policy.length === 0) {
      return {
        invalid: `chaincode definition for [${namespace}] is invalid, policy field must be set`,
      };
    }
    return { plugin: info.validationPlugin, policy };
  }

  #plugin(name: string, ctx: BlockContext): Promise<ValidationPlugin | undefined> {
    let found = this.#plugins.get(name);
    if (found === undefined) {
      found = this.#createPlugin(name, ctx);
      this.#plugins.set(name, found);
      // A failed creation is retried with the next block.
      found.catch(() => this.#plugins.delete(name));
    }
    return found;
  }

  async #createPlugin(name: string, ctx: BlockContext): Promise<ValidationPlugin | undefined> {
    let plugin: ValidationPlugin | undefined;
    try {
      plugin = await this.#o.validationPlugin(name, this.#o.channelId);
    } catch (err) {
      throw new CommitterError(
        'VALIDATION_FAILED',
        `plugin with name ${name} couldn't be used: ${messageOf(err)}`,
        { cause: err },
      );
    }
    if (plugin === undefined) return undefined;
    try {
      await plugin.init(this.#dependencies());
    } catch (err) {
      throw new CommitterError(
        'VALIDATION_FAILED',
        `plugin with name ${name} couldn't be used: failed initializing plugin: ${messageOf(err)}`,
        { cause: err },
      );
    }
    // Transactions of this block already finished before the plugin existed.
    for (const i of ctx.done) plugin.transactionDone?.(ctx.block, i);
    this.#live.add(plugin);
    return plugin;
  }

  #dependencies(): ValidationDependencies {
    const state: ValidationStateReader = {
      getStateMetadata: (namespace, key) =>
        this.#read(async (qe) => {
          const md = await qe.getStateMetadata(namespace, key);
          return md === undefined ? undefined : Object.fromEntries(md);
        }),
      getPrivateDataMetadataByHash: (namespace, collection, keyHash) =>
        this.#read(async (qe) => {
          try {
            const md = await qe.getPrivateDataMetadataByHash(namespace, collection, keyHash);
            return md === undefined ? undefined : Object.fromEntries(md);
          } catch (err) {
            const code = errorCode(err);
            // Fabric: deterministic collection errors skip key-level validation.
            if (code === 'INVALID_COLLECTION' || code === 'COLLECTION_CONFIG_NOT_DEFINED') {
              this.#o.logger?.warn('skipping key-level validation', {
                namespace,
                collection,
                error: messageOf(err),
              });
              return undefined;
            }
            throw err;
          }
        }),
    };
    const source = this.#o.validationInfo;
    return {
      channelId: this.#o.channelId,
      identities: {
        deserializeIdentity: (b) => this.#bundle().deserializer.deserializeIdentity(b),
      },
      policies: createValidationPolicyEvaluator({
        bundle: () => this.#bundle(),
        verdicts: () => this.#ctx?.verdicts,
        ...(this.#o.logger !== undefined ? { logger: this.#o.logger } : {}),
      }),
      state,
      collections: {
        collectionEndorsementPolicy: (namespace, collection) =>
          this.#read(async (qe) => {
            if (source.collectionValidationInfo === undefined) return EMPTY;
            try {
              return await source.collectionValidationInfo(
                this.#o.channelId,
                namespace,
                collection,
                qe,
              );
            } catch (err) {
              if (errorCode(err) === 'COLLECTION_NOT_DEFINED') {
                throw new EndorsementPolicyFailure(messageOf(err), { cause: err });
              }
              throw err;
            }
          }),
      },
      hasCapability: (name) => hasCapability(this.#bundle(), name),
    };
  }

  /** Runs a state read on the block's query executor (or a fresh one outside a block). */
  async #read<T>(f: (qe: QueryExecutor) => Promise<T>): Promise<T> {
    const ctx = this.#ctx;
    const qe = ctx?.qe ?? (await this.#o.ledger.newQueryExecutor());
    try {
      return await f(qe);
    } catch (err) {
      if (err instanceof EndorsementPolicyFailure || isExecutionError(err)) throw err;
      throw new ValidationExecutionError(`could not read the ledger: ${messageOf(err)}`, {
        cause: err,
      });
    } finally {
      if (ctx === undefined) qe.done();
    }
  }
}
