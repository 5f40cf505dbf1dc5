/**
 * DefaultValidation (Fabric's vscc: `core/handlers/validation/builtin`, v20 logic with
 * `core/common/validation/statebased`). For one namespace of one transaction it checks the
 * endorsements against three kinds of policy:
 *
 * - key-level (state-based) policies: the `VALIDATION_PARAMETER` metadata of each key the
 *   transaction writes (public writes, public metadata writes, collection writes and collection
 *   metadata writes, in that order), read from committed state;
 * - collection-level policies, for a collection write whose key has no key-level policy;
 * - the chaincode's policy (the validation parameter), for a public write whose key has no
 *   key-level policy, and at least once for every transaction (FAB-9473).
 *
 * Within a block, a transaction that writes a key whose metadata an earlier transaction of the
 * block also writes fails when that earlier transaction passed this plugin for the namespace (its
 * new policy may apply; Fabric's ValidationParameterUpdatedError). So a transaction's validation
 * waits for those earlier transactions' outcomes. Fabric waits forever when the earlier
 * transaction is never validated for that namespace (it was refused before the plugin ran); here
 * the committer's `transactionDone` ends the wait and the earlier transaction counts as not having
 * changed anything.
 *
 * Channels without the V2_0 capability get Fabric's v1.3 logic (no collection-level policies) or,
 * without V1_3, v1.2's (the chaincode policy only). Fabric's lscc-specific checks for legacy
 * deploy and upgrade transactions are not implemented.
 *
 * Failures: {@link EndorsementPolicyFailure} when the transaction does not satisfy a policy or its
 * artefacts do not decode; {@link ValidationExecutionError} when state cannot be read or a stored
 * key-level policy cannot be read as a policy (Fabric stops committing the channel there too).
 */
import {
  EndorsementPolicyFailure,
  ValidationExecutionError,
  injectable,
  type SignedData,
  type ValidationDependencies,
  type ValidationPlugin,
  type ValidationRequest,
} from '@fabric-peer/api';
import { common, kvrwset, protos, rwset } from '@fabric-peer/protos';

const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';
const EMPTY = new Uint8Array(0);

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The writes of one namespace, as the policy checks walk them. */
interface NsWrites {
  readonly namespace: string;
  readonly writes: readonly string[];
  readonly metadataWrites: readonly string[];
  readonly collections: readonly {
    readonly name: string;
    /** Key hashes. */
    readonly writes: readonly Uint8Array[];
    readonly metadataWrites: readonly Uint8Array[];
  }[];
}

/** Fabric's rwsetutil.TxRwSet.FromProtoBytes, keeping what the checks use. */
function decodeWrites(results: Uint8Array): NsWrites[] {
  const tx = rwset.TxReadWriteSet.decode(results);
  return tx.nsRwset.map((ns) => {
    const kv = kvrwset.KVRWSet.decode(ns.rwset ?? EMPTY);
    return {
      namespace: ns.namespace ?? '',
      writes: kv.writes.map((w) => w.key ?? ''),
      metadataWrites: kv.metadataWrites.map((m) => m.key ?? ''),
      collections: (ns.collectionHashedRwset ?? []).map((c) => {
        const h = kvrwset.HashedRWSet.decode(c.hashedRwset ?? EMPTY);
        return {
          name: c.collectionName ?? '',
          writes: h.hashedWrites.map((w) => w.keyHash ?? EMPTY),
          metadataWrites: h.metadataWrites.map((m) => m.keyHash ?? EMPTY),
        };
      }),
    };
  });
}

/** Fabric's extractValidationArtifacts, for the action's read-write set. */
function resultsFromBlock(
  block: common.IBlock,
  txPosition: number,
  actionPosition: number,
): Uint8Array {
  const env = common.Envelope.decode(block.data?.data?.[txPosition] ?? EMPTY);
  const payload = common.Payload.decode(env.payload);
  const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? EMPTY);
  if (chdr.type !== (common.HeaderType.ENDORSER_TRANSACTION as number)) {
    throw new Error(`Only Endorser Transactions are supported, provided type ${chdr.type}`);
  }
  const tx = protos.Transaction.decode(payload.data);
  const action = tx.actions[actionPosition];
  if (action === undefined) throw new Error(`no action at position ${actionPosition}`);
  const cap = protos.ChaincodeActionPayload.decode(action.payload ?? EMPTY);
  const prp = protos.ProposalResponsePayload.decode(cap.action?.proposalResponsePayload ?? EMPTY);
  if (prp.extension.length === 0) throw new Error('nil pRespPayload.Extension');
  return protos.ChaincodeAction.decode(prp.extension).results;
}

/** A promise with its resolver. */
interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve(value: T) {
      if (d.settled) return;
      d.settled = true;
      resolve(value);
    },
  };
  return d;
}

/**
 * The in-block dependencies of one block (Fabric's validationContext): which transactions write
 * which keys' metadata, and each transaction's outcome per namespace (true: it passed).
 */
class BlockDependencies {
  /** Transactions [0, extracted) have had their metadata writes recorded. */
  extracted = 0;
  readonly metadataWriters = new Map<string, number[]>();
  readonly outcomes = new Map<number, Map<string, Deferred<boolean>>>();
  readonly done = new Set<number>();
  readonly writes = new Map<number, NsWrites[] | undefined>();

  constructor(readonly block: common.IBlock) {}

  /** The outcome of `txNum` for `namespace`: once it is known, or false once the tx is done. */
  outcome(txNum: number, namespace: string): Deferred<boolean> {
    let byNs = this.outcomes.get(txNum);
    if (byNs === undefined) {
      byNs = new Map();
      this.outcomes.set(txNum, byNs);
    }
    let d = byNs.get(namespace);
    if (d === undefined) {
      d = deferred<boolean>();
      byNs.set(namespace, d);
      if (this.done.has(txNum)) d.resolve(false);
    }
    return d;
  }

  finish(txNum: number): void {
    this.done.add(txNum);
    for (const d of this.outcomes.get(txNum)?.values() ?? []) d.resolve(false);
  }
}

function keyId(namespace: string, collection: string, key: string): string {
  return JSON.stringify([namespace, collection, key]);
}

/** Fabric's ValidationParameterUpdatedError. */
class ValidationParameterUpdated extends Error {}

/** The policy checks of one namespace of one transaction (Fabric's policyCheckerV20/V13). */
class PolicyChecker {
  someChecked = false;
  readonly checked = new Set<string>();

  constructor(
    private readonly deps: ValidationDependencies,
    private readonly ccPolicy: Uint8Array,
    private readonly level: 'v20' | 'v13',
  ) {}

  async checkCCIfNotChecked(
    cc: string,
    coll: string,
    where: string,
    signatures: readonly SignedData[],
  ): Promise<void> {
    if (this.level === 'v20' && coll !== '') {
      if (this.checked.has(coll)) return;
      const collPolicy =
        (await this.deps.collections?.collectionEndorsementPolicy(cc, coll)) ?? EMPTY;
      if (collPolicy.length !== 0) {
        try {
          await this.deps.policies.evaluate(collPolicy, signatures);
        } catch (err) {
          throw new EndorsementPolicyFailure(
            `validation of endorsement policy for collection ${coll} chaincode ${cc} in tx ${where} failed: ${messageOf(err)}`,
            { cause: err },
          );
        }
        this.checked.add(coll);
        this.someChecked = true;
        return;
      }
    }
    if (this.checked.has('')) return;
    await this.checkCC(cc, where, signatures);
  }

  async checkCCIfNoneChecked(
    cc: string,
    where: string,
    signatures: readonly SignedData[],
  ): Promise<void> {
    if (this.someChecked) return;
    await this.checkCC(cc, where, signatures);
  }

  private async checkCC(
    cc: string,
    where: string,
    signatures: readonly SignedData[],
  ): Promise<void> {
    try {
      await this.deps.policies.evaluate(this.ccPolicy, signatures);
    } catch (err) {
      throw new EndorsementPolicyFailure(
        `validation of endorsement policy for chaincode ${cc} in tx ${where} failed: ${messageOf(err)}`,
        { cause: err },
      );
    }
    this.checked.add('');
    this.someChecked = true;
  }
}

@injectable()
export class DefaultValidation implements ValidationPlugin {
  #deps: ValidationDependencies | undefined;
  #block: BlockDependencies | undefined;

  init(dependencies: ValidationDependencies): Promise<void> {
    this.#deps = dependencies;
    return Promise.resolve();
  }

  transactionDone(block: common.IBlock, txPosition: number): void {
    this.#for(block).finish(txPosition);
  }

  async validate(request: ValidationRequest): Promise<void> {
    const deps = this.#deps;
    if (deps === undefined) {
      throw new ValidationExecutionError('DefaultValidation used before init');
    }
    const { block, txPosition, namespace } = request;
    const envelopes = block.data?.data;
    if (envelopes === null || envelopes === undefined) {
      throw new EndorsementPolicyFailure('empty block');
    }
    if (txPosition >= envelopes.length) {
      throw new EndorsementPolicyFailure(
        `block has only ${envelopes.length} transactions, but requested tx at position ${txPosition}`,
      );
    }
    if (block.header === null || block.header === undefined) {
      throw new EndorsementPolicyFailure('no block header');
    }
    const level = deps.hasCapability('V2_0') ? 'v20' : deps.hasCapability('V1_3') ? 'v13' : 'v12';
    const blockNum = Number(block.header.number ?? 0);
    const where = `${blockNum}:${txPosition}`;

    if (level === 'v12') {
      try {
        await deps.policies.evaluate(request.policy, request.endorsements);
      } catch (err) {
        throw new EndorsementPolicyFailure(
          `VSCC error: endorsement policy failure, err: ${messageOf(err)}`,
          { cause: err },
        );
      }
      return;
    }

    const ctx = this.#for(block);
    let outcome = false;
    try {
      let writes: NsWrites[];
      try {
        writes =
          this.#writesOf(ctx, txPosition, request) ??
          decodeWrites(resultsFromBlock(block, txPosition, request.actionPosition));
      } catch (err) {
        throw new EndorsementPolicyFailure(
          `txRWSet.FromProtoBytes failed on tx (${where}): ${messageOf(err)}`,
          { cause: err },
        );
      }
      this.#extractDependencies(ctx, txPosition);
      await this.#evaluate(deps, ctx, level, namespace, txPosition, where, writes, request);
      outcome = true;
    } finally {
      ctx.outcome(txPosition, namespace).resolve(outcome);
    }
  }

  /** The block's dependency state, reset when a new block (or a new attempt at one) comes. */
  #for(block: common.IBlock): BlockDependencies {
    if (this.#block?.block !== block) this.#block = new BlockDependencies(block);
    return this.#block;
  }

  /** The decoded writes of a transaction (cached for the block); undefined if they do not decode. */
  #writesOf(
    ctx: BlockDependencies,
    txNum: number,
    request?: ValidationRequest,
  ): NsWrites[] | undefined {
    if (ctx.writes.has(txNum)) return ctx.writes.get(txNum);
    let found: NsWrites[] | undefined;
    try {
      const results =
        request?.results ?? resultsFromBlock(ctx.block, txNum, request?.actionPosition ?? 0);
      found = decodeWrites(results);
    } catch {
      found = undefined;
    }
    ctx.writes.set(txNum, found);
    return found;
  }

  /** Fabric's PreValidate: records the metadata writes of every transaction up to `txNum`. */
  #extractDependencies(ctx: BlockDependencies, txNum: number): void {
    for (let i = ctx.extracted; i <= txNum; i++) {
      // Fabric silently skips transactions whose read-write set does not decode.
      const writes = this.#writesOf(ctx, i);
      for (const ns of writes ?? []) {
        const record = (coll: string, key: string) => {
          const id = keyId(ns.namespace, coll, key);
          const list = ctx.metadataWriters.get(id);
          if (list === undefined) ctx.metadataWriters.set(id, [i]);
          else list.push(i);
        };
        for (const key of ns.metadataWrites) record('', key);
        for (const c of ns.collections) for (const h of c.metadataWrites) record(c.name, latin1(h));
      }
    }
    ctx.extracted = Math.max(ctx.extracted, txNum + 1);
  }

  /** Fabric's GetValidationParameterForKey; `key` is the key, or the key hash for collections. */
  async #validationParameter(
    deps: ValidationDependencies,
    ctx: BlockDependencies,
    cc: string,
    coll: string,
    key: string,
    keyHash: Uint8Array | undefined,
    txNum: number,
    where: string,
  ): Promise<Uint8Array> {
    for (const earlier of ctx.metadataWriters.get(keyId(cc, coll, key)) ?? []) {
      if (earlier >= txNum) continue;
      if (await ctx.outcome(earlier, cc).promise) {
        throw new ValidationParameterUpdated(
          `validation parameters for key [${coll === '' ? key : hex(keyHash ?? EMPTY)}] in namespace [${cc}] have been changed in transaction ${earlier} of block ${where.split(':')[0]}`,
        );
      }
    }
    let md: Readonly<Record<string, Uint8Array>> | undefined;
    try {
      md =
        coll === ''
          ? await deps.state.getStateMetadata(cc, key)
          : await deps.state.getPrivateDataMetadataByHash(cc, coll, keyHash ?? EMPTY);
    } catch (err) {
      if (err instanceof ValidationExecutionError || err instanceof EndorsementPolicyFailure) {
        throw err;
      }
      throw new ValidationExecutionError(
        `could not retrieve metadata for ${cc}:${coll === '' ? key : `${coll}:${hex(keyHash ?? EMPTY)}`}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    const vp = md?.[VALIDATION_PARAMETER];
    if (vp === undefined || vp.length === 0) return EMPTY;
    // Fabric's toApplicationPolicyTranslator.
    let envelope: common.SignaturePolicyEnvelope;
    try {
      envelope = common.SignaturePolicyEnvelope.decode(vp);
    } catch (err) {
      throw new ValidationExecutionError(
        `could not translate policy for ${cc}:${coll === '' ? key : `${coll}:${hex(keyHash ?? EMPTY)}`}: could not unmarshal signature policy envelope: ${messageOf(err)}`,
        { cause: err },
      );
    }
    return protos.ApplicationPolicy.encode({ signaturePolicy: envelope }).finish();
  }

  /** Fabric's baseEvaluator.Evaluate. */
  async #evaluate(
    deps: ValidationDependencies,
    ctx: BlockDependencies,
    level: 'v20' | 'v13',
    cc: string,
    txNum: number,
    where: string,
    writes: readonly NsWrites[],
    request: ValidationRequest,
  ): Promise<void> {
    const signatures = request.endorsements;
    const checker = new PolicyChecker(deps, request.policy, level);
    const check = async (coll: string, key: string, keyHash?: Uint8Array): Promise<void> => {
      let vp: Uint8Array;
      try {
        vp = await this.#validationParameter(deps, ctx, cc, coll, key, keyHash, txNum, where);
      } catch (err) {
        if (err instanceof ValidationParameterUpdated) {
          throw new EndorsementPolicyFailure(err.message, { cause: err });
        }
        throw err;
      }
      if (vp.length === 0) {
        await checker.checkCCIfNotChecked(cc, coll, where, signatures);
        return;
      }
      try {
        await deps.policies.evaluate(vp, signatures);
      } catch (err) {
        const shown = coll === '' ? key : hex(keyHash ?? EMPTY);
        throw new EndorsementPolicyFailure(
          `validation of key ${shown} (coll'${coll}':ns'${cc}') in tx ${where} failed: ${messageOf(err)}`,
          { cause: err },
        );
      }
      checker.someChecked = true;
    };
    for (const ns of writes) {
      if (ns.namespace !== cc) continue;
      for (const key of ns.writes) await check('', key);
      for (const key of ns.metadataWrites) await check('', key);
      for (const c of ns.collections) for (const h of c.writes) await check(c.name, latin1(h), h);
      for (const c of ns.collections) {
        for (const h of c.metadataWrites) await check(c.name, latin1(h), h);
      }
    }
    await checker.checkCCIfNoneChecked(cc, where, signatures);
  }
}
