/**
 * Fabric's block cutter (orderer/common/blockcutter): envelopes are batched until the batch holds
 * MaxMessageCount envelopes or the next one would take it past PreferredMaxBytes; an envelope
 * larger than PreferredMaxBytes gets a batch of its own. Sizes are Fabric's: the payload and
 * signature lengths. The batch timeout is the chain's business.
 */
import type { common } from '@fabric-peer/protos';

/** The channel's BatchSize. */
export interface BatchSize {
  readonly maxMessageCount: number;
  readonly absoluteMaxBytes: number;
  readonly preferredMaxBytes: number;
}

/** Fabric's messageSizeBytes: the payload and signature lengths. */
export function messageSizeBytes(envelope: common.IEnvelope): number {
  return (envelope.payload?.length ?? 0) + (envelope.signature?.length ?? 0);
}

/** What {@link BlockCutter.ordered} decided. */
export interface OrderedResult {
  /** Batches to write now, in order (zero, one or two). */
  readonly batches: common.Envelope[][];
  /** Whether envelopes remain in the pending batch. */
  readonly pending: boolean;
}

/** The pending batch of one channel. */
export class BlockCutter {
  #pending: common.Envelope[] = [];
  #pendingBytes = 0;
  #startedAt: number | undefined;

  /**
   * @param batchSize the channel's current BatchSize (read at every message, so a config update
   *   applies to the next message)
   * @param onCut told how long each batch took to fill (Fabric's block fill duration)
   */
  constructor(
    private readonly batchSize: () => BatchSize,
    private readonly onCut: (fillSeconds: number) => void = () => undefined,
  ) {}

  /** Number of envelopes in the pending batch. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Fabric's Ordered: adds `envelope`, cutting batches as the rules say. */
  ordered(envelope: common.Envelope): OrderedResult {
    if (this.#pending.length === 0) this.#startedAt = Date.now();
    const { maxMessageCount, preferredMaxBytes } = this.batchSize();
    const batches: common.Envelope[][] = [];
    const size = messageSizeBytes(envelope);

    if (size > preferredMaxBytes) {
      // Isolated: cut what is pending, then a batch of this message alone (filled in no time).
      if (this.#pending.length > 0) batches.push(this.cut());
      batches.push([envelope]);
      this.onCut(0);
      return { batches, pending: false };
    }

    if (this.#pendingBytes + size > preferredMaxBytes) {
      batches.push(this.cut());
      this.#startedAt = Date.now();
    }

    this.#pending.push(envelope);
    this.#pendingBytes += size;
    let pending = true;
    if (this.#pending.length >= maxMessageCount) {
      batches.push(this.cut());
      pending = false;
    }
    return { batches, pending };
  }

  /** Fabric's Cut: returns the pending batch (possibly empty) and starts a new one. */
  cut(): common.Envelope[] {
    const batch = this.#pending;
    if (batch.length > 0 && this.#startedAt !== undefined) {
      this.onCut((Date.now() - this.#startedAt) / 1000);
    }
    this.#startedAt = undefined;
    this.#pending = [];
    this.#pendingBytes = 0;
    return batch;
  }
}
