/**
 * MSP versions: the behaviour of Fabric's X.509 MSP changes with the channel's capabilities
 * (Fabric's msp.MSPVersion, chosen by common/capabilities ChannelProvider.MSPVersion).
 */

/**
 * - `v1_0`: admins are the admincerts; OU identifiers only; no NodeOUs.
 * - `v1_1`: NodeOUs with client and peer OUs (both required when NodeOUs are configured).
 * - `v1_3`: adds COMBINED and ANONYMITY principals.
 * - `v1_4_3`: admin and orderer NodeOUs; ADMIN satisfied by the admin OU; admincerts optional.
 * - `v3_0`: as v1_4_3, and Ed25519 identities (Fabric v3).
 */
export type MspVersion = 'v1_0' | 'v1_1' | 'v1_3' | 'v1_4_3' | 'v3_0';

/** All versions, oldest first. */
export const MSP_VERSIONS: readonly MspVersion[] = ['v1_0', 'v1_1', 'v1_3', 'v1_4_3', 'v3_0'];

/** Whether `version` is `atLeast` or later. */
export function mspVersionAtLeast(version: MspVersion, atLeast: MspVersion): boolean {
  return MSP_VERSIONS.indexOf(version) >= MSP_VERSIONS.indexOf(atLeast);
}

/**
 * The MSP version a channel's capabilities (the names of its Channel group capabilities, e.g.
 * `V2_0`) ask for, as Fabric decides it: V3_0 → v3_0; V1_4_3 or V2_0 → v1_4_3; V1_3 or V1_4_2 →
 * v1_3; V1_1 → v1_1; none of these → v1_0. Unknown names are ignored here (the channel config
 * refuses capabilities the peer does not support).
 */
export function mspVersionForCapabilities(
  capabilities: Iterable<string> | Readonly<Record<string, unknown>>,
): MspVersion {
  const names = new Set(Symbol.iterator in capabilities ? capabilities : Object.keys(capabilities));
  if (names.has('V3_0')) return 'v3_0';
  if (names.has('V1_4_3') || names.has('V2_0')) return 'v1_4_3';
  if (names.has('V1_3') || names.has('V1_4_2')) return 'v1_3';
  if (names.has('V1_1')) return 'v1_1';
  return 'v1_0';
}
