import { isAbsolute, resolve } from 'node:path';
import { ConfigError, type Logger, type PeerConfig } from '@fabric-peer/api';

/**
 * `peer.fileSystemPath`, resolved against core.yaml's folder when relative; an empty value is a
 * configuration error naming the key.
 */
export function fileSystemPathOf(config: PeerConfig): string {
  const value = config.get('peer.fileSystemPath');
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError([
      {
        key: 'peer.fileSystemPath',
        value,
        problem: 'must name the folder of the peer data',
      },
    ]);
  }
  return isAbsolute(value) ? value : resolve(config.dir, value);
}

/** A logger that drops everything, for stores built without one. */
export const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quietLogger,
};
