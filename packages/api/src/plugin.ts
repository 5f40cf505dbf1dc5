/**
 * The plugin contract. A plugin is an npm package (or a path) whose default export is a
 * {@link PeerPlugin}, normally made with {@link definePlugin}. It declares what it contributes to
 * each extension point, by name; the core binds each contribution in a container of the plugin's
 * own (a child of the peer's), checks the declaration, and hands contributions to their consumers in
 * the order core.yaml gives.
 */
import type { ContainerModule } from 'inversify';
import { HealthChecker } from './extension-points/health.js';
import { Service } from './extension-points/lifecycle.js';
import {
  AuthFilter,
  Decorator,
  EndorsementPlugin,
  ValidationPlugin,
} from './extension-points/handlers.js';
import { GossipService, OrderingClient } from './extension-points/network.js';
import { StateDatabaseProvider } from './extension-points/state.js';
import { SystemChaincode } from './extension-points/system-chaincode.js';
import { VmProvider } from './extension-points/vm.js';
import { API_VERSION } from './version.js';

/** A class the container can construct (its constructor parameters carry `@inject`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Newable<T> = new (...args: any[]) => T;

/** The contribution type of each extension point. */
export interface ContributionTypes {
  stateDatabase: StateDatabaseProvider;
  vmProvider: VmProvider;
  authFilter: AuthFilter;
  decorator: Decorator;
  endorsement: EndorsementPlugin;
  validation: ValidationPlugin;
  systemChaincode: SystemChaincode;
  gossip: GossipService;
  orderingClient: OrderingClient;
  healthChecker: HealthChecker;
  service: Service;
}

/** Name of an extension point, e.g. `authFilter`. */
export type ExtensionPointName = keyof ContributionTypes;

/** How consumers pick among contributions to an extension point. */
export type Selection =
  /** core.yaml names exactly one (e.g. the state database). */
  | 'one'
  /** core.yaml lists several, in order (auth filters, runtimes). */
  | 'ordered'
  /** core.yaml maps names used elsewhere to contributions (escc → DefaultEndorsement). */
  | 'named'
  /** every contribution is used (health checkers, services). */
  | 'all';

/** What the core knows about an extension point. */
export interface ExtensionPoint {
  readonly name: ExtensionPointName;
  /** Service identifier contributions are bound to. */
  readonly id: symbol;
  /** Words for people, e.g. `auth filter`. */
  readonly title: string;
  /** The core.yaml key that selects contributions, if any. */
  readonly configKey?: string;
  readonly selection: Selection;
  /**
   * `singleton`: one instance shared by all consumers. `perUse`: a fresh instance each time a
   * consumer asks (Fabric creates endorsement and validation plugins per channel).
   */
  readonly instances: 'singleton' | 'perUse';
}

function point(
  name: ExtensionPointName,
  id: symbol,
  title: string,
  selection: Selection,
  configKey?: string,
  instances: 'singleton' | 'perUse' = 'singleton',
): ExtensionPoint {
  return Object.freeze(
    configKey === undefined
      ? { name, id, title, selection, instances }
      : { name, id, title, selection, configKey, instances },
  );
}

/** Every extension point, in the order `fabric-peer plugins` lists them. */
export const extensionPoints: Readonly<Record<ExtensionPointName, ExtensionPoint>> = Object.freeze({
  stateDatabase: point(
    'stateDatabase',
    StateDatabaseProvider,
    'state database',
    'one',
    'ledger.state.stateDatabase',
  ),
  vmProvider: point(
    'vmProvider',
    VmProvider,
    'chaincode runtime (VM provider)',
    'ordered',
    'vm.providers',
  ),
  // Each chain gets fresh filters: a filter holds its `next`, so sharing one would re-point it.
  authFilter: point(
    'authFilter',
    AuthFilter,
    'auth filter',
    'ordered',
    'peer.handlers.authFilters',
    'perUse',
  ),
  decorator: point('decorator', Decorator, 'decorator', 'ordered', 'peer.handlers.decorators'),
  endorsement: point(
    'endorsement',
    EndorsementPlugin,
    'endorsement plugin',
    'named',
    'peer.handlers.endorsers',
    'perUse',
  ),
  validation: point(
    'validation',
    ValidationPlugin,
    'validation plugin',
    'named',
    'peer.handlers.validators',
    'perUse',
  ),
  systemChaincode: point(
    'systemChaincode',
    SystemChaincode,
    'system chaincode',
    'all',
    'chaincode.system',
  ),
  gossip: point('gossip', GossipService, 'gossip', 'one', 'peer.gossip'),
  orderingClient: point(
    'orderingClient',
    OrderingClient,
    'ordering client',
    'one',
    'peer.deliveryclient',
  ),
  healthChecker: point('healthChecker', HealthChecker, 'health checker', 'all'),
  service: point('service', Service, 'service', 'all'),
});

/** Contributions by extension point, each a map from name to class. */
export type Contributes = {
  readonly [P in ExtensionPointName]?: Readonly<Record<string, Newable<ContributionTypes[P]>>>;
};

/** The default export of a plugin package. */
export interface PeerPlugin {
  /** Version of `@fabric-peer/api` the plugin was built against (stamped by definePlugin). */
  readonly apiVersion: string;
  /** Short name, unique among the plugins of a peer. */
  readonly name: string;
  /** The plugin's own version. */
  readonly version: string;
  readonly description?: string;
  /** What the plugin adds to each extension point, by name. */
  readonly contributes: Contributes;
  /**
   * Extra bindings the contributions depend on (helpers, internal services), loaded into the
   * plugin's own container. Contributions themselves need no binding: the core binds them.
   */
  readonly module?: ContainerModule;
}

/** Builds a plugin's default export, stamping the api version it is compiled against. */
export function definePlugin(plugin: Omit<PeerPlugin, 'apiVersion'>): PeerPlugin {
  return Object.freeze({ ...plugin, apiVersion: API_VERSION });
}

/** A plugin could not be loaded or is not usable; `details` names the config key and package. */
export { PluginError } from './plugin-error.js';
