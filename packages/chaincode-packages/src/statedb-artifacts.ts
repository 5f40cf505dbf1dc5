/**
 * The state-database artifacts a chaincode package ships (Fabric's ccprovider
 * MetadataAsTarEntries): the files of its code archive under `META-INF/statedb/`, e.g.
 * `META-INF/statedb/couchdb/indexes/indexOwner.json` (an index of the chaincode's state) and
 * `META-INF/statedb/couchdb/collections/<collection>/indexes/*.json` (of a collection's private
 * state). The ledger decides which of them its state database uses.
 */
import { readTarGz } from './tar.js';

/** Where a code archive keeps its state-database artifacts. */
export const STATEDB_ARTIFACTS_DIR = 'META-INF/statedb/';

/**
 * The regular files of `codeArchive` (a code.tar.gz, or a legacy code package) under
 * `META-INF/statedb/`, by their path in the archive, in archive order. Throws TarFormatError when
 * the archive cannot be read.
 */
export function statedbArtifacts(codeArchive: Uint8Array): ReadonlyMap<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of readTarGz(codeArchive)) {
    if (entry.type !== 'file' || !entry.path.startsWith(STATEDB_ARTIFACTS_DIR)) continue;
    out.set(entry.path, entry.data);
  }
  return out;
}
