/**
 * The in-process shim of system chaincodes (Fabric's shim.StartInProc over inprocstream): it
 * registers `<name>.syscc` over an in-memory stream, turns TRANSACTION/INIT into the system
 * chaincode's invoke/init, and its stub's state calls into GET_STATE/PUT_STATE/DEL_STATE/
 * GET_STATE_BY_RANGE requests (with a collection for private data, and GET_PRIVATE_DATA_HASH)
 * that the ordinary handler serves.
 */
import type {
  ChaincodeResponse,
  Logger,
  SystemChaincode,
  SystemChaincodeStateReader,
  SystemChaincodeStub,
} from '@fabric-peer/api';
import { common, protos, queryresult } from '@fabric-peer/protos';
import type { ChaincodeStream, InboundMessage } from '../stream.js';

const T = protos.ChaincodeMessage.Type;
const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
/** As the Go shim: an open start key starts after the composite-key space. */
const EMPTY_KEY_SUBSTITUTE = '\u0001';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** As the shims: an empty collection name would turn a private call into a public one. */
function checkCollection(collection: string): void {
  if (collection === '') throw new Error('collection must not be an empty string');
}

type Pending = { resolve: (payload: Uint8Array) => void; reject: (err: Error) => void };

/** The chaincode side of one system chaincode's in-memory stream. */
export class SystemChaincodeShim {
  private state: 'created' | 'established' | 'ready' = 'created';
  /** The request of each transaction waiting for RESPONSE/ERROR (one at a time per transaction). */
  private readonly pending = new Map<string, Pending>();

  /**
   * `txQueryExecutor` finds the simulator of a running transaction (the handler's transaction
   * context), for the stub's getTxQueryExecutor; without it that method answers undefined.
   */
  constructor(
    private readonly scc: SystemChaincode,
    private readonly stream: ChaincodeStream,
    private readonly chaincodeId: string,
    private readonly logger: Logger,
    readonly txQueryExecutor?: (
      channelId: string,
      txId: string,
    ) => SystemChaincodeStateReader | undefined,
  ) {}

  /** Sends REGISTER and serves the stream. */
  start(): void {
    this.stream.start({
      message: (msg) => this.onMessage(msg),
      end: (err) => this.onEnd(err),
    });
    this.stream.send({
      type: T.REGISTER,
      payload: protos.ChaincodeID.encode({ name: this.chaincodeId }).finish(),
    });
  }

  private onEnd(err: Error | undefined): void {
    const e = new Error(
      `system chaincode ${this.chaincodeId} stream ended${err ? `: ${err.message}` : ''}`,
    );
    const inFlight = this.pending.size;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    // Every stop ends these streams; only transactions cut off deserve a warning.
    const fields = { chaincode: this.chaincodeId, error: err?.message, inFlight };
    if (inFlight > 0) this.logger.warn('system chaincode stream ended', fields);
    else this.logger.debug('system chaincode stream ended', fields);
  }

  private onMessage(msg: InboundMessage): void {
    switch (msg.type) {
      case T.KEEPALIVE:
        return;
      case T.REGISTERED:
        this.state = 'established';
        return;
      case T.READY:
        this.state = 'ready';
        return;
      case T.TRANSACTION:
      case T.INIT:
        if (this.state !== 'ready') break;
        void this.transaction(msg, msg.type === T.INIT);
        return;
      case T.RESPONSE:
      case T.ERROR: {
        const key = msg.channelId + msg.txid;
        const p = this.pending.get(key);
        if (p === undefined) break;
        this.pending.delete(key);
        if (msg.type === T.RESPONSE) p.resolve(msg.payload);
        else p.reject(new Error(utf8d.decode(msg.payload)));
        return;
      }
      default:
        break;
    }
    this.logger.error('system chaincode cannot handle message', {
      chaincode: this.chaincodeId,
      type: T[msg.type] ?? msg.type,
      state: this.state,
    });
  }

  private async transaction(msg: InboundMessage, init: boolean): Promise<void> {
    let response: ChaincodeResponse;
    let stub: InProcessStub;
    try {
      stub = new InProcessStub(this, msg, protos.ChaincodeInput.decode(msg.payload));
      response = init ? await this.scc.init(stub) : await this.scc.invoke(stub);
    } catch (err) {
      this.send({
        type: T.ERROR,
        payload: utf8.encode(messageOf(err)),
        txid: msg.txid,
        channelId: msg.channelId,
      });
      return;
    }
    this.send({
      type: T.COMPLETED,
      payload: protos.Response.encode({
        status: response.status,
        message: response.message ?? '',
        payload: response.payload ?? EMPTY,
      }).finish(),
      txid: msg.txid,
      channelId: msg.channelId,
      ...(stub.event !== undefined ? { chaincodeEvent: stub.event } : {}),
    });
  }

  private send(msg: protos.ChaincodeMessage.$Properties): void {
    try {
      this.stream.send(msg);
    } catch (err) {
      this.logger.error('system chaincode could not send', {
        chaincode: this.chaincodeId,
        error: messageOf(err),
      });
    }
  }

  /** One request of a transaction to the peer; the payload of its RESPONSE. */
  request(
    type: protos.ChaincodeMessage.Type,
    payload: Uint8Array,
    channelId: string,
    txid: string,
  ): Promise<Uint8Array> {
    const key = channelId + txid;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.pending.has(key)) {
        reject(new Error(`a request of transaction ${txid} is already pending`));
        return;
      }
      this.pending.set(key, { resolve, reject });
      try {
        this.stream.send({ type, payload, channelId, txid });
      } catch (err) {
        this.pending.delete(key);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
}

/** The stub a system chaincode sees; its requests of one transaction go one at a time. */
class InProcessStub implements SystemChaincodeStub {
  private tail: Promise<unknown> = Promise.resolve();
  private header: { creator: Uint8Array } | undefined;
  private transient: ReadonlyMap<string, Uint8Array> | undefined;
  /** The event set by the chaincode (the last one wins, as in the shims). */
  event: protos.ChaincodeEvent.$Properties | undefined;

  constructor(
    private readonly shim: SystemChaincodeShim,
    private readonly msg: InboundMessage,
    private readonly input: protos.ChaincodeInput,
  ) {}

  getArgs(): readonly Uint8Array[] {
    return this.input.args;
  }

  getTxId(): string {
    return this.msg.txid;
  }

  getChannelId(): string {
    return this.msg.channelId;
  }

  getSignedProposal(): protos.ISignedProposal | undefined {
    return this.msg.proposal ?? undefined;
  }

  private proposal(): protos.Proposal | undefined {
    const bytes = this.msg.proposal?.proposalBytes;
    return bytes === null || bytes === undefined ? undefined : protos.Proposal.decode(bytes);
  }

  getCreator(): Uint8Array {
    if (this.header === undefined) {
      const header = this.proposal()?.header;
      const sh = header ? common.Header.decode(header).signatureHeader : undefined;
      this.header = { creator: sh ? common.SignatureHeader.decode(sh).creator : EMPTY };
    }
    return this.header.creator;
  }

  getTransient(): ReadonlyMap<string, Uint8Array> {
    if (this.transient === undefined) {
      const payload = this.proposal()?.payload;
      const map = new Map<string, Uint8Array>();
      if (payload !== undefined && payload.length > 0) {
        const tm = protos.ChaincodeProposalPayload.decode(payload).TransientMap;
        for (const [k, v] of Object.entries(tm ?? {})) map.set(k, v);
      }
      this.transient = map;
    }
    return this.transient;
  }

  private call(type: protos.ChaincodeMessage.Type, payload: Uint8Array): Promise<Uint8Array> {
    const run = (): Promise<Uint8Array> =>
      this.shim.request(type, payload, this.msg.channelId, this.msg.txid);
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }

  setEvent(name: string, payload: Uint8Array): void {
    if (name === '') throw new Error('event name can not be empty string');
    this.event = { eventName: name, payload };
  }

  getState(key: string): Promise<Uint8Array> {
    return this.call(T.GET_STATE, protos.GetState.encode({ key }).finish());
  }

  async putState(key: string, value: Uint8Array): Promise<void> {
    await this.call(T.PUT_STATE, protos.PutState.encode({ key, value }).finish());
  }

  async deleteState(key: string): Promise<void> {
    await this.call(T.DEL_STATE, protos.DelState.encode({ key }).finish());
  }

  getPrivateData(collection: string, key: string): Promise<Uint8Array> {
    checkCollection(collection);
    return this.call(T.GET_STATE, protos.GetState.encode({ key, collection }).finish());
  }

  getPrivateDataHash(collection: string, key: string): Promise<Uint8Array> {
    checkCollection(collection);
    return this.call(T.GET_PRIVATE_DATA_HASH, protos.GetState.encode({ key, collection }).finish());
  }

  async putPrivateData(collection: string, key: string, value: Uint8Array): Promise<void> {
    checkCollection(collection);
    await this.call(T.PUT_STATE, protos.PutState.encode({ key, value, collection }).finish());
  }

  async deletePrivateData(collection: string, key: string): Promise<void> {
    checkCollection(collection);
    await this.call(T.DEL_STATE, protos.DelState.encode({ key, collection }).finish());
  }

  getTxQueryExecutor(): SystemChaincodeStateReader | undefined {
    return this.shim.txQueryExecutor?.(this.msg.channelId, this.msg.txid);
  }

  async getStateByRange(
    startKey: string,
    endKey: string,
  ): Promise<{ readonly key: string; readonly value: Uint8Array }[]> {
    const out: { key: string; value: Uint8Array }[] = [];
    let resp = protos.QueryResponse.decode(
      await this.call(
        T.GET_STATE_BY_RANGE,
        protos.GetStateByRange.encode({
          startKey: startKey === '' ? EMPTY_KEY_SUBSTITUTE : startKey,
          endKey,
        }).finish(),
      ),
    );
    for (;;) {
      for (const r of resp.results) {
        const kv = queryresult.KV.decode(r.resultBytes ?? EMPTY);
        out.push({ key: kv.key, value: kv.value });
      }
      if (!resp.hasMore) return out;
      resp = protos.QueryResponse.decode(
        await this.call(T.QUERY_STATE_NEXT, protos.QueryStateNext.encode({ id: resp.id }).finish()),
      );
    }
  }
}
