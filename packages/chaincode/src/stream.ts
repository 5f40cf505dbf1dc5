/**
 * The chaincode message stream the handler runs over, whatever carries it: a grpc-js server stream
 * (ChaincodeSupport.Register), a grpc-js client stream (Chaincode.Connect to a chaincode server),
 * a runtime's private message pipe to a chaincode it started, or the in-memory stream of system
 * chaincodes (Fabric's ccintf.ChaincodeStream).
 */
import type { ChaincodeMessagePipe } from '@fabric-peer/api';
import { protos } from '@fabric-peer/protos';

/** A message as received: a decoded protos.ChaincodeMessage, or an object of the same shape. */
export interface InboundMessage {
  readonly type: protos.ChaincodeMessage.Type;
  readonly payload: Uint8Array;
  readonly txid: string;
  readonly channelId: string;
  readonly proposal?: protos.SignedProposal.$Properties | null;
  readonly chaincodeEvent?: protos.ChaincodeEvent.$Properties | null;
}

/** A message to send: any object with the ChaincodeMessage properties. */
export type OutboundMessage = protos.ChaincodeMessage.$Properties;

/** Where a stream delivers what it receives. */
export interface StreamSink {
  message(msg: InboundMessage): void;
  /** Called once when the stream ends, with the error that ended it if any. */
  end(err?: Error): void;
}

export interface ChaincodeStream {
  /** Sends one message; throws when the stream is closed. */
  send(msg: OutboundMessage): void;
  /** Starts delivering received messages (once). */
  start(sink: StreamSink): void;
  /** Ends the stream from this side; `err` tells the other side why, where the transport can. */
  close(err?: Error): void;
  /**
   * Checks that the other end may register as `chaincodeId` (TLS client certificate binding);
   * throws when it may not. Absent where nothing is to check.
   */
  authenticate?(chaincodeId: string): void;
}

/** How a stream ends: once, telling the sink (and `onClosed`). */
class StreamEnd {
  closed = false;
  sink: StreamSink | undefined;

  constructor(private readonly onClosed?: () => void) {}

  finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.sink?.end(err);
    this.onClosed?.();
  }
}

/** The parts of a grpc-js duplex call (server or client side) the adapter uses. */
export interface GrpcDuplexCall {
  write(msg: OutboundMessage): boolean;
  end(): void;
  on(event: 'data', listener: (msg: InboundMessage) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Adapts a grpc-js duplex call. `abort` ends the call with an error (a server call's destroy, a
 * client call's cancel); `onClosed` runs once the stream is over (to close a client channel).
 */
export function grpcChaincodeStream(
  call: GrpcDuplexCall,
  options: {
    abort?: (err: Error) => void;
    onClosed?: () => void;
    authenticate?: (chaincodeId: string) => void;
  } = {},
): ChaincodeStream {
  const end = new StreamEnd(options.onClosed);
  const stream: ChaincodeStream = {
    send(msg) {
      if (end.closed) throw new Error('chaincode stream is closed');
      call.write(msg);
    },
    start(s) {
      end.sink = s;
      call.on('data', (msg) => {
        if (!end.closed) s.message(msg);
      });
      call.on('end', () => {
        end.finish();
        try {
          call.end();
        } catch {
          // already ended
        }
      });
      call.on('close', () => end.finish());
      call.on('error', (err) => end.finish(err));
    },
    close(err) {
      if (end.closed) return;
      try {
        if (err !== undefined && options.abort !== undefined) options.abort(err);
        else call.end();
      } catch {
        // the transport is gone already
      }
      end.finish(err);
    },
  };
  if (options.authenticate !== undefined) stream.authenticate = options.authenticate;
  return stream;
}

/**
 * Adapts a runtime's message pipe to one chaincode (PeerConnection.serveMessagePipe): messages
 * are encoded and decoded here, as grpc-js does for a stream. The pipe belongs to the launch of
 * `launchedId`, so nothing may register on it under another name.
 */
export function messagePipeChaincodeStream(
  pipe: ChaincodeMessagePipe,
  launchedId: string,
): ChaincodeStream {
  const end = new StreamEnd();
  return {
    send(msg) {
      if (end.closed) throw new Error('chaincode stream is closed');
      pipe.send(protos.ChaincodeMessage.encode(msg).finish());
    },
    start(s) {
      end.sink = s;
      pipe.start({
        message(bytes) {
          if (end.closed) return;
          let msg: protos.ChaincodeMessage;
          try {
            msg = protos.ChaincodeMessage.decode(bytes);
          } catch (err) {
            const e = new Error(
              `malformed chaincode message: ${err instanceof Error ? err.message : String(err)}`,
            );
            pipe.close(e);
            end.finish(e);
            return;
          }
          s.message(msg);
        },
        end: (err) => end.finish(err),
      });
    },
    close(err) {
      if (end.closed) return;
      pipe.close(err);
      end.finish(err);
    },
    authenticate(chaincodeId) {
      if (chaincodeId !== launchedId) {
        throw new Error(
          `chaincode ${chaincodeId} registered on the pipe of ${launchedId}, which the peer launched`,
        );
      }
    },
  };
}
