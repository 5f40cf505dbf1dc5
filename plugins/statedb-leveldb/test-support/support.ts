/** Temporary peer folders and providers over them, for the plugin's tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';
import { LevelDbStateProvider } from '../src/index.js';

/** A fresh folder in os.tmpdir(), standing for `peer.fileSystemPath`. */
export function tempPeerDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'statedb-leveldb-'));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** The provider the container would build for a core.yaml with this `peer.fileSystemPath`. */
export function providerFor(fileSystemPath: string, configDir = tmpdir()): LevelDbStateProvider {
  return new LevelDbStateProvider(
    fakeConfig({ 'peer.fileSystemPath': fileSystemPath }, { dir: configDir }),
    silentLoggers,
  );
}
