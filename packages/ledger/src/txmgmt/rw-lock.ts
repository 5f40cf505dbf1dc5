/**
 * An asynchronous readers-writer lock with writer preference, like Go's sync.RWMutex as Fabric's
 * txmgr uses it (`commitRWLock`): simulators and query executors hold a read lock from creation to
 * `done()`, the state commit holds the write lock while it applies a block, and once a writer waits
 * new readers queue behind it. A simulator that never calls `done()` therefore holds commits back,
 * exactly as in Fabric.
 */
export class RWLock {
  private readers = 0;
  private writer = false;
  private readonly waitingWriters: (() => void)[] = [];
  private waitingReaders: (() => void)[] = [];

  /** Resolves with a release function once a read lock is held. */
  async readLock(): Promise<() => void> {
    if (!this.writer && this.waitingWriters.length === 0) {
      this.readers++;
    } else {
      await new Promise<void>((resolve) => this.waitingReaders.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.readers--;
      if (this.readers === 0 && this.waitingWriters.length > 0) {
        this.writer = true;
        this.waitingWriters.shift()!();
      }
    };
  }

  /** Resolves with a release function once the write lock is held. */
  async writeLock(): Promise<() => void> {
    if (!this.writer && this.readers === 0) {
      this.writer = true;
    } else {
      await new Promise<void>((resolve) => this.waitingWriters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.writer = false;
      // As Go's RWMutex: readers that queued behind this writer go first, then the next writer.
      if (this.waitingReaders.length > 0) {
        const readers = this.waitingReaders;
        this.waitingReaders = [];
        this.readers += readers.length;
        for (const r of readers) r();
      } else if (this.waitingWriters.length > 0) {
        this.writer = true;
        this.waitingWriters.shift()!();
      }
    };
  }
}

/** Runs tasks one at a time, in call order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
