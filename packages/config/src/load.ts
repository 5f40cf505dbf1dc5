/**
 * Loading core.yaml: find the file, parse it, read it against the schema, apply the `CORE_*`
 * environment, derive the computed defaults, check cross-key rules, resolve relative paths, and
 * either return the effective configuration or throw one `ConfigError` listing every problem.
 */

import { dirname } from 'node:path';

import { ConfigError, type ConfigIssue } from '@fabric-peer/api';
import convict from 'convict';

import { parseDuration } from './duration.js';
import { readEnvValues } from './env.js';
import { readFileValues } from './file.js';
import { indexSchema, type SchemaIndex } from './keys.js';
import { resolveConfigPath, type ResolveOptions } from './locate.js';
import { resolveLeafPaths } from './paths.js';
import { applyRules } from './rules.js';
import type { KeysOfKind } from './schema/define.js';
import { coreSchema, type CoreConfig, type CoreSchema } from './schema/index.js';
import { readYamlFile } from './yaml.js';

/** A dotted key of core.yaml in the schema's spelling, e.g. `peer.tls.enabled`. */
export type ConfigKey = convict.Path<CoreConfig>;

/** The type of the value at a key. */
export type ConfigValue<K extends ConfigKey> = convict.PathValue<CoreConfig, K>;

/** A key whose value is a Go duration. */
export type DurationKey = KeysOfKind<CoreSchema, 'duration'>;

/**
 * Where a value came from: `'default'`, the path of the config file, or the name of the `CORE_*`
 * variable that set it.
 */
export type ConfigSource = 'default' | (string & {});

/** Options of {@link loadConfig}. */
export type LoadOptions = ResolveOptions;

/** Options of {@link LoadedConfig.toPrintable}. */
export interface PrintOptions {
  /** Replace the values of sensitive keys (passwords, PINs) with `<redacted>` (default: true). */
  readonly redact?: boolean;
}

/** The text that replaces a secret in {@link LoadedConfig.toPrintable}. */
export const REDACTED = '<redacted>';

/** The effective configuration of a peer. */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Folder of the config file; relative paths (and plugin libraries) resolve from here. */
  readonly dir: string;
  /** Warnings found while loading (unknown `CORE_*` variables, deprecated keys...). */
  readonly warnings: readonly string[];
  /** The value of a key (a copy). */
  get<K extends ConfigKey>(key: K): ConfigValue<K>;
  /** The whole effective tree (a copy). */
  all(): CoreConfig;
  /**
   * Where the value of a key came from: `'default'`, the config file's path, or a `CORE_*` name.
   * Accepts a leaf key or an entry inside a map key (`chaincode.system._lifecycle`), in any case.
   *
   * @throws Error if `key` is not a key of core.yaml (or is a section).
   */
  source(key: string): ConfigSource;
  /** Every leaf key set by the file or the environment, with where its value came from. */
  overrides(): [key: string, source: ConfigSource][];
  /** The effective tree for printing or logging, secrets redacted unless asked otherwise. */
  toPrintable(options?: PrintOptions): Record<string, unknown>;
  /**
   * The duration at a key in milliseconds; null when the key is empty (Fabric's code default applies).
   *
   * @throws TypeError if the key does not hold a duration.
   */
  durationMs<K extends DurationKey>(key: K): null extends ConfigValue<K> ? number | null : number;
}

/**
 * Finds, reads and validates core.yaml, applies the `CORE_*` environment, and returns the
 * effective configuration.
 *
 * @param options.path - core.yaml, or the folder holding it; otherwise `FABRIC_CFG_PATH`, `./`,
 *   `/etc/hyperledger/fabric`.
 * @param options.env - the environment to read (default: `process.env`).
 * @param options.cwd - the folder relative paths start from (default: `process.cwd()`).
 * @throws ConfigError listing every problem found, each with its key, value, what is allowed and
 *   where the value came from.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const file = resolveConfigPath(options);
  const dir = dirname(file);
  const env = options.env ?? process.env;

  const yaml = readYamlFile(file);
  if (!yaml.ok) throw new ConfigError(yaml.issues);

  const index = indexSchema(coreSchema);
  const fromFile = readFileValues(yaml.file, index, file);
  const values = new Map(fromFile.values);
  const where = new Map(fromFile.where);
  // Sources by lower-cased key: leaves, and map entries set one by one from the environment.
  const sources = new Map<string, string>();
  for (const path of values.keys()) sources.set(path.toLowerCase(), file);

  const current = (path: string): unknown =>
    values.has(path) ? values.get(path) : index.leaves.get(path)?.leaf.default;
  const fromEnv = readEnvValues(env, index, current);
  const overridden = new Set<string>();
  for (const o of fromEnv.overrides) {
    if (o.entry === undefined) {
      values.set(o.path, o.value);
      overridden.add(o.path); // the file's value is not used, so a problem with it is moot
      sources.set(o.path.toLowerCase(), o.source);
    } else {
      const map = { ...(current(o.path) as Record<string, unknown>), [o.entry]: o.value };
      values.set(o.path, map);
      sources.set(`${o.path}.${o.entry}`.toLowerCase(), o.source);
    }
    where.set(o.path, o.source);
  }

  // Convict holds the schema, the defaults and the typed values; env and argv are applied above,
  // with Fabric's rules, so convict is given none.
  const schema = coreSchema as unknown as convict.Schema<CoreConfig>;
  const conf = convict<CoreConfig>(schema, {
    env: {},
    args: [],
  });
  const getAny = (path: string): unknown => (conf.get as (p: string) => unknown)(path);
  const setAny = (path: string, value: unknown): void => void conf.set(path, value);
  for (const [path, value] of values) setAny(path, value);

  const fileIssues = fromFile.issues.filter((i) => i.leaf === undefined || !overridden.has(i.leaf));
  const issues: ConfigIssue[] = [...fileIssues.map((i) => i.issue), ...fromEnv.issues];
  const broken = new Set(issues.map((i) => i.key));
  issues.push(
    ...applyRules({
      get: getAny,
      set: setAny,
      where: (p) => where.get(p),
      broken: (p) => broken.has(p),
    }),
  );
  if (issues.length > 0) throw new ConfigError(issues);

  for (const info of index.leaves.values()) {
    if (info.leaf.path) setAny(info.path, resolveLeafPaths(info.leaf, getAny(info.path), dir));
  }

  const warnings = [...fromFile.warnings, ...fromEnv.warnings];
  try {
    conf.validate({ allowed: 'strict', output: (message) => warnings.push(message) });
  } catch (err) {
    // Every value was checked above with the same formats; reaching here is a bug in this package.
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(
      [{ key: '(schema)', problem: `convict rejected the merged configuration: ${message}` }],
      { cause: err },
    );
  }

  return new LoadedConfigImpl(file, dir, warnings, conf, index, sources);
}

class LoadedConfigImpl implements LoadedConfig {
  constructor(
    readonly file: string,
    readonly dir: string,
    readonly warnings: readonly string[],
    private readonly conf: convict.Config<CoreConfig>,
    private readonly index: SchemaIndex,
    private readonly sources: ReadonlyMap<string, string>,
  ) {}

  get<K extends ConfigKey>(key: K): ConfigValue<K> {
    return this.conf.get(key) as ConfigValue<K>;
  }

  all(): CoreConfig {
    return this.conf.getProperties();
  }

  source(key: string): ConfigSource {
    const exact = this.sources.get(key.toLowerCase());
    if (exact !== undefined) return exact;
    // A leaf, or an entry inside a map leaf: the leaf's source.
    for (let path = key; path !== ''; path = path.slice(0, Math.max(path.lastIndexOf('.'), 0))) {
      const info = this.index.leaf(path);
      if (info !== undefined) return this.sources.get(info.path.toLowerCase()) ?? 'default';
    }
    throw new Error(`${key} is not a core.yaml key`);
  }

  overrides(): [key: string, source: ConfigSource][] {
    return [...this.index.leaves.values()].flatMap((info): [string, ConfigSource][] => {
      const source = this.sources.get(info.path.toLowerCase());
      return source === undefined ? [] : [[info.path, source]];
    });
  }

  toPrintable(options: PrintOptions = {}): Record<string, unknown> {
    const tree = this.conf.getProperties() as unknown as Record<string, unknown>;
    if (options.redact === false) return tree;
    for (const info of this.index.leaves.values()) {
      if (!info.leaf.sensitive) continue;
      const segments = info.path.split('.');
      const last = segments.pop();
      let parent: Record<string, unknown> = tree;
      for (const s of segments) parent = parent[s] as Record<string, unknown>;
      if (last !== undefined && parent[last] !== null && parent[last] !== '') {
        parent[last] = REDACTED;
      }
    }
    return tree;
  }

  durationMs<K extends DurationKey>(key: K): null extends ConfigValue<K> ? number | null : number {
    type Result = null extends ConfigValue<K> ? number | null : number;
    if (this.index.leaf(key)?.leaf.spec.kind !== 'duration') {
      throw new TypeError(`${key} is not a duration key`);
    }
    const value: unknown = this.conf.get(key);
    if (value === null) return null as Result;
    if (typeof value !== 'string') throw new TypeError(`${key} does not hold a duration`);
    return parseDuration(value);
  }
}
