import type { common } from '@fabric-peer/protos';
import type { BlockIterator } from './types.js';

/** What an iterator needs from its store. */
export interface IteratorSource {
  height(): number;
  /** The block, which is below the height. */
  readBlock(blockNum: number): Promise<common.Block | undefined>;
  /** Calls `wake` once, at the next added block or when the store closes; returns an unsubscribe. */
  onNextBlock(wake: () => void): () => void;
  /** Forgets a closed iterator. */
  release(it: BlockIteratorImpl): void;
}

/**
 * Blocks from a number on. `next()` calls are served in order; one that finds no block waits for
 * the next addBlock, and resolves undefined if the iterator or the store closes first.
 */
export class BlockIteratorImpl implements BlockIterator {
  private nextNum: number;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private wakeWaiter: (() => void) | undefined;

  constructor(
    private readonly source: IteratorSource,
    startNum: number,
  ) {
    this.nextNum = startNum;
  }

  /** The number of the block the next call returns. */
  get position(): number {
    return this.nextNum;
  }

  next(): Promise<common.Block | undefined> {
    const result = this.queue.then(() => this.fetch());
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeWaiter?.();
    this.source.release(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<common.Block> {
    return {
      next: async (): Promise<IteratorResult<common.Block>> => {
        const block = await this.next();
        return block === undefined
          ? { done: true, value: undefined }
          : { done: false, value: block };
      },
      return: (): Promise<IteratorResult<common.Block>> => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private async fetch(): Promise<common.Block | undefined> {
    while (!this.closed) {
      if (this.nextNum < this.source.height()) {
        let block: common.Block | undefined;
        try {
          block = await this.source.readBlock(this.nextNum);
        } catch (err) {
          if (this.closed) return undefined;
          throw err;
        }
        if (this.closed) return undefined;
        if (block === undefined)
          throw new Error(`block ${this.nextNum} is below the height but could not be read`);
        this.nextNum++;
        return block;
      }
      await new Promise<void>((resolve) => {
        const unsubscribe = this.source.onNextBlock(() => {
          this.wakeWaiter = undefined;
          resolve();
        });
        this.wakeWaiter = () => {
          unsubscribe();
          this.wakeWaiter = undefined;
          resolve();
        };
      });
    }
    return undefined;
  }
}
