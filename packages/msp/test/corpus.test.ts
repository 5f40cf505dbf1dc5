// Conformance with real Fabric v2.4.9 material: cryptogen MSP folders, the genesis block's MSPs,
// and the signatures of every endorser transaction of the corpus.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { IdentityError } from '@fabric-peer/api';
import { common, msp as mspProto } from '@fabric-peer/protos';
import {
  createMsp,
  createMspManager,
  loadMspFolder,
  mspVersionForCapabilities,
  type Msp,
  type MspManager,
  type MspVersion,
  type X509Identity,
} from '../src/index.js';
import {
  CORPUS_CERTS,
  CORPUS_HEIGHT,
  corpusCert,
  corpusMspFolders,
  genesisMsps,
  orgMspDir,
  signedItems,
  type SignedItem,
} from '../test-support/corpus.js';
import { principal, serialize } from '../test-support/pki.js';

const ROLE = common.MSPRole.MSPRoleType;

function orgMsp(mspId: 'Org1MSP' | 'Org2MSP' | 'OrdererMSP', version?: MspVersion): Msp {
  return createMsp(
    loadMspFolder(orgMspDir(mspId), mspId),
    version === undefined ? {} : { version },
  );
}

async function rejection(p: Promise<unknown>): Promise<IdentityError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof IdentityError, `expected an IdentityError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('corpus MSP folders (cryptogen, Fabric v2.4.9)', () => {
  const folders = corpusMspFolders();

  it('finds the organisation, node and user MSP folders', () => {
    assert.equal(folders.length, 11);
    assert.deepEqual(
      folders
        .filter((f) => !f.hasSigncerts)
        .map((f) => f.mspId)
        .sort(),
      ['OrdererMSP', 'Org1MSP', 'Org2MSP'],
    );
  });

  for (const folder of folders) {
    it(`${folder.name} loads as a verifying ${folder.mspId} with the four NodeOUs`, () => {
      const msp = createMsp(loadMspFolder(folder.dir, folder.mspId));
      assert.equal(msp.id, folder.mspId);
      assert.equal(msp.type, 'bccsp');
      assert.equal(msp.version, 'v1_4_3');
      assert.equal(msp.hasSigningIdentity, false);
      assert.equal(msp.rootCerts.length, 1);
      assert.equal(msp.tlsRootCerts.length, 1);
      assert.equal(msp.admins.length, 0);
      const n = msp.nodeOUs;
      assert.equal(n.enabled, true);
      assert.equal(n.client?.organizationalUnitIdentifier, 'client');
      assert.equal(n.peer?.organizationalUnitIdentifier, 'peer');
      assert.equal(n.admin?.organizationalUnitIdentifier, 'admin');
      assert.equal(n.orderer?.organizationalUnitIdentifier, 'orderer');
      // The certifiers identifier of an OU certified by the root is SHA-256 of the root's DER.
      const root = msp.rootCerts[0]!;
      const expected = createHash('sha256').update(root).digest();
      assert.deepEqual(Buffer.from(n.client.certifiersIdentifier!), expected);
    });
  }

  it('the organisation MSP ids match the channel configuration', () => {
    const { msps } = genesisMsps();
    assert.deepEqual([...msps.keys()].sort(), ['OrdererMSP', 'Org1MSP', 'Org2MSP']);
  });
});

describe('corpus identities', () => {
  let org1: Msp;
  let org2: Msp;
  let orderer: Msp;
  const id = (msp: Msp, path: string): X509Identity =>
    msp.deserializeIdentity(serialize(msp.id, corpusCert(path)));

  before(() => {
    org1 = orgMsp('Org1MSP');
    org2 = orgMsp('Org2MSP');
    orderer = orgMsp('OrdererMSP');
  });

  it('deserialize with Fabric identifiers: the MSP id and SHA-256 of the certificate', () => {
    const pem = corpusCert(CORPUS_CERTS.peer0org1);
    const peer = id(org1, CORPUS_CERTS.peer0org1);
    const der = new X509Certificate(pem).raw;
    assert.deepEqual(peer.identifier, {
      mspId: 'Org1MSP',
      id: createHash('sha256').update(der).digest('hex'),
    });
    assert.equal(peer.mspId, 'Org1MSP');
    assert.deepEqual(Buffer.from(peer.certificate), der);
    assert.match(peer.subject, /CN=peer0\.org1\.example\.com/);
    assert.equal(peer.notBefore.toISOString(), '2026-11-21T06:31:00.000Z');
    assert.equal(peer.expiresAt.toISOString(), '2036-11-18T06:31:00.000Z');
    assert.deepEqual(peer.serialize(), serialize('Org1MSP', pem));
  });

  it('validate, and carry one OU certified by their CA', () => {
    const caDer = new X509Certificate(corpusCert(CORPUS_CERTS.caOrg1)).raw;
    const certifiers = createHash('sha256').update(caDer).digest();
    for (const [path, ou] of [
      [CORPUS_CERTS.peer0org1, 'peer'],
      [CORPUS_CERTS.user1org1, 'client'],
      [CORPUS_CERTS.adminorg1, 'admin'],
    ] as const) {
      const identity = id(org1, path);
      identity.validate();
      assert.equal(identity.organizationalUnits.length, 1);
      assert.equal(identity.organizationalUnits[0]!.organizationalUnitIdentifier, ou);
      assert.deepEqual(
        Buffer.from(identity.organizationalUnits[0]!.certifiersIdentifier),
        certifiers,
      );
    }
    const ord = id(orderer, CORPUS_CERTS.orderer);
    ord.validate();
    assert.equal(ord.organizationalUnits[0]?.organizationalUnitIdentifier, 'orderer');
  });

  it('classify by NodeOU: peer0 is a PEER, User1 a CLIENT, Admin an ADMIN, orderer an ORDERER', () => {
    const table: [Msp, string, common.MSPRole.MSPRoleType][] = [
      [org1, CORPUS_CERTS.peer0org1, ROLE.PEER],
      [org1, CORPUS_CERTS.user1org1, ROLE.CLIENT],
      [org1, CORPUS_CERTS.adminorg1, ROLE.ADMIN],
      [org2, CORPUS_CERTS.peer0org2, ROLE.PEER],
      [org2, CORPUS_CERTS.user1org2, ROLE.CLIENT],
      [org2, CORPUS_CERTS.adminorg2, ROLE.ADMIN],
      [orderer, CORPUS_CERTS.orderer, ROLE.ORDERER],
      [orderer, CORPUS_CERTS.adminOrderer, ROLE.ADMIN],
    ];
    const roles = [ROLE.MEMBER, ROLE.ADMIN, ROLE.CLIENT, ROLE.PEER, ROLE.ORDERER];
    for (const [msp, path, role] of table) {
      const identity = id(msp, path);
      for (const r of roles) {
        const p = principal.role(msp.id, r);
        const expected = r === ROLE.MEMBER || r === role;
        if (expected) {
          assert.doesNotThrow(() => identity.satisfiesPrincipal(p), `${path} as ${ROLE[r]}`);
        } else {
          assert.throws(
            () => identity.satisfiesPrincipal(p),
            (err: IdentityError) => err.code === 'PRINCIPAL_NOT_SATISFIED',
            `${path} must not be ${ROLE[r]}`,
          );
        }
      }
    }
  });

  it('refuses a principal of another MSP, and identities of another MSP', () => {
    const peer = id(org1, CORPUS_CERTS.peer0org1);
    assert.throws(
      () => peer.satisfiesPrincipal(principal.role('Org2MSP', ROLE.MEMBER)),
      (err: IdentityError) =>
        err.code === 'PRINCIPAL_NOT_SATISFIED' &&
        /different MSP \(expected Org2MSP, got Org1MSP\)/.test(err.message),
    );
    assert.throws(
      () => org1.deserializeIdentity(serialize('Org2MSP', corpusCert(CORPUS_CERTS.peer0org2))),
      (err: IdentityError) =>
        err.code === 'WRONG_MSP' && /expected MSP ID Org1MSP, received Org2MSP/.test(err.message),
    );
    // Org2's certificate presented as Org1's: not issued by Org1's CA.
    assert.throws(
      () => org1.deserializeIdentity(serialize('Org1MSP', corpusCert(CORPUS_CERTS.peer0org2))),
      (err: IdentityError) =>
        err.code === 'UNTRUSTED_CHAIN' && /unknown authority/.test(err.message),
    );
  });

  it('under MSP v1_1 (NodeOUs for client and peer only) the admin OU certificate is invalid', () => {
    const v11 = orgMsp('Org1MSP', 'v1_1');
    const admin = v11.deserializeIdentity(serialize('Org1MSP', corpusCert(CORPUS_CERTS.adminorg1)));
    assert.throws(
      () => admin.validate(),
      (err: IdentityError) =>
        err.code === 'INVALID_OU' &&
        /does not have an OU that resolves to client or peer/.test(err.message),
    );
    const peer = v11.deserializeIdentity(serialize('Org1MSP', corpusCert(CORPUS_CERTS.peer0org1)));
    peer.validate();
    peer.satisfiesPrincipal(principal.role('Org1MSP', ROLE.PEER));
    // No admincerts: nobody is an ADMIN before v1_4_3.
    assert.throws(
      () => admin.satisfiesPrincipal(principal.role('Org1MSP', ROLE.ADMIN)),
      /not an admin/,
    );
  });

  it('under MSP v1_0 (no NodeOUs) every certificate of the CA is a MEMBER and PEER is undecidable', () => {
    const v10 = orgMsp('Org1MSP', 'v1_0');
    assert.equal(v10.nodeOUs.enabled, false);
    for (const path of [CORPUS_CERTS.peer0org1, CORPUS_CERTS.user1org1, CORPUS_CERTS.adminorg1]) {
      const identity = v10.deserializeIdentity(serialize('Org1MSP', corpusCert(path)));
      identity.validate();
      identity.satisfiesPrincipal(principal.role('Org1MSP', ROLE.MEMBER));
      assert.throws(
        () => identity.satisfiesPrincipal(principal.role('Org1MSP', ROLE.PEER)),
        /NodeOUs not activated/,
      );
    }
  });
});

describe('the genesis block MSPs and the signatures of every block', () => {
  let manager: MspManager;
  let version: MspVersion;
  let items: SignedItem[];

  before(() => {
    const { msps, channelCapabilities } = genesisMsps();
    version = mspVersionForCapabilities(channelCapabilities);
    manager = createMspManager([...msps.values()].map((c) => createMsp(c, { version })));
    items = [];
    for (let n = 1; n < CORPUS_HEIGHT; n++) items.push(...signedItems(n));
  });

  it('the channel (capability V2_0) uses MSP v1_4_3', () => {
    assert.equal(version, 'v1_4_3');
    assert.deepEqual([...manager.msps.keys()].sort(), ['OrdererMSP', 'Org1MSP', 'Org2MSP']);
  });

  it('finds creators and endorsers of both organisations in the blocks', () => {
    assert.equal(items.filter((i) => i.kind === 'envelope').length, CORPUS_HEIGHT - 1);
    const endorsers = new Set(items.filter((i) => i.kind === 'endorsement').map((i) => i.mspId));
    assert.deepEqual([...endorsers].sort(), ['Org1MSP', 'Org2MSP']);
  });

  it('every envelope and endorsement signature verifies, by a valid identity', async () => {
    for (const item of items) {
      const signer = manager.deserializeIdentity(item.identity);
      signer.validate();
      await signer.verify(item.data, item.signature);
    }
    const creators = new Set(items.filter((i) => i.kind === 'envelope').map((i) => i.mspId));
    assert.ok(creators.has('Org1MSP'));
  });

  it('creators are ADMINs (chaincode deployment, blocks 1-3) or CLIENTs (the workload), endorsers PEERs', () => {
    for (const item of items) {
      const signer = manager.deserializeIdentity(item.identity);
      const role =
        item.kind === 'endorsement' ? ROLE.PEER : item.block <= 3 ? ROLE.ADMIN : ROLE.CLIENT;
      signer.satisfiesPrincipal(principal.role(item.mspId, role));
      assert.throws(
        () => signer.satisfiesPrincipal(principal.role(item.mspId, ROLE.ORDERER)),
        /not a \[ORDERER\]/,
      );
    }
  });

  it('one byte flipped in the signature, the payload or the certificate fails, each with its code', async () => {
    const item = items.find((i) => i.kind === 'envelope' && i.block === 10)!;
    const signer = manager.deserializeIdentity(item.identity);

    // The signature: its last byte (inside s), then a byte of the DER header.
    const sig = Buffer.from(item.signature);
    sig[sig.length - 1]! ^= 0x01;
    let err = await rejection(signer.verify(item.data, sig));
    assert.ok(err.code === 'BAD_SIGNATURE', err.message);
    const header = Buffer.from(item.signature);
    header[0] = 0x31;
    err = await rejection(signer.verify(item.data, header));
    assert.equal(err.code, 'BAD_SIGNATURE');
    assert.equal(err.details.reason, 'malformed');

    // The payload.
    const data = Buffer.from(item.data);
    data[Math.floor(data.length / 2)]! ^= 0x80;
    err = await rejection(signer.verify(data, item.signature));
    assert.equal(err.code, 'BAD_SIGNATURE');
    assert.equal(err.details.reason, 'mismatch');

    // The certificate: a byte of the public key inside the PEM body.
    const sid = mspProto.SerializedIdentity.decode(item.identity);
    const der = new X509Certificate(Buffer.from(sid.idBytes)).raw;
    const keyAt = der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])) + 10;
    const forged = Buffer.from(der);
    forged[keyAt]! ^= 0x01;
    const forgedPem = `-----BEGIN CERTIFICATE-----\n${forged.toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.throws(
      () => manager.deserializeIdentity(serialize(sid.mspid, forgedPem)),
      (e: IdentityError) => ['UNTRUSTED_CHAIN', 'MALFORMED'].includes(e.code),
    );
  });

  it('an endorsement does not verify as the creator, nor a signature over another block', async () => {
    const envelope = items.find((i) => i.kind === 'envelope' && i.block === 20)!;
    const endorsement = items.find((i) => i.kind === 'endorsement' && i.block === 20)!;
    const creator = manager.deserializeIdentity(envelope.identity);
    const err = await rejection(creator.verify(endorsement.data, endorsement.signature));
    assert.equal(err.code, 'BAD_SIGNATURE');
    const other = items.find((i) => i.kind === 'envelope' && i.block === 21)!;
    await rejection(creator.verify(envelope.data, other.signature));
  });

  it('the manager refuses an MSP the channel does not define', () => {
    assert.throws(
      () => manager.deserializeIdentity(serialize('Org3MSP', corpusCert(CORPUS_CERTS.peer0org1))),
      (err: IdentityError) =>
        err.code === 'UNKNOWN_MSP' && err.message === 'MSP Org3MSP is not defined on channel',
    );
  });
});
