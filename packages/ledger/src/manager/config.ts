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
  /** `ledger.pvtdataStore.purgeInterval` (at least 1). */
  readonly pvtDataPurgeInterval: number;
  /** `ledger.pvtdataStore.purgedKeyAuditLogging`. */
  readonly purgedKeyAuditLogging: boolean;
}

/**
 * Reads peer.fileSystemPath, ledger.history.enableHistoryDatabase, ledger.state.totalQueryLimit
 * and ledger.pvtdataStore.purgeInterval / purgedKeyAuditLogging.
 */
export function ledgerConfig(config: PeerConfig): LedgerConfig {
  const path = String(config.get('peer.fileSystemPath'));
  const limit = Number(config.get('ledger.state.totalQueryLimit'));
  const interval = Number(config.get('ledger.pvtdataStore.purgeInterval'));
  return {
    fileSystemPath: isAbsolute(path) ? path : resolve(config.dir, path),
    enableHistoryDatabase: config.get('ledger.history.enableHistoryDatabase') !== false,
    totalQueryLimit: Number.isFinite(limit) ? limit : 100000,
    // Fabric divides by it; 0 (which Fabric cannot run with) purges at every block here.
    pvtDataPurgeInterval: Number.isInteger(interval) && interval > 0 ? interval : 1,
    purgedKeyAuditLogging: config.get('ledger.pvtdataStore.purgedKeyAuditLogging') !== false,
  };
}
