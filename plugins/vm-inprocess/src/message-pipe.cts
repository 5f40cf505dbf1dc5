/**
 * The private channel between the peer and a chaincode process this runtime started: an extra
 * stdio pipe of the process, over which fabric-shim's Register stream runs instead of a gRPC
 * connection to the peer's chaincode listener. Each message is a ChaincodeMessage's protobuf bytes
 * after their length (4 bytes, big-endian). Nothing but the two processes can reach the pipe, and
 * it costs a fraction of what HTTP/2 and grpc-js cost per message on both sides.
 *
 * Loaded by the peer (its end, {@link peerPipe}) and by the chaincode process before the chaincode
 * runs ({@link connectMessagePipe}, which makes the process's fabric-shim use the pipe).
 */
// A CommonJS file under verbatimModuleSyntax imports with `import x = require()`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import events = require('node:events');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require('node:fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import Module = require('node:module');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import net = require('node:net');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import path = require('node:path');
import type { Duplex } from 'node:stream';

/**
 * The pipe's descriptor in the chaincode process (stdio[4]: a pre-warmed process has IPC on 3),
 * and the variable that tells the process it may use it.
 */
const PIPE_FD = 4;
const PIPE_FD_VARIABLE = 'FABRIC_PEER_CHAINCODE_PIPE_FD';
/** Largest message either side accepts (the peer's gRPC limit, 100 MiB, as Fabric's). */
const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/** Splits the received bytes into messages; a message split across chunks is joined once whole. */
class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes the first pending message needs, header included, once its header is in. */
  private needed = 4;

  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < this.needed) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    let offset = 0;
    for (;;) {
      const left = data.length - offset;
      if (left < 4) {
        this.needed = 4;
        break;
      }
      const length = data.readUInt32BE(offset);
      if (length > MAX_MESSAGE_BYTES) {
        throw new Error(
          `chaincode message of ${length} bytes exceeds the limit of ${MAX_MESSAGE_BYTES}`,
        );
      }
      if (left < 4 + length) {
        this.needed = 4 + length;
        break;
      }
      onMessage(data.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    this.chunks = offset < data.length ? [data.subarray(offset)] : [];
    this.size = data.length - offset;
  }
}

/**
 * Frames messages. Those sent during one turn of the event loop go out in one write, after its
 * I/O callbacks: each write wakes the other process, and with many transactions in flight one
 * turn produces many messages (≈ 18 per write in the endorsement benchmark at 64 in flight,
 * against ≈ 2.7 when flushed after each callback).
 */
class FrameWriter {
  private queued: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly socket: Duplex) {}

  write(message: Uint8Array): void {
    const frame = Buffer.allocUnsafe(4 + message.length);
    frame.writeUInt32BE(message.length, 0);
    frame.set(message, 4);
    if (this.queued.length === 0) setImmediate(() => this.flush());
    this.queued.push(frame);
    this.bytes += frame.length;
  }

  flush(): void {
    if (this.queued.length === 0) return;
    const data =
      this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.bytes);
    this.queued = [];
    this.bytes = 0;
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }
}

/** The peer's end, as the @fabric-peer/api ChaincodeMessagePipe it hands to the peer. */
interface PeerPipe {
  send(message: Uint8Array): void;
  start(sink: { message(message: Uint8Array): void; end(err?: Error): void }): void;
  close(err?: Error): void;
}

function peerPipe(socket: Duplex): PeerPipe {
  const writer = new FrameWriter(socket);
  let closed = false;
  let sink: { end(err?: Error): void } | undefined;
  const finish = (err?: Error): void => {
    if (closed) return;
    closed = true;
    sink?.end(err);
  };
  // Until start(), an error must not go unhandled; it ends the pipe all the same.
  socket.on('error', (err) => finish(err));
  return {
    send(message) {
      if (closed) throw new Error('chaincode pipe is closed');
      writer.write(message);
    },
    start(s) {
      sink = s;
      const reader = new FrameReader();
      socket.on('data', (chunk: Buffer) => {
        if (closed) return;
        try {
          reader.push(chunk, (message) => {
            if (!closed) s.message(message);
          });
        } catch (err) {
          socket.destroy();
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      });
      socket.once('end', () => {
        finish();
        socket.end();
      });
      socket.once('close', () => finish());
      if (socket.destroyed) finish();
    },
    close(err) {
      writer.flush();
      socket.end();
      finish(err);
    },
  };
}

/** A google-protobuf message class of @hyperledger/fabric-protos, as fabric-shim uses it. */
interface MessageClass {
  deserializeBinary(bytes: Uint8Array): unknown;
}
interface ShimMessage {
  serializeBinary(): Uint8Array;
}

/**
 * The chaincode's end, shaped as the grpc-js duplex call fabric-shim's Register returns: `write`,
 * `end`, and 'data' / 'end' / 'error' events.
 */
class ShimStream extends events.EventEmitter {
  private readonly writer: FrameWriter;
  private ended = false;

  constructor(
    private readonly socket: net.Socket,
    messages: MessageClass,
  ) {
    super();
    this.writer = new FrameWriter(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (bytes) => this.emit('data', messages.deserializeBinary(bytes)));
      } catch (err) {
        socket.destroy();
        this.emit('error', err);
      }
    });
    socket.once('end', () => this.emit('end'));
    socket.on('error', (err) => this.emit('error', err));
  }

  write(message: ShimMessage): boolean {
    if (this.ended) return false;
    this.writer.write(message.serializeBinary());
    return true;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.writer.flush();
    this.socket.end();
  }
}

/**
 * In the chaincode process: when the peer gave it a pipe (the variable names its descriptor),
 * makes the fabric-shim that `dir` (the chaincode's folder) resolves open its Register stream on
 * the pipe. A chaincode whose shim is not found there (it brings one from elsewhere) dials the
 * peer's address as usual, and the pipe is closed. Returns whether the pipe will be used.
 */
function connectMessagePipe(dir: string): boolean {
  const value = process.env[PIPE_FD_VARIABLE];
  if (value === undefined) return false;
  // Not part of the environment Fabric gives chaincode.
  delete process.env[PIPE_FD_VARIABLE];
  const fd = Number(value);
  if (!Number.isInteger(fd) || fd < 3) return false;
  let client: { prototype: { register: (...args: unknown[]) => unknown } } | undefined;
  let messages: MessageClass | undefined;
  try {
    const fromDir = Module.createRequire(path.join(dir, 'index.js'));
    const fromShim = Module.createRequire(fromDir.resolve('fabric-shim/package.json'));
    const protos = fromShim('@hyperledger/fabric-protos') as {
      peer?: { ChaincodeSupportClient?: typeof client; ChaincodeMessage?: MessageClass };
    };
    client = protos.peer?.ChaincodeSupportClient;
    messages = protos.peer?.ChaincodeMessage;
  } catch {
    // No fabric-shim there.
  }
  if (
    typeof client?.prototype.register !== 'function' ||
    typeof messages?.deserializeBinary !== 'function'
  ) {
    fs.closeSync(fd);
    return false;
  }
  const register = client.prototype.register;
  const codec = messages;
  let used = false;
  // The shim registers once; any later stream (none today) goes to the network as before.
  client.prototype.register = function (this: unknown, ...args: unknown[]) {
    if (used) return register.apply(this, args);
    used = true;
    return new ShimStream(new net.Socket({ fd, readable: true, writable: true }), codec);
  };
  return true;
}

export = { PIPE_FD, PIPE_FD_VARIABLE, FrameReader, peerPipe, connectMessagePipe };
