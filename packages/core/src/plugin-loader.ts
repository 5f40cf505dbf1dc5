/**
 * Imports a plugin and checks its default export against the contract in `@fabric-peer/api`:
 * shape, api version, known extension points, classes for contributions, and the same copy of
 * inversify as the peer's.
 */
import { pathToFileURL } from 'node:url';
import {
  API_VERSION,
  ContainerModule,
  extensionPoints,
  isApiCompatible,
  type ExtensionPointName,
  type PeerPlugin,
} from '@fabric-peer/api';
import type { ResolvedLibrary } from './plugin-resolver.js';

/** A plugin that passed validation, with where it came from. */
export interface LoadedPlugin {
  readonly plugin: PeerPlugin;
  readonly source: ResolvedLibrary;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Finds the plugin object among the shapes an ES or CommonJS module can take. */
function pluginExport(mod: unknown): unknown {
  if (!isObject(mod)) return undefined;
  let def = mod['default'];
  // CommonJS compiled from TypeScript: module.exports = { default: plugin }.
  if (isObject(def) && !('contributes' in def) && isObject(def['default'])) def = def['default'];
  return def;
}

/**
 * Checks that `value` is a usable plugin and returns the problems found (empty when usable).
 * Exported for plugin authors' own tests.
 */
export function validatePluginExport(value: unknown, peerApiVersion = API_VERSION): string[] {
  if (!isObject(value)) {
    return ['has no default export (export default definePlugin({...}) from @fabric-peer/api)'];
  }
  const problems: string[] = [];
  const { apiVersion, name, version, contributes, module } = value;
  if (typeof apiVersion !== 'string') {
    problems.push(
      'its default export has no apiVersion; build it with definePlugin() from @fabric-peer/api',
    );
  } else if (!isApiCompatible(apiVersion, peerApiVersion)) {
    const major = peerApiVersion.split('.')[0] ?? '?';
    return [
      `was built for @fabric-peer/api ${apiVersion}, but this peer provides ${peerApiVersion}; ` +
        `rebuild it against @fabric-peer/api ^${major}.0.0 (same major version, minor not newer)`,
    ];
  }
  if (typeof name !== 'string' || !/^[@\w][\w./@-]*$/.test(name)) {
    problems.push(
      `its name must be a non-empty string of letters, digits, - _ . / @ (got ${JSON.stringify(name)})`,
    );
  }
  if (typeof version !== 'string' || version === '') {
    problems.push(`its version must be a non-empty string (got ${JSON.stringify(version)})`);
  }
  if (!isObject(contributes)) {
    problems.push(
      'its contributes field must be an object mapping extension points to { name: Class }',
    );
  } else {
    for (const [pointName, entries] of Object.entries(contributes)) {
      if (!(pointName in extensionPoints)) {
        problems.push(
          `contributes to unknown extension point "${pointName}" (known: ${Object.keys(extensionPoints).join(', ')})`,
        );
        continue;
      }
      if (!isObject(entries)) {
        problems.push(`contributes.${pointName} must map names to classes`);
        continue;
      }
      for (const [n, cls] of Object.entries(entries)) {
        if (n.trim() === '') problems.push(`contributes.${pointName} has an empty name`);
        if (typeof cls !== 'function') {
          problems.push(`contributes.${pointName}.${n} must be a class (got ${typeof cls})`);
        }
      }
    }
  }
  if (module !== undefined) {
    if (!(module instanceof ContainerModule)) {
      problems.push(
        isObject(module) && typeof module['load'] === 'function'
          ? 'its module was made with another copy of inversify; import ContainerModule from @fabric-peer/api and declare @fabric-peer/api as a peer dependency'
          : 'its module must be a ContainerModule',
      );
    }
  }
  return problems;
}

/** Imports `source.entry` and validates its default export; throws Error listing the problems. */
export async function importPlugin(source: ResolvedLibrary): Promise<LoadedPlugin> {
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(source.entry).href);
  } catch (err) {
    throw new Error(`failed to import ${source.entry}: ${(err as Error).message}`, { cause: err });
  }
  const value = pluginExport(mod);
  const problems = validatePluginExport(value);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { plugin: value as PeerPlugin, source };
}

/** The extension points a plugin contributes to, with the names under each. */
export function contributionNames(plugin: PeerPlugin): [ExtensionPointName, string[]][] {
  return Object.entries(plugin.contributes).map(([p, entries]) => [
    p as ExtensionPointName,
    Object.keys(entries ?? {}),
  ]);
}
