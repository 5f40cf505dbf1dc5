/**
 * `peer.handlers`: the endorsement pipeline's plugins. Each entry names a binding (`name`) and,
 * optionally, the package or path that provides it (`library`); without a library the name must be
 * one of the built-ins. Whether a library resolves is the core's plugin loader's business.
 */

import { builtins, type ExtensionPoint } from '../builtins.js';
import { listOf, mapOf, nullable, record, str, type ValueFormat } from '../formats.js';
import { closest } from '../suggest.js';
import { key } from './define.js';

/** A plugin named in core.yaml: a built-in name, or any name plus the library providing it. */
export interface PluginRef {
  /** The binding's name (for a built-in, one of {@link builtins}). */
  name: string;
  /** npm package or path (resolved from the config file's folder by the core), or null. */
  library: string | null;
}

/**
 * The `{ name, library }` format of one extension point: without `library`, `name` must be one of
 * that point's built-in names.
 */
export function pluginRef(point: ExtensionPoint, what: string): ValueFormat<PluginRef> {
  const names: readonly string[] = builtins[point];
  return record<PluginRef>({
    fields: {
      name: { format: str({ required: true }), required: true },
      library: { format: nullable(str({ required: true })), fallback: null },
    },
    check({ name, library }) {
      if (library !== null || names.includes(name)) return [];
      const near = closest(name, names);
      const hint = near !== undefined ? `; did you mean ${near}?` : '';
      return [
        {
          at: '.name',
          problem: `not a built-in ${what} and no library is given${hint}`,
          value: name,
          allowed: `a built-in ${what} (${names.join(', ')}), or any name together with library: naming the package or path that provides it`,
        },
      ];
    },
  });
}

/** Schema of `peer.handlers`. */
export function handlersSchema() {
  return {
    authFilters: key(
      listOf(pluginRef('authFilters', 'auth filter')),
      [
        { name: 'DefaultAuth', library: null },
        { name: 'ExpirationCheck', library: null },
      ],
      'Auth filters run on every proposal before endorsement, chained in this order; each may reject it or pass it on.',
    ),
    decorators: key(
      listOf(pluginRef('decorators', 'decorator')),
      [{ name: 'DefaultDecorator', library: null }],
      'Decorators may add to or change the chaincode input before the chaincode runs, applied in this order.',
    ),
    endorsers: key(
      mapOf(pluginRef('endorsers', 'endorsement plugin')),
      { escc: { name: 'DefaultEndorsement', library: null } },
      'Endorsement plugins, keyed by the name a chaincode definition gives as its endorsement plugin (escc).',
    ),
    validators: key(
      mapOf(pluginRef('validators', 'validation plugin')),
      { vscc: { name: 'DefaultValidation', library: null } },
      'Validation plugins, keyed by the name a chaincode definition gives as its validation plugin (vscc).',
    ),
  };
}
