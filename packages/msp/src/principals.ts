/**
 * MSP principals as Fabric's X.509 MSP evaluates them (SatisfiesPrincipal), per MSP version:
 * v1.0/v1.1 know ROLE (MEMBER, ADMIN as admincerts, CLIENT, PEER), IDENTITY and
 * ORGANIZATION_UNIT; v1.3 adds COMBINED and ANONYMITY; v1.4.3 adds the admin OU for ADMIN and the
 * ORDERER role when NodeOUs are on.
 */
import { IdentityError, type OUIdentifier } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import { Failure, bytes, errorMessage, wrap } from './failure.js';
import type { X509IdentityImpl } from './identity.js';
import { mspVersionAtLeast, type MspVersion } from './version.js';

const ROLE = common.MSPRole.MSPRoleType;
const CLASSIFICATION = common.MSPPrincipal.Classification;
const ANONYMITY = common.MSPIdentityAnonymity.MSPIdentityAnonymityType;

type Role = common.MSPRole.MSPRoleType;
type Classification = common.MSPPrincipal.Classification;

/** The name of a role, or its number when it has none. */
export function roleName(role: number): string {
  return ROLE[role] ?? String(role);
}

/** What principal evaluation needs of the MSP. */
export interface PrincipalContext {
  readonly id: string;
  readonly version: MspVersion;
  /** NodeOUs enforced. */
  readonly ouEnforcement: boolean;
  /** Fabric's Validate; throws an IdentityError. */
  validateIdentity(identity: X509IdentityImpl): void;
  /** Fabric's hasOURole; throws a Failure. */
  hasOURole(identity: X509IdentityImpl, role: Role): void;
  /** Whether the identity is one of the admincerts. */
  isInAdmins(identity: X509IdentityImpl): boolean;
  /** Fabric's DeserializeIdentity, uncached; throws. */
  deserializeUncached(serialized: Buffer): X509IdentityImpl;
  organizationalUnitsOf(identity: X509IdentityImpl): readonly OUIdentifier[];
}

interface Flat {
  readonly classification: Classification;
  readonly bytes: Buffer;
}

function notSatisfied(message: string, reason: string, cause?: unknown): Failure {
  return new Failure(
    'PRINCIPAL_NOT_SATISFIED',
    message,
    reason,
    cause === undefined ? undefined : { cause },
  );
}

/** Fabric's collectPrincipals: COMBINED principals flattened (refused before v1.3). */
function collect(ctx: PrincipalContext, classification: Classification, principal: Buffer): Flat[] {
  if (classification !== CLASSIFICATION.COMBINED) return [{ classification, bytes: principal }];
  if (!mspVersionAtLeast(ctx.version, 'v1_3')) {
    throw notSatisfied(
      `invalid principal type ${classification} (COMBINED principals need MSP v1_3 or later, this MSP is ${ctx.version})`,
      'unsupported-principal',
    );
  }
  const combined = decode(
    'CombinedPrincipal',
    (b) => common.CombinedPrincipal.decode(b),
    principal,
  );
  if (combined.principals.length === 0) {
    throw notSatisfied('No principals in CombinedPrincipal', 'empty-combined');
  }
  return combined.principals.flatMap((p) =>
    collect(ctx, p.principalClassification ?? CLASSIFICATION.ROLE, bytes(p.principal)),
  );
}

function decode<T>(what: string, fn: (b: Buffer) => T, principal: Buffer): T {
  try {
    return fn(principal);
  } catch (err) {
    throw notSatisfied(
      `could not unmarshal ${what} from principal: ${errorMessage(err)}`,
      'malformed-principal',
      err,
    );
  }
}

function checkMspId(ctx: PrincipalContext, expected: string, identity: X509IdentityImpl): void {
  if (expected !== ctx.id) {
    throw notSatisfied(
      `the identity is a member of a different MSP (expected ${expected}, got ${identity.mspId})`,
      'other-msp',
    );
  }
}

/** Validate, as a principal check sees it: the validation error kept as the cause. */
function validateFor(ctx: PrincipalContext, identity: X509IdentityImpl, prefix?: string): void {
  try {
    ctx.validateIdentity(identity);
  } catch (err) {
    const reason =
      err instanceof IdentityError && typeof err.details.reason === 'string'
        ? err.details.reason
        : 'invalid';
    const message = prefix === undefined ? errorMessage(err) : `${prefix}: ${errorMessage(err)}`;
    throw notSatisfied(message, reason, err);
  }
}

function roleFor(
  ctx: PrincipalContext,
  identity: X509IdentityImpl,
  role: Role,
  prefix: string,
): void {
  try {
    ctx.hasOURole(identity, role);
  } catch (err) {
    throw wrap(prefix, err, 'PRINCIPAL_NOT_SATISFIED');
  }
}

/** Fabric's satisfiesPrincipalInternalV142 → V13 → PreV13 chain for one (flat) principal. */
function satisfiesOne(ctx: PrincipalContext, identity: X509IdentityImpl, p: Flat): void {
  if (
    mspVersionAtLeast(ctx.version, 'v1_4_3') &&
    p.classification === CLASSIFICATION.ROLE &&
    ctx.ouEnforcement
  ) {
    const role = decode('MSPRole', (b) => common.MSPRole.decode(b), p.bytes);
    checkMspId(ctx, role.mspIdentifier, identity);
    if (role.role === ROLE.ADMIN) {
      if (ctx.isInAdmins(identity)) return;
      validateFor(ctx, identity, `The identity is not valid under this MSP [${ctx.id}]`);
      roleFor(ctx, identity, ROLE.ADMIN, `The identity is not an admin under this MSP [${ctx.id}]`);
      return;
    }
    if (role.role === ROLE.ORDERER) {
      validateFor(ctx, identity, `The identity is not valid under this MSP [${ctx.id}]`);
      roleFor(
        ctx,
        identity,
        ROLE.ORDERER,
        `The identity is not a [ORDERER] under this MSP [${ctx.id}]`,
      );
      return;
    }
  }
  if (mspVersionAtLeast(ctx.version, 'v1_3') && p.classification === CLASSIFICATION.ANONYMITY) {
    const anon = decode(
      'MSPIdentityAnonymity',
      (b) => common.MSPIdentityAnonymity.decode(b),
      p.bytes,
    );
    switch (anon.anonymityType) {
      case ANONYMITY.NOMINAL:
        return;
      case ANONYMITY.ANONYMOUS:
        throw notSatisfied(
          'Principal is anonymous, but X.509 MSP does not support anonymous identities',
          'anonymous',
        );
      default:
        throw notSatisfied(
          `Unknown principal anonymity type: ${String(anon.anonymityType)}`,
          'malformed-principal',
        );
    }
  }
  satisfiesPreV13(ctx, identity, p);
}

/** Fabric's satisfiesPrincipalInternalPreV13. */
function satisfiesPreV13(ctx: PrincipalContext, identity: X509IdentityImpl, p: Flat): void {
  switch (p.classification) {
    case CLASSIFICATION.ROLE: {
      const role = decode('MSPRole', (b) => common.MSPRole.decode(b), p.bytes);
      checkMspId(ctx, role.mspIdentifier, identity);
      switch (role.role) {
        case ROLE.MEMBER:
          validateFor(ctx, identity);
          return;
        case ROLE.ADMIN:
          if (ctx.isInAdmins(identity)) return;
          throw notSatisfied('This identity is not an admin', 'not-admin');
        case ROLE.CLIENT:
        case ROLE.PEER:
          validateFor(ctx, identity, `The identity is not valid under this MSP [${ctx.id}]`);
          roleFor(
            ctx,
            identity,
            role.role,
            `The identity is not a [${roleName(role.role)}] under this MSP [${ctx.id}]`,
          );
          return;
        default:
          throw notSatisfied(`invalid MSP role type ${String(role.role)}`, 'invalid-role');
      }
    }
    case CLASSIFICATION.IDENTITY: {
      let other: X509IdentityImpl;
      try {
        other = ctx.deserializeUncached(p.bytes);
      } catch (err) {
        throw notSatisfied(
          `invalid identity principal, not a certificate: ${errorMessage(err)}`,
          'malformed-principal',
          err,
        );
      }
      if (!other.cert.der.equals(identity.cert.der)) {
        throw notSatisfied('The identities do not match', 'other-identity');
      }
      validateFor(ctx, other);
      return;
    }
    case CLASSIFICATION.ORGANIZATION_UNIT: {
      const ou = decode('OrganizationUnit', (b) => common.OrganizationUnit.decode(b), p.bytes);
      checkMspId(ctx, ou.mspIdentifier, identity);
      validateFor(ctx, identity);
      const wanted = bytes(ou.certifiersIdentifier);
      const match = ctx
        .organizationalUnitsOf(identity)
        .some(
          (o) =>
            o.organizationalUnitIdentifier === ou.organizationalUnitIdentifier &&
            wanted.equals(o.certifiersIdentifier),
        );
      if (match) return;
      throw notSatisfied(
        `The identities do not match (no OU ${ou.organizationalUnitIdentifier} certified by that chain)`,
        'other-ou',
      );
    }
    default:
      throw notSatisfied(
        `invalid principal type ${String(p.classification)}`,
        'unsupported-principal',
      );
  }
}

/** Throws a Failure unless `identity` satisfies the principal (Fabric's SatisfiesPrincipal). */
export function checkPrincipal(
  ctx: PrincipalContext,
  identity: X509IdentityImpl,
  classification: Classification,
  principal: Buffer,
): void {
  for (const p of collect(ctx, classification, principal)) satisfiesOne(ctx, identity, p);
}
