// The index databases the stores open for themselves (no `indexDb` option), shared by path and
// counted. LevelDB allows one open handle per folder and process, so the channels of one `dir` must
// share one handle for none of them to lock out the others; it is closed when the last store closes.
// This table of open handles is the only state the block store keeps outside its objects.
import { resolve } from 'node:path';
import type { BlockIndexDb } from './block-index.js';

interface Entry {
  readonly db: Promise<BlockIndexDb>;
  refs: number;
  closing?: Promise<void>;
}

const entries = new Map<string, Entry>();

/** The shared index of `dir`, opened by `open` when no store holds it; `release` when done. */
export async function acquireIndex(
  dir: string,
  open: (dir: string) => Promise<BlockIndexDb>,
): Promise<{ db: BlockIndexDb; release: () => Promise<void> }> {
  const location = resolve(dir, 'index');
  for (;;) {
    let entry = entries.get(location);
    if (entry?.closing) {
      await entry.closing.catch(() => undefined);
      continue;
    }
    if (entry === undefined) {
      const created: Entry = { db: open(dir), refs: 0 };
      entries.set(location, created);
      created.db.catch(() => {
        if (entries.get(location) === created) entries.delete(location);
      });
      entry = created;
    }
    entry.refs++;
    const held = entry;
    let db: BlockIndexDb;
    try {
      db = await held.db;
    } catch (err) {
      held.refs--;
      throw err;
    }
    let released = false;
    return {
      db,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.refs > 0) return;
        held.closing = db.close().finally(() => {
          if (entries.get(location) === held) entries.delete(location);
        });
        await held.closing;
      },
    };
  }
}
