import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChaincodeError } from '@fabric-peer/chaincode';
import { common, protos } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import {
  LegacyDefinitions,
  Lscc,
  decodeChaincodeData,
  encodeChaincodeData,
  signedByAnyOfRole,
} from '../src/index.js';
import { openSccEnv, type SccEnv } from '../test-support/env.js';
import { MemoryLegacyStore, deploymentSpec, invoke } from '../test-support/stub.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const SCCS = new Set(['lscc', 'qscc', 'cscc', '_lifecycle']);

describe('lscc', () => {
  let env: SccEnv;
  let store: MemoryLegacyStore;
  let lscc: Lscc;

  before(async () => {
    // V1_4_2: the legacy lifecycle is in force, and private channel data is available.
    env = await openSccEnv({ applicationCapabilities: ['V1_4_2'] });
    store = new MemoryLegacyStore();
    lscc = new Lscc({
      channels: env.tc.channels,
      acl: env.acl,
      store,
      systemChaincodes: SCCS,
      logger: silentLoggers('lscc'),
    });
  });

  after(() => env.close());

  const call = (
    args: (string | Uint8Array)[],
    signer: 'admin' | 'user' | 'peer' | 'stranger' = 'admin',
    channelId?: string,
  ) =>
    invoke(lscc, env.tc.channels, {
      signer: signer === 'stranger' ? env.stranger : env.net.identities[signer],
      channelId: channelId ?? env.net.channelId,
      args,
    });

  describe('install', () => {
    it('stores the package for a local admin', async () => {
      const res = await call(
        ['install', deploymentSpec('inst', '1.0', { code: enc.encode('x') })],
        'admin',
        '',
      );
      assert.equal(res.response.status, 200, res.response.message);
      assert.equal(dec.decode(res.response.payload), 'OK');
      assert.ok(await store.get('inst', '1.0'));
    });

    const refusals: [string, (string | Uint8Array)[], 'admin' | 'user', RegExp][] = [
      [
        'a non-admin',
        ['install', deploymentSpec('inst2', '1.0')],
        'user',
        /^access denied for \[install\]: Failed verifying that proposal's creator satisfies local MSP principal/,
      ],
      ['a missing package', ['install'], 'admin', /^invalid number of arguments to lscc: 1$/],
      [
        'bytes that are no package',
        ['install', Uint8Array.of(0xff, 0xff, 0xff)],
        'admin',
        /could not unmarshal chaincode package to CDS or SignedCDS/,
      ],
      [
        'a bad name',
        ['install', deploymentSpec('my cc', '1.0')],
        'admin',
        /invalid chaincode name 'my cc'\. Names must start with an alphanumeric character/,
      ],
      [
        'a bad version',
        ['install', deploymentSpec('okcc', '1.0 beta')],
        'admin',
        /invalid chaincode version '1\.0 beta'\. Versions must not be empty/,
      ],
      [
        'a system chaincode name',
        ['install', deploymentSpec('qscc', '1.0')],
        'admin',
        /^cannot install: qscc is the name of a system chaincode$/,
      ],
      [
        'a second install',
        ['install', deploymentSpec('inst', '1.0', { code: enc.encode('x') })],
        'admin',
        /^error installing chaincode code inst:1\.0\(chaincode inst:1\.0 already exists\)$/,
      ],
    ];
    for (const [name, args, signer, message] of refusals) {
      it(`refuses ${name}`, async () => {
        const res = await call(args, signer, '');
        assert.equal(res.response.status, 500);
        assert.match(res.response.message ?? '', message);
      });
    }
  });

  describe('deploy, upgrade and queries', () => {
    const cdsV1 = deploymentSpec('mycc', '1.0', { args: ['init', 'a', '1'] });
    let deployed: Uint8Array;

    before(async () => {
      await store.install(
        deploymentSpec('mycc', '1.0', { code: enc.encode('code-1'), args: ['init', 'a', '1'] }),
      );
    });

    it('refuses a creator outside the default instantiation policy (channel admins)', async () => {
      const res = await call(['deploy', env.net.channelId, cdsV1], 'user');
      assert.equal(res.response.status, 500);
      assert.match(res.response.message ?? '', /^instantiation policy violation: /);
    });

    it('writes ChaincodeData with the default policies, as Go marshals them', async () => {
      const res = await call(['deploy', env.net.channelId, cdsV1]);
      assert.equal(res.response.status, 200, res.response.message);
      deployed = res.response.payload!;
      const cd = decodeChaincodeData(deployed);
      const installed = (await store.get('mycc', '1.0'))!;
      assert.equal(cd.name, 'mycc');
      assert.equal(cd.version, '1.0');
      assert.equal(cd.escc, 'escc');
      assert.equal(cd.vscc, 'vscc');
      assert.deepEqual(cd.data, installed.data);
      assert.deepEqual(cd.id, installed.id);
      // SignedByAnyMember(['Org1MSP']) and SignedByAnyAdmin, byte for byte as Fabric writes them.
      assert.equal(
        Buffer.from(cd.policy).toString('hex'),
        '12081206080112020800' + '1a0b12090a074f7267314d5350',
      );
      assert.equal(
        Buffer.from(cd.instantiationPolicy).toString('hex'),
        '12081206080112020800' + '1a0d120b0a074f7267314d53501001',
      );
      assert.deepEqual(encodeChaincodeData(cd), deployed);
      // The write is in lscc's namespace under the chaincode's name.
      await env.commit(res.stub.getTxId(), res.rwset!);
      const qe = await env.tc.channels.get(env.net.channelId)!.ledger.newQueryExecutor();
      try {
        assert.deepEqual(await qe.getState('lscc', 'mycc'), deployed);
      } finally {
        qe.done();
      }
    });

    it('refuses a second deploy', async () => {
      const res = await call(['deploy', env.net.channelId, cdsV1]);
      assert.equal(res.response.message, "chaincode with name 'mycc' already exists");
    });

    const deployRefusals: [string, () => (string | Uint8Array)[], RegExp][] = [
      [
        'too few arguments',
        () => ['deploy', env.net.channelId],
        /^invalid number of arguments to lscc: 2$/,
      ],
      ['an empty channel name', () => ['deploy', '', cdsV1], /^invalid channel name: $/],
      [
        'too many arguments',
        () => ['deploy', env.net.channelId, cdsV1, '', '', '', '', ''],
        /^invalid number of arguments to lscc: 8$/,
      ],
      [
        'a CDS that does not decode',
        () => ['deploy', env.net.channelId, Uint8Array.of(0x0a, 0x7f)],
        /^error unmarshalling ChaincodeDeploymentSpec: /,
      ],
      [
        'an invalid name',
        () => ['deploy', env.net.channelId, deploymentSpec('-x', '1.0')],
        /^invalid chaincode name '-x'\./,
      ],
      [
        'an invalid version',
        () => ['deploy', env.net.channelId, deploymentSpec('x', '')],
        /^invalid chaincode version ''\./,
      ],
      [
        'a chaincode not installed',
        () => ['deploy', env.net.channelId, deploymentSpec('other', '1.0')],
        /^cannot get package for chaincode \(other:1\.0\)$/,
      ],
    ];
    for (const [name, args, message] of deployRefusals) {
      it(`deploy refuses ${name}`, async () => {
        const res = await call(args());
        assert.equal(res.response.status, 500);
        assert.match(res.response.message ?? '', message);
      });
    }

    it('answers getid, getccdata, getdepspec and their aliases', async () => {
      for (const fn of ['getid', 'ChaincodeExists']) {
        const res = await call([fn, env.net.channelId, 'mycc'], 'user');
        assert.equal(dec.decode(res.response.payload), 'mycc');
      }
      for (const fn of ['getccdata', 'GetChaincodeData']) {
        assert.deepEqual(
          (await call([fn, env.net.channelId, 'mycc'], 'user')).response.payload,
          deployed,
        );
      }
      for (const fn of ['getdepspec', 'GetDeploymentSpec']) {
        const res = await call([fn, env.net.channelId, 'mycc'], 'peer');
        assert.deepEqual(res.response.payload, (await store.get('mycc', '1.0'))!.deploymentSpec);
      }
      const missing = await call(['getid', env.net.channelId, 'nope'], 'user');
      assert.equal(missing.response.message, "could not find chaincode with name 'nope'");
      const args = await call(['getccdata', env.net.channelId], 'user');
      assert.equal(args.response.message, 'invalid number of arguments to lscc: 2');
      const denied = await call(['getccdata', env.net.channelId, 'mycc'], 'stranger');
      assert.match(
        denied.response.message ?? '',
        /^access denied for \[getccdata\]\[mychannel\]: /,
      );
    });

    it('lists instantiated and installed chaincodes', async () => {
      const res = await call(['getchaincodes'], 'user');
      const list = protos.ChaincodeQueryResponse.decode(res.response.payload!);
      assert.deepEqual(
        list.chaincodes.map((c) => protos.ChaincodeInfo.toObject(c as protos.ChaincodeInfo)),
        [
          {
            name: 'mycc',
            version: '1.0',
            path: '/src/cc',
            input: 'args:"init" args:"a" args:"1"',
            escc: 'escc',
            vscc: 'vscc',
          },
        ],
      );
      const installed = protos.ChaincodeQueryResponse.decode(
        (await call(['GetInstalledChaincodes'], 'admin', '')).response.payload!,
      );
      assert.deepEqual(
        installed.chaincodes.map((c) => `${c.name}:${c.version}`),
        ['inst:1.0', 'mycc:1.0'],
      );
      const denied = await call(['getinstalledchaincodes'], 'user', '');
      assert.match(
        denied.response.message ?? '',
        /^access denied for \[getinstalledchaincodes\]: /,
      );
      assert.equal(
        (await call(['getchaincodes', 'x'], 'user')).response.message,
        'invalid number of arguments to lscc: 2',
      );
    });

    it('upgrades to an installed new version, checking both instantiation policies', async () => {
      const v2 = deploymentSpec('mycc', '2.0');
      const same = await call(['upgrade', env.net.channelId, cdsV1]);
      assert.equal(same.response.message, "version already exists for chaincode with name 'mycc'");
      const notInstalled = await call(['upgrade', env.net.channelId, v2]);
      assert.equal(notInstalled.response.message, 'cannot get package for chaincode (mycc:2.0)');
      await store.install(deploymentSpec('mycc', '2.0', { code: enc.encode('code-2') }));
      const byUser = await call(['upgrade', env.net.channelId, v2], 'user');
      assert.match(byUser.response.message ?? '', /^instantiation policy violation: /);
      const missing = await call(['upgrade', env.net.channelId, deploymentSpec('ghost', '1.0')]);
      assert.equal(missing.response.message, 'cannot get package for chaincode (ghost:1.0)');

      const res = await call(['upgrade', env.net.channelId, v2, '', 'myescc', 'myvscc']);
      assert.equal(res.response.status, 200, res.response.message);
      const cd = decodeChaincodeData(res.response.payload!);
      assert.deepEqual([cd.version, cd.escc, cd.vscc], ['2.0', 'myescc', 'myvscc']);
      assert.equal(res.stub.events.length, 1);
      assert.equal(res.stub.events[0]?.name, 'upgrade');
      assert.equal(protos.LifecycleEvent.decode(res.stub.events[0].payload).chaincodeName, 'mycc');
    });

    it('stores and returns a collection configuration', async () => {
      await store.install(deploymentSpec('pvt', '1.0'));
      const member = signedByAnyOfRole(common.MSPRole.MSPRoleType.MEMBER, ['Org1MSP']);
      const collections = protos.CollectionConfigPackage.encode({
        config: [
          {
            staticCollectionConfig: {
              name: 'secrets',
              memberOrgsPolicy: { signaturePolicy: common.SignaturePolicyEnvelope.decode(member) },
              requiredPeerCount: 0,
              maximumPeerCount: 1,
            },
          },
        ],
      }).finish();
      const res = await call([
        'deploy',
        env.net.channelId,
        deploymentSpec('pvt', '1.0'),
        '',
        '',
        '',
        collections,
      ]);
      assert.equal(res.response.status, 200, res.response.message);
      await env.commit(res.stub.getTxId(), res.rwset!);
      const got = await call(['GetCollectionsConfig', 'pvt'], 'user');
      assert.deepEqual(Buffer.from(got.response.payload!), Buffer.from(collections));
      const none = await call(['getcollectionsconfig', 'mycc'], 'user');
      assert.equal(none.response.message, 'collections config not defined for chaincode mycc');

      await store.install(deploymentSpec('pvt2', '1.0'));
      const bad = protos.CollectionConfigPackage.encode({
        config: [{ staticCollectionConfig: { name: 'c', memberOrgsPolicy: {} } }],
      }).finish();
      const refused = await call([
        'deploy',
        env.net.channelId,
        deploymentSpec('pvt2', '1.0'),
        '',
        '',
        '',
        bad,
      ]);
      assert.equal(
        refused.response.message,
        'collection member policy check failed: collection member org policy is empty',
      );
    });

    it('answers an unknown function and no arguments with Fabric messages', async () => {
      assert.equal((await call(['nope'])).response.message, 'invalid function to lscc: nope');
      assert.equal((await call([])).response.message, 'invalid number of arguments to lscc: 0');
    });

    describe('LegacyDefinitions', () => {
      async function info(defs: LegacyDefinitions, name: string) {
        const qe = await env.tc.channels.get(env.net.channelId)!.ledger.newQueryExecutor();
        try {
          return await defs.endorsementInfo(env.net.channelId, name, qe);
        } finally {
          qe.done();
        }
      }

      it('reads the definition lscc wrote', async () => {
        const defs = new LegacyDefinitions({ store });
        assert.deepEqual(await info(defs, 'mycc'), {
          version: '1.0',
          enforceInit: false,
          endorsementPlugin: 'escc',
          chaincodeId: 'mycc:1.0',
        });
      });

      it('says when a chaincode is not defined', async () => {
        await assert.rejects(info(new LegacyDefinitions(), 'nope'), (err: unknown) => {
          assert.ok(err instanceof ChaincodeError);
          assert.equal(err.code, 'CHAINCODE_NOT_DEFINED');
          assert.equal(err.message, 'chaincode nope not found');
          return true;
        });
        await assert.rejects(
          new LegacyDefinitions().endorsementInfo('', 'mycc', undefined),
          /chaincode mycc not found/,
        );
      });

      it('refuses a definition whose package is missing or differs', async () => {
        await assert.rejects(
          info(new LegacyDefinitions({ store: new MemoryLegacyStore() }), 'mycc'),
          /^ChaincodeError: failed security checks: invalid deployment spec: could not find chaincode mycc:1\.0 on this peer$|failed security checks: invalid deployment spec/,
        );
        const other = new MemoryLegacyStore();
        await other.install(deploymentSpec('mycc', '1.0', { code: enc.encode('tampered') }));
        await assert.rejects(
          info(new LegacyDefinitions({ store: other }), 'mycc'),
          /failed security checks: chaincode fingerprint mismatch: data mismatch/,
        );
        const signed = new MemoryLegacyStore();
        await signed.install(
          deploymentSpec('mycc', '1.0', { code: enc.encode('code-1'), args: ['init', 'a', '1'] }),
          signedByAnyOfRole(common.MSPRole.MSPRoleType.MEMBER, ['Org1MSP']),
        );
        await assert.rejects(
          info(new LegacyDefinitions({ store: signed }), 'mycc'),
          /failed security checks: Instantiation policy mismatch for cc mycc:1\.0/,
        );
      });
    });
  });

  describe('on a channel with the V2_0 capability', () => {
    let v2: SccEnv;
    before(async () => {
      v2 = await openSccEnv();
    });
    after(() => v2.close());

    it('refuses deploy and upgrade', async () => {
      const lscc2 = new Lscc({
        channels: v2.tc.channels,
        acl: v2.acl,
        store,
        systemChaincodes: SCCS,
        logger: silentLoggers('lscc'),
      });
      for (const fn of ['deploy', 'upgrade']) {
        const res = await invoke(lscc2, v2.tc.channels, {
          signer: v2.net.identities.admin,
          channelId: v2.net.channelId,
          args: [fn, v2.net.channelId, deploymentSpec('mycc', '1.0')],
        });
        assert.equal(
          res.response.message,
          "Channel 'mychannel' has been migrated to the new lifecycle, LSCC is now read-only",
        );
      }
    });
  });
});
