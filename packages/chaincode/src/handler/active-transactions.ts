/**
 * The requests a handler is serving, by channel + txid (Fabric's ActiveTransactions): the shim
 * sends one request per transaction at a time, so a second one for the same transaction is refused.
 */
export class ActiveTransactions {
  private readonly ids = new Set<string>();

  /** False when a request of this transaction is already being served. */
  add(key: string): boolean {
    if (this.ids.has(key)) return false;
    this.ids.add(key);
    return true;
  }

  remove(key: string): void {
    this.ids.delete(key);
  }
}
