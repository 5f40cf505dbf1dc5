/** The core.yaml keys the committer reads, resolved as Fabric resolves them. */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { PeerConfig } from '@fabric-peer/api';

import { DEFAULT_TRANSIENT_BLOCK_RETENTION } from './committer.js';

/** The committer's settings. */
export interface CommitterSettings {
  /** `peer.validatorPoolSize`: worker threads of the validator pool (empty or 0: the cores). */
  readonly validatorPoolSize: number;
  /** `<peer.fileSystemPath>/transientstore`, absolute. */
  readonly transientStorePath: string;
  /** `peer.gossip.pvtData.transientstoreMaxBlockRetention`. */
  readonly transientBlockRetention: number;
  /** `peer.localMspId`: the org whose collections this peer keeps. */
  readonly localMspId: string;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** Reads the committer's keys from core.yaml (relative paths against the config's folder). */
export function committerSettings(config: PeerConfig): CommitterSettings {
  const fsPath = config.get('peer.fileSystemPath');
  return {
    validatorPoolSize: positiveInt(config.get('peer.validatorPoolSize')) ?? availableParallelism(),
    transientStorePath: join(
      resolve(config.dir, stringOr(fsPath, '/var/hyperledger/production')),
      'transientstore',
    ),
    transientBlockRetention:
      positiveInt(config.get('peer.gossip.pvtData.transientstoreMaxBlockRetention')) ??
      DEFAULT_TRANSIENT_BLOCK_RETENTION,
    localMspId: stringOr(config.get('peer.localMspId'), ''),
  };
}
