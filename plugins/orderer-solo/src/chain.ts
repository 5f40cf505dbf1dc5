/**
 * One channel of the orderer: Fabric's solo consenter (orderer/consensus/solo) over the block
 * cutter and block writer. Messages that passed Broadcast's checks are ordered one at a time; a
 * message checked at an older config sequence is checked again; a batch is cut by count, by size
 * or when BatchTimeout runs out; a config transaction cuts what is pending and gets a block of its
 * own, and its config becomes the channel's.
 */
import type { Histogram, Logger, Signer } from '@fabric-peer/api';
import type { BlockIterator, BlockStore } from '@fabric-peer/ledger';
import {
  bundleFromConfig,
  validateConfigEnvelope,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';
import { BlockCutter } from './blockcutter.js';
import { BlockWriter, type BlockWriterState } from './blockwriter.js';
import { BroadcastRejection, messageOf } from './errors.js';
import { StandardChannelProcessor, type ProcessorSupport } from './msgprocessor.js';

/** How many accepted messages may wait for the ordering loop before Broadcast waits too. */
const MAX_QUEUED = 1000;

/** What a chain is made of. */
export interface SoloChainOptions extends BlockWriterState {
  readonly channelId: string;
  readonly store: BlockStore;
  readonly signer: Signer;
  /** The configuration of the last config block. */
  readonly bundle: ChannelConfigBundle;
  readonly logger: Logger;
  /** Fabric's `blockcutter_block_fill_duration`, when metrics are on. */
  readonly blockFillDuration?: Histogram;
  /** The clock of the expiration checks; default the system clock. */
  readonly now?: () => Date;
}

type Task = () => Promise<void>;

/** The life of a chain: ordering, stopping (writing what it accepted), stopped, or failed. */
type ChainState = 'running' | 'halting' | 'halted' | 'failed';

/** The ordering of one channel. */
export class SoloChain {
  readonly channelId: string;
  readonly store: BlockStore;
  readonly processor: StandardChannelProcessor;
  readonly #logger: Logger;
  readonly #cutter: BlockCutter;
  readonly #writer: BlockWriter;
  #bundle: ChannelConfigBundle;
  #state: ChainState = 'running';
  readonly #queue: Task[] = [];
  #pumping: Promise<void> | undefined;
  #spaceWaiters: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Whether a batch timer runs (set, or fired and not yet handled): Fabric's `timer != nil`. */
  #timerActive = false;
  #timerToken = 0;
  readonly #iterators = new Set<BlockIterator>();

  constructor(options: SoloChainOptions) {
    this.channelId = options.channelId;
    this.store = options.store;
    this.#logger = options.logger;
    this.#bundle = options.bundle;
    const now = options.now ?? (() => new Date());
    const support: ProcessorSupport = {
      channelId: options.channelId,
      bundle: () => this.#bundle,
      signer: options.signer,
      logger: options.logger,
      now,
    };
    this.processor = new StandardChannelProcessor(support);
    const fill = options.blockFillDuration;
    this.#cutter = new BlockCutter(
      () => this.#ordererConfig().batchSize,
      (seconds) => fill?.observe(seconds, { channel: options.channelId }),
    );
    this.#writer = new BlockWriter(options.store, options.signer, () => this.sequence, options);
  }

  /** The channel's current configuration. */
  get bundle(): ChannelConfigBundle {
    return this.#bundle;
  }

  /** The current config sequence. */
  get sequence(): bigint {
    return this.#bundle.sequence;
  }

  /** Number of blocks in the chain. */
  get height(): number {
    return this.store.info().height;
  }

  /** Number of the last config block. */
  get lastConfigBlockNum(): number {
    return this.#writer.lastConfigBlockNum;
  }

  /** Fabric's `Errored()` is closed: the chain stopped or failed and orders nothing more. */
  get errored(): boolean {
    return this.#state !== 'running';
  }

  #ordererConfig(): NonNullable<ChannelConfigBundle['orderer']> {
    const section = this.#bundle.orderer;
    if (section === undefined) throw new Error(`channel ${this.channelId} has no orderer config`);
    return section;
  }

  /**
   * Fabric's Order: hands a checked normal message to the ordering loop. Resolves once the loop
   * holds it (waiting while MAX_QUEUED messages are ahead); refused with SERVICE_UNAVAILABLE when
   * the chain is stopping or failed.
   */
  async order(envelope: common.Envelope, configSeq: bigint): Promise<void> {
    await this.#accept(() => this.#processNormal(envelope, configSeq));
  }

  /** Fabric's Configure: hands a CONFIG transaction to the ordering loop (see {@link order}). */
  async configure(config: common.Envelope, configSeq: bigint): Promise<void> {
    await this.#accept(() => this.#processConfig(config, configSeq));
  }

  async #accept(task: Task): Promise<void> {
    while (this.#state === 'running' && this.#queue.length >= MAX_QUEUED) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    // Solo's Order answers "Exiting" once the chain is halted.
    if (this.#state !== 'running') {
      throw new BroadcastRejection(common.Status.SERVICE_UNAVAILABLE, 'Exiting');
    }
    this.#enqueue(task);
  }

  #enqueue(task: Task): void {
    this.#queue.push(task);
    this.#pumping ??= this.#pump();
  }

  async #pump(): Promise<void> {
    for (let task = this.#queue.shift(); task !== undefined; task = this.#queue.shift()) {
      this.#wakeSpaceWaiters();
      if (this.#state === 'failed') continue;
      try {
        await task();
      } catch (err) {
        this.#fail(err);
      }
    }
    this.#pumping = undefined;
  }

  #wakeSpaceWaiters(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  async #processNormal(envelope: common.Envelope, configSeq: bigint): Promise<void> {
    if (configSeq < this.sequence) {
      // The config changed since the message was checked: check it again, as solo does.
      try {
        await this.processor.processNormalMsg(envelope);
      } catch (err) {
        this.#logger.warn('Discarding bad normal message', {
          channel: this.channelId,
          error: messageOf(err),
        });
        return;
      }
    }
    const { batches, pending } = this.#cutter.ordered(envelope);
    for (const batch of batches) await this.#writeBlock(batch);
    if (this.#timerActive && !pending) this.#stopTimer();
    else if (!this.#timerActive && pending) this.#startTimer();
  }

  async #processConfig(config: common.Envelope, configSeq: bigint): Promise<void> {
    let envelope = config;
    if (configSeq < this.sequence) {
      try {
        envelope = (await this.processor.processConfigMsg(config)).config;
      } catch (err) {
        this.#logger.warn('Discarding bad config message', {
          channel: this.channelId,
          error: messageOf(err),
        });
        return;
      }
    }
    const batch = this.#cutter.cut();
    if (batch.length > 0) await this.#writeBlock(batch);
    await this.#writeConfigBlock(envelope);
    this.#stopTimer();
  }

  async #onTimeout(token: number): Promise<void> {
    if (token !== this.#timerToken) return; // stopped (or restarted) since it fired
    this.#timerActive = false;
    const batch = this.#cutter.cut();
    if (batch.length === 0) {
      this.#logger.warn('Batch timer expired with no pending requests, this might indicate a bug', {
        channel: this.channelId,
      });
      return;
    }
    await this.#writeBlock(batch);
  }

  #startTimer(): void {
    const token = ++this.#timerToken;
    const nanos = this.#ordererConfig().batchTimeoutNanos;
    const ms = Math.max(1, Math.ceil(Number(nanos) / 1e6));
    this.#timerActive = true;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === 'running') this.#enqueue(() => this.#onTimeout(token));
    }, ms);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerActive = false;
    this.#timerToken++;
  }

  async #writeBlock(batch: readonly common.Envelope[]): Promise<void> {
    const block = this.#writer.createNextBlock(batch);
    await this.#writer.commit(block);
    this.#logger.debug('Wrote block', {
      channel: this.channelId,
      block: block.header?.number,
      transactions: batch.length,
    });
  }

  /**
   * Fabric's WriteConfigBlock: the CONFIG transaction is checked against the current config once
   * more, its config becomes the channel's, and its block is written (LAST_CONFIG pointing to it).
   */
  async #writeConfigBlock(config: common.Envelope): Promise<void> {
    let next: ChannelConfigBundle;
    try {
      const payload = common.Payload.decode(config.payload);
      const configEnvelope = common.ConfigEnvelope.decode(payload.data);
      await validateConfigEnvelope(this.#bundle, configEnvelope);
      next = await bundleFromConfig(
        configEnvelope.config as common.Config,
        this.channelId,
        this.#bundle.options,
      );
    } catch (err) {
      // Fabric panics here; a development orderer drops the transaction and goes on.
      this.#logger.error('Discarding a config transaction that no longer applies', {
        channel: this.channelId,
        error: messageOf(err),
      });
      return;
    }
    const block = this.#writer.createNextBlock([config]);
    this.#bundle = next;
    await this.#writer.commit(block);
    this.#logger.info('Wrote config block', {
      channel: this.channelId,
      block: block.header?.number,
      sequence: next.sequence.toString(),
    });
  }

  #fail(err: unknown): void {
    if (this.#state === 'failed') return;
    // Fabric panics when a block cannot be written; here the channel stops ordering instead.
    this.#logger.error('The chain failed and orders nothing more until the orderer restarts', {
      channel: this.channelId,
      error: messageOf(err),
    });
    this.#state = 'failed';
    this.#stopTimer();
    this.#queue.length = 0;
    this.#wakeSpaceWaiters();
    this.#closeIterators();
  }

  /**
   * Blocks from `start` on, waiting at the tip; ended when the chain stops (next() then resolves
   * undefined).
   */
  iterator(start: number): BlockIterator {
    const it = new TrackedIterator(this.store.iterator(start), this.#iterators);
    this.#iterators.add(it);
    return it;
  }

  #closeIterators(): void {
    for (const it of [...this.#iterators]) it.close();
  }

  /**
   * Stops ordering: messages already accepted are ordered and the pending batch is written (so a
   * client that was answered SUCCESS finds its transaction), new ones are refused, and waiting
   * deliveries end.
   */
  async halt(): Promise<void> {
    if (this.#state === 'running') {
      this.#state = 'halting';
      this.#stopTimer();
      this.#wakeSpaceWaiters();
      this.#enqueue(async () => {
        const batch = this.#cutter.cut();
        if (batch.length > 0) await this.#writeBlock(batch);
      });
    }
    await this.#pumping;
    if (this.#state === 'halting') this.#state = 'halted';
    this.#closeIterators();
  }
}

/** A block iterator the chain closes when it stops. */
class TrackedIterator implements BlockIterator {
  constructor(
    private readonly inner: BlockIterator,
    private readonly registry: Set<BlockIterator>,
  ) {}

  next(): Promise<common.Block | undefined> {
    return this.inner.next();
  }

  close(): void {
    this.registry.delete(this);
    this.inner.close();
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
}
