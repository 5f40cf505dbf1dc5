import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readTar, readTarGz, TarFormatError, writeTar, writeTarGz } from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

const longName = `src/${'d'.repeat(90)}/${'f'.repeat(60)}.js`;

describe('tar', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('round-trips files, directories, links and long names', () => {
    const tar = writeTar([
      { path: 'src/', type: 'directory' },
      { path: 'src/index.js', data: 'module.exports = 1;\n', mode: 0o600 },
      { path: longName, data: Buffer.from([0, 1, 2, 255]) },
      { path: 'src/link', type: 'symlink', linkpath: '../../etc/passwd' },
      { path: 'src/hard', type: 'link', linkpath: 'src/index.js' },
    ]);
    const entries = readTar(tar);
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.linkpath, Buffer.from(e.data).toString('hex')]),
      [
        ['src/', 'directory', undefined, ''],
        ['src/index.js', 'file', undefined, Buffer.from('module.exports = 1;\n').toString('hex')],
        [longName, 'file', undefined, '000102ff'],
        ['src/link', 'symlink', '../../etc/passwd', ''],
        ['src/hard', 'link', 'src/index.js', ''],
      ],
    );
    assert.equal(entries[1]?.mode, 0o600);
  });

  it('writes archives GNU tar reads, and reads what GNU tar writes', async () => {
    const ours = join(dir, 'ours.tar.gz');
    await writeFile(
      ours,
      writeTarGz([
        { path: longName, data: 'x' },
        { path: 'a.txt', data: 'a' },
      ]),
    );
    const listed = execFileSync('tar', ['-tzf', ours]).toString().trim().split('\n');
    assert.deepEqual(listed, [longName, 'a.txt']);

    const src = join(dir, 'gnu');
    await mkdir(join(src, 'src', 'lib'), { recursive: true });
    await writeFile(join(src, 'src', 'lib', `${'n'.repeat(120)}.js`), 'long');
    await writeFile(join(src, 'src', 'package.json'), '{}');
    await symlink('/etc/hostname', join(src, 'src', 'ln'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      const archive = join(dir, `gnu-${format}.tar.gz`);
      // ustar cannot hold a 120-byte file name; it holds the others.
      const members = format === 'ustar' ? ['src/package.json', 'src/ln'] : ['src'];
      execFileSync('tar', [`--format=${format}`, '-czf', archive, '-C', src, ...members]);
      const entries = readTarGz(await readFile(archive));
      const byPath = new Map(entries.map((e) => [e.path, e]));
      assert.equal(Buffer.from(byPath.get('src/package.json')?.data ?? []).toString(), '{}');
      assert.equal(byPath.get('src/ln')?.type, 'symlink');
      assert.equal(byPath.get('src/ln')?.linkpath, '/etc/hostname');
      if (format !== 'ustar') {
        const long = byPath.get(`src/lib/${'n'.repeat(120)}.js`);
        assert.equal(Buffer.from(long?.data ?? []).toString(), 'long', format);
        assert.equal(byPath.get('src/lib/')?.type, 'directory');
      }
    }
  });

  it('refuses truncated and corrupt archives instead of returning part of them', () => {
    const tar = writeTar([
      { path: 'a.txt', data: 'a'.repeat(2000) },
      { path: 'b.txt', data: 'b' },
    ]);
    assert.throws(() => readTar(tar.subarray(0, 1000)), { message: 'unexpected EOF' });
    assert.throws(() => readTar(tar.subarray(0, 300)), { message: 'unexpected EOF' });
    const corrupt = Buffer.from(tar);
    corrupt[10] = 0x41;
    assert.throws(() => readTar(corrupt), {
      name: 'TarFormatError',
      message: 'archive/tar: invalid tar header',
    });
    assert.deepEqual(readTar(Buffer.alloc(0)), []);
  });

  it('refuses data that is not gzip, or a gzip stream cut short', () => {
    assert.throws(() => readTarGz(Buffer.from('not a gzip')), {
      name: 'TarFormatError',
      message: 'gzip: invalid header',
    });
    const gz = gzipSync(writeTar([{ path: 'a', data: 'a'.repeat(5000) }]));
    assert.throws(() => readTarGz(gz.subarray(0, gz.length - 20)), TarFormatError);
  });

  it('stops at a gzip stream that expands beyond the limit', () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024));
    assert.throws(() => readTarGz(bomb, 1024 * 1024), /expands to more than 1048576 bytes/);
  });
});
