/** The messages between the validator pool and its workers. */

/** A slice of a block's transactions to pre-check. */
export interface PoolRequest {
  readonly id: number;
  readonly channelId: string;
  /** Identifies the channel configuration (`<channel>:<sequence>`). */
  readonly configKey: string;
  readonly level: '2.5' | '3';
  /** The marshaled `common.Config`, sent the first time a worker is asked about `configKey`. */
  readonly config?: Uint8Array;
  /** The envelopes, one after the other (transferred, not copied). */
  readonly data: ArrayBuffer;
  /** Where each envelope starts in `data`, plus the end. */
  readonly offsets: readonly number[];
}

/** The pre-check of one transaction; code -1 means "not checked here". */
export interface WirePrecheck {
  readonly code: number;
  readonly reason?: string;
  readonly endorsements?: readonly boolean[];
}

export type PoolResult =
  | { readonly id: number; readonly results: readonly WirePrecheck[] }
  | { readonly id: number; readonly error: string };
