/**
 * The version of the plugin contract this package defines. A plugin records the version it was built
 * against (`definePlugin` stamps it); the core accepts it when the majors match and the plugin's
 * minor is not newer than the peer's.
 */
export const API_VERSION = '1.0.0';

/** Parses `major.minor.patch` (a pre-release or build suffix is ignored). */
export function parseApiVersion(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * True when a plugin built for `pluginVersion` can run on a peer whose api is `peerVersion`:
 * same major, and the plugin's minor is not newer (it may use extension points the peer lacks).
 * With major 0 every minor is a breaking change, as in semver.
 */
export function isApiCompatible(pluginVersion: string, peerVersion: string = API_VERSION): boolean {
  const p = parseApiVersion(pluginVersion);
  const q = parseApiVersion(peerVersion);
  if (!p || !q) return false;
  if (p[0] !== q[0]) return false;
  if (p[0] === 0) return p[1] === q[1];
  return p[1] <= q[1];
}
