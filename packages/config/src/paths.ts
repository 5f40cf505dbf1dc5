/**
 * Relative file paths in core.yaml resolve against the folder of the config file, as Fabric's
 * `config.GetPath` / `TranslatePath` do; absolute paths are kept. This applies to every value of a
 * path-valued key, whether it came from the file, the environment or the defaults.
 */

import { isAbsolute, resolve } from 'node:path';

import type { Leaf } from './schema/define.js';

/** `path` made absolute against `base` when it is relative. */
export function resolveAgainst(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** The value of a leaf with its file paths resolved against `base` (unchanged if it holds none). */
export function resolveLeafPaths(leaf: Leaf<unknown>, value: unknown, base: string): unknown {
  const { mapPaths } = leaf.spec;
  if (mapPaths === undefined || value === null || value === undefined) return value;
  return mapPaths(value, (p) => resolveAgainst(base, p));
}
