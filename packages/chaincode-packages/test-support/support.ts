/** Temporary folders for the package stores' tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder in os.tmpdir(), standing for `peer.fileSystemPath`. */
export function tempPeerDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'chaincode-packages-'));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
