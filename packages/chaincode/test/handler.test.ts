/**
 * Unit tests of the Handler over a scripted stream: the state machine, Fabric's checks, batching,
 * keepalive, and what happens to a transaction when the stream ends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { QueryResultKV, QueryResultsIterator, TxSimulator } from '@fabric-peer/ledger';
import { protos, queryresult } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import { ChaincodeError } from '../src/errors.js';
import { Handler, parseChaincodeName, type HandlerDependencies } from '../src/handler/handler.js';
import { HandlerRegistry } from '../src/registry.js';
import type {
  ChaincodeStream,
  InboundMessage,
  OutboundMessage,
  StreamSink,
} from '../src/stream.js';
import type { TransactionParams } from '../src/types.js';

const T = protos.ChaincodeMessage.Type;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? []).toString('utf8');
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

class ScriptedStream implements ChaincodeStream {
  readonly sent: OutboundMessage[] = [];
  sink: StreamSink | undefined;
  closedWith: Error | undefined | null = null;
  send(msg: OutboundMessage): void {
    this.sent.push(msg);
  }
  start(sink: StreamSink): void {
    this.sink = sink;
  }
  close(err?: Error): void {
    this.closedWith = err;
  }
  deliver(msg: Partial<InboundMessage> & { type: protos.ChaincodeMessage.Type }): void {
    this.sink!.message({ payload: new Uint8Array(0), txid: '', channelId: '', ...msg });
  }
  ofType(type: protos.ChaincodeMessage.Type): OutboundMessage[] {
    return this.sent.filter((m) => m.type === type);
  }
}

function iterator(results: QueryResultKV[], onClose: () => void): QueryResultsIterator {
  let i = 0;
  return {
    next: () => Promise.resolve(results[i++]),
    close: () => {
      onClose();
      return Promise.resolve();
    },
    getBookmarkAndClose: () => Promise.resolve(''),
    async *[Symbol.asyncIterator]() {
      for (const r of results) yield await Promise.resolve(r);
    },
  };
}

function channels(app: { keyLevelEndorsement: boolean; purgePvtData: boolean }): ChannelRegistry {
  return {
    get: (id: string) => ({ id, bundle: () => ({ capabilities: { application: app } }) }),
  } as unknown as ChannelRegistry;
}

function setup(
  options: {
    sim?: Partial<TxSimulator>;
    keepaliveMs?: number;
    caps?: { keyLevelEndorsement: boolean; purgePvtData: boolean };
    deps?: Partial<HandlerDependencies>;
  } = {},
) {
  const registry = new HandlerRegistry(true);
  const deps: HandlerDependencies = {
    registry,
    invoker: { invoke: () => Promise.reject(new Error('no invoker')) },
    channels: channels(options.caps ?? { keyLevelEndorsement: true, purgePvtData: true }),
    acl: { checkACL: () => Promise.resolve() },
    isSystemChaincode: () => false,
    keepaliveMs: options.keepaliveMs ?? 0,
    totalQueryLimit: 100_000,
    historyEnabled: true,
    logger: silentLoggers('test'),
    ...options.deps,
  };
  const stream = new ScriptedStream();
  const handler = new Handler(deps, stream);
  const ended = handler.run();
  return { registry, stream, handler, ended };
}

function registered(options: Parameters<typeof setup>[0] = {}) {
  const s = setup(options);
  s.stream.deliver({
    type: T.REGISTER,
    payload: protos.ChaincodeID.encode({ name: 'cc:1' }).finish(),
  });
  return s;
}

function params(sim: Partial<TxSimulator> | undefined, txId = 'tx1'): TransactionParams {
  return {
    txId,
    channelId: 'ch',
    namespaceId: 'cc',
    ...(sim !== undefined ? { txSimulator: sim as TxSimulator } : {}),
  };
}

describe('Handler', () => {
  it('parses chaincode names as Fabric does', () => {
    assert.deepEqual(parseChaincodeName('cc:1.0/ch2'), {
      name: 'cc',
      version: '1.0',
      channel: 'ch2',
    });
    assert.deepEqual(parseChaincodeName('cc'), { name: 'cc', version: '', channel: '' });
    assert.deepEqual(parseChaincodeName('cc/ch'), { name: 'cc', version: '', channel: 'ch' });
  });

  it('accepts only REGISTER while created', () => {
    const { stream, handler } = setup();
    stream.deliver({ type: T.GET_STATE, txid: 'abc' });
    assert.ok(stream.closedWith instanceof ChaincodeError);
    assert.equal(stream.closedWith.code, 'PROTOCOL_ERROR');
    assert.match(
      stream.closedWith.message,
      /\[abc\] Fabric side handler cannot handle message \(GET_STATE\) while in created state/,
    );
    assert.equal(handler.ended, true);
  });

  it('answers REGISTER with REGISTERED then READY and registers the handler', () => {
    const { stream, handler, registry } = registered();
    assert.deepEqual(
      stream.sent.map((m) => m.type),
      [T.REGISTERED, T.READY],
    );
    assert.equal(handler.state, 'ready');
    assert.equal(registry.handler('cc:1'), handler);
    const second = new ScriptedStream();
    const other = new Handler({ ...setupDeps(registry) }, second);
    void other.run();
    second.deliver({
      type: T.REGISTER,
      payload: protos.ChaincodeID.encode({ name: 'cc:1' }).finish(),
    });
    assert.match(String(second.closedWith), /duplicate chaincodeID: cc:1/);
    assert.equal(registry.handler('cc:1'), handler, 'the first handler stays registered');
  });

  it('answers a request of an unknown transaction with ERROR', async () => {
    const { stream } = registered();
    stream.deliver({
      type: T.GET_STATE,
      txid: 't1',
      channelId: 'ch',
      payload: protos.GetState.encode({ key: 'k' }).finish(),
    });
    await tick();
    const err = stream.ofType(T.ERROR)[0];
    assert.equal(text(err?.payload), 'GET_STATE failed: transaction ID: t1: no ledger context');
    assert.equal(err?.txid, 't1');
    assert.equal(err?.channelId, 'ch');
  });

  it('answers a malformed payload with ERROR and keeps serving', async () => {
    const { stream, handler } = registered();
    const sim = { getState: () => Promise.resolve(utf8('v')) };
    const done = handler.execute(params(sim), 'cc', T.TRANSACTION, new Uint8Array(0), 5000);
    stream.deliver({
      type: T.GET_STATE,
      txid: 'tx1',
      channelId: 'ch',
      payload: Uint8Array.of(0x0a, 0xff),
    });
    await tick();
    assert.match(
      text(stream.ofType(T.ERROR)[0]?.payload),
      /^GET_STATE failed: transaction ID: tx1: /,
    );
    stream.deliver({
      type: T.GET_STATE,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.GetState.encode({ key: 'k' }).finish(),
    });
    await tick();
    assert.equal(text(stream.ofType(T.RESPONSE)[0]?.payload), 'v');
    stream.deliver({
      type: T.COMPLETED,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.Response.encode({ status: 200 }).finish(),
    });
    assert.equal((await done).type, T.COMPLETED);
  });

  it('drops a second concurrent request of the same transaction', async () => {
    let release!: (v: Uint8Array) => void;
    const sim = { getState: () => new Promise<Uint8Array>((r) => (release = r)) };
    const { stream, handler } = registered();
    void handler
      .execute(params(sim), 'cc', T.TRANSACTION, new Uint8Array(0), 5000)
      .catch(() => undefined);
    const get = {
      type: T.GET_STATE,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.GetState.encode({ key: 'k' }).finish(),
    };
    stream.deliver(get);
    stream.deliver(get);
    await tick();
    release(utf8('once'));
    await tick();
    assert.equal(stream.ofType(T.RESPONSE).length, 1);
    assert.equal(stream.ofType(T.ERROR).length, 0);
    handler.close();
  });

  it('applies the capability, Init and collection checks of Fabric', async () => {
    const sim = {
      setPrivateData: () => Promise.resolve(),
      getPrivateData: () => Promise.resolve(undefined),
    };
    const { stream, handler } = registered({
      caps: { keyLevelEndorsement: false, purgePvtData: false },
      deps: {
        collectionAccess: {
          permissions: (_c, _ns, coll) => Promise.resolve({ read: coll !== 'secret', write: true }),
        },
      },
    });
    void handler
      .execute(params(sim), 'cc', T.TRANSACTION, new Uint8Array(0), 5000)
      .catch(() => undefined);
    const ask = async (
      type: protos.ChaincodeMessage.Type,
      payload: Uint8Array,
    ): Promise<string> => {
      const before = stream.sent.length;
      stream.deliver({ type, txid: 'tx1', channelId: 'ch', payload });
      await tick();
      const m = stream.sent.slice(before).find((x) => x.txid === 'tx1');
      return m?.type === T.ERROR ? text(m.payload) : 'RESPONSE';
    };
    assert.match(
      await ask(T.GET_STATE_METADATA, protos.GetStateMetadata.encode({ key: 'k' }).finish()),
      /key level endorsement is not enabled, channel application capability of V1_3 or later is required/,
    );
    assert.match(
      await ask(
        T.PURGE_PRIVATE_DATA,
        protos.DelState.encode({ key: 'k', collection: 'c' }).finish(),
      ),
      /purge private data is not enabled, channel application capability of V2_5 or later is required/,
    );
    assert.match(
      await ask(T.GET_STATE, protos.GetState.encode({ key: 'k', collection: 'secret' }).finish()),
      /tx creator does not have read access permission on privatedata in chaincodeName:cc collectionName: secret/,
    );
    assert.equal(
      await ask(T.GET_STATE, protos.GetState.encode({ key: 'k', collection: 'open' }).finish()),
      'RESPONSE',
    );
    handler.close();

    const init = registered();
    void init.handler
      .execute(params(sim), 'cc', T.INIT, new Uint8Array(0), 5000)
      .catch(() => undefined);
    init.stream.deliver({
      type: T.PUT_STATE,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.PutState.encode({ key: 'k', collection: 'c' }).finish(),
    });
    await tick();
    assert.match(
      text(init.stream.ofType(T.ERROR)[0]?.payload),
      /private data APIs are not allowed in chaincode Init\(\)/,
    );
    init.stream.deliver({
      type: T.PURGE_PRIVATE_DATA,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.DelState.encode({ key: 'k' }).finish(),
    });
    await tick();
    assert.match(text(init.stream.ofType(T.ERROR)[1]?.payload), /only applicable for private data/);
    init.handler.close();
  });

  it('batches results 100 at a time and closes iterators when the transaction completes', async () => {
    let closed = 0;
    const results = Array.from({ length: 250 }, (_, i) => ({
      namespace: 'cc',
      key: `k${i}`,
      value: utf8(String(i)),
    }));
    const sim = {
      getStateRangeScanIterator: () => Promise.resolve(iterator(results, () => closed++)),
    };
    const { stream, handler } = registered();
    const done = handler.execute(params(sim), 'cc', T.TRANSACTION, new Uint8Array(0), 5000);
    stream.deliver({
      type: T.GET_STATE_BY_RANGE,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.GetStateByRange.encode({ startKey: 'a', endKey: 'z' }).finish(),
    });
    await tick();
    const first = protos.QueryResponse.decode(stream.ofType(T.RESPONSE)[0]!.payload!);
    assert.equal(first.results.length, 100);
    assert.equal(first.hasMore, true);
    assert.equal(queryresult.KV.decode(first.results[0]!.resultBytes!).key, 'k0');
    stream.deliver({
      type: T.QUERY_STATE_NEXT,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.QueryStateNext.encode({ id: first.id }).finish(),
    });
    await tick();
    const second = protos.QueryResponse.decode(stream.ofType(T.RESPONSE)[1]!.payload!);
    assert.equal(second.results.length, 100);
    assert.equal(queryresult.KV.decode(second.results[0]!.resultBytes!).key, 'k100');
    assert.equal(closed, 0, 'open while results remain');
    stream.deliver({
      type: T.COMPLETED,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.Response.encode({ status: 200 }).finish(),
    });
    await done;
    assert.equal(closed, 1, 'closed when the transaction completed');
    stream.deliver({
      type: T.QUERY_STATE_NEXT,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.QueryStateNext.encode({ id: first.id }).finish(),
    });
    await tick();
    assert.match(text(stream.ofType(T.ERROR)[0]?.payload), /no ledger context/);
  });

  it('serves WRITE_BATCH_STATE and GET_STATE_MULTIPLE', async () => {
    const writes: string[] = [];
    const sim = {
      setState: (_ns: string, k: string, v: Uint8Array) => (
        writes.push(`put ${k}=${text(v)}`),
        Promise.resolve()
      ),
      deleteState: (_ns: string, k: string) => (writes.push(`del ${k}`), Promise.resolve()),
      getStateMultipleKeys: (_ns: string, keys: readonly string[]) =>
        Promise.resolve(keys.map((k) => (k === 'none' ? undefined : utf8(k.toUpperCase())))),
    };
    const { stream, handler } = registered();
    void handler
      .execute(params(sim), 'cc', T.TRANSACTION, new Uint8Array(0), 5000)
      .catch(() => undefined);
    const R = protos.WriteRecord.Type;
    stream.deliver({
      type: T.WRITE_BATCH_STATE,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.WriteBatchState.encode({
        rec: [
          { key: 'a', value: utf8('1'), type: R.PUT_STATE },
          { key: 'b', type: R.DEL_STATE },
        ],
      }).finish(),
    });
    await tick();
    assert.deepEqual(writes, ['put a=1', 'del b']);
    stream.deliver({
      type: T.GET_STATE_MULTIPLE,
      txid: 'tx1',
      channelId: 'ch',
      payload: protos.GetStateMultiple.encode({ keys: ['x', 'none'] }).finish(),
    });
    await tick();
    const result = protos.GetStateMultipleResult.decode(stream.ofType(T.RESPONSE)[1]!.payload!);
    assert.deepEqual(result.values.map(text), ['X', '']);
    handler.close();
  });

  it('fails the running transactions when the stream ends, and deregisters', async () => {
    const { stream, handler, registry, ended } = registered();
    const running = handler.execute(params({}), 'cc', T.TRANSACTION, new Uint8Array(0), 5000);
    assert.equal(stream.ofType(T.TRANSACTION)[0]?.txid, 'tx1');
    stream.sink!.end(new Error('socket closed'));
    await assert.rejects(
      running,
      (err: ChaincodeError) =>
        err.code === 'STREAM_TERMINATED' && err.message === 'chaincode stream terminated',
    );
    assert.equal((await ended)?.message, 'socket closed');
    assert.equal(registry.handler('cc:1'), undefined);
    await assert.rejects(
      handler.execute(params({}, 'tx2'), 'cc', T.TRANSACTION, new Uint8Array(0), 5000),
      /chaincode stream terminated/,
    );
  });

  it('times out a transaction and refuses a second one with the same txid', async () => {
    const { handler } = registered();
    const first = handler.execute(params({}), 'cc', T.TRANSACTION, new Uint8Array(0), 30);
    await assert.rejects(
      handler.execute(params({}), 'cc', T.TRANSACTION, new Uint8Array(0), 30),
      /txid: tx1\(ch\) exists/,
    );
    await assert.rejects(
      first,
      (err: ChaincodeError) =>
        err.code === 'EXECUTE_TIMEOUT' &&
        err.message === 'timeout expired while executing transaction',
    );
    assert.equal(handler.runningTransactions, 0);
    handler.close();
  });

  it('sends KEEPALIVE every interval and ignores those it receives', async () => {
    const { stream, handler } = registered({ keepaliveMs: 20 });
    stream.deliver({ type: T.KEEPALIVE });
    await tick(75);
    assert.ok(
      stream.ofType(T.KEEPALIVE).length >= 2,
      `${stream.ofType(T.KEEPALIVE).length} keepalives`,
    );
    assert.equal(stream.closedWith, null);
    handler.close();
    const n = stream.ofType(T.KEEPALIVE).length;
    await tick(50);
    assert.equal(stream.ofType(T.KEEPALIVE).length, n, 'no keepalive after close');
  });
});

function setupDeps(registry: HandlerRegistry): HandlerDependencies {
  return {
    registry,
    invoker: { invoke: () => Promise.reject(new Error('no invoker')) },
    channels: channels({ keyLevelEndorsement: true, purgePvtData: true }),
    acl: { checkACL: () => Promise.resolve() },
    isSystemChaincode: () => false,
    keepaliveMs: 0,
    totalQueryLimit: 100_000,
    historyEnabled: true,
    logger: silentLoggers('test'),
  };
}
