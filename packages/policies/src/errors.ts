/**
 * The errors this package raises. Messages keep Fabric's wording where a client or an operator sees
 * them (logs, proposal responses); the `code` and `details` say the same thing for programs.
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Why a policy could not be built or was not satisfied. */
export type PolicyErrorCode =
  /** The signatures (or identities) do not satisfy the policy. */
  | 'POLICY_NOT_SATISFIED'
  /** No policy has the requested name or path. */
  | 'POLICY_NOT_FOUND'
  /** The policy's bytes do not decode or do not compile. */
  | 'POLICY_INVALID';

/** A policy is malformed, missing, or not satisfied. */
export class PolicyError extends FabricPeerError {
  declare readonly code: PolicyErrorCode;

  constructor(
    code: PolicyErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** Why a channel configuration (or an update to it) was refused. */
export type ChannelConfigErrorCode =
  /** The configuration cannot be turned into a bundle (bad value, bad MSP, bad policy...). */
  | 'CHANNEL_CONFIG_INVALID'
  /** The configuration needs a capability this peer does not have (Fabric panics here). */
  | 'CAPABILITY_UNSUPPORTED'
  /** A config block or envelope is not shaped as Fabric requires. */
  | 'CONFIG_MALFORMED'
  /** The CONFIG envelope's sequence is not the current sequence + 1. */
  | 'CONFIG_SEQUENCE'
  /** The update's read set does not match the current configuration. */
  | 'CONFIG_UPDATE_READ_SET'
  /** The update is malformed, empty, or sets versions it may not set. */
  | 'CONFIG_UPDATE_INVALID'
  /** A modified element's mod_policy is not satisfied by the update's signatures. */
  | 'CONFIG_UPDATE_UNAUTHORIZED'
  /** The config the update produces differs from the config carried in the envelope. */
  | 'CONFIG_MISMATCH'
  /** The new configuration may not replace the current one (e.g. an MSP id changed). */
  | 'CONFIG_TRANSITION_INVALID';

/** A channel configuration, or an update to it, is refused. The current bundle stays in force. */
export class ChannelConfigError extends FabricPeerError {
  declare readonly code: ChannelConfigErrorCode;

  constructor(
    code: ChannelConfigErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** Why an ACL check failed. */
export type AclErrorCode =
  /** The resource has no policy, in the channel's ACLs or in the default map. */
  | 'ACL_UNKNOWN_RESOURCE'
  /** The request could not be turned into signed data (bad proposal, missing header...). */
  | 'ACL_BAD_REQUEST'
  /** The channel is not known to this peer. */
  | 'ACL_NO_CHANNEL'
  /** The signer does not satisfy the resource's policy. */
  | 'ACCESS_DENIED';

/** An ACL check failed; the message is Fabric's, which clients see in proposal responses. */
export class AclError extends FabricPeerError {
  declare readonly code: AclErrorCode;

  constructor(
    code: AclErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** The message of any thrown value, as Go's `err.Error()` would give it. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
