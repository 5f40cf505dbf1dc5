/**
 * A deployed chaincode's state-database indexes (Fabric's privacyenabledstate
 * HandleChaincodeDeploy): of the artifacts its package ships, the files under
 * `META-INF/statedb/<indexType>/indexes/` index the chaincode's namespace, those under
 * `META-INF/statedb/<indexType>/collections/<c>/indexes/` the private namespace of collection c
 * (only for a collection the definition has). Each folder's files go to the state database
 * together. As in Fabric, nothing here fails a deployment: a peer commits without indexes, so
 * problems are logged and reported, not thrown.
 */
import type { Logger, VersionedDB } from '@fabric-peer/api';
import { privateDataNamespace } from '../txmgmt/privacy.js';

/** The chaincode whose indexes are deployed. */
export interface IndexedChaincode {
  readonly name: string;
  /** The names of the definition's explicit collections. */
  readonly collections: readonly string[];
}

/** What a deployment of indexes did. */
export interface IndexDeployment {
  /** Namespaces given index files, with the files' paths. */
  readonly applied: { readonly namespace: string; readonly files: readonly string[] }[];
  /** What could not be applied, and why (also logged). */
  readonly failed: { readonly folder: string; readonly reason: string }[];
}

/** Position of each part in `META-INF/statedb/<type>/...` (Fabric's getIndexInfo). */
const KIND = 3;
const COLLECTION = 4;
const COLLECTION_KIND = 5;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Gives `db` the indexes of `chaincode` among `artifacts` (paths in the package → content, from
 * `statedbArtifacts`). Does nothing for a database without indexes (LevelDB).
 */
export async function deployChaincodeIndexes(
  db: VersionedDB,
  chaincode: IndexedChaincode,
  artifacts: ReadonlyMap<string, Uint8Array>,
  logger?: Logger,
): Promise<IndexDeployment> {
  const result: IndexDeployment = { applied: [], failed: [] };
  if (db.processIndexes === undefined || db.indexType === undefined) return result;
  const root = `META-INF/statedb/${db.indexType}/`;
  const folders = new Map<string, Map<string, Uint8Array>>();
  for (const [path, data] of artifacts) {
    if (!path.startsWith(root)) continue;
    const folder = path.slice(0, path.lastIndexOf('/'));
    const files = folders.get(folder) ?? new Map<string, Uint8Array>();
    files.set(path, data);
    folders.set(folder, files);
  }
  const fail = (folder: string, reason: string) => {
    result.failed.push({ folder, reason });
    logger?.error('could not deploy the chaincode indexes of a package folder', {
      chaincode: chaincode.name,
      folder,
      error: reason,
    });
  };
  // Sorted, so that every peer creates the same indexes in the same order.
  for (const folder of [...folders.keys()].sort()) {
    const parts = folder.split('/');
    let namespace: string;
    if (parts.length > KIND && parts[KIND] === 'indexes') {
      namespace = chaincode.name;
    } else if (
      parts.length > COLLECTION_KIND &&
      parts[KIND] === 'collections' &&
      parts[COLLECTION_KIND] === 'indexes'
    ) {
      const collection = parts[COLLECTION] ?? '';
      if (!chaincode.collections.includes(collection)) {
        fail(folder, `cannot create an index for an undefined collection=[${collection}]`);
        continue;
      }
      namespace = privateDataNamespace(chaincode.name, collection);
    } else {
      continue; // Not an index folder: Fabric ignores it too.
    }
    const files = folders.get(folder) ?? new Map<string, Uint8Array>();
    try {
      await db.processIndexes(namespace, files);
      result.applied.push({ namespace, files: [...files.keys()] });
    } catch (err) {
      fail(folder, messageOf(err));
    }
  }
  return result;
}
