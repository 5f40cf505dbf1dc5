/**
 * Fabric's reconnection backoff for block delivery (`blocksprovider.Deliverer`): the n-th
 * consecutive failure waits `initial × 1.2^(n-1)`, and once that would pass the ceiling
 * (`peer.deliveryclient.reConnectBackoffThreshold`) every further wait is the ceiling.
 */

/** Growth factor between consecutive waits (Fabric's backoffExponentBase). */
export const BACKOFF_EXPONENT_BASE = 1.2;

export interface BackoffOptions {
  /** First wait; Fabric's is 100 ms. */
  readonly initialDelayMs: number;
  /** Ceiling of the wait (`peer.deliveryclient.reConnectBackoffThreshold`). */
  readonly maxDelayMs: number;
}

/**
 * How many failures grow the wait before it is pinned to the ceiling: the n for which
 * `initial × 1.2^n` passes `max`.
 */
export function maxGrowingFailures(options: BackoffOptions): number {
  if (options.maxDelayMs <= options.initialDelayMs) return 0;
  return Math.floor(
    Math.log(options.maxDelayMs / options.initialDelayMs) / Math.log(BACKOFF_EXPONENT_BASE),
  );
}

/** The wait before the attempt that follows `failures` (≥ 1) consecutive failures, in ms. */
export function retryDelayMs(failures: number, options: BackoffOptions): number {
  if (failures < 1) return 0;
  if (failures - 1 > maxGrowingFailures(options)) return options.maxDelayMs;
  // Whole milliseconds, as Fabric converts the factor to a Duration of milliseconds.
  const delay = Math.floor(options.initialDelayMs * BACKOFF_EXPONENT_BASE ** (failures - 1));
  return Math.min(delay, options.maxDelayMs);
}
