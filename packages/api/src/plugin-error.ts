import { FabricPeerError } from './errors.js';

/**
 * A plugin named in core.yaml is missing, malformed or incompatible. The message always names the
 * config key that asked for it and the package, so the operator knows what to change.
 */
export class PluginError extends FabricPeerError {
  constructor(
    readonly configKey: string,
    readonly packageName: string,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super('PLUGIN_INVALID', `${configKey}: plugin ${packageName}: ${problem}`, {
      ...options,
      details: { configKey, package: packageName },
    });
  }
}
