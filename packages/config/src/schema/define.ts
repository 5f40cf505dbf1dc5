/**
 * Building blocks of the schema. A leaf is a convict schema property (`doc`, `format`, `default`,
 * `env`, `sensitive`, `nullable`) that also carries its {@link ValueFormat}, which the loader uses to
 * read the YAML file and the environment with precise messages. Convict is handed the same objects.
 */

import type { ValueFormat } from '../formats.js';

/** One core.yaml key; `K` is the kind of its format (`duration`, `address`, ...). */
export interface Leaf<T, K extends string = string> {
  /** What the key does. */
  readonly doc: string;
  /** Fabric's default (v2.5.16); null for a key whose default is derived from others at load time. */
  readonly default: T | null;
  /** Convict's check of the final value; throws when the value does not fit the format. */
  readonly format: (value: unknown) => void;
  /** Whether null (an empty YAML value) is allowed. */
  readonly nullable: boolean;
  /** Whether the value is a secret, redacted when the config is printed. */
  readonly sensitive: boolean;
  /** The `CORE_*` variable that overrides the key; absent when only the YAML file can set it. */
  readonly env?: string;
  /** How the value is read and checked. */
  readonly spec: ValueFormat<T, K>;
  /** Whether the value holds file paths resolved against the config file's folder. */
  readonly path: boolean;
  /** For a derived default: how it is computed, in words. */
  readonly derived?: string;
}

/** A section of the schema: key names to leaves or nested sections. */
export interface SchemaSection {
  readonly [key: string]: SchemaNode;
}

/** A node of the schema. */
export type SchemaNode = Leaf<unknown> | SchemaSection;

/** The configuration type described by a schema tree. */
export type ConfigOf<S> = S extends { readonly spec: ValueFormat<infer T, string> }
  ? T
  : { -readonly [K in keyof S]: ConfigOf<S[K]> };

/** Dotted paths of the leaves of a schema tree whose format is of kind `Kind`. */
export type KeysOfKind<S, Kind extends string, P extends string = ''> = {
  [K in keyof S & string]: S[K] extends { readonly spec: ValueFormat<unknown, infer F> }
    ? F extends Kind
      ? `${P}${K}`
      : never
    : KeysOfKind<S[K], Kind, `${P}${K}.`>;
}[keyof S & string];

/** Whether a schema node is a leaf. */
export function isLeaf(node: unknown): node is Leaf<unknown> {
  return typeof node === 'object' && node !== null && 'spec' in node && 'default' in node;
}

/** Options of {@link key}. */
export interface KeyOptions {
  /** The value is a secret. */
  readonly sensitive?: boolean;
}

function convictFormat(format: ValueFormat<unknown>): (value: unknown) => void {
  return (value) => {
    const r = format.read(value);
    if (!r.ok) {
      throw new Error(r.problems.map((p) => `${p.at ?? ''} ${p.problem}`.trim()).join('; '));
    }
  };
}

/** A key with a fixed default. */
export function key<T, K extends string>(
  format: ValueFormat<T, K>,
  defaultValue: T,
  doc: string,
  options: KeyOptions = {},
): Leaf<T, K> {
  return {
    doc,
    default: defaultValue,
    format: convictFormat(format),
    nullable: format.nullable,
    sensitive: options.sensitive ?? false,
    spec: format,
    path: format.mapPaths !== undefined,
  };
}

/** A key whose default is computed at load time from other keys (`how` says from which). */
export function derivedKey<T, K extends string>(
  format: ValueFormat<T, K>,
  doc: string,
  how: string,
): Leaf<T, K> {
  return {
    doc: `${doc} Default: ${how}.`,
    default: null,
    format: (value) => {
      if (value !== null) convictFormat(format)(value);
    },
    nullable: true,
    sensitive: false,
    spec: format,
    path: format.mapPaths !== undefined,
    derived: how,
  };
}

/** Freezes a schema tree and everything in it, so that the exported schema is a true constant. */
export function deepFreeze<T>(value: T): T {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    if (Object.isFrozen(value)) return value;
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    }
  }
  return value;
}

/** The environment variable Fabric maps to a key: `CORE_` + the path upper-cased, `.` → `_`. */
export function envNameOf(path: string): string {
  return `CORE_${path.toUpperCase().replace(/\./g, '_')}`;
}

/**
 * Returns a copy of the tree whose leaves name their `CORE_*` variable (convict's `env`), for every
 * leaf the environment can set as a whole.
 */
export function withEnvNames<S extends SchemaSection>(tree: S, prefix = ''): S {
  const out: Record<string, SchemaNode> = {};
  for (const [name, node] of Object.entries(tree)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (isLeaf(node)) {
      const settable = node.spec.env === 'scalar' || node.spec.env === 'list';
      out[name] = settable ? { ...node, env: envNameOf(path) } : node;
    } else {
      out[name] = withEnvNames(node, path);
    }
  }
  return out as S;
}
