/**
 * An index of the schema's keys: every leaf by its path and by its `CORE_*` name, and every
 * section's children, matched without regard to case as viper matches keys.
 */

import { envNameOf, isLeaf, type Leaf, type SchemaSection } from './schema/define.js';

/** A leaf of the schema with where it sits. */
export interface LeafInfo {
  /** Dotted path in the schema's spelling, e.g. `peer.tls.enabled`. */
  readonly path: string;
  readonly leaf: Leaf<unknown>;
  /** `CORE_` + the path upper-cased with `.` → `_`. */
  readonly envName: string;
}

/** A section of the schema with where it sits. */
export interface SectionInfo {
  /** Dotted path; empty for the top level. */
  readonly path: string;
  /** Child names in the schema's spelling, in schema order. */
  readonly names: readonly string[];
  /** Finds a child by name, without regard to case. */
  child(
    name: string,
  ): { readonly name: string; readonly node: Leaf<unknown> | SectionInfo } | undefined;
}

/** Every key of a schema. */
export interface SchemaIndex {
  readonly root: SectionInfo;
  /** Leaves by path in the schema's spelling. */
  readonly leaves: ReadonlyMap<string, LeafInfo>;
  /** Leaves by `CORE_*` name. */
  readonly byEnvName: ReadonlyMap<string, LeafInfo>;
  /** Finds a leaf by dotted path, without regard to case. */
  leaf(path: string): LeafInfo | undefined;
}

/** Builds the index of a schema tree. */
export function indexSchema(tree: SchemaSection): SchemaIndex {
  const leaves = new Map<string, LeafInfo>();
  const byLowerPath = new Map<string, LeafInfo>();
  const byEnvName = new Map<string, LeafInfo>();

  const section = (node: SchemaSection, path: string): SectionInfo => {
    const names = Object.keys(node);
    const children = new Map<string, { name: string; node: Leaf<unknown> | SectionInfo }>();
    for (const name of names) {
      const child = node[name];
      if (child === undefined) continue;
      const childPath = path === '' ? name : `${path}.${name}`;
      if (isLeaf(child)) {
        const info: LeafInfo = { path: childPath, leaf: child, envName: envNameOf(childPath) };
        leaves.set(childPath, info);
        byLowerPath.set(childPath.toLowerCase(), info);
        // Two keys differing only in case would share a CORE_* name; the schema must not have any.
        if (byEnvName.has(info.envName)) throw new Error(`schema: ${info.envName} is ambiguous`);
        byEnvName.set(info.envName, info);
        children.set(name.toLowerCase(), { name, node: child });
      } else {
        children.set(name.toLowerCase(), { name, node: section(child, childPath) });
      }
    }
    return { path, names, child: (name) => children.get(name.toLowerCase()) };
  };

  const root = section(tree, '');
  return { root, leaves, byEnvName, leaf: (path) => byLowerPath.get(path.toLowerCase()) };
}

/** Whether a node of the index is a section. */
export function isSection(node: Leaf<unknown> | SectionInfo): node is SectionInfo {
  return 'names' in node && 'child' in node;
}
