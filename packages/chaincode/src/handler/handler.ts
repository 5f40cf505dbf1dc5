/**
 * The peer side of one chaincode stream (Fabric's core/chaincode/handler.go): the state machine
 * created → established → ready, the chaincode's requests against the transaction's simulator, and
 * execute (TRANSACTION/INIT and the wait for COMPLETED or ERROR).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { TxSimulator } from '@fabric-peer/ledger';
import { AclResources, type AclProvider } from '@fabric-peer/policies';
import { protos } from '@fabric-peer/protos';
import { ChaincodeError } from '../errors.js';
import type { HandlerMetrics } from '../metrics.js';
import type { ChaincodeStream, InboundMessage, OutboundMessage } from '../stream.js';
import type { TransactionParams } from '../types.js';
import { ActiveTransactions } from './active-transactions.js';
import { buildQueryResponse } from './query-responses.js';
import {
  TransactionContexts,
  contextKey,
  type TransactionContext,
} from './transaction-contexts.js';

const T = protos.ChaincodeMessage.Type;
type MessageType = protos.ChaincodeMessage.Type;

/** Fabric's handler error texts. */
export const ERROR_EXECUTION_TIMEOUT = 'timeout expired while executing transaction';
export const ERROR_STREAM_TERMINATED = 'chaincode stream terminated';

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

export type HandlerState = 'created' | 'established' | 'ready';

/** What the handler tells about registration (Fabric's Registry, implemented by HandlerRegistry). */
export interface HandlerRegistration {
  /** Throws when this chaincode id may not register. */
  register(handler: Handler): void;
  ready(chaincodeId: string): void;
  failed(chaincodeId: string, err: Error): void;
  deregister(handler: Handler): void;
}

/** Runs a chaincode for a chaincode-to-chaincode call (Fabric's Invoker). */
export interface ChaincodeInvoker {
  /** The callee's COMPLETED or ERROR message; throws when it could not be run. */
  invoke(
    params: TransactionParams,
    chaincodeName: string,
    input: protos.IChaincodeInput,
  ): Promise<InboundMessage>;
}

/**
 * Whether the proposal's creator may read and write a private data collection (Fabric's
 * CollectionStore.RetrieveReadWritePermission: MemberOnlyRead / MemberOnlyWrite).
 */
export interface CollectionAccess {
  permissions(
    channelId: string,
    namespace: string,
    collection: string,
    signedProposal: protos.ISignedProposal | undefined,
    qe: TxSimulator,
  ): Promise<{ readonly read: boolean; readonly write: boolean }>;
}

/** What every handler of a ChaincodeSupport shares. */
export interface HandlerDependencies {
  readonly registry: HandlerRegistration;
  readonly invoker: ChaincodeInvoker;
  readonly channels: ChannelRegistry;
  readonly acl: Pick<AclProvider, 'checkACL'>;
  /** Built-in system chaincode names (called chaincode-to-chaincode without the ACL check). */
  readonly isSystemChaincode: (name: string) => boolean;
  readonly keepaliveMs: number;
  readonly totalQueryLimit: number;
  readonly historyEnabled: boolean;
  readonly logger: Logger;
  readonly metrics?: HandlerMetrics | undefined;
  /** Without it, collection membership is not checked (every creator may read and write). */
  readonly collectionAccess?: CollectionAccess | undefined;
}

function typeName(type: MessageType): string {
  return T[type] ?? String(type);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Fabric's ParseName: `name[:version][/channel]`. */
export function parseChaincodeName(name: string): {
  name: string;
  version: string;
  channel: string;
} {
  let rest = name;
  let channel = '';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    channel = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let version = '';
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    version = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, version, channel };
}

function isRequest(type: MessageType): boolean {
  switch (type) {
    case T.GET_STATE:
    case T.PUT_STATE:
    case T.DEL_STATE:
    case T.INVOKE_CHAINCODE:
    case T.GET_STATE_BY_RANGE:
    case T.GET_QUERY_RESULT:
    case T.QUERY_STATE_NEXT:
    case T.QUERY_STATE_CLOSE:
    case T.GET_HISTORY_FOR_KEY:
    case T.GET_STATE_METADATA:
    case T.PUT_STATE_METADATA:
    case T.GET_PRIVATE_DATA_HASH:
    case T.PURGE_PRIVATE_DATA:
    case T.WRITE_BATCH_STATE:
    case T.GET_STATE_MULTIPLE:
      return true;
    default:
      return false;
  }
}

function queryMetadata(bytes: Uint8Array | null | undefined): protos.QueryMetadata | undefined {
  if (bytes === null || bytes === undefined || bytes.length === 0) return undefined;
  return protos.QueryMetadata.decode(bytes);
}

function paginated(md: protos.QueryMetadata | undefined): md is protos.QueryMetadata {
  return md !== undefined && (md.pageSize !== 0 || md.bookmark !== '');
}

function notAllowedInInit(): Error {
  return new Error('private data APIs are not allowed in chaincode Init()');
}

/** The peer's side of one chaincode stream. */
export class Handler {
  private stateValue: HandlerState = 'created';
  private id = '';
  private readonly contexts = new TransactionContexts();
  private readonly active = new ActiveTransactions();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private endedValue = false;
  private readonly endWaiters: (() => void)[] = [];
  private endError: Error | undefined;

  constructor(
    private readonly deps: HandlerDependencies,
    private readonly stream: ChaincodeStream,
  ) {}

  /** The chaincode id it registered with ('' before REGISTER). */
  get chaincodeId(): string {
    return this.id;
  }

  get state(): HandlerState {
    return this.stateValue;
  }

  /** True once the stream has ended. */
  get ended(): boolean {
    return this.endedValue;
  }

  /** Transactions this handler is running now. */
  get runningTransactions(): number {
    return this.contexts.size;
  }

  /**
   * The simulator of a transaction this handler is running (Fabric's TxQueryExecutorGetter, which
   * `_lifecycle` uses to read other namespaces within the transaction), if any.
   */
  transactionSimulator(channelId: string, txId: string): TxSimulator | undefined {
    return this.contexts.get(contextKey(channelId, txId))?.params.txSimulator;
  }

  /**
   * Serves the stream (Fabric's ProcessStream); resolves when it ends, with the error that ended
   * it if any. The handler is deregistered then.
   */
  run(): Promise<Error | undefined> {
    const done = new Promise<Error | undefined>((resolve) => {
      this.endWaiters.push(() => resolve(this.endError));
    });
    if (this.deps.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => {
        // A failed keepalive ends the stream through send's error path.
        this.send({ type: T.KEEPALIVE });
      }, this.deps.keepaliveMs);
      this.keepaliveTimer.unref();
    }
    this.stream.start({
      message: (msg) => this.onMessage(msg),
      end: (err) => this.onEnd(err),
    });
    return done;
  }

  /** Ends the stream (chaincode stopped or exited, peer shutting down). */
  close(err?: Error): void {
    this.stream.close(err);
    this.onEnd(err);
  }

  private onEnd(err: Error | undefined): void {
    if (this.endedValue) return;
    this.endedValue = true;
    this.endError = err;
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    for (const ctx of this.contexts.all()) ctx.closeQueries();
    if (this.id !== '') this.deps.registry.deregister(this);
    if (err !== undefined) {
      this.deps.logger.debug('chaincode stream ended', { chaincode: this.id, error: err.message });
    }
    for (const w of this.endWaiters.splice(0)) w();
  }

  /** Sends a message; a failure to send ends the stream (Fabric's serialSendAsync error path). */
  private send(msg: OutboundMessage): boolean {
    if (this.endedValue) return false;
    try {
      this.stream.send(msg);
      return true;
    } catch (err) {
      const e = new Error(`error sending ${typeName(msg.type ?? T.UNDEFINED)}: ${messageOf(err)}`);
      this.deps.logger.error('chaincode stream send failed, ending stream', {
        chaincode: this.id,
        error: e.message,
      });
      this.close(e);
      return false;
    }
  }

  private protocolError(message: string): void {
    this.deps.logger.error('error handling message, ending stream', {
      chaincode: this.id,
      error: message,
    });
    this.close(new ChaincodeError('PROTOCOL_ERROR', message));
  }

  private onMessage(msg: InboundMessage): void {
    const type = msg.type;
    if (type === T.KEEPALIVE) return;
    if (this.stateValue === 'ready') {
      if (type === T.COMPLETED || type === T.ERROR) {
        this.notify(msg);
      } else if (isRequest(type)) {
        void this.handleRequest(msg);
      } else {
        this.protocolError(
          `[${msg.txid}] Fabric side handler cannot handle message (${typeName(type)}) while in ready state`,
        );
      }
      return;
    }
    if (this.stateValue === 'created') {
      if (type === T.REGISTER) this.handleRegister(msg);
      else {
        this.protocolError(
          `[${msg.txid}] Fabric side handler cannot handle message (${typeName(type)}) while in created state`,
        );
      }
      return;
    }
    this.protocolError(
      `handle message: invalid state ${this.stateValue} for transaction ${msg.txid}`,
    );
  }

  private handleRegister(msg: InboundMessage): void {
    let name: string;
    try {
      name = protos.ChaincodeID.decode(msg.payload).name;
    } catch (err) {
      this.deps.logger.error('could not unmarshal REGISTER payload', { error: messageOf(err) });
      this.protocolError(
        `error in received REGISTER, could NOT unmarshal registration info: ${messageOf(err)}`,
      );
      return;
    }
    if (name === '') {
      this.protocolError('error in handling register chaincode, chaincodeID name is empty');
      return;
    }
    try {
      this.stream.authenticate?.(name);
    } catch (err) {
      this.deps.logger.warn('chaincode registration refused', {
        chaincode: name,
        error: messageOf(err),
      });
      this.deps.registry.failed(name, err instanceof Error ? err : new Error(String(err)));
      this.close(new ChaincodeError('ACCESS_DENIED', messageOf(err), { cause: err }));
      return;
    }
    this.id = name;
    try {
      this.deps.registry.register(this);
    } catch (err) {
      // Not registered: ending the stream must not deregister whoever holds this id.
      this.id = '';
      const e = err instanceof Error ? err : new Error(String(err));
      this.deps.logger.warn('chaincode registration refused', {
        chaincode: name,
        error: e.message,
      });
      this.deps.registry.failed(name, e);
      this.close(e);
      return;
    }
    if (!this.send({ type: T.REGISTERED })) {
      this.deps.registry.failed(name, new Error(`error sending REGISTERED to ${name}`));
      return;
    }
    this.stateValue = 'established';
    // v2.5 sends READY with an empty payload; the shim ignores it.
    if (!this.send({ type: T.READY })) {
      this.deps.registry.failed(name, new Error(`error sending READY to ${name}`));
      return;
    }
    this.stateValue = 'ready';
    this.deps.logger.debug('chaincode registered', { chaincode: name });
    this.deps.registry.ready(name);
  }

  private notify(msg: InboundMessage): void {
    const ctx = this.contexts.get(contextKey(msg.channelId, msg.txid));
    if (ctx === undefined) {
      this.deps.logger.debug('no transaction context for the chaincode answer', {
        chaincode: this.id,
        txid: msg.txid,
        channel: msg.channelId,
        type: typeName(msg.type),
      });
      return;
    }
    ctx.notify(msg);
    ctx.closeQueries();
  }

  /**
   * Runs one transaction in the chaincode (Fabric's Handler.Execute): registers its context, sends
   * `msg` (TRANSACTION or INIT) and waits for COMPLETED/ERROR, the timeout, or the end of the stream.
   */
  async execute(
    params: TransactionParams,
    namespace: string,
    type: MessageType,
    input: Uint8Array,
    timeoutMs: number,
  ): Promise<InboundMessage> {
    if (this.endedValue) {
      throw new ChaincodeError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED);
    }
    if (params.proposal !== undefined && params.signedProposal === undefined) {
      throw new ChaincodeError(
        'INVALID_INVOCATION',
        'failed getting proposal context. Signed proposal is nil',
      );
    }
    const ctx = this.contexts.create(params, namespace, type === T.INIT);
    let timer: NodeJS.Timeout | undefined;
    let removeEndWaiter: (() => void) | undefined;
    try {
      const outcome = new Promise<InboundMessage>((resolve, reject) => {
        timer = setTimeout(() => {
          this.deps.metrics?.executeTimeouts.add(1, { chaincode: this.id });
          reject(new ChaincodeError('EXECUTE_TIMEOUT', ERROR_EXECUTION_TIMEOUT));
        }, timeoutMs);
        const onEnd = (): void =>
          reject(new ChaincodeError('STREAM_TERMINATED', ERROR_STREAM_TERMINATED));
        this.endWaiters.push(onEnd);
        removeEndWaiter = () => {
          const i = this.endWaiters.indexOf(onEnd);
          if (i >= 0) this.endWaiters.splice(i, 1);
        };
        ctx.response.then(resolve, reject);
      });
      const msg: OutboundMessage = {
        type,
        payload: input,
        txid: params.txId,
        channelId: params.channelId,
      };
      if (params.signedProposal !== undefined) msg.proposal = params.signedProposal;
      this.send(msg);
      return await outcome;
    } finally {
      clearTimeout(timer);
      removeEndWaiter?.();
      this.contexts.delete(ctx);
      ctx.closeQueries();
    }
  }

  // ---- requests from the chaincode (Fabric's HandleTransaction and the Handle* delegates) ----

  private async handleRequest(msg: InboundMessage): Promise<void> {
    const metrics = this.deps.metrics;
    const start = metrics !== undefined ? performance.now() : 0;
    const key = contextKey(msg.channelId, msg.txid);
    if (!this.active.add(key)) {
      // As Fabric: dropped, since the shim never sends two requests of one transaction at once.
      this.deps.logger.error('another request pending for this transaction, cannot process', {
        chaincode: this.id,
        txid: msg.txid,
        channel: msg.channelId,
        type: typeName(msg.type),
      });
      return;
    }
    let resp: OutboundMessage;
    try {
      const ctx =
        msg.type === T.INVOKE_CHAINCODE
          ? this.contextForInvoke(msg)
          : this.contextWithSimulator(msg, 'no ledger context');
      metrics?.shimRequestsReceived.add(1, {
        type: typeName(msg.type),
        channel: msg.channelId,
        chaincode: this.id,
      });
      const payload = await this.dispatch(msg, ctx);
      resp = {
        type: T.RESPONSE,
        payload: payload ?? EMPTY,
        txid: msg.txid,
        channelId: msg.channelId,
      };
    } catch (err) {
      const text = `${typeName(msg.type)} failed: transaction ID: ${msg.txid}: ${messageOf(err)}`;
      this.deps.logger.debug('chaincode request failed', { chaincode: this.id, error: text });
      resp = {
        type: T.ERROR,
        payload: utf8.encode(text),
        txid: msg.txid,
        channelId: msg.channelId,
      };
    }
    this.active.remove(key);
    this.send(resp);
    if (metrics !== undefined) {
      const labels = {
        type: typeName(msg.type),
        channel: msg.channelId,
        chaincode: this.id,
        success: resp.type === T.RESPONSE ? 'true' : 'false',
      };
      metrics.shimRequestDuration.observe((performance.now() - start) / 1000, labels);
      metrics.shimRequestsCompleted.add(1, labels);
    }
  }

  /** Fabric's isValidTxSim. */
  private contextWithSimulator(msg: InboundMessage, text: string): TransactionContext {
    const ctx = this.contexts.get(contextKey(msg.channelId, msg.txid));
    if (ctx === undefined || ctx.params.txSimulator === undefined) throw new Error(text);
    return ctx;
  }

  /** Fabric's getTxContextForInvoke: a channel-less transaction may only call system chaincodes. */
  private contextForInvoke(msg: InboundMessage): TransactionContext {
    if (msg.channelId !== '')
      return this.contextWithSimulator(msg, 'could not get valid transaction');
    const spec = protos.ChaincodeSpec.decode(msg.payload);
    const target = parseChaincodeName(spec.chaincodeId?.name ?? '');
    if (!this.deps.isSystemChaincode(target.name)) {
      return this.contextWithSimulator(msg, 'could not get valid transaction');
    }
    const ctx = this.contexts.get(contextKey(msg.channelId, msg.txid));
    if (ctx === undefined) throw new Error('failed to get transaction context');
    return ctx;
  }

  private dispatch(msg: InboundMessage, ctx: TransactionContext): Promise<Uint8Array | undefined> {
    switch (msg.type) {
      case T.GET_STATE:
        return this.getState(msg, ctx);
      case T.PUT_STATE:
        return this.putState(protos.PutState.decode(msg.payload), ctx);
      case T.DEL_STATE:
        return this.delState(protos.DelState.decode(msg.payload), ctx);
      case T.GET_STATE_BY_RANGE:
        return this.getStateByRange(msg, ctx);
      case T.GET_QUERY_RESULT:
        return this.getQueryResult(msg, ctx);
      case T.QUERY_STATE_NEXT:
        return this.queryStateNext(msg, ctx);
      case T.QUERY_STATE_CLOSE:
        return this.queryStateClose(msg, ctx);
      case T.GET_HISTORY_FOR_KEY:
        return this.getHistoryForKey(msg, ctx);
      case T.GET_STATE_METADATA:
        return this.getStateMetadata(msg, ctx);
      case T.PUT_STATE_METADATA:
        return this.putStateMetadata(
          protos.PutStateMetadata.decode(msg.payload),
          ctx,
          msg.channelId,
        );
      case T.GET_PRIVATE_DATA_HASH:
        return this.getPrivateDataHash(msg, ctx);
      case T.PURGE_PRIVATE_DATA:
        return this.purgePrivateData(protos.DelState.decode(msg.payload), ctx, msg.channelId);
      case T.INVOKE_CHAINCODE:
        return this.invokeChaincode(msg, ctx);
      case T.WRITE_BATCH_STATE:
        return this.writeBatch(msg, ctx);
      case T.GET_STATE_MULTIPLE:
        return this.getStateMultiple(msg, ctx);
      default:
        return Promise.reject(new Error(`unexpected message type ${typeName(msg.type)}`));
    }
  }

  private sim(ctx: TransactionContext): TxSimulator {
    const sim = ctx.params.txSimulator;
    if (sim === undefined) throw new Error('no ledger context');
    return sim;
  }

  private async permissions(
    ctx: TransactionContext,
    collection: string,
  ): Promise<{ read: boolean; write: boolean }> {
    const access = this.deps.collectionAccess;
    if (access === undefined) return { read: true, write: true };
    const cached = ctx.collectionPermissions?.get(collection);
    if (cached !== undefined) return cached;
    const p = await access.permissions(
      ctx.channelId,
      ctx.namespace,
      collection,
      ctx.params.signedProposal,
      this.sim(ctx),
    );
    const perm = { read: p.read, write: p.write };
    (ctx.collectionPermissions ??= new Map()).set(collection, perm);
    return perm;
  }

  private async checkRead(ctx: TransactionContext, collection: string): Promise<void> {
    if (ctx.isInit) throw notAllowedInInit();
    if (!(await this.permissions(ctx, collection)).read) {
      throw new Error(
        `tx creator does not have read access permission on privatedata in chaincodeName:${ctx.namespace} collectionName: ${collection}`,
      );
    }
  }

  private async checkWrite(ctx: TransactionContext, collection: string): Promise<void> {
    if (ctx.isInit) throw notAllowedInInit();
    if (!(await this.permissions(ctx, collection)).write) {
      throw new Error(
        `tx creator does not have write access permission on privatedata in chaincodeName:${ctx.namespace} collectionName: ${collection}`,
      );
    }
  }

  private applicationCapabilities(channelId: string) {
    const channel = this.deps.channels.get(channelId);
    const app = channel?.bundle().capabilities.application;
    if (app === undefined) throw new Error(`application config does not exist for ${channelId}`);
    return app;
  }

  /** Fabric's checkMetadataCap. */
  private checkMetadataCap(channelId: string): void {
    if (!this.applicationCapabilities(channelId).keyLevelEndorsement) {
      throw new Error(
        'key level endorsement is not enabled, channel application capability of V1_3 or later is required',
      );
    }
  }

  /** Fabric's checkPurgePrivateDataCap. */
  private checkPurgeCap(channelId: string): void {
    if (!this.applicationCapabilities(channelId).purgePvtData) {
      throw new Error(
        'purge private data is not enabled, channel application capability of V2_5 or later is required',
      );
    }
  }

  private async getState(
    msg: InboundMessage,
    ctx: TransactionContext,
  ): Promise<Uint8Array | undefined> {
    const req = protos.GetState.decode(msg.payload);
    const sim = this.sim(ctx);
    if (req.collection !== '') {
      await this.checkRead(ctx, req.collection);
      return sim.getPrivateData(ctx.namespace, req.collection, req.key);
    }
    return sim.getState(ctx.namespace, req.key);
  }

  private async getStateMultiple(
    msg: InboundMessage,
    ctx: TransactionContext,
  ): Promise<Uint8Array> {
    const req = protos.GetStateMultiple.decode(msg.payload);
    const sim = this.sim(ctx);
    let values: (Uint8Array | undefined)[];
    if (req.collection !== '') {
      await this.checkRead(ctx, req.collection);
      values = await sim.getPrivateDataMultipleKeys(ctx.namespace, req.collection, req.keys);
    } else {
      values = await sim.getStateMultipleKeys(ctx.namespace, req.keys);
    }
    return protos.GetStateMultipleResult.encode({ values: values.map((v) => v ?? EMPTY) }).finish();
  }

  private async getPrivateDataHash(
    msg: InboundMessage,
    ctx: TransactionContext,
  ): Promise<Uint8Array | undefined> {
    const req = protos.GetState.decode(msg.payload);
    // No read permission check: the hash is readable by non-members (Fabric).
    if (ctx.isInit) throw notAllowedInInit();
    return this.sim(ctx).getPrivateDataHash(ctx.namespace, req.collection, req.key);
  }

  private async putState(
    req: { key: string; value: Uint8Array; collection: string },
    ctx: TransactionContext,
  ): Promise<undefined> {
    const sim = this.sim(ctx);
    if (req.collection !== '') {
      await this.checkWrite(ctx, req.collection);
      await sim.setPrivateData(ctx.namespace, req.collection, req.key, req.value);
    } else {
      await sim.setState(ctx.namespace, req.key, req.value);
    }
    return undefined;
  }

  private async delState(
    req: { key: string; collection: string },
    ctx: TransactionContext,
  ): Promise<undefined> {
    const sim = this.sim(ctx);
    if (req.collection !== '') {
      await this.checkWrite(ctx, req.collection);
      await sim.deletePrivateData(ctx.namespace, req.collection, req.key);
    } else {
      await sim.deleteState(ctx.namespace, req.key);
    }
    return undefined;
  }

  private async purgePrivateData(
    req: { key: string; collection: string },
    ctx: TransactionContext,
    channelId: string,
  ): Promise<undefined> {
    this.checkPurgeCap(channelId);
    if (req.collection === '') throw new Error('only applicable for private data');
    if (ctx.isInit) throw notAllowedInInit();
    await this.checkWrite(ctx, req.collection);
    await this.sim(ctx).purgePrivateData(ctx.namespace, req.collection, req.key);
    return undefined;
  }

  private async getStateMetadata(
    msg: InboundMessage,
    ctx: TransactionContext,
  ): Promise<Uint8Array> {
    this.checkMetadataCap(msg.channelId);
    const req = protos.GetStateMetadata.decode(msg.payload);
    const sim = this.sim(ctx);
    let md: ReadonlyMap<string, Uint8Array> | undefined;
    if (req.collection !== '') {
      await this.checkRead(ctx, req.collection);
      md = await sim.getPrivateDataMetadata(ctx.namespace, req.collection, req.key);
    } else {
      md = await sim.getStateMetadata(ctx.namespace, req.key);
    }
    const entries: protos.StateMetadata.$Properties[] = [];
    if (md !== undefined) for (const [metakey, value] of md) entries.push({ metakey, value });
    return protos.StateMetadataResult.encode({ entries }).finish();
  }

  private async putStateMetadata(
    req: { key: string; collection: string; metadata?: protos.StateMetadata.$Properties | null },
    ctx: TransactionContext,
    channelId: string,
  ): Promise<undefined> {
    this.checkMetadataCap(channelId);
    if (req.metadata === null || req.metadata === undefined) {
      throw new Error('no metadata given for key ' + req.key);
    }
    const metadata = new Map([[req.metadata.metakey ?? '', req.metadata.value ?? EMPTY]]);
    const sim = this.sim(ctx);
    if (req.collection !== '') {
      await this.checkWrite(ctx, req.collection);
      await sim.setPrivateDataMetadata(ctx.namespace, req.collection, req.key, metadata);
    } else {
      await sim.setStateMetadata(ctx.namespace, req.key, metadata);
    }
    return undefined;
  }

  /** Fabric v3.1's HandleWriteBatch. */
  private async writeBatch(msg: InboundMessage, ctx: TransactionContext): Promise<undefined> {
    const batch = protos.WriteBatchState.decode(msg.payload);
    const R = protos.WriteRecord.Type;
    for (const r of batch.rec) {
      const rec = { key: r.key ?? '', value: r.value ?? EMPTY, collection: r.collection ?? '' };
      switch (r.type) {
        case R.PUT_STATE:
          await this.putState(rec, ctx);
          break;
        case R.DEL_STATE:
          await this.delState(rec, ctx);
          break;
        case R.PURGE_PRIVATE_DATA:
          await this.purgePrivateData(rec, ctx, msg.channelId);
          break;
        case R.PUT_STATE_METADATA:
          await this.putStateMetadata(
            { key: rec.key, collection: rec.collection, metadata: r.metadata ?? {} },
            ctx,
            msg.channelId,
          );
          break;
        default:
          throw new Error('unknown operation type');
      }
    }
    return undefined;
  }

  /** Fabric's calculateTotalReturnLimit. */
  private totalReturnLimit(md: protos.QueryMetadata | undefined): number {
    const limit = this.deps.totalQueryLimit;
    const pageSize = md?.pageSize ?? 0;
    return pageSize > 0 && pageSize < limit ? pageSize : limit;
  }

  private async getStateByRange(msg: InboundMessage, ctx: TransactionContext): Promise<Uint8Array> {
    const req = protos.GetStateByRange.decode(msg.payload);
    const md = queryMetadata(req.metadata);
    const limit = this.totalReturnLimit(md);
    const sim = this.sim(ctx);
    const id = randomUUID();
    let isPaginated = false;
    let iterator;
    if (req.collection !== '') {
      await this.checkRead(ctx, req.collection);
      iterator = await sim.getPrivateDataRangeScanIterator(
        ctx.namespace,
        req.collection,
        req.startKey,
        req.endKey,
      );
    } else if (paginated(md)) {
      isPaginated = true;
      const start = md.bookmark !== '' ? md.bookmark : req.startKey;
      iterator = await sim.getStateRangeScanIteratorWithPagination(
        ctx.namespace,
        start,
        req.endKey,
        md.pageSize,
      );
    } else {
      iterator = await sim.getStateRangeScanIterator(ctx.namespace, req.startKey, req.endKey);
    }
    const q = ctx.openQuery(id, iterator, false);
    return buildQueryResponse(ctx, id, q, isPaginated, limit);
  }

  private async getQueryResult(msg: InboundMessage, ctx: TransactionContext): Promise<Uint8Array> {
    const req = protos.GetQueryResult.decode(msg.payload);
    const md = queryMetadata(req.metadata);
    const limit = this.totalReturnLimit(md);
    const sim = this.sim(ctx);
    const id = randomUUID();
    let isPaginated = false;
    let iterator;
    if (req.collection !== '') {
      await this.checkRead(ctx, req.collection);
      iterator = await sim.executeQueryOnPrivateData(ctx.namespace, req.collection, req.query);
    } else if (paginated(md)) {
      isPaginated = true;
      iterator = await sim.executeQueryWithPagination(
        ctx.namespace,
        req.query,
        md.bookmark,
        md.pageSize,
      );
    } else {
      iterator = await sim.executeQuery(ctx.namespace, req.query);
    }
    const q = ctx.openQuery(id, iterator, false);
    return buildQueryResponse(ctx, id, q, isPaginated, limit);
  }

  private async queryStateNext(msg: InboundMessage, ctx: TransactionContext): Promise<Uint8Array> {
    const req = protos.QueryStateNext.decode(msg.payload);
    const q = ctx.query(req.id);
    if (q === undefined) throw new Error('query iterator not found');
    return buildQueryResponse(ctx, req.id, q, false, this.totalReturnLimit(undefined));
  }

  private async queryStateClose(msg: InboundMessage, ctx: TransactionContext): Promise<Uint8Array> {
    const req = protos.QueryStateClose.decode(msg.payload);
    await ctx.closeQuery(req.id);
    return protos.QueryResponse.encode({ hasMore: false, id: req.id }).finish();
  }

  private async getHistoryForKey(
    msg: InboundMessage,
    ctx: TransactionContext,
  ): Promise<Uint8Array> {
    const hqe = ctx.params.historyQueryExecutor;
    if (!this.deps.historyEnabled || hqe === undefined) {
      throw new Error('history database is not enabled');
    }
    const req = protos.GetHistoryForKey.decode(msg.payload);
    const iterator = await hqe.getHistoryForKey(ctx.namespace, req.key);
    const id = randomUUID();
    const q = ctx.openQuery(id, iterator, true);
    return buildQueryResponse(ctx, id, q, false, this.totalReturnLimit(undefined));
  }

  /** Fabric's HandleInvokeChaincode. */
  private async invokeChaincode(msg: InboundMessage, ctx: TransactionContext): Promise<Uint8Array> {
    const spec = protos.ChaincodeSpec.decode(msg.payload);
    const target = parseChaincodeName(spec.chaincodeId?.name ?? '');
    const channelId = target.channel !== '' ? target.channel : ctx.channelId;
    if (!this.deps.isSystemChaincode(target.name)) {
      const signed = ctx.params.signedProposal;
      if (signed === undefined) {
        throw new Error(
          `signed proposal must not be nil from caller [${target.name}:${target.version}/${channelId}]`,
        );
      }
      await this.deps.acl.checkACL(AclResources.Peer_ChaincodeToChaincode, channelId, signed);
    }
    const input = spec.input ?? {};
    // The caller's endorsement info is its own chaincode's, not the callee's.
    const { endorsementInfo: _callerInfo, ...callerParams } = ctx.params;
    let answer: InboundMessage;
    if (channelId === ctx.channelId) {
      answer = await this.callee(
        { ...callerParams, txId: msg.txid, channelId, isInitTransaction: false },
        target.name,
        input,
      );
    } else {
      // Another channel: a simulator of its own whose results are discarded.
      const channel = this.deps.channels.get(channelId);
      if (channel === undefined) throw new Error(`failed to find ledger for channel: ${channelId}`);
      const sim = await channel.ledger.newTxSimulator(msg.txid);
      try {
        const { historyQueryExecutor: _callerHistory, ...caller } = callerParams;
        const hqe = channel.ledger.newHistoryQueryExecutor();
        const params: TransactionParams = {
          ...caller,
          txId: msg.txid,
          channelId,
          txSimulator: sim,
          isInitTransaction: false,
          ...(hqe !== undefined ? { historyQueryExecutor: hqe } : {}),
        };
        answer = await this.callee(params, target.name, input);
      } finally {
        sim.done();
      }
    }
    return protos.ChaincodeMessage.encode({
      type: answer.type,
      payload: answer.payload,
      txid: answer.txid,
      channelId: answer.channelId,
      ...(answer.chaincodeEvent ? { chaincodeEvent: answer.chaincodeEvent } : {}),
    }).finish();
  }

  private async callee(
    params: TransactionParams,
    name: string,
    input: protos.IChaincodeInput,
  ): Promise<InboundMessage> {
    try {
      return await this.deps.invoker.invoke(params, name, input);
    } catch (err) {
      throw new Error(`execute failed: ${messageOf(err)}`, { cause: err });
    }
  }
}
