/**
 * The default block store factory of the ledger manager: the file block store of ../blockstore,
 * with one index database per `chains` folder shared by the channels (as a peer needs).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@fabric-peer/api';
import { openBlockIndexDb, openBlockStore, type BlockIndexDb } from '../blockstore/index.js';
import type { BlockStore } from '../blockstore/types.js';
import type { BlockStoreFactory, BlockStoreLocation } from './types.js';

export interface FileBlockStoreFactoryOptions {
  /** fsync each block (default true). */
  readonly sync?: boolean;
  readonly logger?: Logger;
}

/** A factory over openBlockStore; close() closes the shared index databases. */
export function fileBlockStoreFactory(
  options: FileBlockStoreFactoryOptions = {},
): BlockStoreFactory {
  const indexes = new Map<string, Promise<BlockIndexDb>>();
  const indexOf = (chainsDir: string): Promise<BlockIndexDb> => {
    let db = indexes.get(chainsDir);
    if (db === undefined) {
      db = openBlockIndexDb(chainsDir);
      indexes.set(chainsDir, db);
      db.catch(() => indexes.delete(chainsDir));
    }
    return db;
  };
  return {
    async open(location: BlockStoreLocation): Promise<BlockStore> {
      return openBlockStore({
        dir: location.chainsDir,
        channelId: location.channelId,
        indexDb: await indexOf(location.chainsDir),
        ...(options.sync !== undefined ? { sync: options.sync } : {}),
        ...(options.logger !== undefined ? { logger: options.logger } : {}),
      });
    },
    async drop(location: BlockStoreLocation): Promise<void> {
      await rm(join(location.chainsDir, 'chains', location.channelId), {
        recursive: true,
        force: true,
      });
      const sub = (await indexOf(location.chainsDir)).sublevel(location.channelId, {
        keyEncoding: 'buffer',
        valueEncoding: 'buffer',
      }) as unknown as { clear?: () => Promise<void> };
      if (typeof sub.clear === 'function') await sub.clear();
    },
    async rollback(
      location: BlockStoreLocation,
      blockNum: number,
      validated: () => Promise<void>,
    ): Promise<void> {
      const store = await this.open(location);
      try {
        await store.rollback!(blockNum, validated);
      } finally {
        await store.close();
      }
    },
    async close(): Promise<void> {
      const all = [...indexes.values()];
      indexes.clear();
      for (const db of all) await (await db).close();
    },
  };
}
