/**
 * Serving a bidirectional gRPC stream one request at a time, as Fabric's Recv / process / Send
 * loops do: the next request is read only when the previous one is answered, a handler may end
 * the stream, and the stream's end, cancellation or the server's stop interrupt it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@fabric-peer/api';
import { messageOf } from './errors.js';

interface Served {
  /** Stops serving the stream (aborts its handler's signal). */
  readonly stop: (reason: string) => void;
  /** The request being handled, if any. */
  busy: Promise<unknown> | undefined;
}

/** The streams being served, so that stop() can let them finish and then end them. */
export class StreamRegistry {
  readonly #streams = new Map<grpc.ServerDuplexStream<unknown, unknown>, Served>();

  get size(): number {
    return this.#streams.size;
  }

  add(call: grpc.ServerDuplexStream<unknown, unknown>, served: Served): void {
    this.#streams.set(call, served);
  }

  delete(call: grpc.ServerDuplexStream<unknown, unknown>): void {
    this.#streams.delete(call);
  }

  /**
   * Waits (at most `timeoutMs`) for the requests being handled to be answered: after the chains
   * stop, waiting deliveries answer SERVICE_UNAVAILABLE, and that answer should reach the client.
   */
  async settle(timeoutMs: number): Promise<void> {
    const busy = [...this.#streams.values()].flatMap((s) => (s.busy ? [s.busy] : []));
    if (busy.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(busy),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Interrupts every stream's handler and ends the stream with UNAVAILABLE. */
  closeAll(reason: string): void {
    for (const [call, served] of [...this.#streams]) {
      this.#streams.delete(call);
      served.stop(reason);
      endWithStatus(call, grpc.status.UNAVAILABLE, reason);
    }
  }
}

/** Ends a server stream with a status (grpc-js sends it after the pending writes). */
export function endWithStatus(
  call: grpc.ServerDuplexStream<unknown, unknown>,
  code: grpc.status,
  details: string,
): void {
  if (call.writableEnded || call.destroyed) return;
  // grpc-js turns an 'error' event into the call's status, then ends the write side.
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

/** What a request handler decides: read the next request, or end the stream. */
export type Next = 'continue' | 'end';

/**
 * Reads requests one by one and hands each to `handle` with a signal that aborts when the client
 * cancels, the stream fails or the server stops. The stream is ended (status OK) when the client
 * half-closes or `handle` answers 'end'; resolves when serving is over.
 */
export function serveSerially<Req, Res>(
  call: grpc.ServerDuplexStream<Req, Res>,
  registry: StreamRegistry,
  logger: Logger,
  handle: (request: Req, signal: AbortSignal) => Promise<Next>,
): Promise<void> {
  const untyped = call as unknown as grpc.ServerDuplexStream<unknown, unknown>;
  const abort = new AbortController();
  return new Promise<void>((resolve) => {
    let finished = false;
    let halfClosed = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      registry.delete(untyped);
      resolve();
    };
    const served: Served = {
      stop: (reason) => {
        abort.abort(new Error(reason));
        finish();
      },
      busy: undefined,
    };
    registry.add(untyped, served);
    call.on('data', (request: Req) => {
      call.pause();
      const handling = handle(request, abort.signal);
      served.busy = handling;
      handling.then(
        (next) => {
          served.busy = undefined;
          if (finished) return;
          if (next === 'end' || halfClosed || abort.signal.aborted) {
            if (!call.writableEnded) call.end();
            finish();
          } else {
            call.resume();
          }
        },
        (err: unknown) => {
          served.busy = undefined;
          logger.error('Stream handler failed', { error: messageOf(err) });
          endWithStatus(untyped, grpc.status.INTERNAL, messageOf(err));
          finish();
        },
      );
    });
    call.on('end', () => {
      // Node emits 'end' as soon as the last request is read, possibly while it is handled:
      // then the stream ends once it is answered.
      halfClosed = true;
      if (served.busy !== undefined) return;
      if (!call.writableEnded) call.end();
      finish();
    });
    call.on('cancelled', () => {
      abort.abort(new Error('the client cancelled the stream'));
      finish();
    });
    call.on('error', (err: Error) => {
      abort.abort(err);
      finish();
    });
  });
}

/**
 * Writes one response, waiting while the stream's buffer is full; false when the stream went away
 * (or `signal` aborted) first.
 */
export async function writeResponse<Res>(
  call: grpc.ServerDuplexStream<unknown, Res>,
  response: Res,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted || call.writableEnded || call.destroyed) return false;
  if (call.write(response)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      call.off('drain', onDrain);
      call.off('close', onClose);
      signal.removeEventListener('abort', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    call.once('drain', onDrain);
    call.once('close', onClose);
    signal.addEventListener('abort', onClose, { once: true });
  });
}
