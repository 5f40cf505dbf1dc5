/**
 * A pair of connected in-memory chaincode streams (Fabric's core/scc/inprocstream.go): what one end
 * sends the other receives, as objects (nothing is marshaled), delivered on a microtask so that
 * neither side re-enters the other.
 */
import type { ChaincodeStream, InboundMessage, OutboundMessage, StreamSink } from '../stream.js';

const EMPTY = new Uint8Array(0);

class Endpoint implements ChaincodeStream {
  other!: Endpoint;
  private sink: StreamSink | undefined;
  private backlog: InboundMessage[] | undefined = [];
  closed = false;

  send(msg: OutboundMessage): void {
    if (this.closed) throw new Error('in-memory chaincode stream is closed');
    const m: InboundMessage = {
      type: msg.type ?? 0,
      payload: msg.payload ?? EMPTY,
      txid: msg.txid ?? '',
      channelId: msg.channelId ?? '',
      proposal: msg.proposal ?? null,
      chaincodeEvent: msg.chaincodeEvent ?? null,
    };
    const other = this.other;
    queueMicrotask(() => other.receive(m));
  }

  private receive(msg: InboundMessage): void {
    if (this.closed) return;
    if (this.sink === undefined) this.backlog?.push(msg);
    else this.sink.message(msg);
  }

  start(sink: StreamSink): void {
    this.sink = sink;
    const backlog = this.backlog ?? [];
    this.backlog = undefined;
    for (const m of backlog) sink.message(m);
  }

  close(err?: Error): void {
    this.end(err);
    const other = this.other;
    queueMicrotask(() => other.end(err));
  }

  private end(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.sink?.end(err);
  }
}

/** Two ends of one in-memory stream: `peer` for the handler, `chaincode` for the in-process shim. */
export function inMemoryStreamPair(): { peer: ChaincodeStream; chaincode: ChaincodeStream } {
  const a = new Endpoint();
  const b = new Endpoint();
  a.other = b;
  b.other = a;
  return { peer: a, chaincode: b };
}
