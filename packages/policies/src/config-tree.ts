/**
 * A config group tree in a form this package can compare and rebuild exactly: versions as bigints,
 * maps as `Map`s (so no key is special), unknown fields kept. Conversions to and from the protobufjs
 * messages, and Go's `proto.Equal` over it.
 */
import { Long, common } from '@fabric-peer/protos';

import { bytesEqual, bytesOf, ownEntries, u64 } from './util.js';

/** A `common.Policy`. */
export interface TreePolicyValue {
  readonly type: number;
  readonly value: Uint8Array;
  readonly unknowns: readonly Uint8Array[];
}

/** A `common.ConfigPolicy`. */
export interface TreePolicy {
  readonly version: bigint;
  readonly policy: TreePolicyValue | null;
  readonly modPolicy: string;
  readonly unknowns: readonly Uint8Array[];
}

/** A `common.ConfigValue`. */
export interface TreeValue {
  readonly version: bigint;
  readonly value: Uint8Array;
  readonly modPolicy: string;
  readonly unknowns: readonly Uint8Array[];
}

/** A `common.ConfigGroup`. */
export interface TreeGroup {
  readonly version: bigint;
  readonly groups: ReadonlyMap<string, TreeGroup>;
  readonly values: ReadonlyMap<string, TreeValue>;
  readonly policies: ReadonlyMap<string, TreePolicy>;
  readonly modPolicy: string;
  readonly unknowns: readonly Uint8Array[];
}

type Unknowns = { $unknowns?: Uint8Array[] };

function unknownsOf(message: object): readonly Uint8Array[] {
  return (message as Unknowns).$unknowns ?? [];
}

/** Converts a decoded (or plain) `common.ConfigGroup` into a {@link TreeGroup}. */
export function treeFromGroup(group: common.ConfigGroup.$Properties): TreeGroup {
  return {
    version: u64(group.version),
    groups: new Map(ownEntries(group.groups).map(([k, g]) => [k, treeFromGroup(g)])),
    values: new Map(ownEntries(group.values).map(([k, v]) => [k, treeFromValue(v)])),
    policies: new Map(ownEntries(group.policies).map(([k, p]) => [k, treeFromPolicy(p)])),
    modPolicy: group.modPolicy ?? '',
    unknowns: unknownsOf(group),
  };
}

function treeFromValue(value: common.ConfigValue.$Properties): TreeValue {
  return {
    version: u64(value.version),
    value: bytesOf(value.value),
    modPolicy: value.modPolicy ?? '',
    unknowns: unknownsOf(value),
  };
}

function treeFromPolicy(policy: common.ConfigPolicy.$Properties): TreePolicy {
  const p = policy.policy;
  return {
    version: u64(policy.version),
    policy:
      p === null || p === undefined
        ? null
        : { type: p.type ?? 0, value: bytesOf(p.value), unknowns: unknownsOf(p) },
    modPolicy: policy.modPolicy ?? '',
    unknowns: unknownsOf(policy),
  };
}

function withUnknowns<T extends object>(message: T, unknowns: readonly Uint8Array[]): T {
  if (unknowns.length > 0) (message as Unknowns).$unknowns = [...unknowns];
  return message;
}

/** Converts a {@link TreeGroup} back into an encodable `common.ConfigGroup`. */
export function groupFromTree(tree: TreeGroup): common.ConfigGroup {
  const groups: Record<string, common.ConfigGroup> = {};
  for (const [k, g] of tree.groups) defineKey(groups, k, groupFromTree(g));
  const values: Record<string, common.ConfigValue> = {};
  for (const [k, v] of tree.values) {
    defineKey(
      values,
      k,
      withUnknowns(
        common.ConfigValue.create({
          version: tree64(v.version),
          value: v.value,
          modPolicy: v.modPolicy,
        }),
        v.unknowns,
      ),
    );
  }
  const policies: Record<string, common.ConfigPolicy> = {};
  for (const [k, p] of tree.policies) {
    defineKey(
      policies,
      k,
      withUnknowns(
        common.ConfigPolicy.create({
          version: tree64(p.version),
          modPolicy: p.modPolicy,
          policy:
            p.policy === null
              ? null
              : withUnknowns(
                  common.Policy.create({ type: p.policy.type, value: p.policy.value }),
                  p.policy.unknowns,
                ),
        }),
        p.unknowns,
      ),
    );
  }
  return withUnknowns(
    common.ConfigGroup.create({
      version: tree64(tree.version),
      groups,
      values,
      policies,
      modPolicy: tree.modPolicy,
    }),
    tree.unknowns,
  );
}

function defineKey<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function tree64(v: bigint): Long {
  return Long.fromString(v.toString(), true);
}

/** Unknown fields compared as Go does: grouped by field number, each group's bytes in order. */
function unknownsEqual(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  const ga = groupUnknowns(a);
  const gb = groupUnknowns(b);
  if (ga.size !== gb.size) return false;
  for (const [field, bytes] of ga) {
    if (!bytesEqual(bytes, gb.get(field))) return false;
  }
  return true;
}

function groupUnknowns(chunks: readonly Uint8Array[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const chunk of chunks) {
    const field = fieldNumber(chunk);
    const prev = out.get(field);
    out.set(field, prev === undefined ? chunk : Buffer.concat([prev, chunk]));
  }
  return out;
}

function fieldNumber(chunk: Uint8Array): number {
  let value = 0;
  let shift = 0;
  for (const byte of chunk) {
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return Math.floor(value / 8);
}

/** Go's `proto.Equal` on two config values. */
export function valuesEqual(a: TreeValue, b: TreeValue): boolean {
  return (
    a.version === b.version &&
    a.modPolicy === b.modPolicy &&
    bytesEqual(a.value, b.value) &&
    unknownsEqual(a.unknowns, b.unknowns)
  );
}

/** Go's `proto.Equal` on two config policies. */
export function policiesEqual(a: TreePolicy, b: TreePolicy): boolean {
  if (a.version !== b.version || a.modPolicy !== b.modPolicy) return false;
  if (!unknownsEqual(a.unknowns, b.unknowns)) return false;
  if (a.policy === null || b.policy === null) return a.policy === b.policy;
  return (
    a.policy.type === b.policy.type &&
    bytesEqual(a.policy.value, b.policy.value) &&
    unknownsEqual(a.policy.unknowns, b.policy.unknowns)
  );
}

/**
 * Go's `proto.Equal` on two config groups: same versions, mod_policies and unknown fields, the same
 * keys in each map (in any order) and equal entries under each key, recursively.
 */
export function groupsEqual(a: TreeGroup, b: TreeGroup): boolean {
  if (a.version !== b.version || a.modPolicy !== b.modPolicy) return false;
  if (!unknownsEqual(a.unknowns, b.unknowns)) return false;
  return (
    mapsEqual(a.groups, b.groups, groupsEqual) &&
    mapsEqual(a.values, b.values, valuesEqual) &&
    mapsEqual(a.policies, b.policies, policiesEqual)
  );
}

function mapsEqual<T>(
  a: ReadonlyMap<string, T>,
  b: ReadonlyMap<string, T>,
  equal: (x: T, y: T) => boolean,
): boolean {
  if (a.size !== b.size) return false;
  for (const [key, x] of a) {
    const y = b.get(key);
    if (y === undefined || !equal(x, y)) return false;
  }
  return true;
}
