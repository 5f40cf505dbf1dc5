/**
 * The contribution registry: every loaded plugin gets a child container of the peer's, its
 * contributions are bound there by name, and consumers ask the registry, never the container, so
 * that "nothing bound" is an answer rather than an exception, and lookups say which plugin answered.
 */
import {
  Container,
  extensionPoints,
  PluginContext,
  type ContributionTypes,
  type ExtensionPointName,
  type Newable,
  type PeerPlugin,
} from '@fabric-peer/api';
import type { LoadedPlugin } from './plugin-loader.js';

/** Where a contribution came from, for `fabric-peer plugins` and error messages. */
export interface ContributionInfo {
  readonly point: ExtensionPointName;
  readonly name: string;
  readonly plugin: string;
  readonly packageName: string;
  readonly version: string;
  readonly location: string;
  /** True for plugins shipped with the peer. */
  readonly builtIn: boolean;
}

interface Entry {
  readonly info: ContributionInfo;
  readonly container: Container;
}

/** A contribution could not be registered or found. */
export class ContributionError extends Error {}

export class ContributionRegistry {
  readonly #entries = new Map<ExtensionPointName, Map<string, Entry>>();
  readonly #plugins: { loaded: LoadedPlugin; builtIn: boolean; container: Container }[] = [];

  constructor(private readonly root: Container) {}

  /**
   * Binds a plugin's contributions in a child container. Throws ContributionError when a name is
   * already taken on an extension point or a class cannot be bound.
   */
  register(
    loaded: LoadedPlugin,
    options: { builtIn: boolean; pluginOptions?: Record<string, unknown> },
  ): void {
    const { plugin, source } = loaded;
    if (this.#plugins.some((p) => p.loaded.plugin.name === plugin.name)) {
      const other = this.#plugins.find((p) => p.loaded.plugin.name === plugin.name)!;
      throw new ContributionError(
        `a plugin named "${plugin.name}" is already loaded from ${other.loaded.source.location}`,
      );
    }
    const child = new Container({ parent: this.root, defaultScope: 'Singleton' });
    const context: PluginContext = {
      name: plugin.name,
      options: Object.freeze({ ...(options.pluginOptions ?? {}) }),
      location: source.location,
    };
    child.bind(PluginContext).toConstantValue(context);
    if (plugin.module) child.load(plugin.module);

    const staged: [ExtensionPointName, string, Entry][] = [];
    for (const [pointName, entries] of Object.entries(plugin.contributes) as [
      ExtensionPointName,
      Record<string, Newable<unknown>>,
    ][]) {
      const point = extensionPoints[pointName];
      for (const [name, cls] of Object.entries(entries)) {
        const existing = this.#entries.get(pointName)?.get(name);
        if (existing) {
          throw new ContributionError(
            `${point.title} "${name}" is already provided by ${existing.info.packageName} (${existing.info.location})`,
          );
        }
        try {
          // The class is bound to itself and the extension point forwards to it, so a class the
          // peer's container already binds (a listener other services register on) is shared.
          if (!child.isBound(cls)) {
            const self = child.bind(cls).toSelf();
            if (point.instances === 'perUse') self.inTransientScope();
            else self.inSingletonScope();
          }
          child
            .bind(point.id)
            .toDynamicValue((ctx) => ctx.get(cls))
            .inTransientScope()
            .whenNamed(name);
        } catch (err) {
          throw new ContributionError(
            `${point.title} "${name}" (class ${cls.name}) cannot be built by the container: ${(err as Error).message}`,
            { cause: err },
          );
        }
        staged.push([
          pointName,
          name,
          {
            container: child,
            info: {
              point: pointName,
              name,
              plugin: plugin.name,
              packageName: source.packageName,
              version: source.packageVersion ?? plugin.version,
              location: source.location,
              builtIn: options.builtIn,
            },
          },
        ]);
      }
    }
    for (const [pointName, name, entry] of staged) {
      let byName = this.#entries.get(pointName);
      if (!byName) this.#entries.set(pointName, (byName = new Map<string, Entry>()));
      byName.set(name, entry);
    }
    this.#plugins.push({ loaded, builtIn: options.builtIn, container: child });
  }

  /** The plugins registered, in load order. */
  plugins(): readonly {
    plugin: PeerPlugin;
    location: string;
    packageName: string;
    builtIn: boolean;
  }[] {
    return this.#plugins.map((p) => ({
      plugin: p.loaded.plugin,
      location: p.loaded.source.location,
      packageName: p.loaded.source.packageName,
      builtIn: p.builtIn,
    }));
  }

  /** Everything contributed to `point` (or to every point), in registration order. */
  list(point?: ExtensionPointName): ContributionInfo[] {
    const points = point ? [point] : (Object.keys(extensionPoints) as ExtensionPointName[]);
    return points.flatMap((p) => [...(this.#entries.get(p)?.values() ?? [])].map((e) => e.info));
  }

  /** Information about one contribution, or undefined. */
  info(point: ExtensionPointName, name: string): ContributionInfo | undefined {
    return this.#entries.get(point)?.get(name)?.info;
  }

  /** The contribution `name` on `point`; throws ContributionError naming what is available. */
  get<P extends ExtensionPointName>(point: P, name: string): ContributionTypes[P] {
    const entry = this.#entries.get(point)?.get(name);
    if (!entry) {
      const known = [...(this.#entries.get(point)?.keys() ?? [])];
      throw new ContributionError(
        `no loaded plugin provides the ${extensionPoints[point].title} "${name}"` +
          (known.length > 0 ? ` (available: ${known.join(', ')})` : ` (none is available)`),
      );
    }
    return entry.container.get<ContributionTypes[P]>(extensionPoints[point].id, { name });
  }

  /** Every contribution to `point`, instantiated, with its name. */
  all<P extends ExtensionPointName>(point: P): { name: string; instance: ContributionTypes[P] }[] {
    return [...(this.#entries.get(point)?.keys() ?? [])].map((name) => ({
      name,
      instance: this.get(point, name),
    }));
  }
}
