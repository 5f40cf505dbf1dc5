/**
 * Finding core.yaml the way Fabric's `InitViper` does: an explicit path first; otherwise
 * `FABRIC_CFG_PATH`, which when set is the only folder searched and must exist; otherwise the
 * working folder, then `/etc/hyperledger/fabric`.
 */

import { statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';

import { ConfigError } from '@fabric-peer/api';

/** Name of the config file inside a config folder. */
export const CONFIG_FILE_NAME = 'core.yaml';

/** The folder Fabric searches last when `FABRIC_CFG_PATH` is not set. */
export const OFFICIAL_CONFIG_DIR = '/etc/hyperledger/fabric';

/** Where to look for core.yaml. */
export interface ResolveOptions {
  /** A core.yaml file, or a folder holding one; relative to `cwd`. Wins over `FABRIC_CFG_PATH`. */
  readonly path?: string;
  /** Environment to read `FABRIC_CFG_PATH` from (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder relative paths start from, and the first folder searched (default: `process.cwd()`). */
  readonly cwd?: string;
  /** The last folder searched (default: `/etc/hyperledger/fabric`); tests point it elsewhere. */
  readonly officialDir?: string;
}

function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  return stat(path)?.isFile() ?? false;
}

/**
 * The absolute path of the core.yaml to load.
 *
 * @throws ConfigError naming the path or `FABRIC_CFG_PATH` when no file is found.
 */
export function resolveConfigPath(options: ResolveOptions = {}): string {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;

  if (options.path !== undefined && options.path !== '') {
    const target = resolve(cwd, options.path);
    const s = stat(target);
    if (s === undefined) {
      throw new ConfigError([
        {
          key: 'config file',
          value: target,
          problem: 'does not exist',
          allowed: `a ${CONFIG_FILE_NAME} file, or a folder holding one`,
        },
      ]);
    }
    if (!s.isDirectory()) return target;
    const inside = join(target, CONFIG_FILE_NAME);
    if (isFile(inside)) return inside;
    throw new ConfigError([
      {
        key: 'config file',
        value: target,
        problem: `the folder holds no ${CONFIG_FILE_NAME}`,
        allowed: `a ${CONFIG_FILE_NAME} file, or a folder holding one`,
      },
    ]);
  }

  const cfgPath = env['FABRIC_CFG_PATH'];
  if (cfgPath !== undefined && cfgPath !== '') {
    const dir = resolve(cwd, cfgPath);
    const s = stat(dir);
    const allowed = `an existing folder holding ${CONFIG_FILE_NAME} (when FABRIC_CFG_PATH is set, it is the only folder searched)`;
    if (s === undefined) {
      throw new ConfigError([
        { key: 'FABRIC_CFG_PATH', value: cfgPath, problem: 'the folder does not exist', allowed },
      ]);
    }
    if (!s.isDirectory()) {
      throw new ConfigError([
        { key: 'FABRIC_CFG_PATH', value: cfgPath, problem: 'not a folder', allowed },
      ]);
    }
    const file = join(dir, CONFIG_FILE_NAME);
    if (isFile(file)) return file;
    throw new ConfigError([
      {
        key: 'FABRIC_CFG_PATH',
        value: cfgPath,
        problem: `the folder holds no ${CONFIG_FILE_NAME}`,
        allowed,
      },
    ]);
  }

  const searched = [cwd, options.officialDir ?? OFFICIAL_CONFIG_DIR];
  for (const dir of searched) {
    const file = join(dir, CONFIG_FILE_NAME);
    if (isFile(file)) return file;
  }
  throw new ConfigError([
    {
      key: 'config file',
      problem: `no ${CONFIG_FILE_NAME} found in ${searched.join(' or ')}`,
      allowed: `the path of ${CONFIG_FILE_NAME}, or FABRIC_CFG_PATH set to the folder holding it`,
    },
  ]);
}
