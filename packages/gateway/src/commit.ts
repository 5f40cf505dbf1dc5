/**
 * Waiting for a transaction to commit (Fabric's gateway commit package): a waiter is registered
 * before the ledger is asked, so a block committed in between is seen one way or the other. One
 * commit listener per channel serves every waiter of that channel, and is dropped with the last one.
 */
import type { Channel } from '@fabric-peer/channel';
import type { BlockCommitEvent } from '@fabric-peer/ledger';

/** A committed transaction's validation code and block. */
export interface TxStatus {
  readonly code: number;
  readonly blockNumber: number;
}

/** Waiting ended because the request's signal aborted. */
export class WaitAborted extends Error {}

type Waiter = (status: TxStatus) => void;

interface ChannelWaiters {
  readonly unsubscribe: () => void;
  readonly byTxId: Map<string, Set<Waiter>>;
}

export class CommitWaiters {
  readonly #channels = new Map<string, ChannelWaiters>();

  private register(channel: Channel, txId: string, waiter: Waiter): () => void {
    let entry = this.#channels.get(channel.id);
    if (entry === undefined) {
      const byTxId = new Map<string, Set<Waiter>>();
      const unsubscribe = channel.ledger.onCommit((event) => this.notify(byTxId, event));
      entry = { unsubscribe, byTxId };
      this.#channels.set(channel.id, entry);
    }
    const { byTxId } = entry;
    let set = byTxId.get(txId);
    if (set === undefined) {
      set = new Set();
      byTxId.set(txId, set);
    }
    set.add(waiter);
    return () => {
      const current = byTxId.get(txId);
      current?.delete(waiter);
      if (current?.size === 0) byTxId.delete(txId);
      if (byTxId.size === 0 && this.#channels.get(channel.id)?.byTxId === byTxId) {
        this.#channels.get(channel.id)?.unsubscribe();
        this.#channels.delete(channel.id);
      }
    };
  }

  private notify(byTxId: Map<string, Set<Waiter>>, event: BlockCommitEvent): void {
    for (const tx of event.txs) {
      const waiters = byTxId.get(tx.txId);
      if (waiters === undefined) continue;
      // The first occurrence of a txid in a block is the one that counts (later ones are duplicates).
      byTxId.delete(tx.txId);
      const status = { code: tx.validationCode, blockNumber: event.blockNumber };
      for (const waiter of waiters) waiter(status);
    }
  }

  /** The transaction's status once it is committed on `channel`; rejects with WaitAborted. */
  async wait(channel: Channel, txId: string, signal: AbortSignal): Promise<TxStatus> {
    let resolveCommitted!: (status: TxStatus) => void;
    const committed = new Promise<TxStatus>((resolve) => (resolveCommitted = resolve));
    const unregister = this.register(channel, txId, (status) => resolveCommitted(status));
    let onAbort: (() => void) | undefined;
    try {
      // A lookup that fails is treated as "not committed yet", as Fabric does.
      const found = await channel.ledger.getTxValidationCodeByTxId(txId).catch(() => undefined);
      if (found !== undefined) return { code: found.validationCode, blockNumber: found.blockNum };
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new WaitAborted('request ended while waiting for the commit'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      return await Promise.race([committed, aborted]);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      unregister();
    }
  }

  /** Drops every channel listener; pending waits still end when their signals abort. */
  close(): void {
    for (const entry of this.#channels.values()) entry.unsubscribe();
    this.#channels.clear();
  }
}
