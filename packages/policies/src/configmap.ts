/**
 * Fabric's config map (common/configtx/configmap.go): a config group flattened into
 * `[Group]  /Channel/Orderer`, `[Value]  /Channel/Orderer/BatchSize`, `[Policy] /Channel/Admins`
 * entries, and rebuilt from such a map.
 */
import type { TreeGroup, TreePolicy, TreeValue } from './config-tree.js';
import { ChannelConfigError } from './errors.js';
import { byteLength } from './util.js';

export const GROUP_PREFIX = '[Group]  ';
export const VALUE_PREFIX = '[Value]  ';
export const POLICY_PREFIX = '[Policy] ';

/** One element of a config map: a group, a value or a policy, with where it sits. */
export type ConfigElement =
  | {
      readonly kind: 'group';
      readonly key: string;
      readonly path: readonly string[];
      readonly group: TreeGroup;
    }
  | {
      readonly kind: 'value';
      readonly key: string;
      readonly path: readonly string[];
      readonly value: TreeValue;
    }
  | {
      readonly kind: 'policy';
      readonly key: string;
      readonly path: readonly string[];
      readonly policy: TreePolicy;
    };

/** The version of an element. */
export function versionOf(e: ConfigElement): bigint {
  return e.kind === 'group'
    ? e.group.version
    : e.kind === 'value'
      ? e.value.version
      : e.policy.version;
}

/** The mod_policy of an element. */
export function modPolicyOf(e: ConfigElement): string {
  return e.kind === 'group'
    ? e.group.modPolicy
    : e.kind === 'value'
      ? e.value.modPolicy
      : e.policy.modPolicy;
}

/** Fabric's limit on config ids and channel ids (bytes). */
export const MAX_ID_LENGTH = 249;

/**
 * Fabric's validateConfigID: not empty, at most 249 bytes, not `.` or `..`, only
 * `[a-zA-Z0-9.-]`. Returns the error message, or undefined when valid.
 */
export function configIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'config ID illegal, cannot be empty';
  if (byteLength(id) > MAX_ID_LENGTH) {
    return `config ID illegal, cannot be longer than ${MAX_ID_LENGTH}`;
  }
  if (id === '.' || id === '..') return `name '${id}' for config ID is not allowed`;
  if (!/^[a-zA-Z0-9.-]+$/.test(id)) return `config ID '${id}' contains illegal characters`;
  return undefined;
}

/**
 * Fabric's ValidateChannelID: not empty, at most 249 bytes, `[a-z][a-z0-9.-]*`. Returns the error
 * message, or undefined when valid.
 */
export function channelIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'channel ID illegal, cannot be empty';
  if (byteLength(id) > MAX_ID_LENGTH) {
    return `channel ID illegal, cannot be longer than ${MAX_ID_LENGTH}`;
  }
  if (!/^[a-z][a-z0-9.-]*$/.test(id)) return `'${id}' contains illegal characters`;
  return undefined;
}

function fqPath(prefix: string, path: readonly string[], key: string): string {
  return path.length === 0 ? `${prefix}/${key}` : `${prefix}/${path.join('/')}/${key}`;
}

function add(map: Map<string, ConfigElement>, element: ConfigElement): void {
  const prefix =
    element.kind === 'group'
      ? GROUP_PREFIX
      : element.kind === 'value'
        ? VALUE_PREFIX
        : POLICY_PREFIX;
  const problem = configIdProblem(element.key);
  if (problem !== undefined) {
    throw new ChannelConfigError(
      'CONFIG_UPDATE_INVALID',
      `illegal characters in key: ${prefix}: ${problem}`,
      { details: { key: element.key, path: element.path } },
    );
  }
  map.set(fqPath(prefix, element.path, element.key), element);
}

/**
 * Fabric's mapConfig: flattens `group` (named `rootKey`) into a map; every key must be a valid
 * config id. An absent group gives an empty map.
 */
export function mapConfig(
  group: TreeGroup | null | undefined,
  rootKey: string,
): Map<string, ConfigElement> {
  const out = new Map<string, ConfigElement>();
  if (group !== null && group !== undefined) recurse(out, [rootKey], group);
  return out;
}

function recurse(out: Map<string, ConfigElement>, path: readonly string[], group: TreeGroup): void {
  add(out, { kind: 'group', key: path[path.length - 1] as string, path: path.slice(0, -1), group });
  for (const [key, child] of group.groups) recurse(out, [...path, key], child);
  for (const [key, value] of group.values) add(out, { kind: 'value', key, path, value });
  for (const [key, policy] of group.policies) add(out, { kind: 'policy', key, path, policy });
}

const HACKY_FIX_KEY = '[Value]  /Channel/Orderer/Capabilities';
const HACKY_FIX_MOD_POLICY = 'Admins';

/**
 * Fabric's configMapToConfig: rebuilds the group at `/<rootKey>` from the map. A group's members are
 * the keys of the group element found in the map (so a group taken from an update's write set
 * drops the members it does not list: that is how deletion works); each member is looked up in
 * the map. When the map has an orderer `Capabilities` value, empty mod_policies are set to
 * `Admins` (Fabric's fix for v1.0 channels).
 */
export function configMapToGroup(
  map: ReadonlyMap<string, ConfigElement>,
  rootKey: string,
): TreeGroup {
  return rebuild(`/${rootKey}`, map, map.has(HACKY_FIX_KEY));
}

function missing(message: string): ChannelConfigError {
  return new ChannelConfigError('CONFIG_UPDATE_INVALID', message);
}

function rebuild(path: string, map: ReadonlyMap<string, ConfigElement>, fix: boolean): TreeGroup {
  const groupPath = GROUP_PREFIX + path;
  const element = map.get(groupPath);
  if (element === undefined) throw missing(`missing group at path: ${groupPath}`);
  if (element.kind !== 'group') throw missing(`ConfigGroup not found at group path: ${groupPath}`);
  const source = element.group;

  const groups = new Map<string, TreeGroup>();
  for (const key of source.groups.keys()) groups.set(key, rebuild(`${path}/${key}`, map, fix));

  const values = new Map<string, TreeValue>();
  for (const key of source.values.keys()) {
    const valuePath = `${VALUE_PREFIX}${path}/${key}`;
    const found = map.get(valuePath);
    if (found === undefined) throw missing(`missing value at path: ${valuePath}`);
    if (found.kind !== 'value') throw missing(`ConfigValue not found at value path: ${valuePath}`);
    const v = found.value;
    values.set(key, fix && v.modPolicy === '' ? { ...v, modPolicy: HACKY_FIX_MOD_POLICY } : v);
  }

  const policies = new Map<string, TreePolicy>();
  for (const key of source.policies.keys()) {
    const policyPath = `${POLICY_PREFIX}${path}/${key}`;
    const found = map.get(policyPath);
    if (found === undefined) throw missing(`missing policy at path: ${policyPath}`);
    if (found.kind !== 'policy') {
      throw missing(`ConfigPolicy not found at policy path: ${policyPath}`);
    }
    const p = found.policy;
    policies.set(key, fix && p.modPolicy === '' ? { ...p, modPolicy: HACKY_FIX_MOD_POLICY } : p);
  }

  return {
    version: source.version,
    modPolicy: fix && source.modPolicy === '' ? HACKY_FIX_MOD_POLICY : source.modPolicy,
    groups,
    values,
    policies,
    unknowns: source.unknowns,
  };
}
