/**
 * Identity types that handlers and validation plugins depend on. The MSP implements them; they are
 * not extension points themselves (Fabric's peer only accepts its X.509 MSP).
 */

/** A deserialized member of an MSP. */
export interface Identity {
  readonly mspId: string;
  /** The serialized `msp.SerializedIdentity` bytes. */
  serialize(): Uint8Array;
  /** Resolves when `signature` is this identity's valid signature over `message`. */
  verify(message: Uint8Array, signature: Uint8Array): Promise<void>;
}

/** An identity whose private key this peer holds. */
export interface SigningIdentity extends Identity {
  /** Signs `message` as Fabric does (SHA-256 digest, low-S ECDSA, DER). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** One signature over some data by some identity, as Fabric's protoutil.SignedData. */
export interface SignedData {
  readonly data: Uint8Array;
  /** Serialized identity of the signer. */
  readonly identity: Uint8Array;
  readonly signature: Uint8Array;
}

/** Turns serialized identities into {@link Identity} objects for a channel's MSPs. */
export interface IdentityDeserializer {
  deserializeIdentity(serialized: Uint8Array): Promise<Identity>;
}

/** Evaluates a serialized policy (e.g. an `ApplicationPolicy`) against a set of signatures. */
export interface PolicyEvaluator {
  /** Resolves when the signatures satisfy the policy; rejects saying why not. */
  evaluate(policyBytes: Uint8Array, signatures: readonly SignedData[]): Promise<void>;
}
