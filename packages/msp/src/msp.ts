/**
 * Fabric's X.509 ("bccsp") MSP: setup from a FabricMSPConfig, identity deserialization,
 * validation, NodeOU classification, principal checks, signature verification and signing, each
 * as Fabric v2.5's msp package does it for the MSP version the channel asks for. Verdicts are
 * cached in bounded LRU maps, so that a known identity costs one signature verification and no
 * certificate parsing.
 */
import {
  createHash,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import {
  IdentityError,
  type IdentityErrorCode,
  type Logger,
  type OUIdentifier,
  type VerifyOptions,
} from '@fabric-peer/api';
import { common, msp as mspProto } from '@fabric-peer/protos';
import { MspError } from './errors.js';
import { Failure, bytes, errorMessage, wrap } from './failure.js';
import {
  X509IdentityImpl,
  X509SigningIdentityImpl,
  certificatePem,
  type IdentityOwner,
  type X509Identity,
  type X509SigningIdentity,
} from './identity.js';
import { keyStoreSki, parseEcPrivateKey, type KeyStore } from './keys.js';
import { BytesLru, Lru } from './lru.js';
import { checkPrincipal, roleName, type PrincipalContext } from './principals.js';
import { mspVersionAtLeast, type MspVersion } from './version.js';
import {
  checkSignatureFrom,
  isEcdsaSigned,
  parseCertificate,
  type Certificate,
} from './x509/certificate.js';
import { CertPool, verifyChains } from './x509/chain.js';
import { checkCrlSignature, parseCrl, type Crl } from './x509/crl.js';
import {
  isLowS,
  lowSP1363,
  marshalEcdsaSignature,
  parseEcdsaSignature,
  toLowS,
  toP1363,
  type EcCurve,
} from './x509/ecdsa.js';
import { decodePem } from './x509/pem.js';
import { sanitizeAgainst } from './x509/sanitize.js';

/** Sizes of an MSP's caches (entries); 0 disables one. */
export interface MspCacheSizes {
  /** Serialized identity bytes → identity (or the error deserializing them gave). */
  readonly identities: number;
  /** Identity identifier → validation verdict (failures included). */
  readonly validations: number;
  /** Identity identifier and principal → verdict. */
  readonly principals: number;
  /** Public key (SubjectPublicKeyInfo) → node:crypto KeyObject. */
  readonly keys: number;
  /**
   * (identity, signature) → the message it was found to sign: signatures already verified
   * successfully, so that one checked twice (a proposal's creator signature, checked by the
   * endorser and again by the `peer/Propose` ACL) costs one verification. Failures are never kept.
   * Off (0) by default: it only pays where the same signature is checked more than once.
   */
  readonly verifiedSignatures: number;
}

/** Default cache sizes: a few thousand entries each; the verified-signature cache is off. */
export const DEFAULT_CACHE_SIZES: MspCacheSizes = Object.freeze({
  identities: 4096,
  validations: 4096,
  principals: 8192,
  keys: 4096,
  verifiedSignatures: 0,
});

/**
 * Messages up to this size are kept as copies in the verified-signature cache and compared byte
 * for byte; larger ones are kept as their SHA-256 digest, so an entry never holds more than this.
 */
const VERIFIED_COPY_LIMIT = 2048;

/** Options of {@link createMsp}. */
export interface MspOptions {
  /** MSP version (from the channel's capabilities); default `v1_4_3`, a Fabric v2 channel's. */
  readonly version?: MspVersion;
  /** Cache sizes; defaults in {@link DEFAULT_CACHE_SIZES}. */
  readonly cacheSizes?: Partial<MspCacheSizes>;
  /**
   * Where the signing identity's private key is looked up by SKI first (Fabric's BCCSP key
   * store); the config's `signing_identity.private_signer.key_material` is the fallback.
   */
  readonly keyStore?: KeyStore;
  /** Clock for the signing identity's expiry check at setup; default `new Date()`. */
  readonly now?: () => Date;
  /** Where refused identities and unusable CRLs are reported (warn), as Fabric logs them. */
  readonly logger?: Logger;
}

/** Counters of an MSP's work, for metrics and tests. */
export interface MspStats {
  /** Certificates parsed (configuration, deserialization, sanitisation). */
  certificatesParsed: number;
  deserializeCacheHits: number;
  deserializeCacheMisses: number;
  validationCacheHits: number;
  validationsComputed: number;
  principalCacheHits: number;
  principalChecksComputed: number;
  /** Signatures checked with node:crypto. */
  signaturesVerified: number;
  /** Signatures accepted from the verified-signature cache, without node:crypto. */
  signatureCacheHits: number;
}

/** How an MSP classifies identities by OU (Fabric's NodeOUs), as configured. */
export interface NodeOUs {
  /** Whether identities must carry exactly one of the node OUs. */
  readonly enabled: boolean;
  readonly client: NodeOU | undefined;
  readonly peer: NodeOU | undefined;
  readonly admin: NodeOU | undefined;
  readonly orderer: NodeOU | undefined;
}

/** One node OU: its name and, when the config names a CA, the hash of that CA's chain. */
export interface NodeOU {
  readonly organizationalUnitIdentifier: string;
  readonly certifiersIdentifier: Uint8Array | undefined;
}

/** Fabric's X.509 MSP for one organisation (an MSP id). */
export interface Msp {
  /** The MSP id, e.g. `Org1MSP`. */
  readonly id: string;
  readonly version: MspVersion;
  /** Fabric's provider type name. */
  readonly type: 'bccsp';
  /**
   * An identity from `msp.SerializedIdentity` bytes. Throws an IdentityError: MALFORMED (not a
   * SerializedIdentity, not a PEM certificate), WRONG_MSP (another MSP id), UNTRUSTED_CHAIN (an
   * ECDSA-signed certificate that does not chain to this MSP: Fabric refuses it here already),
   * UNSUPPORTED (a key type Fabric cannot import).
   */
  deserializeIdentity(serialized: Uint8Array): X509Identity;
  /**
   * Fabric's IsWellFormed: one PEM block of type CERTIFICATE (or none) with nothing after it,
   * a certificate that parses, an ECDSA signature in canonical DER. Throws MALFORMED otherwise.
   */
  isWellFormed(identity: mspProto.SerializedIdentity.$Properties): void;
  /** Root and intermediate CA certificates (sanitised DER), in config order. */
  readonly rootCerts: readonly Uint8Array[];
  readonly intermediateCerts: readonly Uint8Array[];
  /** TLS root and intermediate CA certificates, as the config gives them (PEM). */
  readonly tlsRootCerts: readonly Uint8Array[];
  readonly tlsIntermediateCerts: readonly Uint8Array[];
  /** The explicitly listed administrators (legacy admincerts). */
  readonly admins: readonly X509Identity[];
  readonly nodeOUs: NodeOUs;
  /** Whether the config has a signing identity (a local MSP). */
  readonly hasSigningIdentity: boolean;
  /** The MSP's signing identity; throws MspError MSP_NO_SIGNER when it has none. */
  defaultSigningIdentity(): X509SigningIdentity;
  readonly stats: Readonly<MspStats>;
}

// ---------------------------------------------------------------------------------------------

const ROLE = common.MSPRole.MSPRoleType;
const CLASSIFICATION = common.MSPPrincipal.Classification;

const IDENTITY_HASHES: Readonly<Record<string, string>> = {
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA3_256: 'sha3-256',
  SHA3_384: 'sha3-384',
};

const SIGNATURE_HASH_FAMILIES: Readonly<Record<string, string>> = {
  SHA2: 'sha256',
  SHA3: 'sha3-256',
};

const SECOND_MS = 1000;

function hexSerial(cert: Certificate): string {
  return cert.serialNumber.toString(16);
}

function latin1(u: Uint8Array): string {
  return bytes(u).toString('latin1');
}

/** What the verified-signature cache keeps of a message: a copy, or the digest of a large one. */
function keptMessage(message: Uint8Array): Uint8Array {
  if (message.length <= VERIFIED_COPY_LIMIT) return new Uint8Array(message);
  return createHash('sha256').update(message).digest();
}

/** Whether `message` is the one `kept` (from {@link keptMessage}) was made of. */
function sameMessage(kept: Uint8Array, message: Uint8Array): boolean {
  if (message.length <= VERIFIED_COPY_LIMIT) return bytes(message).equals(kept);
  return createHash('sha256').update(message).digest().equals(kept);
}

/** Go's "%v" of a duration, roughly: `26h3m4.5s`. */
function goDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

/** Fabric's hostname check of verifyLegacyNameConstraints (underscores and colons allowed). */
function looksLikeHostname(name: string): boolean {
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (host.length === 0) return false;
  return host.split('.').every((part, i) => {
    if (part === '') return false;
    if (i === 0 && part === '*') return true;
    return [...part].every((c, j) => /[a-zA-Z0-9_:]/.test(c) || (c === '-' && j !== 0));
  });
}

interface NodeOUInternal {
  readonly ou: string;
  readonly certifiersIdentifier: Buffer | undefined;
}

type Verdict = { readonly identity: X509IdentityImpl } | { readonly error: IdentityError };

/** Builds and sets up an MSP from its configuration; throws MspError when Fabric would refuse it. */
export function createMsp(config: mspProto.MSPConfig.$Properties, options: MspOptions = {}): Msp {
  return FabricMspImpl.setup(config, options);
}

class FabricMspImpl implements Msp, IdentityOwner, PrincipalContext {
  readonly type = 'bccsp' as const;
  readonly stats: MspStats = {
    certificatesParsed: 0,
    deserializeCacheHits: 0,
    deserializeCacheMisses: 0,
    validationCacheHits: 0,
    validationsComputed: 0,
    principalCacheHits: 0,
    principalChecksComputed: 0,
    signaturesVerified: 0,
    signatureCacheHits: 0,
  };

  id = '';
  #identityHash = 'sha256';
  #identityHashName = 'SHA256';
  #signatureHashFamily = 'SHA2';

  #roots = new CertPool();
  #intermediates = new CertPool();
  #poolsFinal = false;
  #rootCerts: Certificate[] = [];
  #intermediateCerts: Certificate[] = [];
  #internalNodes = new Set<string>();
  #crls: Crl[] = [];
  #admins: X509IdentityImpl[] = [];
  #signer: X509SigningIdentityImpl | undefined;
  #tlsRootCerts: Uint8Array[] = [];
  #tlsIntermediateCerts: Uint8Array[] = [];
  #ouIdentifiers = new Map<string, Buffer[]>();
  #ouEnforcement = false;
  #clientOU: NodeOUInternal | undefined;
  #peerOU: NodeOUInternal | undefined;
  #adminOU: NodeOUInternal | undefined;
  #ordererOU: NodeOUInternal | undefined;

  readonly #identities: BytesLru<Verdict>;
  readonly #validations: Lru<string, IdentityError | null>;
  readonly #principals: Lru<string, IdentityError | null>;
  readonly #keys: Lru<string, KeyObject>;
  readonly #verified: Lru<string, Uint8Array>;

  private constructor(
    readonly version: MspVersion,
    private readonly options: MspOptions,
  ) {
    const sizes = { ...DEFAULT_CACHE_SIZES, ...options.cacheSizes };
    this.#identities = new BytesLru(sizes.identities);
    this.#validations = new Lru(sizes.validations);
    this.#principals = new Lru(sizes.principals);
    this.#keys = new Lru(sizes.keys);
    this.#verified = new Lru(sizes.verifiedSignatures);
  }

  static setup(config: mspProto.MSPConfig.$Properties, options: MspOptions): FabricMspImpl {
    const version = options.version ?? 'v1_4_3';
    const type = config.type ?? 0;
    if (type !== 0) {
      throw new MspError(
        'MSP_UNSUPPORTED',
        `MSP config of type ${type} (${type === 1 ? 'idemix' : 'unknown'}) is not supported: this peer implements Fabric's X.509 MSP (type 0) only`,
        { details: { type } },
      );
    }
    let conf: mspProto.FabricMSPConfig;
    try {
      conf = mspProto.FabricMSPConfig.decode(bytes(config.config));
    } catch (err) {
      throw new MspError(
        'MSP_SETUP_FAILED',
        `MSP setup failed: failed unmarshalling fabric msp config: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const impl = new FabricMspImpl(version, options);
    impl.id = conf.name;
    try {
      impl.#setup(conf);
    } catch (err) {
      throw new MspError(
        'MSP_SETUP_FAILED',
        `MSP ${conf.name}: setup failed: ${errorMessage(err)}`,
        {
          cause: err,
          details: { mspId: conf.name, version },
        },
      );
    }
    return impl;
  }

  // --- public surface ---------------------------------------------------------------------------

  get rootCerts(): readonly Uint8Array[] {
    return this.#rootCerts.map((c) => c.der);
  }

  get intermediateCerts(): readonly Uint8Array[] {
    return this.#intermediateCerts.map((c) => c.der);
  }

  get tlsRootCerts(): readonly Uint8Array[] {
    return this.#tlsRootCerts;
  }

  get tlsIntermediateCerts(): readonly Uint8Array[] {
    return this.#tlsIntermediateCerts;
  }

  get admins(): readonly X509Identity[] {
    return this.#admins;
  }

  get nodeOUs(): NodeOUs {
    const pub = (o: NodeOUInternal | undefined): NodeOU | undefined =>
      o === undefined
        ? undefined
        : { organizationalUnitIdentifier: o.ou, certifiersIdentifier: o.certifiersIdentifier };
    return {
      enabled: this.#ouEnforcement,
      client: pub(this.#clientOU),
      peer: pub(this.#peerOU),
      admin: pub(this.#adminOU),
      orderer: pub(this.#ordererOU),
    };
  }

  get hasSigningIdentity(): boolean {
    return this.#signer !== undefined;
  }

  defaultSigningIdentity(): X509SigningIdentity {
    if (this.#signer === undefined) {
      throw new MspError(
        'MSP_NO_SIGNER',
        `MSP ${this.id} does not possess a valid default signing identity`,
        { details: { mspId: this.id } },
      );
    }
    return this.#signer;
  }

  deserializeIdentity(serialized: Uint8Array): X509Identity {
    const cached = this.#identities.get(serialized);
    if (cached !== undefined) {
      this.stats.deserializeCacheHits++;
      if ('error' in cached) throw cached.error;
      return cached.identity;
    }
    this.stats.deserializeCacheMisses++;
    let verdict: Verdict;
    try {
      verdict = { identity: this.#deserialize(serialized) };
    } catch (err) {
      verdict = { error: this.#identityError(err, 'could not deserialize identity') };
    }
    this.#identities.set(serialized, verdict);
    if ('error' in verdict) throw verdict.error;
    return verdict.identity;
  }

  isWellFormed(identity: mspProto.SerializedIdentity.$Properties): void {
    const mspid = identity.mspid ?? '';
    const fail: (message: string, cause?: unknown) => never = (message, cause) => {
      throw new IdentityError('MALFORMED', message, {
        ...(cause === undefined ? {} : { cause }),
        details: { mspId: mspid, reason: 'not-well-formed' },
      });
    };
    const block = decodePem(bytes(identity.idBytes));
    if (block === undefined) fail('PEM decoding resulted in an empty block');
    if (block.rest.length > 0) fail(`identity for MSP ${mspid} has trailing bytes`);
    if (block.type !== 'CERTIFICATE' && block.type !== '') {
      fail(`pem type is ${block.type}, should be 'CERTIFICATE' or missing`);
    }
    let cert: Certificate;
    try {
      cert = this.#parse(block.bytes);
    } catch (err) {
      return fail(errorMessage(err), err);
    }
    if (!isEcdsaSigned(cert)) return;
    let canonical: Uint8Array;
    try {
      canonical = marshalEcdsaSignature(parseEcdsaSignature(cert.signature));
    } catch (err) {
      return fail(errorMessage(err), err);
    }
    if (!Buffer.from(canonical).equals(cert.signature)) {
      fail(`identity for MSP ${mspid} has a non canonical signature`);
    }
  }

  // --- IdentityOwner ----------------------------------------------------------------------------

  validateIdentity(identity: X509IdentityImpl): void {
    if (identity.verdict === undefined) {
      const key = identity.identifier.id;
      const cached = this.#validations.get(key);
      if (cached !== undefined) {
        this.stats.validationCacheHits++;
        identity.verdict = cached;
      } else {
        this.stats.validationsComputed++;
        identity.verdict = this.#validate(identity);
        this.#validations.set(key, identity.verdict);
        if (identity.verdict !== null) {
          this.options.logger?.warn(`Could not validate identity: ${identity.verdict.message}`, {
            mspId: this.id,
            subject: identity.subject,
            issuer: identity.issuer,
            serialNumber: identity.cert.serialNumber.toString(),
          });
        }
      }
    } else {
      this.stats.validationCacheHits++;
    }
    if (identity.verdict !== null) throw identity.verdict;
  }

  organizationalUnitsOf(identity: X509IdentityImpl): readonly OUIdentifier[] {
    if (identity.ous === undefined) {
      let ous: OUIdentifier[] = [];
      try {
        const chain = this.#certificationChain(identity);
        const certifiersIdentifier = this.#chainIdentifier(chain.slice(1));
        ous = identity.cert.organizationalUnits.map((ou) =>
          Object.freeze({ organizationalUnitIdentifier: ou, certifiersIdentifier }),
        );
      } catch {
        // Fabric: no certification chain, no OUs.
        ous = [];
      }
      identity.ous = Object.freeze(ous);
    }
    return identity.ous;
  }

  satisfiesPrincipal(identity: X509IdentityImpl, principal: common.IMSPPrincipal): void {
    const classification = principal.principalClassification ?? CLASSIFICATION.ROLE;
    const principalBytes = bytes(principal.principal);
    const key = `${identity.identifier.id}|${classification}|${principalBytes.toString('base64')}`;
    let verdict = this.#principals.get(key);
    if (verdict !== undefined) {
      this.stats.principalCacheHits++;
    } else {
      this.stats.principalChecksComputed++;
      try {
        checkPrincipal(this, identity, classification, principalBytes);
        verdict = null;
      } catch (err) {
        const failure = err instanceof Failure ? err : wrap('principal check failed', err);
        verdict = new IdentityError('PRINCIPAL_NOT_SATISFIED', failure.message, {
          cause: failure.cause ?? failure,
          details: {
            mspId: this.id,
            subject: identity.subject,
            principalClassification: CLASSIFICATION[classification] ?? classification,
            reason: failure.reason,
            ...(failure.code !== 'PRINCIPAL_NOT_SATISFIED' ? { cause: failure.code } : {}),
          },
        });
      }
      this.#principals.set(key, verdict);
    }
    if (verdict !== null) throw verdict;
  }

  verifySignature(
    identity: X509IdentityImpl,
    message: Uint8Array,
    signature: Uint8Array,
    options?: VerifyOptions,
  ): Promise<void> {
    const details = { mspId: this.id, subject: identity.subject };
    const bad = (code: IdentityErrorCode, reason: string, text: string): Promise<void> =>
      Promise.reject(new IdentityError(code, text, { details: { ...details, reason } }));
    const hash = SIGNATURE_HASH_FAMILIES[this.#signatureHashFamily];
    if (hash === undefined) {
      return bad(
        'UNSUPPORTED',
        'hash-family',
        `failed getting hash function options: hash family not recognized [${this.#signatureHashFamily}] (MSP ${this.id})`,
      );
    }
    if (signature.length === 0) {
      return bad('BAD_SIGNATURE', 'empty', 'Invalid signature. Cannot be empty.');
    }
    // Verification is deterministic: the same key, message and signature give the same answer,
    // so one already accepted is accepted again without node:crypto.
    let remember: (() => void) | undefined;
    if (this.#verified.capacity > 0 && options?.remember !== false) {
      // The length keeps a copied message and a digest (of a longer one) from ever matching.
      const key = `${identity.identifier.id}\u0000${message.length}\u0000${latin1(signature)}`;
      const signed = this.#verified.get(key);
      if (signed !== undefined && sameMessage(signed, message)) {
        this.stats.signatureCacheHits++;
        return Promise.resolve();
      }
      // Copied now: the caller may reuse its buffer once the verification is under way.
      const kept = keptMessage(message);
      remember = () => this.#verified.set(key, kept);
    }
    const verified = this.#verifyUncached(identity, message, signature, hash, details, bad);
    return remember === undefined ? verified : verified.then(remember);
  }

  /** Verification proper: Fabric's bccsp verify with the MSP's hash family. */
  #verifyUncached(
    identity: X509IdentityImpl,
    message: Uint8Array,
    signature: Uint8Array,
    hash: string,
    details: Record<string, unknown>,
    bad: (code: IdentityErrorCode, reason: string, text: string) => Promise<void>,
  ): Promise<void> {
    const cert = identity.cert;
    const key = this.#keyOf(cert);
    if (cert.publicKeyKind === 'ed25519' && mspVersionAtLeast(this.version, 'v3_0') && key) {
      return this.#verifyAsync(null, message, key, signature, details);
    }
    if (cert.publicKeyKind !== 'ec' || cert.curve === undefined || key === undefined) {
      return bad(
        'UNSUPPORTED',
        'key-type',
        `could not determine the validity of the signature: Unsupported 'VerifyKey' provided (${cert.publicKeyKind} key of ${cert.subject})`,
      );
    }
    // Well-formed low-S signatures (all honest ones) convert on bytes; anything else takes the
    // detailed path below, which refuses it with Fabric's reason.
    const fast = lowSP1363(cert.curve, signature);
    if (fast !== undefined) {
      return this.#verifyAsync(hash, message, { key, dsaEncoding: 'ieee-p1363' }, fast, details);
    }
    let sig;
    try {
      sig = parseEcdsaSignature(signature);
    } catch (err) {
      return bad(
        'BAD_SIGNATURE',
        'malformed',
        `could not determine the validity of the signature: Failed unmashalling signature [${errorMessage(err)}]`,
      );
    }
    if (!isLowS(cert.curve, sig.s)) {
      return bad(
        'BAD_SIGNATURE',
        'high-s',
        `could not determine the validity of the signature: Invalid S. Must be smaller than half the order [${sig.s}][${cert.curve.halfOrder}].`,
      );
    }
    const p1363 = toP1363(cert.curve, sig);
    if (p1363 === undefined) {
      return bad('BAD_SIGNATURE', 'mismatch', 'The signature is invalid');
    }
    return this.#verifyAsync(hash, message, { key, dsaEncoding: 'ieee-p1363' }, p1363, details);
  }

  signMessage(key: KeyObject, curve: EcCurve, message: Uint8Array): Promise<Uint8Array> {
    const hash = SIGNATURE_HASH_FAMILIES[this.#signatureHashFamily];
    if (hash === undefined) {
      return Promise.reject(
        new MspError(
          'MSP_NO_SIGNER',
          `MSP ${this.id}: failed getting hash function options: hash family not recognized [${this.#signatureHashFamily}]`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      cryptoSign(hash, message, { key, dsaEncoding: 'ieee-p1363' }, (err, raw) => {
        if (err !== null) {
          reject(
            new MspError('MSP_NO_SIGNER', `MSP ${this.id}: signing failed: ${err.message}`, {
              cause: err,
            }),
          );
          return;
        }
        const r = BigInt(`0x${raw.subarray(0, curve.size).toString('hex')}`);
        const s = BigInt(`0x${raw.subarray(curve.size).toString('hex')}`);
        resolve(marshalEcdsaSignature(toLowS(curve, { r, s })));
      });
    });
  }

  // --- internals: parsing, identities -----------------------------------------------------------

  #parse(der: Uint8Array): Certificate {
    this.stats.certificatesParsed++;
    return parseCertificate(der);
  }

  #keyOf(cert: Certificate): KeyObject | undefined {
    if (cert.publicKey === undefined) return undefined;
    const key = cert.spki.toString('latin1');
    const cached = this.#keys.get(key);
    if (cached !== undefined) return cached;
    this.#keys.set(key, cert.publicKey);
    return cert.publicKey;
  }

  #verifyAsync(
    hash: string | null,
    message: Uint8Array,
    key: Parameters<typeof cryptoVerify>[2],
    signature: Uint8Array,
    details: Record<string, unknown>,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      cryptoVerify(hash, message, key, signature, (err, ok) => {
        this.stats.signaturesVerified++;
        if (err === null && ok) {
          resolve();
          return;
        }
        reject(
          new IdentityError('BAD_SIGNATURE', 'The signature is invalid', {
            ...(err !== null ? { cause: err } : {}),
            details: { ...details, reason: 'mismatch' },
          }),
        );
      });
    });
  }

  /** Turns a failure into the IdentityError callers see. */
  #identityError(err: unknown, prefix: string): IdentityError {
    if (err instanceof IdentityError) return err;
    const failure = err instanceof Failure ? err : undefined;
    return new IdentityError(failure?.code ?? 'MALFORMED', `${prefix}: ${errorMessage(err)}`, {
      cause: err,
      details: { mspId: this.id, reason: failure?.reason ?? 'error' },
    });
  }

  #deserialize(serialized: Uint8Array): X509IdentityImpl {
    let sid: mspProto.SerializedIdentity;
    try {
      sid = mspProto.SerializedIdentity.decode(bytes(serialized));
    } catch (err) {
      throw new Failure(
        'MALFORMED',
        `could not deserialize a SerializedIdentity: ${errorMessage(err)}`,
        'not-a-serialized-identity',
        { cause: err },
      );
    }
    if (sid.mspid !== this.id) {
      throw new IdentityError('WRONG_MSP', `expected MSP ID ${this.id}, received ${sid.mspid}`, {
        details: { mspId: this.id, received: sid.mspid, reason: 'wrong-msp' },
      });
    }
    const block = decodePem(bytes(sid.idBytes));
    if (block === undefined) {
      throw new Failure('MALFORMED', 'could not decode the PEM structure', 'not-pem');
    }
    return this.#newIdentity(block.bytes, Buffer.from(serialized));
  }

  /** Parses the certificate, checks its key can be imported, sanitises it (chain check). */
  #newIdentity(der: Uint8Array, serialized: Uint8Array | undefined): X509IdentityImpl {
    let cert: Certificate;
    try {
      cert = this.#parse(der);
    } catch (err) {
      throw new Failure(
        'MALFORMED',
        `parseCertificate failed: ${errorMessage(err)}`,
        'not-a-certificate',
        {
          cause: err,
        },
      );
    }
    const kind = cert.publicKeyKind;
    const importable =
      kind === 'ec' ||
      kind === 'rsa' ||
      (kind === 'ed25519' && mspVersionAtLeast(this.version, 'v3_0'));
    if (!importable) {
      throw new Failure(
        'UNSUPPORTED',
        `failed to import certificate's public key: Certificate's public key type not recognized. Supported keys: [ECDSA, RSA${mspVersionAtLeast(this.version, 'v3_0') ? ', Ed25519' : ''}]`,
        'key-type',
      );
    }
    const { cert: sanitized, parents } = this.#sanitize(cert);
    const id = createHash(this.#identityHash).update(sanitized.der).digest('hex');
    const ser =
      serialized ??
      mspProto.SerializedIdentity.encode({
        mspid: this.id,
        idBytes: Buffer.from(certificatePem(sanitized)),
      }).finish();
    return new X509IdentityImpl(this, this.id, sanitized, id, ser, parents);
  }

  /** Fabric's sanitizeCert; also returns the chain above the certificate when it built one. */
  #sanitize(cert: Certificate): { cert: Certificate; parents: readonly Certificate[] | undefined } {
    if (!isEcdsaSigned(cert)) return { cert, parents: undefined };
    try {
      if (cert.isCa && selfSigned(cert)) {
        const clean = sanitizeAgainst(cert, cert, (d) => this.#parse(d));
        this.#uniqueChain(clean, new CertPool([clean]), this.#intermediates);
        return { cert: clean, parents: undefined };
      }
      const chain = this.#uniqueChain(cert, this.#roots, this.#intermediates);
      const parent = chain[1];
      if (parent === undefined) {
        throw new Failure(
          'UNTRUSTED_CHAIN',
          `failed to traverse certificate verification chain for leaf or intermediate certificate, with subject ${cert.subject}`,
          'no-parent',
        );
      }
      const clean = sanitizeAgainst(cert, parent, (d) => this.#parse(d));
      return { cert: clean, parents: this.#poolsFinal ? chain.slice(1) : undefined };
    } catch (err) {
      if (err instanceof Failure) throw err;
      throw new Failure('UNTRUSTED_CHAIN', errorMessage(err), 'untrusted-chain', { cause: err });
    }
  }

  /** Fabric's getUniqueValidationChain, judged at the certificate's NotBefore + 1 s. */
  #uniqueChain(cert: Certificate, roots: CertPool, intermediates: CertPool): Certificate[] {
    let chains: Certificate[][];
    try {
      chains = verifyChains(cert, {
        roots,
        intermediates,
        at: new Date(cert.notBefore.getTime() + SECOND_MS),
      });
    } catch (err) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        `the supplied identity is not valid: ${errorMessage(err)}`,
        'untrusted-chain',
        { cause: err },
      );
    }
    if (chains.length !== 1) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        `this MSP only supports a single validation chain, got ${chains.length}`,
        'several-chains',
      );
    }
    const chain = chains[0]!;
    // Go 1.14's rule, kept by Fabric: a name-constrained CA above a leaf without SANs whose CN
    // looks like a host name.
    const leaf = chain[0]!;
    if (
      chain.length >= 2 &&
      leaf.subjectAltName === undefined &&
      looksLikeHostname(leaf.commonName) &&
      chain.slice(1).some((c) => c.hasNameConstraints)
    ) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        "the supplied identity is not valid: x509: issuer has name constraints but leaf doesn't have a SAN extension",
        'name-constraints',
      );
    }
    return chain;
  }

  /** Fabric's getValidationChain (for a leaf, or for an intermediate named by an OU). */
  #validationChain(cert: Certificate, intermediateChain: boolean): Certificate[] {
    let chain: Certificate[];
    try {
      chain = this.#uniqueChain(cert, this.#roots, this.#intermediates);
    } catch (err) {
      throw wrap('failed getting validation chain', err);
    }
    return this.#checkParent(chain, intermediateChain);
  }

  #checkParent(chain: Certificate[], intermediateChain: boolean): Certificate[] {
    if (chain.length < 2) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        `expected a chain of length at least 2, got ${chain.length}`,
        'short-chain',
      );
    }
    const parent = chain[intermediateChain ? 0 : 1]!;
    if (this.#internalNodes.has(parent.der.toString('latin1'))) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        'invalid validation chain. Parent certificate should be a leaf of the certification tree',
        'parent-not-a-leaf',
      );
    }
    return chain;
  }

  /** Fabric's getCertificationChainForBCCSPIdentity. */
  #certificationChain(identity: X509IdentityImpl): Certificate[] {
    const cert = identity.cert;
    if (cert.isCa) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        'An X509 certificate with Basic Constraint: Certificate Authority equals true cannot be used as an identity',
        'ca-certificate',
      );
    }
    if (identity.parents !== undefined) {
      return this.#checkParent([cert, ...identity.parents], false);
    }
    return this.#validationChain(cert, false);
  }

  #chainIdentifier(chain: readonly Certificate[]): Buffer {
    const h = createHash(this.#identityHash);
    for (const c of chain) h.update(c.der);
    return h.digest();
  }

  // --- internals: validation --------------------------------------------------------------------

  #validate(identity: X509IdentityImpl): IdentityError | null {
    const cert = identity.cert;
    const fail = (err: unknown, prefix: string): IdentityError => {
      const failure = err instanceof Failure ? err : wrap(prefix, err);
      return new IdentityError(failure.code, `${prefix}: ${failure.message}`, {
        cause: err,
        details: {
          mspId: this.id,
          subject: cert.subject,
          issuer: cert.issuer,
          serialNumber: cert.serialNumber.toString(),
          reason: failure.reason,
        },
      });
    };
    if (
      mspVersionAtLeast(this.version, 'v3_0') &&
      cert.publicKeyKind !== 'ec' &&
      cert.publicKeyKind !== 'ed25519'
    ) {
      return fail(
        new Failure(
          'UNSUPPORTED',
          `${cert.publicKeyKind.toUpperCase()} is not supported`,
          'key-type',
        ),
        "could not validate identity's public key algorithm",
      );
    }
    let chain: Certificate[];
    try {
      chain = this.#certificationChain(identity);
    } catch (err) {
      return fail(err, 'could not obtain certification chain');
    }
    try {
      this.#checkRevocation(cert, chain);
    } catch (err) {
      return fail(err, 'could not validate identity against certification chain');
    }
    try {
      this.#validateOUs(identity);
    } catch (err) {
      return fail(err, "could not validate identity's OUs");
    }
    return null;
  }

  /** Fabric's validateCertAgainstChain: revoked by a CRL of the certificate's issuer? */
  #checkRevocation(cert: Certificate, chain: readonly Certificate[]): void {
    const signer = chain[1]!;
    const ski = signer.subjectKeyId;
    if (ski === undefined) {
      throw new Failure(
        'UNTRUSTED_CHAIN',
        'could not obtain Subject Key Identifier for signer cert: subjectKeyIdentifier not found in certificate',
        'issuer-without-ski',
      );
    }
    const serial = cert.serialNumber.toString();
    for (const crl of this.#crls) {
      if (crl.authorityKeyIdError !== undefined) {
        throw new Failure(
          'UNTRUSTED_CHAIN',
          `could not obtain Authority Key Identifier for crl: ${crl.authorityKeyIdError}`,
          'crl-without-aki',
        );
      }
      if (!(crl.authorityKeyId ?? Buffer.alloc(0)).equals(ski)) continue;
      if (!crl.revokedSerials.has(serial)) continue;
      try {
        checkCrlSignature(crl, signer);
      } catch (err) {
        // Fabric: a CRL naming the issuer but not signed by it is skipped (with a warning).
        this.options.logger?.warn('Invalid signature over the identified CRL', {
          mspId: this.id,
          crlIssuer: crl.issuer,
          error: errorMessage(err),
        });
        continue;
      }
      throw new Failure(
        'REVOKED',
        `The certificate has been revoked (serial ${hexSerial(cert)}, CRL of ${crl.issuer})`,
        'revoked',
      );
    }
  }

  #ouids(ous: readonly OUIdentifier[]): string {
    const parts = ous.map(
      (o) =>
        `${o.organizationalUnitIdentifier}(${Buffer.from(o.certifiersIdentifier.subarray(0, 8)).toString('hex').toUpperCase()})`,
    );
    return `[${parts.join(' ')}]`;
  }

  #validateOUs(identity: X509IdentityImpl): void {
    const ous = this.organizationalUnitsOf(identity);
    // v1.0: at least one OU among the organizational_unit_identifiers, when there are some.
    if (this.#ouIdentifiers.size > 0) {
      const found = ous.some((ou) =>
        (this.#ouIdentifiers.get(ou.organizationalUnitIdentifier) ?? []).some((id) =>
          id.equals(ou.certifiersIdentifier),
        ),
      );
      if (!found) {
        if (ous.length === 0) {
          throw new Failure(
            'INVALID_OU',
            'the identity certificate does not contain an Organizational Unit (OU)',
            'no-ou',
          );
        }
        throw new Failure(
          'INVALID_OU',
          `none of the identity's organizational units ${this.#ouids(ous)} are in MSP ${this.id}`,
          'ou-not-in-msp',
        );
      }
    }
    if (this.version === 'v1_0' || !this.#ouEnforcement) return;

    const modern = mspVersionAtLeast(this.version, 'v1_4_3');
    const nodeOUs = new Map<string, NodeOUInternal>();
    const add = (o: NodeOUInternal | undefined): void => {
      if (o !== undefined) nodeOUs.set(o.ou, o);
    };
    if (modern) {
      add(this.#clientOU);
      add(this.#peerOU);
      add(this.#adminOU);
      add(this.#ordererOU);
    }
    let counter = 0;
    for (const ou of ous) {
      let nodeOU: NodeOUInternal | undefined;
      if (modern) {
        nodeOU = nodeOUs.get(ou.organizationalUnitIdentifier);
      } else if (ou.organizationalUnitIdentifier === this.#clientOU?.ou) {
        nodeOU = this.#clientOU;
      } else if (ou.organizationalUnitIdentifier === this.#peerOU?.ou) {
        nodeOU = this.#peerOU;
      }
      if (nodeOU === undefined) continue;
      const certifiers = nodeOU.certifiersIdentifier;
      if (
        certifiers !== undefined &&
        certifiers.length > 0 &&
        !certifiers.equals(ou.certifiersIdentifier)
      ) {
        throw new Failure(
          'INVALID_OU',
          `certifiersIdentifier does not match: ${this.#ouids(ous)}, MSP: [${this.id}]`,
          'node-ou-certifiers',
        );
      }
      counter++;
      if (counter > 1) break;
    }
    const roles = modern ? 'client, peer, orderer, or admin role' : 'client or peer';
    if (counter === 0) {
      throw new Failure(
        'INVALID_OU',
        `the identity does not have an OU that resolves to ${roles}. OUs: ${this.#ouids(ous)}, MSP: [${this.id}]`,
        'no-node-ou',
      );
    }
    if (counter > 1) {
      throw new Failure(
        'INVALID_OU',
        modern
          ? `the identity must have a client, a peer, an orderer, or an admin OU role to be valid, not a combination of them. OUs: ${this.#ouids(ous)}, MSP: [${this.id}]`
          : `the identity must be a client or a peer identity to be valid, not a combination of them. OUs: ${this.#ouids(ous)}, MSP: [${this.id}]`,
        'several-node-ous',
      );
    }
  }

  // --- PrincipalContext -------------------------------------------------------------------------

  get ouEnforcement(): boolean {
    return this.#ouEnforcement;
  }

  deserializeUncached(serialized: Buffer): X509IdentityImpl {
    return this.#deserialize(serialized);
  }

  /** Fabric's hasOURole: the identity carries the node OU of the role (certifiers not checked). */
  hasOURole(identity: X509IdentityImpl, role: common.MSPRole.MSPRoleType): void {
    if (!this.#ouEnforcement) {
      throw new Failure(
        'PRINCIPAL_NOT_SATISFIED',
        'NodeOUs not activated. Cannot tell apart identities.',
        'node-ous-disabled',
      );
    }
    let nodeOU: NodeOUInternal | undefined;
    switch (role) {
      case ROLE.CLIENT:
        nodeOU = this.#clientOU;
        break;
      case ROLE.PEER:
        nodeOU = this.#peerOU;
        break;
      case ROLE.ADMIN:
        nodeOU = this.#adminOU;
        break;
      case ROLE.ORDERER:
        nodeOU = this.#ordererOU;
        break;
      default:
        throw new Failure(
          'PRINCIPAL_NOT_SATISFIED',
          'Invalid MSPRoleType. It must be CLIENT, PEER, ADMIN or ORDERER',
          'invalid-role',
        );
    }
    if (nodeOU === undefined) {
      throw new Failure(
        'PRINCIPAL_NOT_SATISFIED',
        `cannot test for classification, node ou for type [${roleName(role)}], not defined, msp: [${this.id}]`,
        'node-ou-undefined',
      );
    }
    const ou = nodeOU.ou;
    if (this.organizationalUnitsOf(identity).some((o) => o.organizationalUnitIdentifier === ou))
      return;
    throw new Failure(
      'PRINCIPAL_NOT_SATISFIED',
      `The identity does not contain OU [${roleName(role)}], MSP: [${this.id}]`,
      'missing-node-ou',
    );
  }

  isInAdmins(identity: X509IdentityImpl): boolean {
    return this.#admins.some((a) => a.cert.der.equals(identity.cert.der));
  }

  // --- setup ------------------------------------------------------------------------------------

  #setup(conf: mspProto.FabricMSPConfig): void {
    this.#setupCrypto(conf);
    this.#setupCAs(conf);
    const modern = mspVersionAtLeast(this.version, 'v1_4_3');
    if (!modern) this.#setupAdmins(conf);
    this.#setupCRLs(conf);
    this.#finalizeCAs();
    this.#setupSigner(conf);
    this.#setupTlsCAs(conf);
    this.#setupOUs(conf);
    if (modern) {
      this.#setupNodeOUsV142(conf);
      this.#setupAdmins(conf);
      if (this.#admins.length === 0 && (!this.#ouEnforcement || this.#adminOU === undefined)) {
        throw new Error('administrators must be declared when no admin ou classification is set');
      }
      this.#postSetupV142();
    } else if (this.version === 'v1_0') {
      this.#postSetupV1();
    } else {
      this.#setupNodeOUsV11(conf);
      this.#postSetupV11();
    }
  }

  #setupCrypto(conf: mspProto.FabricMSPConfig): void {
    const crypto = conf.cryptoConfig;
    this.#signatureHashFamily = crypto?.signatureHashFamily || 'SHA2';
    this.#identityHashName = crypto?.identityIdentifierHashFunction || 'SHA256';
    const hash = IDENTITY_HASHES[this.#identityHashName];
    // Fabric finds out when it hashes the first CA certificate, i.e. during setup.
    if (hash === undefined) {
      throw new Error(
        `failed getting hash function options: hash function not recognized [${this.#identityHashName}]`,
      );
    }
    this.#identityHash = hash;
  }

  /** Fabric's getCertFromPem: the first PEM block of the bytes, parsed. */
  #certFromPem(pem: Uint8Array, what: string): Certificate {
    const block = decodePem(bytes(pem));
    if (block === undefined) {
      throw new Error(`getCertFromPem error: could not decode pem bytes of ${what}`);
    }
    try {
      return this.#parse(block.bytes);
    } catch (err) {
      throw new Error(
        `getCertFromPem error: failed to parse x509 cert (${what}): ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Fabric's getIdentityFromConf. */
  #identityFromConf(pem: Uint8Array, what: string): X509IdentityImpl {
    const block = decodePem(bytes(pem));
    if (block === undefined) {
      throw new Error(`getCertFromPem error: could not decode pem bytes of ${what}`);
    }
    try {
      return this.#newIdentity(block.bytes, undefined);
    } catch (err) {
      throw new Error(`${what}: ${errorMessage(err)}`, { cause: err });
    }
  }

  #setupCAs(conf: mspProto.FabricMSPConfig): void {
    if (conf.rootCerts.length === 0) throw new Error('expected at least one CA certificate');
    // Preliminary pools of the certificates as given, for sanitising the CA certificates.
    this.#roots = new CertPool(
      conf.rootCerts.map((p, i) => this.#certFromPem(p, `root certificate ${i}`)),
    );
    this.#intermediates = new CertPool(
      conf.intermediateCerts.map((p, i) => this.#certFromPem(p, `intermediate certificate ${i}`)),
    );
    this.#rootCerts = conf.rootCerts.map(
      (p, i) => this.#identityFromConf(p, `root certificate ${i}`).cert,
    );
    this.#intermediateCerts = conf.intermediateCerts.map(
      (p, i) => this.#identityFromConf(p, `intermediate certificate ${i}`).cert,
    );
    this.#roots = new CertPool(this.#rootCerts);
    this.#intermediates = new CertPool(this.#intermediateCerts);
    this.#poolsFinal = true;
  }

  #setupAdmins(conf: mspProto.FabricMSPConfig): void {
    this.#admins = conf.admins.map((p, i) => this.#identityFromConf(p, `admin certificate ${i}`));
  }

  #setupCRLs(conf: mspProto.FabricMSPConfig): void {
    this.#crls = conf.revocationList.map((b, i) => {
      try {
        return parseCrl(b);
      } catch (err) {
        throw new Error(`could not parse RevocationList (CRL ${i}): ${errorMessage(err)}`, {
          cause: err,
        });
      }
    });
  }

  #finalizeCAs(): void {
    for (const cert of [...this.#rootCerts, ...this.#intermediateCerts]) {
      if (!cert.isCa) {
        throw new Error(
          `CA Certificate did not have the CA attribute, (SN: ${hexSerial(cert)}, subject ${cert.subject})`,
        );
      }
      if (cert.subjectKeyId === undefined) {
        throw new Error(
          `CA Certificate problem with Subject Key Identifier extension, (SN: ${hexSerial(cert)}, subject ${cert.subject}): subjectKeyIdentifier not found in certificate`,
        );
      }
      try {
        const chain = this.#uniqueChain(cert, this.#roots, this.#intermediates);
        if (chain.length > 1) this.#checkRevocation(cert, chain);
      } catch (err) {
        throw new Error(
          `CA Certificate is not valid, (SN: ${cert.serialNumber}, subject ${cert.subject}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
    this.#internalNodes = new Set();
    for (const cert of this.#intermediateCerts) {
      let chain: Certificate[];
      try {
        chain = this.#uniqueChain(cert, this.#roots, this.#intermediates);
      } catch (err) {
        throw new Error(
          `failed getting validation chain, (SN: ${cert.serialNumber}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
      for (const c of chain.slice(1)) this.#internalNodes.add(c.der.toString('latin1'));
    }
  }

  #setupSigner(conf: mspProto.FabricMSPConfig): void {
    const info = conf.signingIdentity;
    if (info === null || info === undefined) return;
    const base = this.#identityFromConf(bytes(info.publicSigner), 'signing certificate');
    const cert = base.cert;
    if (cert.publicKeyKind !== 'ec' || cert.publicKey === undefined) {
      throw new Error(
        `the signing certificate ${cert.subject} has a ${cert.publicKeyKind} key; this peer signs with ECDSA keys only`,
      );
    }
    const ski = keyStoreSki(cert.publicKey)!;
    let key = this.options.keyStore?.privateKeyFor(ski);
    let curve: EcCurve | undefined = cert.curve;
    if (key === undefined) {
      const material = info.privateSigner?.keyMaterial;
      if (material === undefined || material === null || material.length === 0) {
        throw new Error(
          `KeyMaterial not found in SigningIdentityInfo (no private key with SKI ${ski.toString('hex')} in the key store either)`,
        );
      }
      if (decodePem(bytes(material)) === undefined) {
        throw new Error(
          `${info.privateSigner?.keyIdentifier ?? 'private key'}: wrong PEM encoding`,
        );
      }
      try {
        ({ key, curve } = parseEcPrivateKey(bytes(material)));
      } catch (err) {
        throw new Error(
          `getIdentityFromBytes error: Failed to import EC private key (${info.privateSigner?.keyIdentifier ?? 'key material'}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
    if (!keyStoreSki(key)?.equals(ski)) {
      throw new Error(
        `the private key ${info.privateSigner?.keyIdentifier ?? ''} does not belong to the signing certificate ${cert.subject}`.replace(
          '  ',
          ' ',
        ),
      );
    }
    const now = (this.options.now ?? (() => new Date()))();
    if (cert.notAfter.getTime() <= now.getTime()) {
      throw new Error(
        `signing identity expired ${goDuration(now.getTime() - cert.notAfter.getTime())} ago (${cert.subject}, NotAfter ${cert.notAfter.toISOString()})`,
      );
    }
    this.#signer = new X509SigningIdentityImpl(base, key, curve!);
  }

  #setupTlsCAs(conf: mspProto.FabricMSPConfig): void {
    const roots = conf.tlsRootCerts.map((p, i) =>
      this.#certFromPem(p, `TLS root certificate ${i}`),
    );
    const mids = conf.tlsIntermediateCerts.map((p, i) =>
      this.#certFromPem(p, `TLS intermediate certificate ${i}`),
    );
    this.#tlsRootCerts = conf.tlsRootCerts.map((b) => bytes(b));
    this.#tlsIntermediateCerts = conf.tlsIntermediateCerts.map((b) => bytes(b));
    const rootPool = new CertPool(roots);
    const midPool = new CertPool(mids);
    for (const cert of [...roots, ...mids]) {
      if (!cert.isCa) {
        throw new Error(
          `CA Certificate did not have the CA attribute, (SN: ${hexSerial(cert)}, TLS CA ${cert.subject})`,
        );
      }
      if (cert.subjectKeyId === undefined) {
        throw new Error(
          `CA Certificate problem with Subject Key Identifier extension, (SN: ${hexSerial(cert)}, TLS CA ${cert.subject}): subjectKeyIdentifier not found in certificate`,
        );
      }
      try {
        const chain = this.#uniqueChain(cert, rootPool, midPool);
        if (chain.length > 1) this.#checkRevocation(cert, chain);
      } catch (err) {
        throw new Error(
          `CA Certificate is not valid, (SN: ${cert.serialNumber}, TLS CA ${cert.subject}): ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
  }

  /** Fabric's getCertifiersIdentifier: the hash of the chain of a root or intermediate of ours. */
  #certifiersIdentifier(pem: Uint8Array, what: string): Buffer {
    const parsed = this.#certFromPem(pem, what);
    let cert: Certificate;
    try {
      cert = this.#sanitize(parsed).cert;
    } catch (err) {
      throw new Error(`sanitizeCert failed ${errorMessage(err)}`, { cause: err });
    }
    const isRoot = this.#rootCerts.some((c) => c.der.equals(cert.der));
    const isIntermediate = !isRoot && this.#intermediateCerts.some((c) => c.der.equals(cert.der));
    if (!isRoot && !isIntermediate) {
      throw new Error(
        `Failed adding OU. Certificate [${cert.subject}] not in root or intermediate certs.`,
      );
    }
    let chain: Certificate[];
    if (isRoot) {
      chain = [cert];
    } else {
      try {
        chain = this.#validationChain(cert, true);
      } catch (err) {
        throw new Error(
          `Failed computing validation chain for [${cert.subject}]. [${errorMessage(err)}]`,
          {
            cause: err,
          },
        );
      }
    }
    return this.#chainIdentifier(chain);
  }

  #setupOUs(conf: mspProto.FabricMSPConfig): void {
    this.#ouIdentifiers = new Map();
    for (const [i, ou] of conf.organizationalUnitIdentifiers.entries()) {
      let id: Buffer;
      try {
        id = this.#certifiersIdentifier(bytes(ou.certificate), `OU identifier ${i} certificate`);
      } catch (err) {
        throw new Error(
          `failed getting certificate for [${ou.organizationalUnitIdentifier ?? ''}]: ${errorMessage(err)}`,
          { cause: err },
        );
      }
      const name = ou.organizationalUnitIdentifier ?? '';
      const list = this.#ouIdentifiers.get(name) ?? [];
      if (!list.some((x) => x.equals(id))) list.push(id);
      this.#ouIdentifiers.set(name, list);
    }
  }

  #nodeOU(
    ou: mspProto.FabricOUIdentifier.$Properties | null | undefined,
    what: string,
  ): NodeOUInternal | undefined {
    if (ou === null || ou === undefined) return undefined;
    const cert = bytes(ou.certificate);
    return {
      ou: ou.organizationalUnitIdentifier ?? '',
      certifiersIdentifier:
        cert.length > 0 ? this.#certifiersIdentifier(cert, `${what} certificate`) : undefined,
    };
  }

  #setupNodeOUsV11(conf: mspProto.FabricMSPConfig): void {
    const n = conf.fabricNodeOus;
    if (n === null || n === undefined) {
      this.#ouEnforcement = false;
      return;
    }
    this.#ouEnforcement = n.enable === true;
    if (!n.clientOuIdentifier?.organizationalUnitIdentifier) {
      throw new Error('Failed setting up NodeOUs. ClientOU must be different from nil.');
    }
    if (!n.peerOuIdentifier?.organizationalUnitIdentifier) {
      throw new Error('Failed setting up NodeOUs. PeerOU must be different from nil.');
    }
    this.#clientOU = this.#nodeOU(n.clientOuIdentifier, 'ClientOU');
    this.#peerOU = this.#nodeOU(n.peerOuIdentifier, 'PeerOU');
  }

  #setupNodeOUsV142(conf: mspProto.FabricMSPConfig): void {
    const n = conf.fabricNodeOus;
    if (n === null || n === undefined) {
      this.#ouEnforcement = false;
      return;
    }
    this.#ouEnforcement = n.enable === true;
    this.#clientOU = this.#nodeOU(n.clientOuIdentifier, 'ClientOU');
    this.#peerOU = this.#nodeOU(n.peerOuIdentifier, 'PeerOU');
    this.#adminOU = this.#nodeOU(n.adminOuIdentifier, 'AdminOU');
    this.#ordererOU = this.#nodeOU(n.ordererOuIdentifier, 'OrdererOU');
    if (!this.#clientOU && !this.#peerOU && !this.#adminOU && !this.#ordererOU) {
      this.#ouEnforcement = false;
    }
  }

  #postSetupV1(): void {
    for (const [i, admin] of this.#admins.entries()) {
      try {
        this.validateIdentity(admin);
      } catch (err) {
        throw new Error(`admin ${i} is invalid: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  #postSetupV11(): void {
    if (!this.#ouEnforcement) {
      this.#postSetupV1();
      return;
    }
    const principal = {
      principalClassification: CLASSIFICATION.ROLE,
      principal: common.MSPRole.encode({ role: ROLE.CLIENT, mspIdentifier: this.id }).finish(),
    };
    for (const [i, admin] of this.#admins.entries()) {
      try {
        this.satisfiesPrincipal(admin, principal);
      } catch (err) {
        throw new Error(`admin ${i} is invalid: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  #postSetupV142(): void {
    if (!this.#ouEnforcement) {
      this.#postSetupV1();
      return;
    }
    for (const [i, admin] of this.#admins.entries()) {
      const problems: string[] = [];
      for (const role of [ROLE.CLIENT, ROLE.ADMIN]) {
        try {
          this.hasOURole(admin, role);
        } catch (err) {
          problems.push(errorMessage(err));
        }
      }
      if (problems.length === 2) throw new Error(`admin ${i} is invalid [${problems.join(',')}]`);
    }
  }
}

/** Whether a CA certificate's signature verifies with its own key (Go: CheckSignatureFrom(self)). */
function selfSigned(cert: Certificate): boolean {
  try {
    checkSignatureFrom(cert, cert);
    return true;
  } catch {
    return false;
  }
}
