/**
 * One transaction running in a chaincode, as the handler sees it (Fabric's TransactionContext and
 * TransactionContexts): its simulator, its open query iterators, and the wait for COMPLETED/ERROR.
 */
import type { HistoryIterator, QueryResultsIterator } from '@fabric-peer/ledger';
import type { TransactionParams } from '../types.js';
import type { InboundMessage } from '../stream.js';

/** An open query of a transaction (iterator plus the batching state of Fabric's PendingQueryResult). */
export interface QueryContext {
  readonly iterator: QueryResultsIterator | HistoryIterator;
  readonly history: boolean;
  /** Results read but not yet sent (at most one beyond a full batch). */
  pending: Uint8Array[];
  /** Results returned so far, against the total return limit. */
  returned: number;
}

/** Context id of a transaction: Fabric's channel id + txid concatenation. */
export function contextKey(channelId: string, txId: string): string {
  return channelId + txId;
}

export class TransactionContext {
  readonly channelId: string;
  readonly txId: string;
  /** The namespace the chaincode writes to (the invoked chaincode's name). */
  readonly namespace: string;
  readonly isInit: boolean;
  /** The first COMPLETED or ERROR of the transaction. */
  readonly response: Promise<InboundMessage>;
  private resolveResponse!: (msg: InboundMessage) => void;
  private queries: Map<string, QueryContext> | undefined;
  /** Collection read/write permissions already checked in this transaction. */
  collectionPermissions: Map<string, { read: boolean; write: boolean }> | undefined;

  constructor(
    readonly params: TransactionParams,
    namespace: string,
    isInit: boolean,
  ) {
    this.channelId = params.channelId;
    this.txId = params.txId;
    this.namespace = namespace;
    this.isInit = isInit;
    this.response = new Promise((resolve) => {
      this.resolveResponse = resolve;
    });
  }

  /** Hands the chaincode's answer to the waiting execute; later ones are ignored. */
  notify(msg: InboundMessage): void {
    this.resolveResponse(msg);
  }

  openQuery(
    id: string,
    iterator: QueryResultsIterator | HistoryIterator,
    history: boolean,
  ): QueryContext {
    const q: QueryContext = { iterator, history, pending: [], returned: 0 };
    (this.queries ??= new Map()).set(id, q);
    return q;
  }

  query(id: string): QueryContext | undefined {
    return this.queries?.get(id);
  }

  /** Fabric's CleanupQueryContext: closes and forgets the query. */
  async closeQuery(id: string): Promise<void> {
    const q = this.queries?.get(id);
    if (q === undefined) return;
    this.queries!.delete(id);
    await q.iterator.close();
  }

  /** Fabric's CleanupQueryContextWithBookmark: the bookmark of a paginated query, then closes it. */
  async closeQueryWithBookmark(id: string): Promise<string> {
    const q = this.queries?.get(id);
    if (q === undefined) return '';
    this.queries!.delete(id);
    if (!q.history && 'getBookmarkAndClose' in q.iterator) {
      return q.iterator.getBookmarkAndClose();
    }
    await q.iterator.close();
    return '';
  }

  /** Closes every open query (when the transaction ends). */
  closeQueries(): void {
    const queries = this.queries;
    if (queries === undefined || queries.size === 0) return;
    this.queries = undefined;
    for (const q of queries.values()) void q.iterator.close().catch(() => undefined);
  }
}

/** The transactions a handler is running, by channel + txid. */
export class TransactionContexts {
  private readonly contexts = new Map<string, TransactionContext>();

  /** Fabric's Create: refuses a second context for the same channel and txid. */
  create(params: TransactionParams, namespace: string, isInit: boolean): TransactionContext {
    const key = contextKey(params.channelId, params.txId);
    if (this.contexts.has(key)) {
      throw new Error(`txid: ${params.txId}(${params.channelId}) exists`);
    }
    const ctx = new TransactionContext(params, namespace, isInit);
    this.contexts.set(key, ctx);
    return ctx;
  }

  get(key: string): TransactionContext | undefined {
    return this.contexts.get(key);
  }

  delete(ctx: TransactionContext): void {
    const key = contextKey(ctx.channelId, ctx.txId);
    if (this.contexts.get(key) === ctx) this.contexts.delete(key);
  }

  /** Every running context (to fail them when the stream ends). */
  all(): TransactionContext[] {
    return [...this.contexts.values()];
  }

  get size(): number {
    return this.contexts.size;
  }
}
