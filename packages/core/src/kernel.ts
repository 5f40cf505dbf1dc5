/**
 * The kernel: one inversify container per peer, the plugins core.yaml names loaded into it, and
 * the services they contribute run by the lifecycle manager.
 */
import {
  Container,
  extensionPoints,
  LoggerFactory,
  PeerConfig,
  PluginError,
  type ContainerModule,
  type PeerPlugin,
} from '@fabric-peer/api';
import { ContributionRegistry } from './contributions.js';
import { LifecycleManager } from './lifecycle.js';
import { importPlugin, type LoadedPlugin } from './plugin-loader.js';
import { pluginRequests, type PluginRequest } from './plugin-requests.js';
import { LibraryNotFound, resolveLibrary, type ResolvedLibrary } from './plugin-resolver.js';

/** Identifier of the {@link ContributionRegistry} in the peer's container. */
export const Contributions: unique symbol = Symbol.for('@fabric-peer/core/Contributions');

/** A plugin that is part of the peer itself rather than a package (the node's own services). */
export interface InternalPlugin {
  readonly plugin: PeerPlugin;
  /** Where its code lives, for listings. */
  readonly location: string;
  readonly packageName: string;
}

export interface KernelOptions {
  readonly config: PeerConfig;
  readonly loggerFactory: LoggerFactory;
  /** Packages loaded whatever the configuration says (Fabric's built-in handlers, ...). */
  readonly builtinPackages?: readonly string[];
  /** Plugins compiled into the peer. */
  readonly internalPlugins?: readonly InternalPlugin[];
  /** Extra bindings in the peer's container (metrics provider, ...). */
  readonly modules?: readonly ContainerModule[];
  /** Folders searched for package names after the config folder (the peer's installation). */
  readonly searchDirs?: readonly string[];
}

interface Pending {
  source: ResolvedLibrary;
  requests: PluginRequest[];
  builtIn: boolean;
  options: Record<string, unknown>;
}

export class Kernel {
  private constructor(
    readonly container: Container,
    readonly registry: ContributionRegistry,
    readonly config: PeerConfig,
    readonly loggerFactory: LoggerFactory,
  ) {}

  /**
   * Builds the container and loads every plugin: built-in packages, internal plugins, then each
   * `library:` the configuration names. Throws PluginError naming the config key and the package
   * for anything missing, malformed, incompatible or not providing what the configuration expects.
   */
  static async create(options: KernelOptions): Promise<Kernel> {
    const { config } = options;
    const log = options.loggerFactory('core.plugins');
    const container = new Container({ defaultScope: 'Singleton' });
    container.bind(PeerConfig).toConstantValue(config);
    container.bind(LoggerFactory).toConstantValue(options.loggerFactory);
    for (const m of options.modules ?? []) container.load(m);
    const registry = new ContributionRegistry(container);
    container.bind(Contributions).toConstantValue(registry);

    for (const internal of options.internalPlugins ?? []) {
      registerOrThrow(
        registry,
        {
          plugin: internal.plugin,
          source: {
            entry: internal.location,
            location: internal.location,
            packageName: internal.packageName,
            packageVersion: internal.plugin.version,
          },
        },
        'internal',
        true,
        {},
      );
    }

    // Resolve everything first, so one load of a package serves every key that names it.
    const pending = new Map<string, Pending>();
    const searchDirs = options.searchDirs ?? [];
    for (const name of options.builtinPackages ?? []) {
      const source = resolveOrThrow(name, config.dir, searchDirs, '(built-in plugins)');
      pending.set(source.entry, { source, requests: [], builtIn: true, options: {} });
    }
    for (const req of pluginRequests(config)) {
      const source = resolveOrThrow(req.library, config.dir, searchDirs, req.key);
      const p = pending.get(source.entry);
      if (p) {
        p.requests.push(req);
        Object.assign(p.options, req.options ?? {});
      } else {
        pending.set(source.entry, {
          source,
          requests: [req],
          builtIn: false,
          options: { ...(req.options ?? {}) },
        });
      }
    }

    for (const p of pending.values()) {
      const key = p.requests[0]?.key ?? '(built-in plugins)';
      let loaded: LoadedPlugin;
      try {
        loaded = await importPlugin(p.source);
      } catch (err) {
        throw new PluginError(key, describe(p.source), (err as Error).message, { cause: err });
      }
      registerOrThrow(registry, loaded, key, p.builtIn, p.options);
      log.debug('loaded plugin', {
        plugin: loaded.plugin.name,
        package: p.source.packageName,
        location: p.source.location,
      });
      for (const req of p.requests) {
        if (!req.expects) continue;
        const own = registry
          .list(req.expects.point)
          .filter((c) => c.plugin === loaded.plugin.name)
          .map((c) => c.name);
        if (!own.includes(req.expects.name)) {
          const title = extensionPoints[req.expects.point].title;
          throw new PluginError(
            req.key,
            describe(p.source),
            `provides no ${title} named "${req.expects.name}"` +
              (own.length > 0 ? ` (it provides: ${own.join(', ')})` : ` (it provides no ${title})`),
          );
        }
      }
    }
    return new Kernel(container, registry, config, options.loggerFactory);
  }

  /** A lifecycle manager over every contributed service. */
  lifecycle(stopTimeoutMs: number): LifecycleManager {
    const services = this.registry.all('service').map((s) => s.instance);
    return new LifecycleManager(services, this.loggerFactory('core.lifecycle'), { stopTimeoutMs });
  }
}

function describe(source: ResolvedLibrary): string {
  const version = source.packageVersion ? `@${source.packageVersion}` : '';
  return source.packageName === source.location
    ? source.location
    : `${source.packageName}${version} (${source.location})`;
}

function resolveOrThrow(
  library: string,
  baseDir: string,
  searchDirs: readonly string[],
  key: string,
): ResolvedLibrary {
  try {
    return resolveLibrary(library, baseDir, searchDirs);
  } catch (err) {
    if (err instanceof LibraryNotFound)
      throw new PluginError(key, library, `cannot be loaded: ${err.message}`);
    throw err;
  }
}

function registerOrThrow(
  registry: ContributionRegistry,
  loaded: LoadedPlugin,
  key: string,
  builtIn: boolean,
  pluginOptions: Record<string, unknown>,
): void {
  try {
    registry.register(loaded, { builtIn, pluginOptions });
  } catch (err) {
    throw new PluginError(key, describe(loaded.source), (err as Error).message, { cause: err });
  }
}
