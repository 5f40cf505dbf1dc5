import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import messagePipe from '../src/message-pipe.cjs';

function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

describe('FrameReader', () => {
  const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(70_000, 7)];
  const wire = Buffer.concat(messages.map(frame));

  it('splits several messages out of one chunk, an empty one included', () => {
    const got: Buffer[] = [];
    new messagePipe.FrameReader().push(wire, (m) => got.push(Buffer.from(m)));
    assert.deepEqual(got, messages);
  });

  it('joins messages cut anywhere across chunks', () => {
    for (const size of [1, 3, 4, 5, 1000, 65_536]) {
      const got: Buffer[] = [];
      const reader = new messagePipe.FrameReader();
      for (let at = 0; at < wire.length; at += size) {
        reader.push(wire.subarray(at, at + size), (m) => got.push(Buffer.from(m)));
      }
      assert.deepEqual(got, messages, `chunks of ${size} bytes`);
    }
  });

  it('refuses a length over the limit before reading the message', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(100 * 1024 * 1024 + 1, 0);
    assert.throws(
      () => new messagePipe.FrameReader().push(header, () => undefined),
      /chaincode message of 104857601 bytes exceeds the limit of 104857600/,
    );
  });
});

describe("the peer's end of the pipe", () => {
  let dir: string;
  let server: ReturnType<typeof createServer>;
  let path: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pipe-'));
    path = join(dir, 's');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** A connected pair: [the peer's socket, the chaincode's socket]. */
  async function pair(): Promise<[Socket, Socket]> {
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(path);
    await new Promise((resolve) => client.once('connect', resolve));
    return [await accepted, client];
  }

  function received(socket: Socket, count: number): Promise<Buffer[]> {
    const reader = new messagePipe.FrameReader();
    const out: Buffer[] = [];
    return new Promise((resolve) => {
      socket.on('data', (chunk: Buffer) =>
        reader.push(chunk, (m) => {
          out.push(Buffer.from(m));
          if (out.length === count) resolve(out);
        }),
      );
    });
  }

  it('sends framed messages and delivers the framed messages it receives', async () => {
    const [peerSide, chaincodeSide] = await pair();
    const pipe = messagePipe.peerPipe(peerSide);
    const got: Buffer[] = [];
    let ended: { err?: Error | undefined } | undefined;
    pipe.start({ message: (m) => got.push(Buffer.from(m)), end: (err) => (ended = { err }) });
    const toChaincode = received(chaincodeSide, 2);
    pipe.send(Buffer.from('a'));
    pipe.send(Buffer.from('bc'));
    assert.deepEqual(await toChaincode, [Buffer.from('a'), Buffer.from('bc')]);
    chaincodeSide.write(Buffer.concat([frame(Buffer.from('x')), frame(Buffer.from('yz'))]));
    chaincodeSide.end();
    while (ended === undefined) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, [Buffer.from('x'), Buffer.from('yz')]);
    assert.equal(ended.err, undefined, 'a clean end');
    assert.throws(() => pipe.send(Buffer.from('late')), /chaincode pipe is closed/);
  });

  it('ends with an error on a length over the limit', async () => {
    const [peerSide, chaincodeSide] = await pair();
    const pipe = messagePipe.peerPipe(peerSide);
    const ended = new Promise<Error | undefined>((resolve) =>
      pipe.start({ message: () => assert.fail('no message'), end: resolve }),
    );
    chaincodeSide.on('error', () => undefined);
    chaincodeSide.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    assert.match(String(await ended), /exceeds the limit/);
  });
});
