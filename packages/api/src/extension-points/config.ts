/** What a plugin sees of the peer's configuration (core.yaml after environment overrides). */
export interface PeerConfig {
  /** Absolute path of the core.yaml in use. */
  readonly file: string;
  /** Its folder: relative paths in the configuration resolve against it. */
  readonly dir: string;
  /** A value by dotted key, e.g. `peer.id`; throws on a key the schema does not know. */
  get(key: string): unknown;
  /**
   * A duration key (`chaincode.executetimeout`) in milliseconds; null when the key is empty, which
   * in Fabric means the code's own default applies.
   */
  durationMs(key: string): number | null;
}
/** Identifier of the {@link PeerConfig}. */
export const PeerConfig: unique symbol = Symbol.for('@fabric-peer/api/PeerConfig');

/** Facts about the plugin a contribution came from; each plugin's classes may inject it. */
export interface PluginContext {
  /** The plugin's declared name. */
  readonly name: string;
  /** `options:` given to it under `plugins:` in core.yaml (empty when none). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Folder the plugin was loaded from. */
  readonly location: string;
}
/** Identifier of the {@link PluginContext}. */
export const PluginContext: unique symbol = Symbol.for('@fabric-peer/api/PluginContext');
