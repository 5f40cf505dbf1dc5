/**
 * Identities of the X.509 MSP. They hold what deserialization established (the sanitised
 * certificate, its identifier, the chain found for it) and ask the MSP that made them for
 * everything else, so that verdicts are computed and cached in one place.
 */
import type {
  IdentityIdentifier,
  OUIdentifier,
  SigningIdentity,
  Identity,
  VerifyOptions,
} from '@fabric-peer/api';
import { IdentityError } from '@fabric-peer/api';
import type { common } from '@fabric-peer/protos';
import type { KeyObject } from 'node:crypto';
import type { Certificate } from './x509/certificate.js';
import type { EcCurve } from './x509/ecdsa.js';
import { encodePem } from './x509/pem.js';

/** An identity of Fabric's X.509 MSP: the api's Identity, plus its certificate. */
export interface X509Identity extends Identity {
  /** DER of the (sanitised, low-S) certificate the identifier is computed from. */
  readonly certificate: Uint8Array;
  /** The subject and issuer distinguished names, as text. */
  readonly subject: string;
  readonly issuer: string;
}

/** An X.509 identity whose private key the MSP holds. */
export interface X509SigningIdentity extends X509Identity, SigningIdentity {}

/** What an identity asks of the MSP that made it. */
export interface IdentityOwner {
  validateIdentity(identity: X509IdentityImpl): void;
  organizationalUnitsOf(identity: X509IdentityImpl): readonly OUIdentifier[];
  satisfiesPrincipal(identity: X509IdentityImpl, principal: common.IMSPPrincipal): void;
  verifySignature(
    identity: X509IdentityImpl,
    message: Uint8Array,
    signature: Uint8Array,
    options?: VerifyOptions,
  ): Promise<void>;
  signMessage(key: KeyObject, curve: EcCurve, message: Uint8Array): Promise<Uint8Array>;
}

/** A deserialized identity. */
export class X509IdentityImpl implements X509Identity {
  readonly identifier: IdentityIdentifier;
  /** Verdict of validate(), once computed: null when valid. */
  verdict: IdentityError | null | undefined;
  ous: readonly OUIdentifier[] | undefined;

  constructor(
    readonly owner: IdentityOwner,
    readonly mspId: string,
    /** The sanitised certificate. */
    readonly cert: Certificate,
    id: string,
    readonly serialized: Uint8Array,
    /**
     * The certificates above this one in its unique chain, when deserialization already built it
     * against the MSP's final roots and intermediates.
     */
    readonly parents: readonly Certificate[] | undefined,
  ) {
    this.identifier = Object.freeze({ mspId, id });
  }

  get certificate(): Uint8Array {
    return this.cert.der;
  }

  get subject(): string {
    return this.cert.subject;
  }

  get issuer(): string {
    return this.cert.issuer;
  }

  get notBefore(): Date {
    return new Date(this.cert.notBefore.getTime());
  }

  get expiresAt(): Date {
    return new Date(this.cert.notAfter.getTime());
  }

  get organizationalUnits(): readonly OUIdentifier[] {
    return this.owner.organizationalUnitsOf(this);
  }

  serialize(): Uint8Array {
    return this.serialized;
  }

  verify(message: Uint8Array, signature: Uint8Array, options?: VerifyOptions): Promise<void> {
    return this.owner.verifySignature(this, message, signature, options);
  }

  validate(): void {
    this.owner.validateIdentity(this);
  }

  checkValidityAt(when: Date): void {
    const t = when.getTime();
    const details = { mspId: this.mspId, subject: this.subject, checkedAt: when.toISOString() };
    if (t < this.cert.notBefore.getTime()) {
      throw new IdentityError(
        'NOT_YET_VALID',
        `the certificate of ${this.subject} (MSP ${this.mspId}) is not valid before ${this.cert.notBefore.toISOString()} (checked at ${when.toISOString()})`,
        { details: { ...details, notBefore: this.cert.notBefore.toISOString() } },
      );
    }
    if (t > this.cert.notAfter.getTime()) {
      throw new IdentityError(
        'EXPIRED',
        `the certificate of ${this.subject} (MSP ${this.mspId}) expired at ${this.cert.notAfter.toISOString()} (checked at ${when.toISOString()})`,
        { details: { ...details, expiresAt: this.cert.notAfter.toISOString() } },
      );
    }
  }

  satisfiesPrincipal(principal: common.IMSPPrincipal): void {
    this.owner.satisfiesPrincipal(this, principal);
  }
}

/** The MSP's own identity, with its private key. */
export class X509SigningIdentityImpl extends X509IdentityImpl implements X509SigningIdentity {
  constructor(
    base: X509IdentityImpl,
    private readonly key: KeyObject,
    private readonly curve: EcCurve,
  ) {
    super(base.owner, base.mspId, base.cert, base.identifier.id, base.serialized, base.parents);
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    return this.owner.signMessage(this.key, this.curve, message);
  }
}

/** PEM of a certificate's DER, as Fabric's Serialize writes it. */
export function certificatePem(cert: Certificate): string {
  return encodePem('CERTIFICATE', cert.der);
}
