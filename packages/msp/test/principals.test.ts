// Principals as Fabric's MSP evaluates them, per MSP version.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { IdentityError } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';
import { createMsp, MspError, type Msp, type MspVersion, type X509Identity } from '../src/index.js';
import {
  flipCertificateS,
  makeOrg,
  mspConfig,
  orgConfig,
  principal,
  serialize,
  type TestOrg,
} from '../test-support/pki.js';

const ROLE = common.MSPRole.MSPRoleType;
const ANON = common.MSPIdentityAnonymity.MSPIdentityAnonymityType;
type Who = 'peer' | 'client' | 'admin' | 'orderer';
const WHO: Who[] = ['peer', 'client', 'admin', 'orderer'];
const ROLES = [ROLE.MEMBER, ROLE.ADMIN, ROLE.CLIENT, ROLE.PEER, ROLE.ORDERER] as const;

function check(identity: X509Identity, p: common.MSPPrincipal.$Properties): string {
  try {
    identity.satisfiesPrincipal(p);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof IdentityError);
    assert.equal(err.code, 'PRINCIPAL_NOT_SATISFIED');
    return err.message;
  }
}

describe('ROLE principals per MSP version', () => {
  let org: TestOrg;
  const ids = (msp: Msp): Record<Who, X509Identity> =>
    Object.fromEntries(
      WHO.map((w) => [w, msp.deserializeIdentity(serialize(msp.id, org[w].certPem))]),
    ) as Record<Who, X509Identity>;

  before(async () => {
    org = await makeOrg('Org1MSP');
  });

  // Expected outcome of each role (MEMBER, ADMIN, CLIENT, PEER, ORDERER) for each identity; a
  // string is a fragment of the refusal.
  const tables: {
    version: MspVersion;
    admincerts: boolean;
    expect: Record<Who, (string | true)[]>;
  }[] = [
    {
      version: 'v1_4_3',
      admincerts: false,
      expect: {
        peer: [true, 'not an admin', 'not a [CLIENT]', true, 'not a [ORDERER]'],
        client: [true, 'not an admin', true, 'not a [PEER]', 'not a [ORDERER]'],
        admin: [true, true, 'not a [CLIENT]', 'not a [PEER]', 'not a [ORDERER]'],
        orderer: [true, 'not an admin', 'not a [CLIENT]', 'not a [PEER]', true],
      },
    },
    {
      // The admincerts name the client: it is an ADMIN too, without the admin OU.
      version: 'v1_4_3',
      admincerts: true,
      expect: {
        peer: [true, 'not an admin', 'not a [CLIENT]', true, 'not a [ORDERER]'],
        client: [true, true, true, 'not a [PEER]', 'not a [ORDERER]'],
        admin: [true, true, 'not a [CLIENT]', 'not a [PEER]', 'not a [ORDERER]'],
        orderer: [true, 'not an admin', 'not a [CLIENT]', 'not a [PEER]', true],
      },
    },
    {
      // NodeOUs know client and peer only: the admin and orderer OUs make an identity invalid;
      // ADMIN means the admincerts; ORDERER is not a role yet.
      version: 'v1_3',
      admincerts: true,
      expect: {
        peer: [true, 'not an admin', 'not a [CLIENT]', true, 'invalid MSP role type 4'],
        client: [true, true, true, 'not a [PEER]', 'invalid MSP role type 4'],
        admin: [
          'resolves to client or peer',
          'not an admin',
          'resolves to client or peer',
          'resolves to client or peer',
          'invalid MSP role type 4',
        ],
        orderer: [
          'resolves to client or peer',
          'not an admin',
          'resolves to client or peer',
          'resolves to client or peer',
          'invalid MSP role type 4',
        ],
      },
    },
    {
      version: 'v1_1',
      admincerts: true,
      expect: {
        peer: [true, 'not an admin', 'not a [CLIENT]', true, 'invalid MSP role type 4'],
        client: [true, true, true, 'not a [PEER]', 'invalid MSP role type 4'],
        admin: [
          'resolves to client or peer',
          'not an admin',
          'resolves to client or peer',
          'resolves to client or peer',
          'invalid MSP role type 4',
        ],
        orderer: [
          'resolves to client or peer',
          'not an admin',
          'resolves to client or peer',
          'resolves to client or peer',
          'invalid MSP role type 4',
        ],
      },
    },
    {
      // No NodeOUs at all in v1.0: every certificate of the CA is a member.
      version: 'v1_0',
      admincerts: true,
      expect: {
        peer: [
          true,
          'not an admin',
          'NodeOUs not activated',
          'NodeOUs not activated',
          'invalid MSP role type 4',
        ],
        client: [
          true,
          true,
          'NodeOUs not activated',
          'NodeOUs not activated',
          'invalid MSP role type 4',
        ],
        admin: [
          true,
          'not an admin',
          'NodeOUs not activated',
          'NodeOUs not activated',
          'invalid MSP role type 4',
        ],
        orderer: [
          true,
          'not an admin',
          'NodeOUs not activated',
          'NodeOUs not activated',
          'invalid MSP role type 4',
        ],
      },
    },
  ];

  for (const t of tables) {
    it(`${t.version}${t.admincerts ? ' with admincerts' : ''}: each role against each identity`, () => {
      const msp = createMsp(orgConfig(org, t.admincerts ? { admins: [org.client] } : {}), {
        version: t.version,
      });
      const identities = ids(msp);
      for (const who of WHO) {
        ROLES.forEach((role, i) => {
          const got = check(identities[who], principal.role('Org1MSP', role));
          const want = t.expect[who][i]!;
          if (want === true)
            assert.equal(got, 'ok', `${t.version} ${who} as ${ROLE[role]}: ${got}`);
          else assert.ok(got.includes(want), `${t.version} ${who} as ${ROLE[role]}: got "${got}"`);
        });
      }
    });
  }

  it('an unknown role number is refused', () => {
    const msp = createMsp(orgConfig(org));
    const peer = ids(msp).peer;
    assert.match(check(peer, principal.role('Org1MSP', 9)), /invalid MSP role type 9/);
  });

  it('v1_4_3 without NodeOUs needs admincerts (setup error naming the MSP)', () => {
    assert.throws(
      () => createMsp(mspConfig({ name: 'Org1MSP', roots: [org.ca] })),
      (err: MspError) =>
        err instanceof MspError &&
        err.code === 'MSP_SETUP_FAILED' &&
        err.message ===
          'MSP Org1MSP: setup failed: administrators must be declared when no admin ou classification is set',
    );
    const msp = createMsp(mspConfig({ name: 'Org1MSP', roots: [org.ca], admins: [org.admin] }));
    assert.equal(msp.nodeOUs.enabled, false);
    const i = ids(msp);
    assert.equal(check(i.admin, principal.role('Org1MSP', ROLE.ADMIN)), 'ok');
    assert.match(check(i.peer, principal.role('Org1MSP', ROLE.ADMIN)), /not an admin/);
    // Without NodeOUs, ORDERER falls back to the v1.3 rules, which do not know it.
    assert.match(
      check(i.orderer, principal.role('Org1MSP', ROLE.ORDERER)),
      /invalid MSP role type 4/,
    );
  });

  it('v1_1 admincerts must be clients when NodeOUs are on', () => {
    assert.throws(
      () => createMsp(orgConfig(org, { admins: [org.peer] }), { version: 'v1_1' }),
      /MSP Org1MSP: setup failed: admin 0 is invalid: .*not a \[CLIENT\]/,
    );
    assert.throws(() => createMsp(orgConfig(org, { admins: [org.peer] })), /admin 0 is invalid \[/);
  });
});

describe('ORGANIZATION_UNIT, IDENTITY, COMBINED and ANONYMITY principals', () => {
  let org: TestOrg;
  let other: TestOrg;
  let msp: Msp;
  let peer: X509Identity;
  let client: X509Identity;
  let certifiers: Buffer;

  before(async () => {
    org = await makeOrg('Org1MSP');
    other = await makeOrg('Org2MSP');
    msp = createMsp(orgConfig(org));
    peer = msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    client = msp.deserializeIdentity(serialize('Org1MSP', org.client.certPem));
    // Of the root as the MSP holds it: sanitised to low S.
    certifiers = createHash('sha256').update(msp.rootCerts[0]!).digest();
  });

  it('ORGANIZATION_UNIT: the OU, certified by the chain the principal names, of this MSP', () => {
    assert.equal(check(peer, principal.ou('Org1MSP', 'peer', certifiers)), 'ok');
    assert.match(check(client, principal.ou('Org1MSP', 'peer', certifiers)), /do not match/);
    const otherCertifiers = createHash('sha256').update(other.ca.der).digest();
    assert.match(check(peer, principal.ou('Org1MSP', 'peer', otherCertifiers)), /do not match/);
    assert.match(check(peer, principal.ou('Org1MSP', 'peer', new Uint8Array())), /do not match/);
    assert.match(check(peer, principal.ou('Org2MSP', 'peer', certifiers)), /different MSP/);
  });

  it('IDENTITY: the same certificate, after sanitisation', () => {
    assert.equal(check(peer, principal.identity(serialize('Org1MSP', org.peer.certPem))), 'ok');
    assert.match(
      check(client, principal.identity(serialize('Org1MSP', org.peer.certPem))),
      /identities do not match/,
    );
    // The peer's certificate with the CA signature flipped to high S is the same identity.
    const highS = flipCertificateS(org.peer, 'P-256');
    assert.equal(check(peer, principal.identity(serialize('Org1MSP', highS.certPem))), 'ok');
    assert.match(
      check(peer, principal.identity(serialize('Org2MSP', org.peer.certPem))),
      /invalid identity principal, not a certificate: expected MSP ID Org1MSP, received Org2MSP/,
    );
    assert.match(
      check(peer, principal.identity(new Uint8Array([0xff, 0x01]))),
      /invalid identity principal/,
    );
  });

  it('COMBINED (v1_3+): every sub-principal, nested ones too', () => {
    const member = principal.role('Org1MSP', ROLE.MEMBER);
    const asPeer = principal.role('Org1MSP', ROLE.PEER);
    const asClient = principal.role('Org1MSP', ROLE.CLIENT);
    assert.equal(check(peer, principal.combined(member, asPeer)), 'ok');
    assert.equal(
      check(
        peer,
        principal.combined(
          member,
          principal.combined(asPeer, principal.ou('Org1MSP', 'peer', certifiers)),
        ),
      ),
      'ok',
    );
    assert.match(check(peer, principal.combined(asPeer, asClient)), /not a \[CLIENT\]/);
    assert.match(check(peer, principal.combined()), /No principals in CombinedPrincipal/);
    const v11 = createMsp(orgConfig(org), { version: 'v1_1' });
    const oldPeer = v11.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    assert.match(check(oldPeer, principal.combined(member)), /invalid principal type 4/);
    const v13 = createMsp(orgConfig(org), { version: 'v1_3' });
    const peer13 = v13.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    assert.equal(check(peer13, principal.combined(member, asPeer)), 'ok');
  });

  it('ANONYMITY (v1_3+): NOMINAL is satisfied, ANONYMOUS is not (X.509 identities are nominal)', () => {
    assert.equal(check(peer, principal.anonymity(ANON.NOMINAL)), 'ok');
    assert.match(check(peer, principal.anonymity(ANON.ANONYMOUS)), /does not support anonymous/);
    assert.match(check(peer, principal.anonymity(7)), /Unknown principal anonymity type: 7/);
    // Fabric does not even validate the identity for NOMINAL.
    const v13 = createMsp(orgConfig(org), { version: 'v1_3' });
    const admin13 = v13.deserializeIdentity(serialize('Org1MSP', org.admin.certPem));
    assert.throws(() => admin13.validate(), /resolves to client or peer/);
    assert.equal(check(admin13, principal.anonymity(ANON.NOMINAL)), 'ok');
    const v11 = createMsp(orgConfig(org), { version: 'v1_1' });
    const peer11 = v11.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    assert.match(check(peer11, principal.anonymity(ANON.NOMINAL)), /invalid principal type 3/);
  });

  it('an unknown classification and malformed principal bytes are refused', () => {
    assert.match(
      check(peer, {
        principalClassification: 9 as common.MSPPrincipal.Classification,
        principal: new Uint8Array(),
      }),
      /invalid principal type 9/,
    );
    assert.match(
      check(peer, { principalClassification: 0, principal: Uint8Array.of(0x0a, 0x10) }),
      /could not unmarshal MSPRole from principal/,
    );
  });

  it('verdicts are cached per identity and principal', () => {
    const fresh = createMsp(orgConfig(org));
    const p = fresh.deserializeIdentity(serialize('Org1MSP', org.peer.certPem));
    const before_ = { ...fresh.stats };
    check(p, principal.role('Org1MSP', ROLE.PEER));
    check(p, principal.role('Org1MSP', ROLE.CLIENT));
    check(p, principal.role('Org1MSP', ROLE.PEER));
    check(p, principal.role('Org1MSP', ROLE.CLIENT));
    assert.equal(fresh.stats.principalChecksComputed - before_.principalChecksComputed, 2);
    assert.equal(fresh.stats.principalCacheHits - before_.principalCacheHits, 2);
    assert.equal(fresh.stats.certificatesParsed, before_.certificatesParsed);
  });
});
