import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Parser, type ReadEntry } from 'tar';
import { tarBuffer, tarStream, type TarEntry } from '../src/index.js';

async function list(
  bytes: Buffer,
): Promise<{ path: string; type: string; mode: number | undefined; body: string }[]> {
  const out: { path: string; type: string; mode: number | undefined; body: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const p = new Parser({
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        const chunks: Buffer[] = [];
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () =>
          out.push({
            path: e.path,
            type: e.type,
            mode: e.mode,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    });
    p.on('error', reject);
    p.on('end', () => resolve());
    p.end(bytes);
  });
  return out;
}

describe('tar writer', () => {
  it('writes memory and host files, long paths (pax) and modes that tar reads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vm-docker-tar-'));
    try {
      const host = join(dir, 'f.txt');
      await writeFile(host, 'from the host');
      const long = `node_modules/${'deep/'.repeat(40)}file.js`;
      const entries: TarEntry[] = [
        { type: 'dir', path: 'tmp', mode: 0o1777 },
        { type: 'file', path: 'a.txt', data: Buffer.from('x'.repeat(513)) },
        { type: 'file', path: long, data: Buffer.from('long') },
        { type: 'file', path: 'bin/tool', source: host, size: 13, mode: 0o755 },
      ];
      const chunks: Buffer[] = [];
      for await (const c of tarStream(entries)) chunks.push(c as Buffer);
      const streamed = Buffer.concat(chunks);
      assert.deepEqual(streamed, await tarBuffer(entries));
      assert.equal(streamed.length % 512, 0);
      const read = await list(streamed);
      assert.deepEqual(
        read.map((e) => [e.path, e.type, e.mode, e.body.length]),
        [
          ['tmp/', 'Directory', 0o1777, 0],
          ['a.txt', 'File', 0o644, 513],
          [long, 'File', 0o644, 4],
          ['bin/tool', 'File', 0o755, 13],
        ],
      );
      assert.equal(read[3]?.body, 'from the host');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
