/**
 * Fake identities and MSPs for this package's tests: they implement the api interfaces with
 * behaviour a test can set (which principals an identity satisfies, whether its signatures verify),
 * without certificates.
 */
import { createHash } from 'node:crypto';

import {
  IdentityError,
  type Identity,
  type IdentityDeserializer,
  type IdentityIdentifier,
  type SignedData,
} from '@fabric-peer/api';
import { common, msp } from '@fabric-peer/protos';

import type { ChannelMsp, ChannelMspFactory, LocalMsp } from '../src/index.js';

/** Roles as in `common.MSPRole.MSPRoleType`. */
export type Role = 'MEMBER' | 'ADMIN' | 'CLIENT' | 'PEER' | 'ORDERER';

/** What a fake identity carries in its serialized `id_bytes` (JSON). */
interface FakeIdBytes {
  readonly fake: string;
  readonly roles: readonly Role[];
}

function sha256(...parts: readonly (Uint8Array | string)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The signature a fake identity named `name` makes over `message`. */
export function fakeSignature(name: string, message: Uint8Array): Uint8Array {
  return new Uint8Array(sha256('fake-signature:', name, ':', message));
}

/** Options of {@link FakeIdentity}. */
export interface FakeIdentityOptions {
  readonly mspId: string;
  readonly name: string;
  /** Roles for role principals; every identity is a MEMBER of its MSP. Default `['CLIENT']`. */
  readonly roles?: readonly Role[];
  /** Overrides principal satisfaction entirely (true = satisfies). */
  readonly satisfies?: (principal: common.MSPPrincipal.$Properties) => boolean;
  /** `false`: every signature fails to verify. Default: verify against {@link fakeSignature}. */
  readonly verifies?: boolean;
}

/** Decodes a ROLE principal, or undefined for other classifications. */
export function rolePrincipal(
  principal: common.MSPPrincipal.$Properties,
): { mspId: string; role: Role } | undefined {
  if ((principal.principalClassification ?? 0) !== common.MSPPrincipal.Classification.ROLE) {
    return undefined;
  }
  const role = common.MSPRole.decode(principal.principal ?? new Uint8Array(0));
  return { mspId: role.mspIdentifier, role: common.MSPRole.MSPRoleType[role.role] as Role };
}

/** A ROLE principal for tests. */
export function principal(mspId: string, role: Role): common.MSPPrincipal {
  return common.MSPPrincipal.create({
    principalClassification: common.MSPPrincipal.Classification.ROLE,
    principal: common.MSPRole.encode({
      mspIdentifier: mspId,
      role: common.MSPRole.MSPRoleType[role],
    }).finish(),
  });
}

/** A fake identity implementing the api {@link Identity}. */
export class FakeIdentity implements Identity {
  readonly identifier: IdentityIdentifier;
  readonly mspId: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly notBefore = new Date(0);
  readonly expiresAt = new Date(8.64e15);
  readonly organizationalUnits = [];
  /** How many times verify() was called (to observe de-duplication). */
  verifyCalls = 0;
  private readonly serialized: Uint8Array;

  constructor(private readonly options: FakeIdentityOptions) {
    this.mspId = options.mspId;
    this.name = options.name;
    this.roles = options.roles ?? ['CLIENT'];
    const idBytes: FakeIdBytes = { fake: options.name, roles: this.roles };
    this.serialized = msp.SerializedIdentity.encode({
      mspid: options.mspId,
      idBytes: Buffer.from(JSON.stringify(idBytes)),
    }).finish();
    this.identifier = {
      mspId: options.mspId,
      id: sha256(options.mspId, '/', options.name).toString('hex'),
    };
  }

  serialize(): Uint8Array {
    return this.serialized;
  }

  /** This identity's signature over `message`. */
  sign(message: Uint8Array): Uint8Array {
    return fakeSignature(this.name, message);
  }

  /** Signed data over `message` by this identity (a valid signature unless `badSignature`). */
  signed(message: Uint8Array, badSignature = false): SignedData {
    const signature = this.sign(message);
    if (badSignature) signature[0] = (signature[0] ?? 0) ^ 0xff;
    return { data: message, identity: this.serialize(), signature };
  }

  verify(message: Uint8Array, signature: Uint8Array): Promise<void> {
    this.verifyCalls++;
    if (this.options.verifies === false) {
      return Promise.reject(new IdentityError('BAD_SIGNATURE', 'fake: signature refused'));
    }
    const expected = fakeSignature(this.name, message);
    if (Buffer.compare(Buffer.from(expected), Buffer.from(signature)) !== 0) {
      return Promise.reject(new IdentityError('BAD_SIGNATURE', 'fake: bad signature'));
    }
    return Promise.resolve();
  }

  validate(): void {}

  checkValidityAt(_when: Date): void {}

  satisfiesPrincipal(p: common.MSPPrincipal.$Properties): void {
    if (this.options.satisfies !== undefined) {
      if (!this.options.satisfies(p)) {
        throw new IdentityError('PRINCIPAL_NOT_SATISFIED', `fake: ${this.name} refuses principal`);
      }
      return;
    }
    const role = rolePrincipal(p);
    if (role === undefined) {
      throw new IdentityError('UNSUPPORTED', 'fake: only ROLE principals are understood');
    }
    if (role.mspId !== this.mspId) {
      throw new IdentityError(
        'PRINCIPAL_NOT_SATISFIED',
        `the identity is a member of a different MSP (expected ${role.mspId}, got ${this.mspId})`,
      );
    }
    if (role.role !== 'MEMBER' && !this.roles.includes(role.role)) {
      throw new IdentityError(
        'PRINCIPAL_NOT_SATISFIED',
        `fake: ${this.name} is not ${role.role} of ${role.mspId}`,
      );
    }
  }
}

/** A deserializer over a fixed set of identities (by serialized bytes). */
export class RegistryDeserializer implements IdentityDeserializer {
  private readonly known = new Map<string, Identity>();
  deserializeCalls = 0;

  constructor(identities: readonly FakeIdentity[] = []) {
    for (const id of identities) this.add(id);
  }

  add(identity: FakeIdentity): void {
    this.known.set(Buffer.from(identity.serialize()).toString('hex'), identity);
  }

  deserializeIdentity(serialized: Uint8Array): Identity {
    this.deserializeCalls++;
    const found = this.known.get(Buffer.from(serialized).toString('hex'));
    if (found === undefined) throw new IdentityError('MALFORMED', 'fake: unknown identity bytes');
    return found;
  }
}

/**
 * Deserializes any fake identity of `mspId` from its bytes (roles come from the bytes); refuses
 * other MSP ids and bytes that are not a fake identity (such as real X.509 identities).
 */
export function fakeDeserializerFor(mspId: string): IdentityDeserializer {
  return {
    deserializeIdentity(serialized: Uint8Array): Identity {
      let sid: msp.SerializedIdentity;
      try {
        sid = msp.SerializedIdentity.decode(serialized);
      } catch (err) {
        throw new IdentityError('MALFORMED', 'fake: not a SerializedIdentity', { cause: err });
      }
      if (sid.mspid !== mspId) {
        throw new IdentityError('WRONG_MSP', `expected MSP ID ${mspId}, received ${sid.mspid}`);
      }
      let parsed: FakeIdBytes;
      try {
        parsed = JSON.parse(Buffer.from(sid.idBytes).toString('utf8')) as FakeIdBytes;
      } catch (err) {
        throw new IdentityError('MALFORMED', 'fake: id bytes are not a fake identity', {
          cause: err,
        });
      }
      if (typeof parsed.fake !== 'string') {
        throw new IdentityError('MALFORMED', 'fake: id bytes are not a fake identity');
      }
      return new FakeIdentity({ mspId, name: parsed.fake, roles: parsed.roles });
    },
  };
}

/** A fake local MSP (for ACL tests). */
export function fakeLocalMsp(mspId: string): LocalMsp {
  return { mspId, ...fakeDeserializerFor(mspId) };
}

/** One call the fake MSP factory received. */
export interface MspFactoryCall {
  readonly mspId: string;
  readonly version: string;
}

/**
 * A {@link ChannelMspFactory} that reads the `FabricMSPConfig` (name and TLS certificates, as
 * configured) and deserializes fake identities of that MSP. Records its calls.
 */
export function fakeMspFactory(calls: MspFactoryCall[] = []): ChannelMspFactory {
  return (config: msp.MSPConfig, version): ChannelMsp => {
    if (config.type !== 0) throw new Error(`fake MSP factory: unsupported type ${config.type}`);
    const fabric = msp.FabricMSPConfig.decode(config.config);
    if (fabric.name === '') throw new Error('fake MSP factory: MSP config has no name');
    calls.push({ mspId: fabric.name, version });
    return {
      mspId: fabric.name,
      tlsRootCerts: fabric.tlsRootCerts,
      tlsIntermediateCerts: fabric.tlsIntermediateCerts,
      ...fakeDeserializerFor(fabric.name),
    };
  };
}

/** An `msp.MSPConfig` (type FABRIC) for a fake MSP named `mspId`. */
export function fakeMspConfig(
  mspId: string,
  tlsRootCerts: readonly Uint8Array[] = [],
): msp.MSPConfig {
  return msp.MSPConfig.create({
    type: 0,
    config: msp.FabricMSPConfig.encode({ name: mspId, tlsRootCerts: [...tlsRootCerts] }).finish(),
  });
}
