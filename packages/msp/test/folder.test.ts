// MSP folders (Fabric's configbuilder) and the local MSP from core.yaml keys.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@fabric-peer/api';
import {
  fakeConfig,
  issue,
  makeCrl,
  makeIntermediate,
  recordingLoggers,
} from '@fabric-peer/testkit';
import { common, msp as mspProto } from '@fabric-peer/protos';
import type { MspFolderError } from '../src/index.js';
import {
  createMsp,
  keyStoreSki,
  loadLocalMsp,
  loadMspFolder,
  LOCAL_MSP_KEYS,
} from '../src/index.js';
import { CORPUS_CERTS, corpusCert, corpusMspFolders } from '../test-support/corpus.js';
import { cryptogenConfigYaml, writeMspFolder } from '../test-support/folder.js';
import { tempDir } from '../test-support/paths.js';
import { makeOrg, principal, serialize, type TestOrg } from '../test-support/pki.js';

const ROLE = common.MSPRole.MSPRoleType;

describe('loadMspFolder', () => {
  let org: TestOrg;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    org = await makeOrg('Org1MSP');
    tmp = tempDir('folder');
  });
  after(() => tmp.dispose());

  it("reads cacerts, tlscacerts and config.yaml as Fabric's configbuilder", () => {
    const dir = writeMspFolder(join(tmp.dir, 'verify'), { ca: org.ca, tlsCa: org.ca });
    const config = loadMspFolder(dir, 'Org1MSP');
    assert.equal(config.type, 0);
    const fabric = mspProto.FabricMSPConfig.decode(config.config);
    assert.equal(fabric.name, 'Org1MSP');
    assert.equal(fabric.rootCerts.length, 1);
    assert.equal(fabric.tlsRootCerts.length, 1);
    assert.equal(fabric.signingIdentity, null);
    assert.equal(fabric.cryptoConfig?.signatureHashFamily, 'SHA2');
    assert.equal(fabric.cryptoConfig?.identityIdentifierHashFunction, 'SHA256');
    assert.equal(fabric.fabricNodeOus?.enable, true);
    assert.equal(
      fabric.fabricNodeOus?.ordererOuIdentifier?.organizationalUnitIdentifier,
      'orderer',
    );
    assert.equal(
      Buffer.from(fabric.fabricNodeOus.peerOuIdentifier!.certificate!).toString(),
      org.ca.certPem,
    );
    const msp = createMsp(config);
    msp.deserializeIdentity(serialize('Org1MSP', org.peer.certPem)).validate();
  });

  it('with signing: the first signcert and its key from the keystore, found by the public key', async () => {
    const dir = writeMspFolder(join(tmp.dir, 'sign'), { ca: org.ca, signer: org.peer });
    // Decoy keys in the keystore: another key, a non-key file, a sub-folder.
    const other = await issue(org.ca, 'other');
    writeFileSync(join(dir, 'keystore', 'a_other_sk'), other.keyPem);
    writeFileSync(join(dir, 'keystore', 'README'), 'not a key');
    mkdirSync(join(dir, 'keystore', 'sub'));
    const msp = createMsp(loadMspFolder(dir, 'Org1MSP', { signing: true }));
    const signer = msp.defaultSigningIdentity();
    signer.satisfiesPrincipal(principal.role('Org1MSP', ROLE.PEER));
    const message = Buffer.from('hello');
    await signer.verify(message, await signer.sign(message));
  });

  it('finds a SEC1 key named <ski>_sk (cryptogen v1)', () => {
    const ski = keyStoreSki(org.client.publicKey)!.toString('hex');
    const dir = writeMspFolder(join(tmp.dir, 'sec1'), {
      ca: org.ca,
      signer: org.client,
      key: { file: `${ski}_sk`, format: 'sec1' },
    });
    const fabric = mspProto.FabricMSPConfig.decode(
      loadMspFolder(dir, 'Org1MSP', { signing: true }).config,
    );
    const keyInfo = fabric.signingIdentity!.privateSigner!;
    assert.match(Buffer.from(keyInfo.keyMaterial!).toString(), /EC PRIVATE KEY/);
    assert.ok(keyInfo.keyIdentifier!.endsWith(`${ski}_sk`));
    createMsp(loadMspFolder(dir, 'Org1MSP', { signing: true })).defaultSigningIdentity();
  });

  it('reads admincerts, intermediatecerts, crls and OrganizationalUnitIdentifiers; YAML 1.1 booleans', async () => {
    const mid = await makeIntermediate(org.ca, 'mid');
    const leaf = await issue(mid, 'sales', { subject: 'CN=sales, OU=sales' });
    const revoked = await issue(mid, 'gone', { subject: 'CN=gone, OU=sales' });
    const crl = await makeCrl(mid, [revoked]);
    const dir = writeMspFolder(join(tmp.dir, 'full'), {
      ca: org.ca,
      intermediates: [mid],
      admins: [leaf],
      crls: [crl],
      configYaml:
        'OrganizationalUnitIdentifiers:\n  - Certificate: intermediatecerts/int0-cert.pem\n    OrganizationalUnitIdentifier: sales\nNodeOUs:\n  Enable: no\n',
    });
    const config = loadMspFolder(dir, 'Org1MSP');
    const fabric = mspProto.FabricMSPConfig.decode(config.config);
    assert.equal(fabric.admins.length, 1);
    assert.equal(fabric.intermediateCerts.length, 1);
    assert.equal(fabric.revocationList.length, 1);
    assert.equal(fabric.organizationalUnitIdentifiers[0]?.organizationalUnitIdentifier, 'sales');
    assert.equal(fabric.fabricNodeOus, null);
    const msp = createMsp(config);
    const id = msp.deserializeIdentity(serialize('Org1MSP', leaf.certPem));
    id.validate();
    id.satisfiesPrincipal(principal.role('Org1MSP', ROLE.ADMIN));
    assert.throws(
      () => msp.deserializeIdentity(serialize('Org1MSP', revoked.certPem)).validate(),
      /revoked/,
    );
  });

  it('skips files that hold no PEM, reporting them', () => {
    const dir = writeMspFolder(join(tmp.dir, 'skip'), { ca: org.ca });
    writeFileSync(join(dir, 'cacerts', 'notes.txt'), 'no PEM here');
    const { logger, records } = recordingLoggers();
    const fabric = mspProto.FabricMSPConfig.decode(
      loadMspFolder(dir, 'Org1MSP', { logger }).config,
    );
    assert.equal(fabric.rootCerts.length, 1);
    assert.ok(records.some((r) => r.level === 'warn' && r.msg.includes('notes.txt')));
  });

  it('errors name the path at fault', () => {
    const missing = join(tmp.dir, 'nope');
    assert.throws(
      () => loadMspFolder(missing, 'X'),
      (err: MspFolderError) => err.path === missing && /does not exist/.test(err.message),
    );
    const noCa = join(tmp.dir, 'noca');
    mkdirSync(join(noCa, 'cacerts'), { recursive: true });
    assert.throws(
      () => loadMspFolder(noCa, 'X'),
      (err: MspFolderError) =>
        err.message === `${join(noCa, 'cacerts')} is empty (no PEM CA certificate)`,
    );
    const noSign = writeMspFolder(join(tmp.dir, 'nosign'), { ca: org.ca });
    assert.throws(
      () => loadMspFolder(noSign, 'X', { signing: true }),
      (err: MspFolderError) =>
        err.path === join(noSign, 'signcerts') && /does not exist/.test(err.message),
    );
    const noKey = writeMspFolder(join(tmp.dir, 'nokey'), {
      ca: org.ca,
      signer: org.peer,
      key: false,
    });
    mkdirSync(join(noKey, 'keystore'));
    assert.throws(
      () => loadMspFolder(noKey, 'X', { signing: true }),
      (err: MspFolderError) =>
        err.path === join(noKey, 'keystore') && /holds no private key for/.test(err.message),
    );
    const badYaml = writeMspFolder(join(tmp.dir, 'badyaml'), {
      ca: org.ca,
      configYaml: 'NodeOUs: [unclosed',
    });
    assert.throws(() => loadMspFolder(badYaml, 'X'), /config\.yaml is not valid YAML/);
  });

  it('the corpus folders have no keystore: signing fails, naming the key store', () => {
    const peer = corpusMspFolders().find((f) => f.name.includes('peer0.org1'))!;
    assert.throws(
      () => loadMspFolder(peer.dir, 'Org1MSP', { signing: true }),
      (err: MspFolderError) =>
        err.path === join(peer.dir, 'keystore') && err.details.subject === 'keystore',
    );
    // ...and verifies as a verifying MSP.
    createMsp(loadMspFolder(peer.dir, 'Org1MSP'))
      .deserializeIdentity(serialize('Org1MSP', corpusCert(CORPUS_CERTS.peer0org1)))
      .validate();
  });
});

describe('loadLocalMsp (core.yaml)', () => {
  let org: TestOrg;
  let tmp: ReturnType<typeof tempDir>;

  const keys = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    'peer.mspConfigPath': 'msp',
    'peer.localMspId': 'Org1MSP',
    'peer.localMspType': 'bccsp',
    'peer.BCCSP.Default': 'SW',
    'peer.BCCSP.SW.Hash': 'SHA2',
    'peer.BCCSP.SW.Security': 256,
    'peer.BCCSP.SW.FileKeyStore.KeyStore': null,
    ...overrides,
  });

  const configError = (fn: () => unknown, key: string, pattern: RegExp): void => {
    assert.throws(fn, (err: ConfigError) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.issues[0]?.key, key);
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith(`invalid configuration: ${key}: `), err.message);
      return true;
    });
  };

  before(async () => {
    org = await makeOrg('Org1MSP');
    tmp = tempDir('local');
    writeMspFolder(join(tmp.dir, 'msp'), { ca: org.ca, signer: org.peer, tlsCa: org.ca });
  });
  after(() => tmp.dispose());

  it('reads only the keys it documents', () => {
    assert.deepEqual(Object.keys(keys()).sort(), [...LOCAL_MSP_KEYS].sort());
  });

  it('loads the MSP folder (relative to the config folder) with its signing identity', async () => {
    const local = loadLocalMsp(fakeConfig(keys(), { dir: tmp.dir }));
    assert.equal(local.msp.id, 'Org1MSP');
    assert.equal(local.msp.version, 'v1_4_3');
    assert.equal(local.mspDir, join(tmp.dir, 'msp'));
    assert.equal(local.keyStoreDir, join(tmp.dir, 'msp', 'keystore'));
    local.signer.satisfiesPrincipal(principal.role('Org1MSP', ROLE.PEER));
    const message = Buffer.from('endorsement');
    const signature = await local.signer.sign(message);
    const remote = createMsp(loadMspFolder(join(tmp.dir, 'msp'), 'Org1MSP')).deserializeIdentity(
      local.signer.serialize(),
    );
    await remote.verify(message, signature);
  });

  it('peer.BCCSP.SW.FileKeyStore.KeyStore moves the key store; SHA3 and 384 are accepted', () => {
    const dir = writeMspFolder(join(tmp.dir, 'moved'), { ca: org.ca, signer: org.client });
    renameSync(join(dir, 'keystore'), join(tmp.dir, 'keys-elsewhere'));
    const local = loadLocalMsp(
      fakeConfig(
        keys({
          'peer.mspConfigPath': dir,
          'peer.BCCSP.SW.FileKeyStore.KeyStore': 'keys-elsewhere',
          'peer.BCCSP.SW.Hash': 'SHA3',
          'peer.BCCSP.SW.Security': 384,
        }),
        { dir: tmp.dir },
      ),
    );
    assert.equal(local.keyStoreDir, join(tmp.dir, 'keys-elsewhere'));
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': dir }), { dir: tmp.dir })),
      'peer.mspConfigPath',
      /keystore does not exist or is not a directory/,
    );
    mkdirSync(join(tmp.dir, 'empty-keys'));
    configError(
      () =>
        loadLocalMsp(
          fakeConfig(
            keys({
              'peer.mspConfigPath': dir,
              'peer.BCCSP.SW.FileKeyStore.KeyStore': 'empty-keys',
            }),
            { dir: tmp.dir },
          ),
        ),
      'peer.BCCSP.SW.FileKeyStore.KeyStore',
      /empty-keys holds no private key for/,
    );
  });

  it('refuses PKCS#11, saying what to use instead', () => {
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.BCCSP.Default': 'PKCS11' }), { dir: tmp.dir })),
      'peer.BCCSP.Default',
      /PKCS#11 .* is not supported by this peer: use SW and put the signing key in the MSP keystore folder/,
    );
  });

  it('refuses idemix, an empty MSP id, bad SW settings', () => {
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.localMspType': 'idemix' }), { dir: tmp.dir })),
      'peer.localMspType',
      /"idemix" is not supported/,
    );
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.localMspId': '' }), { dir: tmp.dir })),
      'peer.localMspId',
      /must have an ID/,
    );
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.BCCSP.SW.Security': 512 }), { dir: tmp.dir })),
      'peer.BCCSP.SW.Security',
      /security level 512/,
    );
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.BCCSP.SW.Hash': 'MD5' }), { dir: tmp.dir })),
      'peer.BCCSP.SW.Hash',
      /hash family "MD5"/,
    );
  });

  it('missing or incomplete folders: the error names peer.mspConfigPath and the path', () => {
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': '/x/msp' }))),
      'peer.mspConfigPath',
      /^invalid configuration: peer\.mspConfigPath: \/x\/msp does not exist or cannot be accessed$/,
    );
    const noSigncerts = writeMspFolder(join(tmp.dir, 'nosigncerts'), { ca: org.ca });
    mkdirSync(join(noSigncerts, 'signcerts'));
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': noSigncerts }))),
      'peer.mspConfigPath',
      new RegExp(`peer\\.mspConfigPath: ${join(noSigncerts, 'signcerts')} is empty`),
    );
    rmSync(join(noSigncerts, 'cacerts'), { recursive: true });
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': noSigncerts }))),
      'peer.mspConfigPath',
      /signcerts is empty/,
    );
  });

  it('an MSP setup failure (an expired signing certificate) names peer.mspConfigPath too', async () => {
    const expired = await issue(org.ca, 'expired', {
      subject: 'CN=expired, OU=peer',
      notBefore: new Date(Date.now() - 30 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const dir = writeMspFolder(join(tmp.dir, 'expired'), { ca: org.ca, signer: expired });
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': dir }))),
      'peer.mspConfigPath',
      /MSP Org1MSP: setup failed: signing identity expired/,
    );
    // With a clock before the expiry, it loads.
    const local = loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': dir })), {
      now: () => new Date(Date.now() - 10 * 86_400_000),
    });
    assert.equal(local.msp.id, 'Org1MSP');
  });

  it('a config.yaml with NodeOUs disabled gives an MSP that needs admincerts', () => {
    const dir = writeMspFolder(join(tmp.dir, 'nonodeous'), {
      ca: org.ca,
      signer: org.peer,
      configYaml: cryptogenConfigYaml('ca-cert.pem', 'false'),
    });
    configError(
      () => loadLocalMsp(fakeConfig(keys({ 'peer.mspConfigPath': dir }))),
      'peer.mspConfigPath',
      /administrators must be declared when no admin ou classification is set/,
    );
  });
});
