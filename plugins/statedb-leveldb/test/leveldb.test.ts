import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StateUpdate } from '@fabric-peer/api';
import { ConfigError } from '@fabric-peer/api';
import { ClassicLevel } from 'classic-level';
import { StateDatabaseError } from '../src/index.js';
import { providerFor, removeDir, tempPeerDir } from '../test-support/support.js';

const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');
const h = (blockNum: number, txNum: number) => ({ blockNum, txNum });
const put = (
  namespace: string,
  key: string,
  value: string,
  version = h(1, 0),
  metadata?: string,
): StateUpdate =>
  metadata === undefined
    ? { namespace, key, value: Buffer.from(value), version }
    : { namespace, key, value: Buffer.from(value), metadata: Buffer.from(metadata), version };

/** Opens the folder with classic-level directly, to look at what the plugin wrote. */
async function rawEntries(path: string): Promise<[string, string][]> {
  const raw = new ClassicLevel<Buffer, Buffer>(path, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await raw.open();
  try {
    const all = await raw.iterator().all();
    return all.map(([k, v]) => [k.toString('hex'), v.toString('hex')]);
  } finally {
    await raw.close();
  }
}

async function rawWrite(path: string, entries: [Buffer, Buffer][]): Promise<void> {
  const raw = new ClassicLevel<Buffer, Buffer>(path, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await raw.open();
  try {
    await raw.batch(entries.map(([key, value]) => ({ type: 'put', key, value })));
  } finally {
    await raw.close();
  }
}

function hexOf(...parts: (string | number[])[]): string {
  return Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))),
  ).toString('hex');
}

async function assertCode(
  p: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<StateDatabaseError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StateDatabaseError, `expected StateDatabaseError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('LevelDbStateProvider', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempPeerDir();
  });
  afterEach(() => removeDir(dir));
  const stateDir = () => join(dir, 'ledgersData', 'stateLeveldb');

  describe('layout', () => {
    it('lays keys and values out as Fabric does', async () => {
      const provider = providerFor(dir);
      const db = await provider.open('mychannel');
      await db.applyUpdates(
        [
          put('mycc', 'k1', 'v', h(1, 2), 'm'),
          put('mycc$$hcoll', '\u0000x\u0000', '', h(0, 0)),
          put('a', 'k', 'A', h(256, 1)),
        ],
        h(256, 7),
      );
      await provider.close();
      const entries = new Map(await rawEntries(stateDir()));
      // Format record in the internal `_` database.
      assert.equal(entries.get(hexOf('_', [0], 'f')), hexOf('2.0'));
      // Savepoint: order-preserving var-uints 256 = [2, 1, 0] and 7 = [1, 7].
      assert.equal(entries.get(hexOf('mychannel', [0], 's')), hexOf([2, 1, 0, 1, 7]));
      // DBValue{version: [1,1, 1,2], value: 'v', metadata: 'm'}.
      assert.equal(
        entries.get(hexOf('mychannel', [0], 'dmycc', [0], 'k1')),
        hexOf([0x0a, 4, 1, 1, 1, 2, 0x12, 1], 'v', [0x1a, 1], 'm'),
      );
      // An empty value and no metadata leave their fields out; height 0 is one zero byte.
      assert.equal(
        entries.get(hexOf('mychannel', [0], 'dmycc$$hcoll', [0, 0], 'x', [0])),
        hexOf([0x0a, 2, 0, 0]),
      );
      assert.equal(
        entries.get(hexOf('mychannel', [0], 'da', [0], 'k')),
        hexOf([0x0a, 5, 2, 1, 0, 1, 1, 0x12, 1], 'A'),
      );
      assert.equal(entries.size, 5);
    });

    it('keeps a drop to the channel’s own keys', async () => {
      const provider = providerFor(dir);
      for (const ch of ['ch', 'ch2', 'c']) {
        const db = await provider.open(ch);
        await db.applyUpdates([put('ns', 'k', ch)], h(1, 0));
      }
      await provider.drop('ch');
      await provider.close();
      const keys = (await rawEntries(stateDir())).map(([k]) =>
        Buffer.from(k, 'hex').toString('latin1'),
      );
      assert.deepEqual(keys.sort(), [
        '_\u0000f',
        'c\u0000dns\u0000k',
        'c\u0000s',
        'ch2\u0000dns\u0000k',
        'ch2\u0000s',
      ]);
    });

    it('scans with bounded LevelDB iterators, never the whole database', async () => {
      const provider = providerFor(dir);
      const db = await provider.open('ch');
      await db.applyUpdates(
        [put('ns', 'a', '1'), put('ns', 'b', '2'), put('nt', 'a', '3')],
        h(1, 0),
      );
      const seen: unknown[] = [];
      // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below, called with its this
      const original = ClassicLevel.prototype.iterator;
      const spy = function (this: ClassicLevel, options?: unknown) {
        seen.push(options);
        return original.call(this, options as never);
      };
      ClassicLevel.prototype.iterator = spy as typeof original;
      try {
        const it = await db.getStateRangeScanIterator('ns', 'a', '', { pageSize: 1 });
        assert.equal((await it.next())?.key, 'a');
        assert.equal(await it.next(), undefined);
        assert.equal(it.bookmark(), 'b');
        await it.close();
      } finally {
        ClassicLevel.prototype.iterator = original;
      }
      assert.equal(seen.length, 1);
      const { gte, lt } = seen[0] as { gte: Buffer; lt: Buffer };
      assert.equal(gte.toString('latin1'), 'ch\u0000dns\u0000a');
      assert.equal(lt.toString('latin1'), 'ch\u0000dns\u0001');
      await provider.close();
    });
  });

  describe('errors', () => {
    it('says the database is in use when another provider of this process holds it', async () => {
      const first = providerFor(dir);
      await first.open('ch');
      const second = providerFor(dir);
      const err = await assertCode(
        second.open('ch'),
        'STATEDB_IN_USE',
        /^state database in use by another process: /,
      );
      assert.ok(err.message.includes(stateDir()), err.message);
      assert.equal(err.details['path'], stateDir());
      await first.close();
      // Once the other lets go, the same provider opens it.
      const db = await second.open('ch');
      assert.equal(await db.getLatestSavePoint(), undefined);
      await second.close();
    });

    it('says the database is in use when another process holds it', async () => {
      const provider = providerFor(dir);
      await (await provider.open('ch')).close();
      await provider.close();
      const child = await holdLock(stateDir());
      try {
        await assertCode(provider.open('ch'), 'STATEDB_IN_USE', new RegExp(escape(stateDir())));
      } finally {
        child.kill();
        await once(child, 'exit');
      }
      const db = await provider.open('ch');
      assert.equal(await db.getLatestSavePoint(), undefined);
      await provider.close();
    });

    it('refuses a folder written in another format', async () => {
      const provider = providerFor(dir);
      await (await provider.open('ch')).close();
      await provider.close();
      await rawWrite(stateDir(), [[Buffer.from('_\u0000f'), Buffer.from('1.x')]]);
      await assertCode(provider.open('ch'), 'STATEDB_FORMAT', /"1\.x", expected "2\.0"/);
    });

    it('refuses a database that holds data but no format record', async () => {
      await rawWrite(stateDir(), [[Buffer.from('x'), Buffer.from('y')]]);
      await assertCode(providerFor(dir).open('ch'), 'STATEDB_FORMAT');
    });

    it('reports a record it cannot decode as corrupt', async () => {
      const provider = providerFor(dir);
      await (await provider.open('ch')).close();
      await provider.close();
      await rawWrite(stateDir(), [
        [Buffer.from('ch\u0000dns\u0000bad'), Buffer.from([0x0a, 9, 1])],
      ]);
      const db = await provider.open('ch');
      await assertCode(db.getState('ns', 'bad'), 'STATEDB_CORRUPT');
      await provider.close();
    });

    it('refuses use of a closed database, and opens again when asked', async () => {
      const provider = providerFor(dir);
      const db = await provider.open('ch');
      await db.applyUpdates([put('ns', 'k', 'v')], h(1, 0));
      const it = await db.getStateRangeScanIterator('ns', '', '');
      await provider.close();
      await assertCode(db.getState('ns', 'k'), 'STATEDB_CLOSED', /channel ch is closed/);
      assert.equal(await it.next(), undefined);
      const again = await provider.open('ch');
      assert.equal(Buffer.from((await again.getState('ns', 'k'))?.value ?? []).toString(), 'v');
      await provider.close();
      await provider.close();
    });

    it('refuses a channel name that would break the layout', async () => {
      const provider = providerFor(dir);
      await assert.rejects(provider.open(''), TypeError);
      await assert.rejects(provider.open('_'), TypeError);
      await assert.rejects(provider.open('a\u0000b'), TypeError);
      await provider.close();
    });

    it('refuses a namespace with U+0000 and a height beyond safe integers, applying nothing', async () => {
      const provider = providerFor(dir);
      const db = await provider.open('ch');
      await assert.rejects(
        db.applyUpdates([put('ns', 'a', '1'), put('n\u0000s', 'k', 'v')], h(1, 0)),
        TypeError,
      );
      await assert.rejects(
        db.applyUpdates([put('ns', 'a', '1', h(2 ** 53, 0))], h(1, 0)),
        RangeError,
      );
      await assert.rejects(db.applyUpdates([put('ns', 'a', '1')], h(-1, 0)), RangeError);
      assert.equal(await db.getState('ns', 'a'), undefined);
      assert.equal(await db.getLatestSavePoint(), undefined);
      await provider.close();
    });

    it('needs peer.fileSystemPath', () => {
      assert.throws(() => providerFor(''), ConfigError);
    });
  });

  describe('bulk loads', () => {
    it('serves the reads of the MVCC check from the loaded records until its own next commit', async () => {
      const provider = providerFor(dir);
      const validator = await provider.open('ch');
      const other = await provider.open('ch');
      await validator.applyUpdates([put('ns', 'a', 'a1'), put('ns', 'b', 'b1')], h(1, 0));
      await validator.loadCommittedVersions!([
        { namespace: 'ns', key: 'a' },
        { namespace: 'ns', key: 'c' },
      ]);
      // Written behind the cache's back (nothing does that in a peer: one handle per channel).
      await other.applyUpdates(
        [put('ns', 'a', 'a2', h(2, 0)), put('ns', 'c', 'c2', h(2, 0))],
        h(2, 0),
      );
      assert.equal(
        Buffer.from((await validator.getState('ns', 'a'))?.value ?? []).toString(),
        'a1',
      );
      assert.equal(await validator.getState('ns', 'c'), undefined);
      assert.equal(Buffer.from((await other.getState('ns', 'a'))?.value ?? []).toString(), 'a2');
      // Its own commit empties the cache.
      await validator.applyUpdates([put('ns', 'b', 'b3', h(3, 0))], h(3, 0));
      assert.equal(
        Buffer.from((await validator.getState('ns', 'a'))?.value ?? []).toString(),
        'a2',
      );
      assert.equal(
        Buffer.from((await validator.getState('ns', 'c'))?.value ?? []).toString(),
        'c2',
      );
      await provider.close();
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A child process that opens the database at `path` and holds it until killed. */
async function holdLock(path: string): Promise<ChildProcess> {
  const script = `
    import { ClassicLevel } from 'classic-level';
    const db = new ClassicLevel(process.argv[1]);
    await db.open();
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, path], {
    cwd: pluginDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stdout = child.stdout;
  assert.ok(stdout);
  await new Promise<void>((resolve, reject) => {
    stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return child;
}
