// The folder checks a start makes: new, resumable, unfinished, foreign, or another layout.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DEVNET_LAYOUT,
  DevnetError,
  inspectDir,
  layoutPaths,
  MANIFEST_FILE,
} from '../src/index.js';

function rejectsWith(code: string, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DevnetError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

const manifest = {
  layout: DEVNET_LAYOUT,
  channel: 'mychannel',
  ordererEndpoint: '127.0.0.1:7050',
  created: '2026-01-01T00:00:00.000Z',
};

/** A folder with the manifest and the files a resumed network needs (contents do not matter here). */
async function madeNetwork(dir: string, content: unknown = manifest): Promise<void> {
  const p = layoutPaths(dir);
  for (const d of [p.ordererMsp, p.peerMsp, p.adminMsp, p.userMsp]) {
    await mkdir(d, { recursive: true });
  }
  await writeFile(p.genesis, 'block');
  await writeFile(p.manifest, typeof content === 'string' ? content : JSON.stringify(content));
}

describe('the development network folder', () => {
  let root = '';
  let n = 0;
  const fresh = async (): Promise<string> => {
    const dir = join(root, `d${n++}`);
    await mkdir(dir);
    return dir;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'devnet-layout-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('is new when missing or empty', async () => {
    assert.deepEqual(await inspectDir(join(root, 'missing')), { kind: 'new' });
    assert.deepEqual(await inspectDir(await fresh()), { kind: 'new' });
  });

  it('is new again after an interrupted first start, whose leftovers it removes', async () => {
    const dir = await fresh();
    await mkdir(join(dir, '.creating', 'crypto'), { recursive: true });
    await mkdir(join(dir, 'crypto', 'peerOrganizations'), { recursive: true });
    await writeFile(join(dir, 'mychannel.block'), 'partial');
    assert.deepEqual(await inspectDir(dir), { kind: 'new' });
    assert.ok(!existsSync(join(dir, 'crypto')));
    assert.ok(!existsSync(join(dir, '.creating')));
    assert.ok(!existsSync(join(dir, 'mychannel.block')));
  });

  it('is resumed when it holds a network of this layout', async () => {
    const dir = await fresh();
    await madeNetwork(dir);
    assert.deepEqual(await inspectDir(dir), { kind: 'existing', manifest });
  });

  it('refuses a folder that holds something else, and leaves it alone', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await mkdir(join(dir, 'crypto'));
    await assert.rejects(
      inspectDir(dir),
      rejectsWith(
        'DEVNET_DIR_NOT_EMPTY',
        /is not empty and holds no devnet\.json, so it is not a development network \(found notes\.txt\): choose a new or empty folder with --dir/,
      ),
    );
    assert.ok(existsSync(join(dir, 'crypto')));
    const file = join(root, 'a-file');
    await writeFile(file, '');
    await assert.rejects(inspectDir(file), rejectsWith('DEVNET_DIR_NOT_EMPTY', /is not a folder/));
  });

  it('refuses a network of another layout version, saying what to do', async () => {
    const dir = await fresh();
    await madeNetwork(dir, { ...manifest, layout: 'fabric-peer-devnet/0' });
    await assert.rejects(
      inspectDir(dir),
      rejectsWith(
        'DEVNET_LAYOUT_MISMATCH',
        new RegExp(
          `holds a development network of another layout \\(fabric-peer-devnet/0; this fabric-peer reads ${DEVNET_LAYOUT}\\): remove the folder to start a new development network, or choose another with --dir`,
        ),
      ),
    );
  });

  it('refuses a damaged manifest or a network with files missing', async () => {
    const bad = await fresh();
    await madeNetwork(bad, '{ not json');
    await assert.rejects(
      inspectDir(bad),
      rejectsWith('DEVNET_LAYOUT_MISMATCH', new RegExp(`has a ${MANIFEST_FILE} that is not JSON`)),
    );
    const noLayout = await fresh();
    await madeNetwork(noLayout, { channel: 'mychannel' });
    await assert.rejects(
      inspectDir(noLayout),
      rejectsWith('DEVNET_LAYOUT_MISMATCH', /without a layout version/),
    );
    const partial = await fresh();
    await madeNetwork(partial, { layout: DEVNET_LAYOUT });
    await assert.rejects(
      inspectDir(partial),
      rejectsWith('DEVNET_LAYOUT_MISMATCH', /missing fields/),
    );
    const missing = await fresh();
    await madeNetwork(missing);
    await rm(layoutPaths(missing).genesis);
    await assert.rejects(
      inspectDir(missing),
      rejectsWith('DEVNET_LAYOUT_MISMATCH', /is missing the genesis block \(.*mychannel\.block\)/),
    );
  });
});
