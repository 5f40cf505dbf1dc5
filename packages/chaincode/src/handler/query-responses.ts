/**
 * Building QueryResponse messages from ledger iterators (Fabric's QueryResponseGenerator): without
 * pagination results go out 100 per message with `has_more`, continued by QUERY_STATE_NEXT; with
 * pagination one page goes out with QueryResponseMetadata (count and bookmark).
 */
import type {
  HistoryIterator,
  KeyModification,
  QueryResultKV,
  QueryResultsIterator,
} from '@fabric-peer/ledger';
import { protos, queryresult } from '@fabric-peer/protos';
import type { QueryContext, TransactionContext } from './transaction-contexts.js';

/** Results per QueryResponse between handler and shim (Fabric's MaxResultLimit). */
export const MAX_RESULT_LIMIT = 100;

function encodeKV(kv: QueryResultKV): Uint8Array {
  return queryresult.KV.encode({ namespace: kv.namespace, key: kv.key, value: kv.value }).finish();
}

function encodeModification(m: KeyModification): Uint8Array {
  return queryresult.KeyModification.encode({
    txId: m.txId,
    value: m.value,
    timestamp: m.timestamp,
    isDelete: m.isDelete,
  }).finish();
}

function response(
  results: readonly Uint8Array[],
  hasMore: boolean,
  id: string,
  metadata?: Uint8Array,
): Uint8Array {
  return protos.QueryResponse.encode({
    results: results.map((resultBytes) => ({ resultBytes })),
    hasMore,
    id,
    ...(metadata !== undefined ? { metadata } : {}),
  }).finish();
}

async function nextResult(q: QueryContext): Promise<Uint8Array | undefined> {
  if (q.history) {
    const m = await (q.iterator as HistoryIterator).next();
    return m === undefined ? undefined : encodeModification(m);
  }
  const kv = await (q.iterator as QueryResultsIterator).next();
  return kv === undefined ? undefined : encodeKV(kv);
}

/**
 * Fabric's BuildQueryResponse: the next QueryResponse of query `id`, as marshaled bytes. The query
 * is closed once exhausted, once a page is complete, or on error.
 */
export async function buildQueryResponse(
  ctx: TransactionContext,
  id: string,
  q: QueryContext,
  paginated: boolean,
  totalReturnLimit: number,
): Promise<Uint8Array> {
  try {
    for (;;) {
      if (q.returned >= totalReturnLimit) break;
      const result = await nextResult(q);
      if (result === undefined) break;
      if (!paginated && q.pending.length === MAX_RESULT_LIMIT) {
        // A full batch goes out now; the result just read starts the next one.
        const batch = q.pending;
        q.pending = [result];
        q.returned++;
        return response(batch, true, id);
      }
      q.pending.push(result);
      q.returned++;
    }
  } catch (err) {
    await ctx.closeQuery(id);
    throw err;
  }
  const batch = q.pending;
  q.pending = [];
  if (paginated) {
    const bookmark = await ctx.closeQueryWithBookmark(id);
    const metadata = protos.QueryResponseMetadata.encode({
      fetchedRecordsCount: q.returned,
      bookmark,
    }).finish();
    return response(batch, false, id, metadata);
  }
  await ctx.closeQuery(id);
  return response(batch, false, id);
}
