/**
 * `CORE_*` environment overrides, mapped exactly as Fabric's viper setup maps them: `CORE_` plus the
 * key path upper-cased with `.` replaced by `_` (`CORE_PEER_TLS_ENABLED` → `peer.tls.enabled`). Like
 * viper, an empty variable is ignored. Scalars and string lists can be set; `chaincode.system` can
 * be set one entry at a time (`CORE_CHAINCODE_SYSTEM__LIFECYCLE`); lists of maps cannot, and saying
 * so is an error rather than a silent no-op. Unknown `CORE_*` variables only produce warnings, since
 * chaincode processes and tools share the prefix.
 */

import type { ConfigIssue } from '@fabric-peer/api';

import { issueOf } from './issues.js';
import type { LeafInfo, SchemaIndex } from './keys.js';
import { closest } from './suggest.js';

/** One value taken from the environment. */
export interface EnvOverride {
  /** Leaf path in the schema's spelling. */
  readonly path: string;
  /** For a map set entry by entry: the entry's name. */
  readonly entry?: string;
  readonly value: unknown;
  /** The variable's name. */
  readonly source: string;
}

/** What the environment sets. */
export interface EnvValues {
  readonly overrides: EnvOverride[];
  readonly issues: ConfigIssue[];
  readonly warnings: string[];
}

const PREFIX = 'CORE_';

/** Reads the `CORE_*` variables of `env`; `current` gives a leaf's value before the environment. */
export function readEnvValues(
  env: Readonly<Record<string, string | undefined>>,
  index: SchemaIndex,
  current: (path: string) => unknown,
): EnvValues {
  const out: EnvValues = { overrides: [], issues: [], warnings: [] };
  // Leaves the environment can only reach through a longer name: map entries, or the parts of a
  // list of maps someone tried to spell out (CORE_PEER_HANDLERS_AUTHFILTERS_0_NAME).
  const prefixed = [...index.leaves.values()]
    .filter((l) => l.leaf.spec.env === 'entries' || l.leaf.spec.env === 'none')
    .sort((a, b) => b.envName.length - a.envName.length);

  const names = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX))
    .sort();
  for (const name of names) {
    const text = env[name];
    if (text === undefined) continue;

    if (name.startsWith('CORE_LOGGING_')) {
      out.warnings.push(
        `${name} is ignored: the peer's logging is set with FABRIC_LOGGING_SPEC (and FABRIC_LOGGING_FORMAT), as in Fabric`,
      );
      continue;
    }

    const exact = index.byEnvName.get(name);
    const viaPrefix =
      exact === undefined ? prefixed.find((l) => name.startsWith(`${l.envName}_`)) : undefined;
    const info = exact ?? viaPrefix;
    if (info === undefined) {
      const near = closest(name, index.byEnvName.keys());
      const hint = near !== undefined ? ` (did you mean ${near}?)` : '';
      out.warnings.push(`${name} names no core.yaml key and is ignored${hint}`);
      continue;
    }
    if (text === '') {
      out.warnings.push(`${name} is empty and is ignored, as Fabric ignores empty variables`);
      continue;
    }

    const { spec } = info.leaf;
    if (spec.env === 'none') {
      out.issues.push(yamlOnlyIssue(info, name, text));
      continue;
    }
    if (spec.env === 'entries') {
      if (exact !== undefined || spec.entry === undefined) {
        out.issues.push({
          key: info.path,
          value: text,
          problem: `cannot be set as a whole from the environment; set one entry per variable (${info.envName}_<NAME>) or the map in the YAML file`,
          source: name,
        });
        continue;
      }
      const wanted = name.slice(info.envName.length + 1);
      // Keep the spelling of an entry the map already has; viper lower-cases the others.
      const existing = current(info.path);
      const known = typeof existing === 'object' && existing !== null ? Object.keys(existing) : [];
      const entry =
        known.find((k) => k.toUpperCase() === wanted.toUpperCase()) ?? wanted.toLowerCase();
      const r = spec.entry.readEnv?.(text) ?? spec.entry.read(text);
      if (r.ok) out.overrides.push({ path: info.path, entry, value: r.value, source: name });
      else out.issues.push(...r.problems.map((p) => issueOf(`${info.path}.${entry}`, p, name)));
      continue;
    }
    const r = spec.readEnv?.(text) ?? spec.read(text);
    if (r.ok) out.overrides.push({ path: info.path, value: r.value, source: name });
    else out.issues.push(...r.problems.map((p) => issueOf(info.path, p, name)));
  }
  return out;
}

function yamlOnlyIssue(info: LeafInfo, name: string, text: string): ConfigIssue {
  const why = info.leaf.spec.yamlOnly ?? 'it is not a single value';
  return {
    key: info.path,
    value: text,
    problem: `cannot be set from the environment (${why}); it must be set in the YAML file`,
    allowed: `${info.path} in core.yaml: ${info.leaf.spec.allowed}`,
    source: name,
  };
}
