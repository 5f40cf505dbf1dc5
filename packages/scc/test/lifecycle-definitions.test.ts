/**
 * The `_lifecycle` definition source on a real two-org channel: endorsement info (the approved,
 * installed package; init required; the one read an endorsement records), fallback to lscc, the
 * cache following committed blocks and loading from the ledger, validation info, and the
 * collections the ledger checks private data against.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ChaincodeError, createChaincodeDefinitions } from '@fabric-peer/chaincode';
import { packageId as packageIdOf } from '@fabric-peer/chaincode-packages';
import type { rwset } from '@fabric-peer/protos';
import { kvrwset, protos } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import {
  LegacyDefinitions,
  Lifecycle,
  LifecycleCollections,
  LifecycleDefinitions,
  createValidationInfoSource,
  encodeChaincodeData,
} from '../src/index.js';
import { openSccEnv } from '../test-support/env.js';
import {
  approveArgs,
  collection,
  commitArgs,
  nodePackage,
  type DefinitionSpec,
} from '../test-support/lifecycle-args.js';
import {
  ORGS,
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

const EMPTY = new Uint8Array(0);

describe('_lifecycle definitions', () => {
  let net: LifecycleNetwork;
  const store = new MemoryPackageStore();
  let sccs: Record<OrgMsp, Lifecycle>;
  let defs: LifecycleDefinitions;
  let packageId = '';

  before(async () => {
    net = await openLifecycleNetwork();
    const make = (org: OrgMsp): Lifecycle =>
      new Lifecycle({
        channels: net.channels,
        acl: net.orgs[org].acl,
        store,
        localMspId: org,
        logger: silentLoggers('lifecycle'),
      });
    sccs = { Org1MSP: make('Org1MSP'), Org2MSP: make('Org2MSP') };
    packageId = (await store.install(await nodePackage('mycc_1'))).packageId;
    defs = new LifecycleDefinitions({ channels: net.channels, localMspId: 'Org1MSP', store });
    defs.start();
    await defs.ready();
  });

  after(async () => {
    defs?.stop();
    await net?.close();
  });

  const run = async (
    org: OrgMsp,
    fn: string,
    args: Uint8Array,
    commit: boolean | 'invalid' = true,
  ): Promise<LifecycleCall> => {
    const res = await callLifecycle(sccs[org], net.channels, {
      signer: net.orgs[org].admin,
      channelId: net.channelId,
      fn,
      args,
    });
    assert.equal(res.response.status, 200, `${fn} by ${org}: ${res.response.message}`);
    if (commit !== false) {
      await commitCall(net.channels, net.channelId, res, { valid: commit !== 'invalid' });
    }
    return res;
  };

  /** Approves `spec` for the orgs given, then commits it (through Org1's or the first's peer). */
  const define = async (
    spec: DefinitionSpec,
    approvals: Partial<Record<OrgMsp, string | undefined>>,
  ): Promise<void> => {
    for (const org of ORGS) {
      if (!(org in approvals)) continue;
      const pkg = approvals[org];
      await run(
        org,
        'ApproveChaincodeDefinitionForMyOrg',
        approveArgs({ ...spec, ...(pkg !== undefined ? { packageId: pkg } : {}) }),
      );
    }
    const committer = (Object.keys(approvals)[0] ?? 'Org1MSP') as OrgMsp;
    await run(committer, 'CommitChaincodeDefinition', commitArgs(spec));
  };

  /** endorsementInfo through a new simulator, with the simulation's read-write set. */
  const endorsementInfo = async (
    name: string,
    source: { endorsementInfo: LifecycleDefinitions['endorsementInfo'] } = defs,
  ) => {
    const sim = await net.channels.get(net.channelId)!.ledger.newTxSimulator(`ei-${name}`);
    try {
      const info = await source.endorsementInfo.call(source, net.channelId, name, sim);
      return { info, rwset: (await sim.getTxSimulationResults()).publicRwsetProto };
    } finally {
      sim.done();
    }
  };

  const reads = (set: rwset.TxReadWriteSet): string[] =>
    (set.nsRwset ?? []).flatMap((ns) =>
      kvrwset.KVRWSet.decode(ns.rwset ?? EMPTY).reads.map((r) => `${ns.namespace}:${r.key}`),
    );

  it('is not defined before a commit, and hands over to lscc as Fabric does', async () => {
    await assert.rejects(endorsementInfo('mycc'), (err: unknown) => {
      assert.ok(err instanceof ChaincodeError);
      assert.equal(err.code, 'CHAINCODE_NOT_DEFINED');
      return true;
    });
    const chained = createChaincodeDefinitions({
      systemChaincodes: new Set(['_lifecycle']),
      lifecycle: defs,
      legacy: new LegacyDefinitions(),
    });
    await assert.rejects(endorsementInfo('mycc', chained), {
      code: 'CHAINCODE_NOT_DEFINED',
      message: 'chaincode mycc not found',
    });

    // A chaincode lscc defines.
    const sim = await net.channels.get(net.channelId)!.ledger.newTxSimulator('lscc');
    let results;
    try {
      await sim.setState(
        'lscc',
        'oldcc',
        encodeChaincodeData({
          name: 'oldcc',
          version: '1',
          escc: 'escc',
          vscc: 'vscc',
          policy: Uint8Array.of(0x12, 0x00),
          data: EMPTY,
          id: EMPTY,
          instantiationPolicy: EMPTY,
        }),
      );
      results = await sim.getTxSimulationResults();
    } finally {
      sim.done();
    }
    await commitCall(net.channels, net.channelId, {
      response: { status: 200 },
      txId: 'lscc',
      results,
    });
    const legacy = await endorsementInfo('oldcc', chained);
    assert.equal(legacy.info.chaincodeId, 'oldcc:1');
    // Fabric reads the `_lifecycle` sequence first, then lscc.
    assert.deepEqual(reads(legacy.rwset), [
      '_lifecycle:namespaces/fields/oldcc/Sequence',
      'lscc:oldcc',
    ]);
  });

  it('answers the approved, installed package of a committed definition, reading only its sequence', async () => {
    await define(
      { name: 'mycc', sequence: 1, initRequired: true },
      { Org1MSP: packageId, Org2MSP: packageId },
    );
    const { info, rwset: set } = await endorsementInfo('mycc');
    assert.deepEqual(info, {
      version: '1.0',
      enforceInit: true,
      endorsementPlugin: 'escc',
      chaincodeId: packageId,
    });
    assert.deepEqual(reads(set), ['_lifecycle:namespaces/fields/mycc/Sequence']);
  });

  it('follows a new definition as soon as its block is committed', async () => {
    await define(
      { name: 'mycc', sequence: 2, version: '2.0', endorsementPlugin: 'myescc' },
      { Org1MSP: packageId, Org2MSP: packageId },
    );
    const { info } = await endorsementInfo('mycc');
    assert.deepEqual(info, {
      version: '2.0',
      enforceInit: false,
      endorsementPlugin: 'myescc',
      chaincodeId: packageId,
    });
  });

  it('ignores the writes of invalid transactions', async () => {
    await run(
      'Org1MSP',
      'ApproveChaincodeDefinitionForMyOrg',
      approveArgs({ name: 'mycc', sequence: 3, version: '3.0', packageId }),
    );
    await run(
      'Org1MSP',
      'CommitChaincodeDefinition',
      commitArgs({ name: 'mycc', sequence: 3, version: '3.0' }),
      'invalid',
    );
    assert.equal((await endorsementInfo('mycc')).info.version, '2.0');
  });

  it('refuses a definition this org has not approved', async () => {
    await define({ name: 'theirs', sequence: 1 }, { Org2MSP: packageId });
    await assert.rejects(endorsementInfo('theirs'), {
      code: 'INVALID_INVOCATION',
      message:
        "chaincode definition for 'theirs' at sequence 1 on channel 'mychannel' has not yet been approved by this org",
    });
  });

  it('refuses an approved package that is not installed, unless the user runs the chaincode', async () => {
    const later = await nodePackage('later_1', 'module.exports = "later";');
    const laterId = `later_1:${createHash('sha256').update(later).digest('hex')}`;
    await define({ name: 'later', sequence: 1 }, { Org1MSP: laterId, Org2MSP: laterId });
    await define({ name: 'nopkg', sequence: 1 }, { Org1MSP: undefined, Org2MSP: undefined });
    for (const name of ['later', 'nopkg']) {
      await assert.rejects(endorsementInfo(name), {
        code: 'CHAINCODE_NOT_INSTALLED',
        message: `chaincode definition for '${name}' exists, but chaincode is not installed`,
      });
    }
    const dev = new LifecycleDefinitions({
      channels: net.channels,
      localMspId: 'Org1MSP',
      store,
      userRunsChaincode: true,
    });
    dev.start();
    try {
      await dev.ready();
      assert.equal((await endorsementInfo('nopkg', dev)).info.chaincodeId, 'nopkg:1.0');
    } finally {
      dev.stop();
    }
    // Installed afterwards: found in the store.
    await store.install(later);
    assert.equal((await endorsementInfo('later')).info.chaincodeId, laterId);
  });

  it('loads what is committed already, and approvals committed before it was started', async () => {
    await run(
      'Org1MSP',
      'ApproveChaincodeDefinitionForMyOrg',
      approveArgs({ name: 'late', sequence: 1, packageId }),
    );
    const fresh = new LifecycleDefinitions({
      channels: net.channels,
      localMspId: 'Org1MSP',
      store,
    });
    fresh.start();
    try {
      await fresh.ready();
      assert.equal((await endorsementInfo('mycc', fresh)).info.version, '2.0');
      // Committed after the cache loaded; the approval before: read from the ledger.
      await run('Org1MSP', 'CommitChaincodeDefinition', commitArgs({ name: 'late', sequence: 1 }));
      await fresh.ready();
      assert.equal((await endorsementInfo('late', fresh)).info.chaincodeId, packageId);
      assert.equal((await endorsementInfo('late')).info.chaincodeId, packageId);
    } finally {
      fresh.stop();
    }
  });

  it('defers to lscc on a channel without the V2_0 capability, reading nothing', async () => {
    const env = await openSccEnv({ applicationCapabilities: ['V1_4_2'] });
    const legacyDefs = new LifecycleDefinitions({
      channels: env.tc.channels,
      localMspId: 'Org1MSP',
    });
    const sim = await env.tc.channels.get(env.net.channelId)!.ledger.newTxSimulator('v14');
    try {
      assert.equal(legacyDefs.definesOn(env.net.channelId), false);
      assert.equal(defs.definesOn(net.channelId), true);
      assert.equal(legacyDefs.definesOn('unknown-channel'), true, 'its error names the channel');
      await assert.rejects(legacyDefs.endorsementInfo(env.net.channelId, 'mycc', sim), {
        code: 'CHAINCODE_NOT_DEFINED',
      });
      assert.deepEqual(reads((await sim.getTxSimulationResults()).publicRwsetProto), []);
    } finally {
      sim.done();
      await env.close();
    }
  });

  describe('validation info', () => {
    const withState = async <T>(f: (qe: Awaited<ReturnType<typeof newQe>>) => Promise<T>) => {
      const qe = await newQe();
      try {
        return await f(qe);
      } finally {
        qe.done();
      }
    };
    const newQe = () => net.channels.get(net.channelId)!.ledger.newQueryExecutor();

    it("answers a definition's plugin and policy, and _lifecycle's own", async () => {
      await withState(async (qe) => {
        const mine = await defs.validationInfo(net.channelId, 'mycc', qe);
        assert.equal(mine.validationPlugin, 'vscc');
        assert.equal(
          protos.ApplicationPolicy.decode(mine.validationParameter).channelConfigPolicyReference,
          '/Channel/Application/Endorsement',
        );
        const own = await defs.validationInfo(net.channelId, '_lifecycle', qe);
        assert.equal(own.validationPlugin, 'vscc');
        assert.equal(
          protos.ApplicationPolicy.decode(own.validationParameter).channelConfigPolicyReference,
          '/Channel/Application/LifecycleEndorsement',
        );
        await assert.rejects(defs.validationInfo(net.channelId, 'lscc', qe), {
          code: 'CHAINCODE_NOT_DEFINED',
        });
      });
    });

    it('reports state it cannot read as an unexpected error', async () => {
      const sim = await net.channels.get(net.channelId)!.ledger.newTxSimulator('bad');
      let results;
      try {
        await sim.setState('_lifecycle', 'namespaces/metadata/bad', Uint8Array.of(0xff, 0xff));
        await sim.setState('lscc', 'badlegacy', Uint8Array.of(0x0a, 0x7f));
        results = await sim.getTxSimulationResults();
      } finally {
        sim.done();
      }
      await commitCall(net.channels, net.channelId, {
        response: { status: 200 },
        txId: 'bad',
        results,
      });
      await withState(async (qe) => {
        await assert.rejects(defs.validationInfo(net.channelId, 'bad', qe), {
          code: 'DEFINITION_UNREADABLE',
        });
        await assert.rejects(
          new LegacyDefinitions().validationInfo(net.channelId, 'badlegacy', qe),
          {
            code: 'DEFINITION_UNREADABLE',
            message: /^chaincode badlegacy has bad definition: /,
          },
        );
      });
    });

    it("answers lscc's plugin and policy, turned into an ApplicationPolicy for a V2_0 validator", async () => {
      await withState(async (qe) => {
        const legacy = new LegacyDefinitions();
        const raw = await legacy.validationInfo(net.channelId, 'oldcc', qe);
        assert.deepEqual(
          [raw.validationPlugin, [...raw.validationParameter]],
          ['vscc', [0x12, 0x00]],
        );
        await assert.rejects(legacy.validationInfo(net.channelId, 'none', qe), {
          code: 'CHAINCODE_NOT_DEFINED',
          message: 'chaincode none not found',
        });
        const both = createValidationInfoSource({ lifecycle: defs, legacy });
        const translated = await both.validationInfo(net.channelId, 'oldcc', qe);
        assert.equal(translated.validationPlugin, 'vscc');
        assert.deepEqual(
          [...protos.ApplicationPolicy.encode({ signaturePolicy: { rule: {} } }).finish()],
          [...translated.validationParameter],
        );
        const mine = await both.validationInfo(net.channelId, 'mycc', qe);
        assert.equal(
          protos.ApplicationPolicy.decode(mine.validationParameter).channelConfigPolicyReference,
          '/Channel/Application/Endorsement',
        );
        await assert.rejects(both.validationInfo(net.channelId, 'none', qe), {
          code: 'CHAINCODE_NOT_DEFINED',
        });
      });
    });
  });

  it('gives the ledger explicit and implicit collections, and the committer their policies', async () => {
    const c1 = collection('c1', { blockToLive: 5 });
    const c2 = collection('c2', { endorsementPolicyRef: '/Channel/Application/Readers' });
    await define(
      { name: 'pdc', sequence: 1, collections: { config: [c1, c2] } },
      { Org1MSP: packageId, Org2MSP: packageId },
    );
    const provider = new LifecycleCollections({
      bundles: (id) => net.channels.get(id)?.bundle(),
      localMspId: 'Org1MSP',
      dissemination: { requiredPeerCount: 1, maxPeerCount: 3 },
    });
    const qe = await net.channels.get(net.channelId)!.ledger.newQueryExecutor();
    try {
      const names = async (ns: string) =>
        (await provider.allCollectionsConfigPkg(net.channelId, ns, qe))?.config.map((c) => [
          c.staticCollectionConfig?.name,
          c.staticCollectionConfig?.requiredPeerCount ?? 0,
          c.staticCollectionConfig?.maximumPeerCount ?? 0,
        ]);
      assert.deepEqual(await names('_lifecycle'), [
        ['_implicit_org_Org1MSP', 1, 3],
        ['_implicit_org_Org2MSP', 0, 0],
      ]);
      assert.deepEqual(await names('pdc'), [
        ['c1', 0, 1],
        ['c2', 0, 1],
        ['_implicit_org_Org1MSP', 1, 3],
        ['_implicit_org_Org2MSP', 0, 0],
      ]);
      assert.equal(await names('oldcc'), undefined, 'lscc chaincode without collections');
      assert.equal(await names('none'), undefined);

      // The policies writes to each collection must satisfy.
      const policy = async (coll: string): Promise<string | undefined> =>
        protos.ApplicationPolicy.decode(
          await defs.collectionValidationInfo(net.channelId, 'pdc', coll, qe),
        ).channelConfigPolicyReference ?? undefined;
      assert.equal(
        await policy('_implicit_org_Org2MSP'),
        '/Channel/Application/Org2MSP/Endorsement',
      );
      assert.equal(await policy('c1'), '/Channel/Application/Endorsement');
      assert.equal(await policy('c2'), '/Channel/Application/Readers');
      await assert.rejects(defs.collectionValidationInfo(net.channelId, 'pdc', 'nope', qe), {
        code: 'LIFECYCLE_REFUSED',
        message: "no such collection 'nope'",
      });
      await assert.rejects(
        defs.collectionValidationInfo(net.channelId, 'pdc', '_implicit_org_Org9MSP', qe),
        { code: 'LIFECYCLE_REFUSED', message: "no org found in channel with MSPID 'Org9MSP'" },
      );
      await assert.rejects(defs.collectionValidationInfo(net.channelId, 'none', 'c1', qe), {
        code: 'CHAINCODE_NOT_DEFINED',
      });
    } finally {
      qe.done();
    }
  });
  it('lists the chaincodes this peer can run, and reports each change', async () => {
    const changes: string[] = [];
    const stop = defs.onChange((channelId) => changes.push(channelId));
    try {
      const pkg = await nodePackage('runnable_1');
      const id = packageIdOf('runnable_1', pkg);
      const runnable = async () =>
        (await defs.invocable(net.channelId)).find((c) => c.name === 'runnable');
      await define(
        { name: 'runnable', sequence: 1, collections: { config: [collection('c9')] } },
        { Org1MSP: id },
      );
      assert.ok(changes.includes(net.channelId), 'a committed definition is a change');
      assert.equal(await runnable(), undefined, 'its package is not installed');

      changes.length = 0;
      defs.packageInstalled(await store.install(pkg));
      assert.deepEqual(changes, [net.channelId], 'an install is a change on every channel');
      assert.deepEqual(await runnable(), {
        name: 'runnable',
        version: '1.0',
        sequence: 1n,
        packageId: id,
        collections: ['c9'],
      });

      // Approved by Org2 only: not this peer's (Org1's) to run.
      await define({ name: 'org2only', sequence: 1 }, { Org2MSP: id });
      const names = (await defs.invocable(net.channelId)).map((c) => c.name);
      assert.ok(names.includes('runnable') && !names.includes('org2only'), names.join());
      assert.deepEqual(await defs.invocable('nosuchchannel'), []);
    } finally {
      stop();
    }
    changes.length = 0;
    defs.packageInstalled(await store.install(await nodePackage('other_1')));
    assert.deepEqual(changes, [], 'no calls after unsubscribing');
  });
});
