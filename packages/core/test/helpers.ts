import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger, LoggerFactory, PeerConfig } from '@fabric-peer/api';

/** Folder of the JS plugin fixtures (they are not compiled; tests run from dist/test). */
export const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');

/** A configuration made of a flat key → value map (a stand-in for the config package in unit tests). */
export function fakeConfig(values: Record<string, unknown>, dir = fixtures): PeerConfig {
  return {
    file: join(dir, 'core.yaml'),
    dir,
    get(key: string): unknown {
      return values[key];
    },
    durationMs(key: string): number {
      const v = values[key];
      if (typeof v !== 'number') throw new Error(`no duration ${key}`);
      return v;
    },
  };
}

export interface Recorded {
  level: string;
  module: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A logger factory that records, for assertions on what was logged. */
export function recordingLoggers(): { factory: LoggerFactory; records: Recorded[] } {
  const records: Recorded[] = [];
  const make = (module: string): Logger => {
    const at =
      (level: string) =>
      (msg: string, fields?: Record<string, unknown>): void => {
        records.push({ level, module, msg, ...(fields ? { fields } : {}) });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (n) => make(`${module}.${n}`),
    };
  };
  return { factory: make, records };
}
