/** The core.yaml keys the ledger manager reads. */
import type { PeerConfig } from '@fabric-peer/api';
import { isAbsolute, resolve } from 'node:path';

/** The manager options that come from core.yaml. */
export interface LedgerConfig {
  /** `peer.fileSystemPath` (resolved against the config file's folder when relative). */
  readonly fileSystemPath: string;
  /** `ledger.history.enableHistoryDatabase`. */
  readonly enableHistoryDatabase: boolean;
  /** `ledger.state.totalQueryLimit`. */
  readonly totalQueryLimit: number;
}

/** Reads peer.fileSystemPath, ledger.history.enableHistoryDatabase and ledger.state.totalQueryLimit. */
export function ledgerConfig(config: PeerConfig): LedgerConfig {
  const path = String(config.get('peer.fileSystemPath'));
  const limit = Number(config.get('ledger.state.totalQueryLimit'));
  return {
    fileSystemPath: isAbsolute(path) ? path : resolve(config.dir, path),
    enableHistoryDatabase: config.get('ledger.history.enableHistoryDatabase') !== false,
    totalQueryLimit: Number.isFinite(limit) ? limit : 100000,
  };
}
