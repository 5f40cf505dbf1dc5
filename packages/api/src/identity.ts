/**
 * Identities as Fabric's MSP defines them. The X.509 MSP implements these interfaces; policies,
 * handlers and the committer use only them. Fabric's peer accepts only its X.509 MSP, so this is
 * not an extension point.
 *
 * Verification is asynchronous (it runs on libuv's thread pool, so signature checks use every
 * core); deserialization, validation and principal checks are synchronous and cached.
 */
import type { common } from '@fabric-peer/protos';
import { FabricPeerError } from './errors.js';

/** Fabric's IdentityIdentifier: the MSP id and a unique id within it. */
export interface IdentityIdentifier {
  readonly mspId: string;
  /** Lowercase hex SHA-256 of the (sanitised, low-S) certificate DER. */
  readonly id: string;
}

/** An organisational unit of an identity, with the hash of the chain that certified it. */
export interface OUIdentifier {
  /** SHA-256 of the certification chain (Fabric's CertifiersIdentifier). */
  readonly certifiersIdentifier: Uint8Array;
  readonly organizationalUnitIdentifier: string;
}

/** How {@link Identity.verify} treats one signature. */
export interface VerifyOptions {
  /**
   * Whether an accepted signature may be remembered so that the same check later costs nothing
   * (default true: a proposal's signature is checked again by its ACL, and by the endorser after
   * the gateway). False for signatures the peer will not see again, such as those of a block's
   * transactions during validation: remembering them only costs.
   */
  readonly remember?: boolean;
}

/** A deserialized member of an MSP (Fabric's msp.Identity). */
export interface Identity {
  readonly identifier: IdentityIdentifier;
  /** The MSP id (same as identifier.mspId). */
  readonly mspId: string;
  /** The certificate's NotBefore and NotAfter. */
  readonly notBefore: Date;
  readonly expiresAt: Date;
  readonly organizationalUnits: readonly OUIdentifier[];
  /** The serialized `msp.SerializedIdentity` bytes, as received. */
  serialize(): Uint8Array;
  /**
   * Resolves when `signature` (DER ECDSA, low-S as Fabric requires) is this identity's signature
   * over `message` (hashed with the MSP's hash family); rejects with an IdentityError otherwise.
   */
  verify(message: Uint8Array, signature: Uint8Array, options?: VerifyOptions): Promise<void>;
  /**
   * Fabric's Validate: the certificate chains to the MSP's roots (through its intermediates), is
   * not revoked by the MSP's CRLs, and carries the OUs the MSP requires. As in Fabric, the chain is
   * judged at the certificate's NotBefore, so expiry is not checked here (see checkValidityAt).
   * Throws an IdentityError saying why not.
   */
  validate(): void;
  /** Throws an IdentityError (EXPIRED or NOT_YET_VALID) unless the certificate is valid at `when`. */
  checkValidityAt(when: Date): void;
  /** Throws an IdentityError unless the identity satisfies the principal (Fabric's semantics). */
  satisfiesPrincipal(principal: common.IMSPPrincipal): void;
}

/** What signs on the peer's behalf (Fabric's endorsement.SigningIdentity): its identity and a key. */
export interface Signer {
  /** The serialized `msp.SerializedIdentity` of the signer. */
  serialize(): Uint8Array;
  /** Signs `message`: digest with the MSP's hash family, ECDSA, low-S, DER. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** An identity whose private key this peer holds. */
export interface SigningIdentity extends Identity, Signer {}

/** One signature over some data by some identity, as Fabric's protoutil.SignedData. */
export interface SignedData {
  readonly data: Uint8Array;
  /** Serialized identity of the signer. */
  readonly identity: Uint8Array;
  readonly signature: Uint8Array;
}

/** Turns serialized identities into {@link Identity} objects (Fabric's IdentityDeserializer). */
export interface IdentityDeserializer {
  /** Throws an IdentityError when the bytes are malformed or name an unknown MSP. */
  deserializeIdentity(serialized: Uint8Array): Identity;
}

/** Evaluates a serialized policy (e.g. an `ApplicationPolicy`) against a set of signatures. */
export interface PolicyEvaluator {
  /** Resolves when the signatures satisfy the policy; rejects saying why not. */
  evaluate(policyBytes: Uint8Array, signatures: readonly SignedData[]): Promise<void>;
}

/** Why an identity was refused. */
export type IdentityErrorCode =
  | 'MALFORMED'
  | 'UNKNOWN_MSP'
  | 'WRONG_MSP'
  | 'UNTRUSTED_CHAIN'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'INVALID_OU'
  | 'BAD_SIGNATURE'
  | 'PRINCIPAL_NOT_SATISFIED'
  | 'UNSUPPORTED';

/** An identity is malformed, untrusted, or does not do what was asked of it. */
export class IdentityError extends FabricPeerError {
  declare readonly code: IdentityErrorCode;

  constructor(
    code: IdentityErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
