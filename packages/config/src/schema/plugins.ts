/**
 * `plugins`: third-party packages loaded at start-up (system chaincodes, auth filters, health
 * checkers, runtimes...). Not in Fabric's core.yaml; each package validates its own `options`.
 */

import { anyMap, listOf, record, str } from '../formats.js';
import { key } from './define.js';

/** `plugins[]`: a package to load, with the options handed to it. */
export interface PluginEntry {
  /** npm package name, or a path resolved from the config file's folder by the core. */
  library: string;
  /** The plugin's own options (empty map when not given). */
  options: Record<string, unknown>;
}

/** Schema of the top-level `plugins` key. */
export function pluginsKey() {
  return key(
    listOf(
      record<PluginEntry>({
        fields: {
          library: { format: str({ required: true }), required: true },
          options: { format: anyMap(), fallback: {} },
        },
      }),
    ),
    [],
    'Extra plugin packages to load, in this order, each with its own options.',
  );
}
