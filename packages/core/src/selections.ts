/**
 * What core.yaml selects on each extension point (by name), and the consumers' helpers that turn
 * those selections into contributions: the auth-filter chain in config order, decorators in order,
 * endorsement and validation plugins by the names chaincode definitions use.
 */
import {
  extensionPoints,
  PluginError,
  type AuthFilter,
  type Decorator,
  type EndorsementPlugin,
  type ExtensionPointName,
  type PeerConfig,
  type ProposalProcessor,
  type ValidationPlugin,
} from '@fabric-peer/api';
import {
  ContributionError,
  type ContributionInfo,
  type ContributionRegistry,
} from './contributions.js';

/** One name core.yaml selects, with the key that selects it. */
export interface Selection {
  readonly key: string;
  readonly name: string;
  readonly library?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entry(key: string, v: unknown): Selection[] {
  if (!isRecord(v) || typeof v['name'] !== 'string') return [];
  return [
    {
      key,
      name: v['name'],
      ...(typeof v['library'] === 'string' && v['library'] !== '' ? { library: v['library'] } : {}),
    },
  ];
}

function listSelections(config: PeerConfig, key: string): Selection[] {
  const v = config.get(key);
  return Array.isArray(v) ? v.flatMap((e: unknown, i) => entry(`${key}[${i}]`, e)) : [];
}

function mapSelections(config: PeerConfig, key: string): Selection[] {
  const v = config.get(key);
  return isRecord(v) ? Object.entries(v).flatMap(([k, e]) => entry(`${key}.${k}`, e)) : [];
}

/** Fabric's parseBool for `chaincode.system` values. */
function enabled(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return typeof v === 'string' && /^(true|t|1|enable|enabled|yes)$/i.test(v.trim());
}

/** The names core.yaml selects on `point`, in config order. */
export function selections(config: PeerConfig, point: ExtensionPointName): Selection[] {
  switch (point) {
    case 'stateDatabase': {
      const lib = config.get('ledger.state.library');
      return [
        {
          key: 'ledger.state.stateDatabase',
          name: String(config.get('ledger.state.stateDatabase')),
          ...(typeof lib === 'string' && lib !== '' ? { library: lib } : {}),
        },
      ];
    }
    case 'vmProvider':
      return listSelections(config, 'vm.providers');
    case 'authFilter':
      return listSelections(config, 'peer.handlers.authFilters');
    case 'decorator':
      return listSelections(config, 'peer.handlers.decorators');
    case 'endorsement':
      return mapSelections(config, 'peer.handlers.endorsers');
    case 'validation':
      return mapSelections(config, 'peer.handlers.validators');
    case 'systemChaincode': {
      const v = config.get('chaincode.system');
      return isRecord(v)
        ? Object.entries(v)
            .filter(([, on]) => enabled(on))
            .map(([name]) => ({ key: `chaincode.system.${name}`, name }))
        : [];
    }
    default:
      return [];
  }
}

function resolveSelected<P extends ExtensionPointName>(
  registry: ContributionRegistry,
  point: P,
  s: Selection,
) {
  try {
    return registry.get(point, s.name);
  } catch (err) {
    if (err instanceof ContributionError) {
      throw new PluginError(`${s.key}.name`, s.library ?? '(built-in)', err.message, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Chains the configured auth filters in front of `target`, as Fabric's auth.ChainFilters: the first
 * filter receives each proposal, each forwards to the next, the last to `target`.
 */
export function authFilterChain(
  registry: ContributionRegistry,
  config: PeerConfig,
  target: ProposalProcessor,
): ProposalProcessor {
  const filters: AuthFilter[] = selections(config, 'authFilter').map((s) =>
    resolveSelected(registry, 'authFilter', s),
  );
  let next: ProposalProcessor = target;
  for (let i = filters.length - 1; i >= 0; i--) {
    filters[i]!.init(next);
    next = filters[i]!;
  }
  return next;
}

/** The configured decorators, in order. */
export function decorators(registry: ContributionRegistry, config: PeerConfig): Decorator[] {
  return selections(config, 'decorator').map((s) => resolveSelected(registry, 'decorator', s));
}

function named<P extends 'endorsement' | 'validation'>(
  registry: ContributionRegistry,
  config: PeerConfig,
  point: P,
  pluginName: string,
) {
  const s = selections(config, point).find((x) => x.key.endsWith(`.${pluginName}`));
  if (!s) {
    const key = extensionPoints[point].configKey!;
    throw new PluginError(
      `${key}.${pluginName}`,
      '(none)',
      `no ${extensionPoints[point].title} is configured under the name "${pluginName}"`,
    );
  }
  return resolveSelected(registry, point, s);
}

/** A fresh endorsement plugin for the name a chaincode definition uses (e.g. `escc`). */
export function endorsementPlugin(
  registry: ContributionRegistry,
  config: PeerConfig,
  pluginName: string,
): EndorsementPlugin {
  return named(registry, config, 'endorsement', pluginName);
}

/** A fresh validation plugin for the name a chaincode definition uses (e.g. `vscc`). */
export function validationPlugin(
  registry: ContributionRegistry,
  config: PeerConfig,
  pluginName: string,
): ValidationPlugin {
  return named(registry, config, 'validation', pluginName);
}

/** One extension point as `fabric-peer plugins` shows it. */
export interface ExtensionPointReport {
  readonly point: ExtensionPointName;
  readonly title: string;
  readonly configKey?: string;
  /** What core.yaml selects, each with the contribution that answers (absent: none does). */
  readonly selected: readonly (Selection & { readonly provider?: ContributionInfo })[];
  /** Everything loaded plugins contribute to this point. */
  readonly available: readonly ContributionInfo[];
}

/** Every extension point: what is selected and what is available. */
export function bindingsReport(
  registry: ContributionRegistry,
  config: PeerConfig,
): ExtensionPointReport[] {
  return (Object.keys(extensionPoints) as ExtensionPointName[]).map((point) => {
    const ep = extensionPoints[point];
    const selected = selections(config, point).map((s) => {
      const provider = registry.info(point, s.name);
      return provider ? { ...s, provider } : s;
    });
    return {
      point,
      title: ep.title,
      ...(ep.configKey !== undefined ? { configKey: ep.configKey } : {}),
      selected,
      available: registry.list(point),
    };
  });
}
