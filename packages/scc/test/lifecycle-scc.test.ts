/**
 * `_lifecycle`'s functions on a real two-org channel: argument checks, ACLs, sequence rules,
 * approvals and their mismatches, commit readiness, commit, and the queries, with Fabric's
 * messages; writes checked in the simulation's read-write sets and committed (with their private
 * data) to a real ledger.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ChaincodeResponse } from '@fabric-peer/api';
import { common, kvrwset, lifecycle, protos, rwset } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import { Lifecycle, LifecycleDefinitions, encodeStateData } from '../src/index.js';
import { openSccEnv } from '../test-support/env.js';
import {
  approveArgs,
  collection,
  commitArgs,
  nodePackage,
  readinessArgs,
  type DefinitionSpec,
} from '../test-support/lifecycle-args.js';
import {
  openLifecycleNetwork,
  type LifecycleNetwork,
  type OrgMsp,
} from '../test-support/lifecycle-network.js';
import {
  MemoryPackageStore,
  callLifecycle,
  commitCall,
  type LifecycleCall,
} from '../test-support/lifecycle-stub.js';

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** The `_lifecycle` namespace of a simulation: public KVRWSet and hashed sets by collection. */
function lifecycleRwset(call: LifecycleCall): {
  kv: kvrwset.KVRWSet;
  hashed: Map<string, kvrwset.HashedRWSet>;
} {
  const ns = call.results?.publicRwsetProto.nsRwset.find((n) => n.namespace === '_lifecycle');
  const hashed = new Map<string, kvrwset.HashedRWSet>();
  for (const c of ns?.collectionHashedRwset ?? []) {
    hashed.set(c.collectionName ?? '', kvrwset.HashedRWSet.decode(c.hashedRwset ?? EMPTY));
  }
  return { kv: kvrwset.KVRWSet.decode(ns?.rwset ?? EMPTY), hashed };
}

/** The private writes of a simulation in a collection, key → value. */
function privateWrites(call: LifecycleCall, coll: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const pvt = call.results?.privateRwset;
  if (pvt === undefined) return out;
  for (const ns of rwset.TxPvtReadWriteSet.decode(pvt).nsPvtRwset) {
    for (const c of ns.collectionPvtRwset ?? []) {
      if (c.collectionName !== coll) continue;
      for (const w of kvrwset.KVRWSet.decode(c.rwset ?? EMPTY).writes)
        out.set(w.key ?? '', w.value ?? EMPTY);
    }
  }
  return out;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function expectFailure(res: ChaincodeResponse, status: number, message: string | RegExp): void {
  assert.equal(res.status, status, `status (message: ${res.message})`);
  if (typeof message === 'string') assert.equal(res.message, message);
  else assert.match(res.message ?? '', message);
}

describe('_lifecycle', () => {
  let net: LifecycleNetwork;
  const stores: Record<OrgMsp, MemoryPackageStore> = {
    Org1MSP: new MemoryPackageStore(),
    Org2MSP: new MemoryPackageStore(),
  };
  let sccs: Record<OrgMsp, Lifecycle>;
  let defs1: LifecycleDefinitions;
  let packageId = '';
  let otherPackageId = '';

  before(async () => {
    net = await openLifecycleNetwork();
    defs1 = new LifecycleDefinitions({
      channels: net.channels,
      localMspId: 'Org1MSP',
      store: stores.Org1MSP,
    });
    defs1.start();
    const make = (org: OrgMsp, tracker?: LifecycleDefinitions): Lifecycle =>
      new Lifecycle({
        channels: net.channels,
        acl: net.orgs[org].acl,
        store: stores[org],
        localMspId: org,
        ...(tracker !== undefined ? { tracker } : {}),
        logger: silentLoggers('lifecycle'),
      });
    sccs = { Org1MSP: make('Org1MSP', defs1), Org2MSP: make('Org2MSP') };
    await defs1.ready();
  });

  after(async () => {
    defs1?.stop();
    await net?.close();
  });

  /** Calls `fn` on `org`'s peer, signed by its admin (or `signer`). */
  const call = (
    org: OrgMsp,
    fn: string,
    args: Uint8Array,
    options: { signer?: 'admin' | 'user'; channelId?: string; rawArgs?: Uint8Array[] } = {},
  ): Promise<LifecycleCall> =>
    callLifecycle(sccs[org], net.channels, {
      signer: net.orgs[org][options.signer ?? 'admin'],
      channelId: options.channelId ?? net.channelId,
      fn,
      args,
      ...(options.rawArgs !== undefined ? { rawArgs: options.rawArgs } : {}),
    });

  describe('invocation checks', () => {
    const cases: [string, Uint8Array[] | undefined, string, number, string | RegExp][] = [
      ['no arguments', [], '', 500, 'lifecycle scc must be invoked with arguments'],
      [
        'one argument',
        [enc.encode('QueryInstalledChaincodes')],
        '',
        500,
        'lifecycle scc operations require exactly two arguments but received 1',
      ],
      [
        'three arguments',
        [enc.encode('QueryInstalledChaincodes'), EMPTY, EMPTY],
        '',
        500,
        'lifecycle scc operations require exactly two arguments but received 3',
      ],
      [
        'a channel this peer has not joined',
        [enc.encode('QueryChaincodeDefinitions'), EMPTY],
        'nochannel',
        500,
        "could not get channelconfig for channel 'nochannel'",
      ],
      [
        'a function no ACL maps',
        [enc.encode('Bogus'), EMPTY],
        'mychannel',
        500,
        /^Failed to authorize invocation due to failed ACL check: .*_lifecycle\/Bogus/,
      ],
      [
        'arguments that do not decode',
        [enc.encode('QueryInstalledChaincode'), Uint8Array.of(0x0a, 0x05, 0x61)],
        '',
        500,
        /^failed to invoke backing implementation of 'QueryInstalledChaincode': could not decode input arg for \*lifecycle\.Invocation\.QueryInstalledChaincode: /,
      ],
    ];
    for (const [what, rawArgs, channelId, status, message] of cases) {
      it(`refuses ${what}`, async () => {
        const res = await call('Org1MSP', '', EMPTY, { channelId, rawArgs: rawArgs ?? [] });
        expectFailure(res.response, status, message);
      });
    }

    it('refuses channel functions on a channel without the V2_0 capability', async () => {
      const env = await openSccEnv({ applicationCapabilities: ['V1_4_2'] });
      try {
        const scc = new Lifecycle({
          channels: env.tc.channels,
          acl: env.acl,
          store: new MemoryPackageStore(),
          localMspId: 'Org1MSP',
          logger: silentLoggers('lifecycle'),
        });
        const res = await callLifecycle(scc, env.tc.channels, {
          signer: env.net.identities.admin,
          channelId: env.net.channelId,
          fn: 'QueryChaincodeDefinitions',
          args: EMPTY,
        });
        expectFailure(
          res.response,
          500,
          "cannot use new lifecycle for channel 'mychannel' as it does not have the required capabilities enabled",
        );
      } finally {
        await env.close();
      }
    });

    const denials: [string, string, 'user', string][] = [
      ['InstallChaincode', '', 'user', 'local MSP'],
      ['QueryInstalledChaincodes', '', 'user', 'local MSP'],
      ['ApproveChaincodeDefinitionForMyOrg', 'mychannel', 'user', 'local MSP'],
      ['QueryApprovedChaincodeDefinition', 'mychannel', 'user', 'local MSP'],
    ];
    for (const [fn, channelId, signer] of denials) {
      it(`denies ${fn} to a client that is not a local admin`, async () => {
        const res = await call('Org1MSP', fn, EMPTY, { signer, channelId });
        expectFailure(
          res.response,
          500,
          /^Failed to authorize invocation due to failed ACL check: Failed verifying that proposal's creator satisfies local MSP principal/,
        );
      });
    }

    it('denies channel writes to an identity of another channel', async () => {
      const env = await openSccEnv();
      try {
        const res = await callLifecycle(sccs.Org1MSP, net.channels, {
          signer: env.stranger,
          channelId: net.channelId,
          fn: 'QueryChaincodeDefinitions',
          args: EMPTY,
        });
        expectFailure(
          res.response,
          500,
          /^Failed to authorize invocation due to failed ACL check: /,
        );
      } finally {
        await env.close();
      }
    });
  });

  describe('installed packages', () => {
    let pkg: Buffer;

    it('installs a package and answers its package id and label', async () => {
      pkg = await nodePackage('mycc_1');
      const res = await call(
        'Org1MSP',
        'InstallChaincode',
        lifecycle.InstallChaincodeArgs.encode({
          chaincodeInstallPackage: pkg,
        }).finish(),
        { channelId: '' },
      );
      assert.equal(res.response.status, 200, res.response.message);
      const out = lifecycle.InstallChaincodeResult.decode(res.response.payload!);
      assert.equal(out.label, 'mycc_1');
      assert.equal(out.packageId, `mycc_1:${sha256(pkg)}`);
      packageId = out.packageId;
      // A second package for approvals that name another one.
      const other = await call(
        'Org1MSP',
        'InstallChaincode',
        lifecycle.InstallChaincodeArgs.encode({
          chaincodeInstallPackage: await nodePackage('mycc_2', 'module.exports = 2;'),
        }).finish(),
        { channelId: '' },
      );
      otherPackageId = lifecycle.InstallChaincodeResult.decode(other.response.payload!).packageId;
      // Org2 installs the same package.
      await stores.Org2MSP.install(pkg);
    });

    it('refuses a package installed already, and bytes that are not a package', async () => {
      const again = await call(
        'Org1MSP',
        'InstallChaincode',
        lifecycle.InstallChaincodeArgs.encode({ chaincodeInstallPackage: pkg }).finish(),
        { channelId: '' },
      );
      expectFailure(
        again.response,
        500,
        `failed to invoke backing implementation of 'InstallChaincode': chaincode already successfully installed (package ID '${packageId}')`,
      );
      const junk = await call(
        'Org1MSP',
        'InstallChaincode',
        lifecycle.InstallChaincodeArgs.encode({
          chaincodeInstallPackage: enc.encode('junk'),
        }).finish(),
        { channelId: '' },
      );
      expectFailure(
        junk.response,
        500,
        /^failed to invoke backing implementation of 'InstallChaincode': could not parse as a chaincode install package: /,
      );
    });

    it('removes a package whose build failed', async () => {
      const store = new MemoryPackageStore();
      const scc = new Lifecycle({
        channels: net.channels,
        acl: net.orgs.Org1MSP.acl,
        store,
        localMspId: 'Org1MSP',
        build: () => Promise.reject(new Error('no builder')),
        logger: silentLoggers('lifecycle'),
      });
      const res = await callLifecycle(scc, net.channels, {
        signer: net.orgs.Org1MSP.admin,
        channelId: '',
        fn: 'InstallChaincode',
        args: lifecycle.InstallChaincodeArgs.encode({ chaincodeInstallPackage: pkg }).finish(),
      });
      expectFailure(
        res.response,
        500,
        "failed to invoke backing implementation of 'InstallChaincode': could not build chaincode: no builder",
      );
      assert.equal((await store.list()).length, 0);
    });

    it('answers QueryInstalledChaincode, QueryInstalledChaincodes and GetInstalledChaincodePackage', async () => {
      const one = await call(
        'Org1MSP',
        'QueryInstalledChaincode',
        lifecycle.QueryInstalledChaincodeArgs.encode({ packageId }).finish(),
        { channelId: '' },
      );
      assert.equal(one.response.status, 200, one.response.message);
      const q = lifecycle.QueryInstalledChaincodeResult.decode(one.response.payload!);
      assert.deepEqual(
        [q.packageId, q.label, Object.keys(q.references)],
        [packageId, 'mycc_1', []],
      );

      const all = await call('Org1MSP', 'QueryInstalledChaincodes', EMPTY, { channelId: '' });
      const list = lifecycle.QueryInstalledChaincodesResult.decode(all.response.payload!);
      assert.deepEqual(
        list.installedChaincodes.map((c) => c.packageId),
        [packageId, otherPackageId].sort(),
      );

      const got = await call(
        'Org1MSP',
        'GetInstalledChaincodePackage',
        lifecycle.GetInstalledChaincodePackageArgs.encode({ packageId }).finish(),
        { channelId: '' },
      );
      assert.equal(
        sha256(
          lifecycle.GetInstalledChaincodePackageResult.decode(got.response.payload!)
            .chaincodeInstallPackage,
        ),
        sha256(pkg),
      );
    });

    it("answers 500 with Fabric's messages for packages that are not installed", async () => {
      const one = await call(
        'Org1MSP',
        'QueryInstalledChaincode',
        lifecycle.QueryInstalledChaincodeArgs.encode({ packageId: 'nope:00' }).finish(),
        { channelId: '' },
      );
      expectFailure(
        one.response,
        500,
        "failed to invoke backing implementation of 'QueryInstalledChaincode': could not find chaincode with package id 'nope:00'",
      );
      const got = await call(
        'Org1MSP',
        'GetInstalledChaincodePackage',
        lifecycle.GetInstalledChaincodePackageArgs.encode({ packageId: 'nope:00' }).finish(),
        { channelId: '' },
      );
      expectFailure(
        got.response,
        500,
        "failed to invoke backing implementation of 'GetInstalledChaincodePackage': could not load cc install package: chaincode install package 'nope:00' not found",
      );
    });
  });

  describe('approving', () => {
    const prefix =
      "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': ";
    const invalid = prefix + 'error validating chaincode definition: ';
    const cases: [string, DefinitionSpec, string][] = [
      [
        'a bad name',
        { name: 'my cc', sequence: 1 },
        invalid +
          "invalid chaincode name 'my cc'. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics",
      ],
      [
        'a system chaincode name',
        { name: 'lscc', sequence: 1 },
        invalid + "chaincode name 'lscc' is the name of a system chaincode",
      ],
      [
        'a bad version',
        { name: 'mycc', sequence: 1, version: 'v 1' },
        invalid +
          "invalid chaincode version 'v 1'. Versions can only consist of alphanumerics, '_', '-', '+', and '.'",
      ],
      [
        'a bad collection name',
        { name: 'mycc', sequence: 1, collections: { config: [collection('_c')] } },
        invalid +
          "invalid collection name '_c'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'",
      ],
      [
        'a duplicate collection',
        { name: 'mycc', sequence: 1, collections: { config: [collection('c'), collection('c')] } },
        invalid + 'collection-name: c -- found duplicate in collection configuration',
      ],
      [
        'fewer peers allowed than required',
        { name: 'mycc', sequence: 1, collections: { config: [collection('c', { required: 2 })] } },
        invalid +
          'collection-name: c -- maximum peer count (1) cannot be less than the required peer count (2)',
      ],
      [
        'a negative required peer count',
        {
          name: 'mycc',
          sequence: 1,
          collections: { config: [collection('c', { required: -1, max: -1 })] },
        },
        invalid + 'collection-name: c -- requiredPeerCount (-1) cannot be less than zero',
      ],
      [
        'a collection without a member policy',
        { name: 'mycc', sequence: 1, collections: { config: [collection('c', { policy: null })] } },
        invalid + "collection member policy is not set for collection 'c'",
      ],
      [
        'a member policy that is not an OR',
        { name: 'mycc', sequence: 1, collections: { config: [collection('c', { n: 2 })] } },
        invalid +
          'collection-name: c -- error in member org policy: signature policy is not an OR concatenation, NOutOf 2',
      ],
      [
        'a member that is not in the channel',
        {
          name: 'mycc',
          sequence: 1,
          collections: { config: [collection('c', { orgs: ['Org9MSP'] })] },
        },
        invalid + "collection-name: c -- collection member 'Org9MSP' is not part of the channel",
      ],
      [
        'a collection config without a payload',
        { name: 'mycc', sequence: 1, collections: { config: [{}] } },
        invalid + 'collection config contains unexpected payload type: <nil>',
      ],
      [
        'sequence 0',
        { name: 'mycc', sequence: 0 },
        prefix + 'requested sequence is 0, but first definable sequence number is 1',
      ],
      [
        'a sequence beyond the next',
        { name: 'mycc', sequence: 2 },
        prefix + 'requested sequence 2 is larger than the next available sequence number 1',
      ],
    ];
    for (const [what, spec, message] of cases) {
      it(`refuses ${what}`, async () => {
        const res = await call('Org1MSP', 'ApproveChaincodeDefinitionForMyOrg', approveArgs(spec));
        expectFailure(res.response, 500, message);
      });
    }

    it("writes the definition and package id into the org's implicit collection", async () => {
      const res = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 1, packageId }),
      );
      assert.equal(res.response.status, 200, res.response.message);
      const { kv, hashed } = lifecycleRwset(res);
      // Public reads only: the current sequence and the committed definition (none yet).
      assert.deepEqual(
        kv.reads.map((r) => r.key),
        ['namespaces/fields/mycc/Sequence', 'namespaces/metadata/mycc'],
      );
      assert.equal(kv.writes.length, 0);
      assert.deepEqual([...hashed.keys()], ['_implicit_org_Org1MSP']);
      const written = privateWrites(res, '_implicit_org_Org1MSP');
      assert.deepEqual([...written.keys()].sort(), [
        'chaincode-sources/fields/mycc#1/PackageID',
        'chaincode-sources/metadata/mycc#1',
        'namespaces/fields/mycc#1/Collections',
        'namespaces/fields/mycc#1/EndorsementInfo',
        'namespaces/fields/mycc#1/ValidationInfo',
        'namespaces/metadata/mycc#1',
      ]);
      assert.equal(
        Buffer.from(written.get('chaincode-sources/fields/mycc#1/PackageID')!).toString('hex'),
        Buffer.from(encodeStateData({ kind: 'string', value: packageId })).toString('hex'),
      );
      const ei = lifecycle.ChaincodeEndorsementInfo.decode(
        lifecycle.StateData.decode(written.get('namespaces/fields/mycc#1/EndorsementInfo')!).Bytes!,
      );
      assert.deepEqual([ei.version, ei.endorsementPlugin, ei.initRequired], ['1.0', 'escc', false]);
      const vi = lifecycle.ChaincodeValidationInfo.decode(
        lifecycle.StateData.decode(written.get('namespaces/fields/mycc#1/ValidationInfo')!).Bytes!,
      );
      assert.equal(vi.validationPlugin, 'vscc');
      assert.equal(
        protos.ApplicationPolicy.decode(vi.validationParameter).channelConfigPolicyReference,
        '/Channel/Application/Endorsement',
      );
      await commitCall(net.channels, net.channelId, res);
    });

    it('refuses to approve the same uncommitted definition again, and takes a new package id', async () => {
      const same = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 1, packageId }),
      );
      expectFailure(
        same.response,
        500,
        prefix +
          'attempted to redefine uncommitted sequence (1) for namespace mycc with unchanged content',
      );
      const other = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 1, packageId: otherPackageId }),
      );
      assert.equal(other.response.status, 200, other.response.message);
      // Only the package id changed: the serializer writes nothing else.
      assert.deepEqual(
        [...privateWrites(other, '_implicit_org_Org1MSP').keys()],
        ['chaincode-sources/fields/mycc#1/PackageID'],
      );
      // Back to the first package (not committed: the ledger keeps the first approval).
    });

    it('answers QueryApprovedChaincodeDefinition for the latest and a given sequence', async () => {
      for (const sequence of [0, 1]) {
        const res = await call(
          'Org1MSP',
          'QueryApprovedChaincodeDefinition',
          lifecycle.QueryApprovedChaincodeDefinitionArgs.encode({
            name: 'mycc',
            sequence,
          }).finish(),
        );
        assert.equal(res.response.status, 200, res.response.message);
        const out = lifecycle.QueryApprovedChaincodeDefinitionResult.decode(res.response.payload!);
        assert.equal(out.sequence.toString(), '1');
        assert.deepEqual(
          [out.version, out.endorsementPlugin, out.validationPlugin, out.initRequired],
          ['1.0', 'escc', 'vscc', false],
        );
        assert.equal(out.source?.localPackage?.packageId, packageId);
      }
      const missing = await call(
        'Org1MSP',
        'QueryApprovedChaincodeDefinition',
        lifecycle.QueryApprovedChaincodeDefinitionArgs.encode({
          name: 'mycc',
          sequence: 5,
        }).finish(),
      );
      expectFailure(
        missing.response,
        500,
        "failed to invoke backing implementation of 'QueryApprovedChaincodeDefinition': could not fetch approved chaincode definition (name: 'mycc', sequence: '5') on channel 'mychannel'",
      );
      // Org2 has approved nothing.
      const org2 = await call(
        'Org2MSP',
        'QueryApprovedChaincodeDefinition',
        lifecycle.QueryApprovedChaincodeDefinitionArgs.encode({ name: 'mycc' }).finish(),
      );
      assert.match(
        org2.response.message ?? '',
        /could not fetch approved chaincode definition \(name: 'mycc', sequence: '0'\)/,
      );
    });
  });

  describe('readiness and commit', () => {
    const readiness = async (spec: DefinitionSpec): Promise<Record<string, boolean>> => {
      const res = await call('Org1MSP', 'CheckCommitReadiness', readinessArgs(spec), {
        signer: 'user',
      });
      assert.equal(res.response.status, 200, res.response.message);
      return { ...lifecycle.CheckCommitReadinessResult.decode(res.response.payload!).approvals };
    };

    it('answers which orgs approved, matching every parameter', async () => {
      assert.deepEqual(await readiness({ name: 'mycc', sequence: 1 }), {
        Org1MSP: true,
        Org2MSP: false,
      });
      assert.deepEqual(await readiness({ name: 'mycc', sequence: 1, version: '2.0' }), {
        Org1MSP: false,
        Org2MSP: false,
      });
      assert.deepEqual(await readiness({ name: 'mycc', sequence: 1, initRequired: true }), {
        Org1MSP: false,
        Org2MSP: false,
      });
      assert.deepEqual(
        await readiness({ name: 'mycc', sequence: 1, collections: { config: [collection('c')] } }),
        { Org1MSP: false, Org2MSP: false },
      );
    });

    it('refuses a sequence other than the next', async () => {
      const res = await call(
        'Org1MSP',
        'CheckCommitReadiness',
        readinessArgs({ name: 'mycc', sequence: 2 }),
      );
      expectFailure(
        res.response,
        500,
        "failed to invoke backing implementation of 'CheckCommitReadiness': requested sequence is 2, but new definition must be sequence 1",
      );
    });

    it('refuses to commit on the peer of an org that has not approved', async () => {
      const res = await call(
        'Org2MSP',
        'CommitChaincodeDefinition',
        commitArgs({ name: 'mycc', sequence: 1 }),
        {
          signer: 'user',
        },
      );
      expectFailure(
        res.response,
        500,
        "failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (Org2MSP)",
      );
    });

    it('commits once both orgs approved, writing the definition as Fabric lays it out', async () => {
      const approve2 = await call(
        'Org2MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 1, packageId }),
      );
      assert.equal(approve2.response.status, 200, approve2.response.message);
      await commitCall(net.channels, net.channelId, approve2);
      assert.deepEqual(await readiness({ name: 'mycc', sequence: 1 }), {
        Org1MSP: true,
        Org2MSP: true,
      });

      const res = await call(
        'Org1MSP',
        'CommitChaincodeDefinition',
        commitArgs({ name: 'mycc', sequence: 1 }),
        {
          signer: 'user',
        },
      );
      assert.equal(res.response.status, 200, res.response.message);
      const { kv, hashed } = lifecycleRwset(res);
      assert.deepEqual(
        kv.writes.map((w) => w.key),
        [
          'namespaces/fields/mycc/Collections',
          'namespaces/fields/mycc/EndorsementInfo',
          'namespaces/fields/mycc/Sequence',
          'namespaces/fields/mycc/ValidationInfo',
          'namespaces/metadata/mycc',
        ],
      );
      const md = lifecycle.StateMetadata.decode(kv.writes[4]?.value ?? EMPTY);
      assert.deepEqual(
        [md.datatype, md.fields],
        ['ChaincodeDefinition', ['Sequence', 'EndorsementInfo', 'ValidationInfo', 'Collections']],
      );
      // Each org's approval read by its hashes: 4 hashed reads per implicit collection.
      assert.deepEqual([...hashed.keys()], ['_implicit_org_Org1MSP', '_implicit_org_Org2MSP']);
      for (const h of hashed.values()) {
        assert.equal(h.hashedReads.length, 4);
        assert.equal(h.hashedWrites.length, 0);
      }
      assert.equal(res.results?.privateRwset, undefined, 'a commit writes no private data');
      await commitCall(net.channels, net.channelId, res);
    });

    it('answers the committed definition, its approvals, and the list of definitions', async () => {
      const res = await call(
        'Org1MSP',
        'QueryChaincodeDefinition',
        lifecycle.QueryChaincodeDefinitionArgs.encode({ name: 'mycc' }).finish(),
        { signer: 'user' },
      );
      assert.equal(res.response.status, 200, res.response.message);
      const out = lifecycle.QueryChaincodeDefinitionResult.decode(res.response.payload!);
      assert.deepEqual(
        [out.sequence.toString(), out.version, out.endorsementPlugin, out.validationPlugin],
        ['1', '1.0', 'escc', 'vscc'],
      );
      assert.deepEqual({ ...out.approvals }, { Org1MSP: true, Org2MSP: true });

      const all = await call('Org1MSP', 'QueryChaincodeDefinitions', EMPTY, { signer: 'user' });
      const defs = lifecycle.QueryChaincodeDefinitionsResult.decode(all.response.payload!);
      assert.deepEqual(
        defs.chaincodeDefinitions.map((d) => [d.name, String(d.sequence), d.version]),
        [['mycc', '1', '1.0']],
      );

      const none = await call(
        'Org1MSP',
        'QueryChaincodeDefinition',
        lifecycle.QueryChaincodeDefinitionArgs.encode({ name: 'nope' }).finish(),
        { signer: 'user' },
      );
      expectFailure(none.response, 404, 'namespace nope is not defined');
    });

    it('reports the channels and definitions that use an installed package', async () => {
      const res = await call(
        'Org1MSP',
        'QueryInstalledChaincode',
        lifecycle.QueryInstalledChaincodeArgs.encode({ packageId }).finish(),
        { channelId: '' },
      );
      const out = lifecycle.QueryInstalledChaincodeResult.decode(res.response.payload!);
      assert.deepEqual(
        Object.entries(out.references).map(([ch, r]) => [
          ch,
          (r.chaincodes ?? []).map((c) => [c.name, c.version]),
        ]),
        [['mychannel', [['mycc', '1.0']]]],
      );
      const other = await call(
        'Org1MSP',
        'QueryInstalledChaincode',
        lifecycle.QueryInstalledChaincodeArgs.encode({ packageId: otherPackageId }).finish(),
        { channelId: '' },
      );
      assert.deepEqual(
        Object.keys(
          lifecycle.QueryInstalledChaincodeResult.decode(other.response.payload!).references,
        ),
        [],
      );
    });

    it('applies the sequence rules once a definition is committed', async () => {
      const prefix =
        "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': ";
      const changed = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 1, version: '2.0', packageId }),
      );
      expectFailure(
        changed.response,
        500,
        prefix +
          "attempted to redefine the current committed sequence (1) for namespace mycc with different parameters: expected Version '1.0' does not match passed Version '2.0'",
      );
      const older = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 0 }),
      );
      expectFailure(
        older.response,
        500,
        prefix + 'currently defined sequence 1 is larger than requested sequence 0',
      );
      // The committed sequence may be approved again, e.g. with another package.
      const again = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'mycc', sequence: 1, packageId: otherPackageId }),
      );
      assert.equal(again.response.status, 200, again.response.message);
      const recommit = await call(
        'Org1MSP',
        'CommitChaincodeDefinition',
        commitArgs({ name: 'mycc', sequence: 1 }),
      );
      expectFailure(
        recommit.response,
        500,
        "failed to invoke backing implementation of 'CommitChaincodeDefinition': requested sequence is 1, but new definition must be sequence 2",
      );
    });

    it('keeps the collections a committed definition has', async () => {
      const c1 = collection('c1', { blockToLive: 10 });
      for (const org of ['Org1MSP', 'Org2MSP'] as const) {
        const res = await call(
          org,
          'ApproveChaincodeDefinitionForMyOrg',
          approveArgs({ name: 'pdc', sequence: 1, packageId, collections: { config: [c1] } }),
        );
        assert.equal(res.response.status, 200, res.response.message);
        await commitCall(net.channels, net.channelId, res);
      }
      const commit = await call(
        'Org1MSP',
        'CommitChaincodeDefinition',
        commitArgs({ name: 'pdc', sequence: 1, collections: { config: [c1] } }),
      );
      assert.equal(commit.response.status, 200, commit.response.message);
      await commitCall(net.channels, net.channelId, commit);

      const invalid =
        "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: ";
      const cases: [protos.ICollectionConfig[], string][] = [
        [[], 'the proposed collection config does not contain previously defined collections'],
        [
          [collection('c2')],
          'existing collection [c1] missing in the proposed collection configuration',
        ],
        [
          [collection('c1', { blockToLive: 11 })],
          'the BlockToLive in an existing collection [c1] modified. Existing value [10]',
        ],
      ];
      for (const [config, message] of cases) {
        const res = await call(
          'Org1MSP',
          'ApproveChaincodeDefinitionForMyOrg',
          approveArgs({ name: 'pdc', sequence: 2, packageId, collections: { config } }),
        );
        expectFailure(res.response, 500, invalid + message);
      }
      const more = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({
          name: 'pdc',
          sequence: 2,
          packageId,
          collections: { config: [c1, collection('c2')] },
        }),
      );
      assert.equal(more.response.status, 200, more.response.message);
    });

    it("checks a chaincode lscc defines against lscc's collections, reading them in the transaction", async () => {
      // lscc's state as a legacy deploy leaves it, committed from a simulation.
      const lsccTx = await net.channels.get(net.channelId)!.ledger.newTxSimulator('lscc-def');
      let results;
      try {
        await lsccTx.setState(
          'lscc',
          'oldcc',
          protos.ChaincodeData.encode({
            name: 'oldcc',
            version: '1',
            escc: 'escc',
            vscc: 'vscc',
          }).finish(),
        );
        await lsccTx.setState(
          'lscc',
          'oldcc~collection',
          protos.CollectionConfigPackage.encode({
            config: [collection('old', { blockToLive: 3 })],
          }).finish(),
        );
        results = await lsccTx.getTxSimulationResults();
      } finally {
        lsccTx.done();
      }
      await commitCall(net.channels, net.channelId, {
        response: { status: 200 },
        txId: 'lscc-def',
        results,
      });
      const res = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ name: 'oldcc', sequence: 1, packageId }),
      );
      expectFailure(
        res.response,
        500,
        "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: the proposed collection config does not contain previously defined collections",
      );
      const ok = await call(
        'Org1MSP',
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({
          name: 'oldcc',
          sequence: 1,
          packageId,
          collections: { config: [collection('old', { blockToLive: 3 })] },
        }),
      );
      assert.equal(ok.response.status, 200, ok.response.message);
      const lscc = ok.results?.publicRwsetProto.nsRwset.find((n) => n.namespace === 'lscc');
      assert.deepEqual(
        kvrwset.KVRWSet.decode(lscc?.rwset ?? EMPTY).reads.map((r) => r.key),
        ['oldcc', 'oldcc~collection'],
      );
    });
  });

  it('takes the majority of orgs as the default lifecycle endorsement policy', async () => {
    const other = await openLifecycleNetwork({
      applicationPolicies: { LifecycleEndorsement: null },
    });
    try {
      const defs = new LifecycleDefinitions({ channels: other.channels, localMspId: 'Org1MSP' });
      const qe = await other.channels.get(other.channelId)!.ledger.newQueryExecutor();
      try {
        const info = await defs.validationInfo(other.channelId, '_lifecycle', qe);
        const policy = protos.ApplicationPolicy.decode(info.validationParameter).signaturePolicy!;
        assert.equal(policy.rule?.nOutOf?.n, 2);
        assert.deepEqual(
          (policy.identities ?? []).map(
            (p) => common.MSPRole.decode(p.principal ?? EMPTY).mspIdentifier,
          ),
          ['Org1MSP', 'Org2MSP'],
        );
      } finally {
        qe.done();
      }
    } finally {
      await other.close();
    }
  });
});
