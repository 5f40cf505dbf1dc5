/**
 * A range scan over a LevelDB iterator: bounded by gte/lt (no full scans), read in batches
 * (`nextv`) that grow from 16 to 1024 entries, and always one entry ahead so that `bookmark()`
 * (the next key, or '' at the end) is known synchronously, as Fabric's GetBookmarkAndClose.
 */
import type { StateIterator, VersionedKV } from '@fabric-peer/api';
import type { ClassicLevel, Iterator } from 'classic-level';
import { decodeEntry, type NamespaceKeys } from './encoding.js';
import { operationError } from './errors.js';

type Level = ClassicLevel<Buffer, Buffer>;
type LevelIterator = Iterator<Level, Buffer, Buffer>;

const FIRST_BATCH = 16;
const MAX_BATCH = 1024;

export class LevelRangeIterator implements StateIterator {
  readonly #it: LevelIterator;
  readonly #keys: NamespaceKeys;
  readonly #limit: number;
  readonly #path: string;
  readonly #onClose: (it: LevelRangeIterator) => void;
  #buffer: [Buffer, Buffer][] = [];
  #pos = 0;
  #returned = 0;
  #batch = FIRST_BATCH;
  #exhausted = false;
  #released = false;
  #closed = false;
  /** Calls run one after the other: a LevelDB iterator refuses a read while one is pending. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    db: Level,
    keys: NamespaceKeys,
    startKey: string,
    endKey: string,
    limit: number,
    path: string,
    onClose: (it: LevelRangeIterator) => void,
  ) {
    this.#keys = keys;
    this.#limit = limit;
    this.#path = path;
    this.#onClose = onClose;
    this.#it = db.iterator({
      gte: startKey === '' ? keys.prefix : keys.dataKey(startKey),
      lt: endKey === '' ? keys.end : keys.dataKey(endKey),
    });
  }

  /** Opens an iterator and reads its first batch. `limit` is the page size (Infinity: none). */
  static async open(
    db: Level,
    keys: NamespaceKeys,
    startKey: string,
    endKey: string,
    limit: number,
    path: string,
    onClose: (it: LevelRangeIterator) => void,
  ): Promise<LevelRangeIterator> {
    const it = new LevelRangeIterator(db, keys, startKey, endKey, limit, path, onClose);
    try {
      await it.#fill();
    } catch (err) {
      await it.close();
      throw err;
    }
    return it;
  }

  /** Reads the next batch; never more than the page needs, plus one entry for the bookmark. */
  async #fill(): Promise<void> {
    this.#buffer = [];
    this.#pos = 0;
    if (this.#exhausted) return;
    const size = Math.max(1, Math.min(this.#batch, this.#limit - this.#returned + 1));
    this.#batch = Math.min(this.#batch * 2, MAX_BATCH);
    let entries: [Buffer, Buffer][];
    try {
      entries = await this.#it.nextv(size);
    } catch (err) {
      throw operationError(err, this.#path, 'range scan');
    }
    if (entries.length === 0) {
      this.#exhausted = true;
      await this.#release();
    } else {
      this.#buffer = entries;
    }
  }

  /** Closes the LevelDB iterator (its snapshot) once nothing more will be read from it. */
  async #release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      await this.#it.close();
    } catch {
      // Already closed with its database.
    }
  }

  next(): Promise<VersionedKV | undefined> {
    const result = this.#queue.then(() => this.#next());
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #next(): Promise<VersionedKV | undefined> {
    if (this.#closed || this.#returned >= this.#limit) return undefined;
    const entry = this.#buffer[this.#pos];
    if (!entry) return undefined;
    this.#pos++;
    this.#returned++;
    const kv = decodeEntry(this.#keys, entry[0], entry[1]);
    if (this.#pos >= this.#buffer.length) await this.#fill();
    // A full page knows its bookmark: the snapshot is no longer needed.
    if (this.#returned >= this.#limit) await this.#release();
    return kv;
  }

  bookmark(): string {
    const entry = this.#buffer[this.#pos];
    return entry ? this.#keys.keyOf(entry[0]) : '';
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    await this.#queue;
    await this.#release();
  }

  [Symbol.asyncIterator](): AsyncIterator<VersionedKV> {
    return {
      next: async () => {
        const value = await this.next();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }
}
