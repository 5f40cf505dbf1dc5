/**
 * Reads from the configuration every plugin package it asks for, with the key that asks and, for a
 * handler, runtime or state database, the contribution the package must provide.
 */
import type { ExtensionPointName, PeerConfig } from '@fabric-peer/api';

/** One `library:` (or `plugins:` entry) found in the configuration. */
export interface PluginRequest {
  /** The config key naming the library, e.g. `peer.handlers.authFilters[2].library`. */
  readonly key: string;
  readonly library: string;
  /** `options:` of a `plugins:` entry. */
  readonly options?: Record<string, unknown>;
  /** The contribution the configuration expects the library to provide. */
  readonly expects?: { readonly point: ExtensionPointName; readonly name: string };
}

interface NamedEntry {
  name?: unknown;
  library?: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasLibrary(e: NamedEntry): e is { name: string; library: string } {
  return typeof e.library === 'string' && e.library !== '' && typeof e.name === 'string';
}

function fromList(config: PeerConfig, key: string, point: ExtensionPointName): PluginRequest[] {
  const list = config.get(key);
  if (!Array.isArray(list)) return [];
  return (list as NamedEntry[]).flatMap((e, i) =>
    isRecord(e) && hasLibrary(e)
      ? [{ key: `${key}[${i}].library`, library: e.library, expects: { point, name: e.name } }]
      : [],
  );
}

function fromMap(config: PeerConfig, key: string, point: ExtensionPointName): PluginRequest[] {
  const map = config.get(key);
  if (!isRecord(map)) return [];
  return Object.entries(map).flatMap(([k, e]) =>
    isRecord(e) && hasLibrary(e)
      ? [{ key: `${key}.${k}.library`, library: e.library, expects: { point, name: e.name } }]
      : [],
  );
}

/** Every plugin package the configuration names, in the order a reader meets them. */
export function pluginRequests(config: PeerConfig): PluginRequest[] {
  const requests: PluginRequest[] = [];
  const plugins = config.get('plugins');
  if (Array.isArray(plugins)) {
    plugins.forEach((p: unknown, i) => {
      if (isRecord(p) && typeof p['library'] === 'string') {
        requests.push({
          key: `plugins[${i}].library`,
          library: p['library'],
          ...(isRecord(p['options']) ? { options: p['options'] } : {}),
        });
      }
    });
  }
  requests.push(...fromList(config, 'peer.handlers.authFilters', 'authFilter'));
  requests.push(...fromList(config, 'peer.handlers.decorators', 'decorator'));
  requests.push(...fromMap(config, 'peer.handlers.endorsers', 'endorsement'));
  requests.push(...fromMap(config, 'peer.handlers.validators', 'validation'));
  requests.push(...fromList(config, 'vm.providers', 'vmProvider'));
  const stateLibrary = config.get('ledger.state.library');
  if (typeof stateLibrary === 'string' && stateLibrary !== '') {
    requests.push({
      key: 'ledger.state.library',
      library: stateLibrary,
      expects: { point: 'stateDatabase', name: String(config.get('ledger.state.stateDatabase')) },
    });
  }
  return requests;
}
