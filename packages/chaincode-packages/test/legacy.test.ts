import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { common, protos } from '@fabric-peer/protos';
import {
  FileLegacyChaincodeStore,
  PackageError,
  createLegacyPackage,
  parseLegacyPackage,
  writeTarGz,
} from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

// Computed here from Fabric's algorithm (ccprovider.CDSPackage.getCDSData), independently of the
// implementation: code hash = SHA-256(code package), metadata hash = SHA-256(name ‖ version),
// id = SHA-256(code hash ‖ metadata hash); CDSData = {1: code hash, 2: metadata hash} in protobuf.
function h(...parts: (Uint8Array | string)[]): Buffer {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest();
}
function expectedCds(code: Uint8Array, name: string, version: string) {
  const codeHash = h(code);
  const metaHash = h(name, version);
  const data = Buffer.concat([
    Buffer.from([0x0a, 32]),
    codeHash,
    Buffer.from([0x12, 32]),
    metaHash,
  ]);
  return { id: h(codeHash, metaHash), data };
}

function signedPackage(cds: Uint8Array, policy: Uint8Array, endorsers: Uint8Array[]): Uint8Array {
  const sds = protos.SignedChaincodeDeploymentSpec.encode({
    chaincodeDeploymentSpec: cds,
    instantiationPolicy: policy,
    ownerEndorsements: endorsers.map((e) => ({ endorser: e, signature: Buffer.from('sig') })),
  }).finish();
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.CHAINCODE_PACKAGE,
      }).finish(),
      signatureHeader: new Uint8Array(0),
    },
    data: sds,
  }).finish();
  return common.Envelope.encode({ payload, signature: new Uint8Array(0) }).finish();
}

const nodeCode = writeTarGz([{ path: 'src/package.json', data: '{"name":"mycc"}' }]);

describe('legacy (lscc) packages', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it("computes a CDS package's id and CDSData as Fabric does", () => {
    const bytes = createLegacyPackage({
      name: 'mycc',
      version: '1.0',
      path: 'github.com/mycc',
      type: 'NODE',
      codePackage: nodeCode,
    });
    const parsed = parseLegacyPackage(bytes);
    const expected = expectedCds(nodeCode, 'mycc', '1.0');
    assert.equal(parsed.format, 'CDS');
    assert.equal(parsed.name, 'mycc');
    assert.equal(parsed.version, '1.0');
    assert.equal(parsed.path, 'github.com/mycc');
    assert.equal(parsed.type, 'NODE');
    assert.equal(Buffer.from(parsed.id).toString('hex'), expected.id.toString('hex'));
    assert.equal(Buffer.from(parsed.data).toString('hex'), expected.data.toString('hex'));
    assert.deepEqual(Buffer.from(parsed.deploymentSpec), Buffer.from(bytes));
    assert.deepEqual(Buffer.from(parsed.codePackage), nodeCode);
    assert.equal(parsed.instantiationPolicy, undefined);
  });

  it("computes a signed CDS package's id and data, with the signature hash", () => {
    const cds = createLegacyPackage({
      name: 'scc',
      version: 'v2',
      codePackage: nodeCode,
      type: 'GOLANG',
    });
    const policy = Buffer.from('policy bytes');
    const owners = [Buffer.from('owner-1'), Buffer.from('owner-2')];
    const parsed = parseLegacyPackage(signedPackage(cds, policy, owners));
    const codeHash = h(nodeCode);
    const metaHash = h('scc', 'v2');
    const sigHash = h(policy, ...owners);
    assert.equal(parsed.format, 'SignedCDS');
    assert.equal(parsed.type, 'GOLANG');
    assert.equal(
      Buffer.from(parsed.id).toString('hex'),
      h(codeHash, metaHash, sigHash).toString('hex'),
    );
    assert.equal(
      Buffer.from(parsed.data).toString('hex'),
      Buffer.concat([
        Buffer.from([0x0a, 32]),
        codeHash,
        Buffer.from([0x12, 32]),
        metaHash,
        Buffer.from([0x1a, 32]),
        sigHash,
      ]).toString('hex'),
    );
    assert.deepEqual(Buffer.from(parsed.deploymentSpec), Buffer.from(cds));
    assert.deepEqual(Buffer.from(parsed.instantiationPolicy ?? []), policy);
    // Without an instantiation policy it is not a valid signed package (nor a CDS).
    assert.throws(() => parseLegacyPackage(signedPackage(cds, new Uint8Array(0), owners)), {
      code: 'INVALID_PACKAGE',
    });
  });

  it("refuses bytes that are neither, with Fabric's message", () => {
    for (const junk of [Buffer.from('junk'), Buffer.from([0xff, 0xff, 0xff]), new Uint8Array(0)]) {
      assert.throws(
        () => parseLegacyPackage(junk),
        (err: unknown) => {
          assert.ok(err instanceof PackageError);
          assert.equal(err.code, 'INVALID_PACKAGE');
          assert.equal(err.message, 'could not unmarshal chaincode package to CDS or SignedCDS');
          return true;
        },
      );
    }
  });

  it('stores chaincodes/<name>.<version>, refuses duplicates, gets and lists', async () => {
    const fs = join(dir, 'a');
    const store = new FileLegacyChaincodeStore({ fileSystemPath: fs });
    const v1 = createLegacyPackage({ name: 'mycc', version: '1.0', codePackage: nodeCode });
    const v2 = createLegacyPackage({ name: 'mycc', version: '2.0', codePackage: nodeCode });
    const other = createLegacyPackage({ name: 'abc', version: '1', codePackage: nodeCode });
    const installed = await store.install(v1);
    assert.deepEqual(installed.id, expectedCds(nodeCode, 'mycc', '1.0').id);
    assert.deepEqual(await readFile(join(fs, 'chaincodes', 'mycc.1.0')), Buffer.from(v1));
    await store.install(v2);
    await store.install(other);
    await assert.rejects(store.install(v1), (err: unknown) => {
      assert.ok(err instanceof PackageError);
      assert.equal(err.code, 'ALREADY_INSTALLED');
      assert.equal(err.message, 'chaincode mycc:1.0 already exists');
      return true;
    });
    const got = await store.get('mycc', '2.0');
    assert.equal(got?.version, '2.0');
    assert.deepEqual(got?.id, expectedCds(nodeCode, 'mycc', '2.0').id);
    assert.equal(await store.get('mycc', '3.0'), undefined);
    assert.deepEqual(
      (await store.list()).map((c) => `${c.name}:${c.version}`),
      ['abc:1', 'mycc:1.0', 'mycc:2.0'],
    );
  });

  it("refuses names and versions lscc's regexes refuse, with lscc's messages", async () => {
    const store = new FileLegacyChaincodeStore({ fileSystemPath: join(dir, 'b') });
    const install = (name: string, version: string) =>
      store.install(createLegacyPackage({ name, version, codePackage: nodeCode }));
    for (const name of ['my cc', '-cc', 'cc-', 'a..b', 'a.b', '../x', '']) {
      await assert.rejects(install(name, '1'), {
        code: 'INVALID_PACKAGE',
        message: `invalid chaincode name '${name}'. Names must start with an alphanumeric character and can only consist of alphanumerics, '_', and '-'`,
      });
    }
    for (const version of ['', '1/0', '1 0', '1:0']) {
      await assert.rejects(install('cc', version), {
        code: 'INVALID_PACKAGE',
        message: `invalid chaincode version '${version}'. Versions must not be empty and can only consist of alphanumerics, '_',  '-', '+', and '.'`,
      });
    }
    for (const [name, version] of [
      ['a_b-c', '1.0+x_y-z'],
      ['A1', '..x'],
    ] as const) {
      await install(name, version);
    }
    assert.equal((await store.list()).length, 2);
  });

  it('does not read files outside the store, nor a file holding another chaincode', async () => {
    const fs = join(dir, 'c');
    const store = new FileLegacyChaincodeStore({ fileSystemPath: fs });
    await mkdir(join(fs, 'chaincodes'), { recursive: true });
    assert.equal(await store.get('..', 'x'), undefined);
    assert.equal(await store.get('x', '..'), undefined);
    assert.equal(await store.get('x', '/etc/passwd'), undefined);
    await writeFile(
      join(fs, 'chaincodes', 'fake.1'),
      createLegacyPackage({ name: 'real', version: '1', codePackage: nodeCode }),
    );
    await assert.rejects(store.get('fake', '1'), /chaincode fingerprint mismatch/);
    assert.deepEqual(await store.list(), [], 'a mismatching file is skipped when listing');
  });
});
