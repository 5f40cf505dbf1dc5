/**
 * The validator pool (`peer.validatorPoolSize` worker threads): the checks of a block's
 * transactions that need no ledger (Fabric's ValidateTransaction and the endorsement signatures)
 * run off the main thread, in slices spread over the workers; the main thread then validates each
 * transaction (duplicate txid, validation plugins, policies) as its slice comes back, in order.
 *
 * Each worker builds the channel's MSPs from the channel configuration with the same code as the
 * main thread (the X.509 MSP; Fabric's peer accepts no other), so its verdicts are the ones the
 * main thread would reach. A worker that fails, or a slice it cannot check, leaves those
 * transactions to the main thread: the outcome is the same, only slower.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@fabric-peer/api';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';

import type { PoolRequest, PoolResult } from './pool-protocol.js';
import type { Precheck, PrecheckPool } from './validator.js';

/** Options of {@link ValidatorPool}. */
export interface ValidatorPoolOptions {
  /** Worker threads (`peer.validatorPoolSize`); default: the number of cores. */
  readonly size?: number;
  /** Transactions per slice (default 25). */
  readonly sliceSize?: number;
  readonly logger?: Logger;
}

interface Pending {
  resolve(result: PoolResult): void;
  reject(err: Error): void;
}

class PoolThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Configuration keys this worker has been sent. */
  readonly known = new Set<string>();

  constructor(onExit: (thread: PoolThread, err: Error) => void) {
    this.worker = new Worker(new URL('./pool-worker.js', import.meta.url));
    this.worker.on('message', (result: PoolResult) => {
      const p = this.pending.get(result.id);
      if (p === undefined) return;
      this.pending.delete(result.id);
      p.resolve(result);
    });
    this.worker.on('error', (err) => onExit(this, err));
    this.worker.on('exit', (code) => onExit(this, new Error(`validator worker exited (${code})`)));
  }

  fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** The `peer.validatorPoolSize` default: one worker per core. */
export function defaultValidatorPoolSize(): number {
  return availableParallelism();
}

/** What the pool has done, for metrics and tests. */
export interface ValidatorPoolStats {
  /** Slices sent to workers. */
  slices: number;
  /** Transactions a worker checked. */
  checked: number;
  /** Transactions left to the main thread (a worker failed, or could not tell). */
  fallbacks: number;
  /** Workers started again after one failed. */
  restarts: number;
}

export class ValidatorPool implements PrecheckPool {
  readonly size: number;
  readonly stats: ValidatorPoolStats = { slices: 0, checked: 0, fallbacks: 0, restarts: 0 };
  readonly #sliceSize: number;
  readonly #logger: Logger | undefined;
  #threads: PoolThread[];
  #next = 0;
  #id = 0;
  #closed = false;
  readonly #configs = new WeakMap<ChannelConfigBundle, { key: string; bytes: Uint8Array }>();

  constructor(options: ValidatorPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultValidatorPoolSize());
    this.#sliceSize = Math.max(1, options.sliceSize ?? 25);
    this.#logger = options.logger;
    this.#threads = Array.from({ length: this.size }, () => this.#spawn());
  }

  #spawn(): PoolThread {
    return new PoolThread((thread, err) => {
      thread.fail(err);
      const i = this.#threads.indexOf(thread);
      if (i < 0 || this.#closed) return;
      this.#logger?.warn('validator worker failed; starting another', { error: err.message });
      this.stats.restarts++;
      this.#threads[i] = this.#spawn();
    });
  }

  #config(bundle: ChannelConfigBundle): { key: string; bytes: Uint8Array } {
    let found = this.#configs.get(bundle);
    if (found === undefined) {
      found = {
        key: `${bundle.channelId}:${bundle.sequence}:${this.#id++}`,
        bytes: common.Config.encode(bundle.config).finish(),
      };
      this.#configs.set(bundle, found);
    }
    return found;
  }

  /** One promise per transaction; undefined means "validate it on the main thread". */
  precheck(block: common.IBlock, bundle: ChannelConfigBundle): Promise<Precheck | undefined>[] {
    const envelopes = block.data?.data ?? [];
    const out: Promise<Precheck | undefined>[] = [];
    if (this.#closed) {
      this.stats.fallbacks += envelopes.length;
      return envelopes.map(() => Promise.resolve(undefined));
    }
    const config = this.#config(bundle);
    for (let start = 0; start < envelopes.length; start += this.#sliceSize) {
      const slice = envelopes.slice(start, start + this.#sliceSize);
      const result = this.#send(slice, bundle, config);
      this.stats.slices++;
      slice.forEach((_, i) => {
        out.push(
          result.then(
            (r) => {
              const p = 'error' in r ? undefined : r.results[i];
              if (p === undefined || p.code < 0) {
                this.stats.fallbacks++;
                return undefined;
              }
              this.stats.checked++;
              return p;
            },
            () => {
              this.stats.fallbacks++;
              return undefined;
            },
          ),
        );
      });
      result.then(
        (r) => {
          if ('error' in r)
            this.#logger?.warn('validator worker refused a slice', { error: r.error });
        },
        (err: unknown) =>
          this.#logger?.warn('validator worker failed a slice', { error: String(err) }),
      );
    }
    return out;
  }

  #send(
    envelopes: readonly Uint8Array[],
    bundle: ChannelConfigBundle,
    config: { key: string; bytes: Uint8Array },
  ): Promise<PoolResult> {
    const thread = this.#threads[this.#next++ % this.#threads.length]!;
    // One fresh buffer per slice, transferred: envelopes are views into the block's buffer, which
    // structured cloning would copy whole for each of them.
    const total = envelopes.reduce((n, e) => n + e.length, 0);
    const data = new Uint8Array(total);
    const offsets: number[] = [];
    let at = 0;
    for (const e of envelopes) {
      offsets.push(at);
      data.set(e, at);
      at += e.length;
    }
    offsets.push(at);
    const id = this.#id++;
    const first = !thread.known.has(config.key);
    thread.known.add(config.key);
    const request: PoolRequest = {
      id,
      channelId: bundle.channelId,
      configKey: config.key,
      level: bundle.level,
      ...(first ? { config: config.bytes } : {}),
      data: data.buffer,
      offsets,
    };
    return new Promise<PoolResult>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(request, [data.buffer]);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const threads = this.#threads;
    this.#threads = [];
    await Promise.all(
      threads.map(async (t) => {
        t.fail(new Error('validator pool closed'));
        await t.worker.terminate();
      }),
    );
  }
}
