/**
 * The collection store (Fabric's core/common/privdata) on a real two-org channel: a chaincode
 * `_lifecycle` defines with collections of Org1 that are open, member_only_read,
 * member_only_write or both, an lscc chaincode whose collection configuration is broken, and
 * proposals signed by each org's user. Permissions for chaincode calls (RetrieveReadWritePermission)
 * and the read check of DeliverWithPrivateData (CheckCollectionPolicy), with Fabric's messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SignedData } from '@fabric-peer/api';
import { buildProposal } from '@fabric-peer/channel/test-support';
import type { rwset } from '@fabric-peer/protos';
import { common, kvrwset, protos } from '@fabric-peer/protos';
import { silentLoggers, utf8 } from '@fabric-peer/testkit';
import {
  CollectionAccessError,
  CollectionStore,
  Lifecycle,
  LifecycleCollections,
  encodeChaincodeData,
  lifecycleBlockToLive,
  type CollectionInfoProvider,
} from '../src/index.js';
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
import { MemoryPackageStore, callLifecycle, commitCall } from '../test-support/lifecycle-stub.js';

const EMPTY = new Uint8Array(0);

/** A collection whose members are Org1's, with the given flags. */
function org1Collection(
  name: string,
  flags: { memberOnlyRead?: boolean; memberOnlyWrite?: boolean; blockToLive?: number } = {},
): protos.ICollectionConfig {
  const c = collection(name, { orgs: ['Org1MSP'] });
  return { staticCollectionConfig: { ...c.staticCollectionConfig, ...flags } };
}

const code =
  (c: string, message: RegExp | string) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof CollectionAccessError, String(err));
    assert.equal(err.code, c);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };

describe('the collection store (member-only read and write)', () => {
  let net: LifecycleNetwork;
  let collections: LifecycleCollections;
  let store: CollectionStore;
  /** Each org user's signed proposal. */
  const proposals = {} as Record<OrgMsp, protos.SignedProposal>;

  const ledger = () => net.channels.get(net.channelId)!.ledger;

  /** `permissions` through a new simulator, with the simulation's public reads. */
  const permissions = async (
    namespace: string,
    coll: string,
    signed: protos.ISignedProposal | undefined,
    s: CollectionStore = store,
  ) => {
    const sim = await ledger().newTxSimulator(`perm-${namespace}-${coll}`);
    try {
      const p = await s.permissions(net.channelId, namespace, coll, signed, sim);
      const set: rwset.TxReadWriteSet = (await sim.getTxSimulationResults()).publicRwsetProto;
      const reads = (set.nsRwset ?? []).flatMap((ns) =>
        kvrwset.KVRWSet.decode(ns.rwset ?? EMPTY).reads.map((r) => `${ns.namespace}:${r.key}`),
      );
      return { read: p.read, write: p.write, reads };
    } finally {
      sim.done();
    }
  };
  const rw = async (namespace: string, coll: string, signed: protos.ISignedProposal) => {
    const p = await permissions(namespace, coll, signed);
    return [p.read, p.write];
  };

  before(async () => {
    net = await openLifecycleNetwork();
    const packages = new MemoryPackageStore();
    const sccs = Object.fromEntries(
      ORGS.map((org) => [
        org,
        new Lifecycle({
          channels: net.channels,
          acl: net.orgs[org].acl,
          store: packages,
          localMspId: org,
          logger: silentLoggers('lifecycle'),
        }),
      ]),
    ) as Record<OrgMsp, Lifecycle>;
    const packageId = (await packages.install(await nodePackage('pdc_1'))).packageId;
    const spec: DefinitionSpec = {
      name: 'pdc',
      sequence: 1,
      collections: {
        config: [
          org1Collection('open'),
          org1Collection('readers', { memberOnlyRead: true, blockToLive: 3 }),
          org1Collection('writers', { memberOnlyWrite: true }),
          org1Collection('both', { memberOnlyRead: true, memberOnlyWrite: true }),
        ],
      },
    };
    const run = async (org: OrgMsp, fn: string, args: Uint8Array) => {
      const res = await callLifecycle(sccs[org], net.channels, {
        signer: net.orgs[org].admin,
        channelId: net.channelId,
        fn,
        args,
      });
      assert.equal(res.response.status, 200, `${fn} by ${org}: ${res.response.message}`);
      await commitCall(net.channels, net.channelId, res);
    };
    for (const org of ORGS) {
      await run(org, 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ ...spec, packageId }));
    }
    await run('Org1MSP', 'CommitChaincodeDefinition', commitArgs(spec));

    // An lscc chaincode whose collection configuration Fabric's setup refuses.
    const sim = await ledger().newTxSimulator('lscc');
    let results;
    try {
      await sim.setState(
        'lscc',
        'legacy',
        encodeChaincodeData({
          name: 'legacy',
          version: '1',
          escc: 'escc',
          vscc: 'vscc',
          policy: Uint8Array.of(0x12, 0x00),
          data: EMPTY,
          id: EMPTY,
          instantiationPolicy: EMPTY,
        }),
      );
      const badPolicy: common.ISignaturePolicyEnvelope = {
        rule: { signedBy: 3 },
        identities: [{ principal: common.MSPRole.encode({ mspIdentifier: 'Org1MSP' }).finish() }],
      };
      await sim.setState(
        'lscc',
        'legacy~collection',
        protos.CollectionConfigPackage.encode({
          config: [
            org1Collection('fine', { memberOnlyRead: true, blockToLive: 7 }),
            { staticCollectionConfig: { name: 'nopolicy', memberOnlyRead: true } },
            { staticCollectionConfig: { name: 'nosigpolicy', memberOrgsPolicy: {} } },
            {
              staticCollectionConfig: {
                name: 'badpolicy',
                memberOnlyRead: true,
                memberOrgsPolicy: { signaturePolicy: badPolicy },
              },
            },
          ],
        }).finish(),
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

    collections = new LifecycleCollections({
      bundles: (id) => net.channels.get(id)?.bundle(),
      localMspId: 'Org1MSP',
    });
    store = new CollectionStore({ channels: net.channels, collections });
    for (const org of ORGS) {
      proposals[org] = (
        await buildProposal({
          signer: net.orgs[org].user,
          channelId: net.channelId,
          chaincode: 'pdc',
          args: ['GetPrivate'],
        })
      ).signed;
    }
  });

  after(async () => {
    await net?.close();
  });

  it("gives the ledger each collection's block-to-live from the committed definitions", async () => {
    const qe = await ledger().newQueryExecutor();
    try {
      const btl = (ns: string, coll: string) =>
        lifecycleBlockToLive.blockToLive(net.channelId, ns, coll, qe);
      assert.equal(await btl('pdc', 'readers'), 3);
      assert.equal(await btl('pdc', 'open'), 0);
      assert.equal(await btl('pdc', '_implicit_org_Org1MSP'), 0);
      assert.equal(await btl('pdc', 'nope'), undefined);
      assert.equal(await btl('legacy', 'fine'), 7, 'lscc collections too');
      assert.equal(await btl('legacy', 'nope'), undefined);
      assert.equal(await btl('undefined-chaincode', 'any'), undefined);
    } finally {
      qe.done();
    }
  });

  it('lets members read and write every collection', async () => {
    for (const coll of ['open', 'readers', 'writers', 'both']) {
      assert.deepEqual(await rw('pdc', coll, proposals.Org1MSP), [true, true], coll);
    }
  });

  it('leaves non-members what the member-only flags leave open', async () => {
    const org2 = proposals.Org2MSP;
    assert.deepEqual(await rw('pdc', 'open', org2), [true, true]);
    assert.deepEqual(await rw('pdc', 'readers', org2), [false, true]);
    assert.deepEqual(await rw('pdc', 'writers', org2), [true, false]);
    assert.deepEqual(await rw('pdc', 'both', org2), [false, false]);
  });

  it('treats implicit org collections as open, whatever the org (Fabric 2.5)', async () => {
    assert.deepEqual(await rw('pdc', '_implicit_org_Org1MSP', proposals.Org2MSP), [true, true]);
    assert.deepEqual(await rw('pdc', '_implicit_org_Org2MSP', proposals.Org1MSP), [true, true]);
    // Fabric's CollectionInfo makes one for any MSP id; the ledger refuses the name afterwards.
    assert.deepEqual(await rw('pdc', '_implicit_org_Org9MSP', proposals.Org1MSP), [true, true]);
  });

  it('does not count a creator whose signature does not verify as a member', async () => {
    const org1 = proposals.Org1MSP;
    const forged = { proposalBytes: org1.proposalBytes, signature: proposals.Org2MSP.signature };
    assert.deepEqual(await rw('pdc', 'both', forged), [false, false]);
    assert.deepEqual(await rw('pdc', 'readers', forged), [false, true]);
    // Collections open to all do not look at the proposal at all (Fabric neither).
    const garbage = { proposalBytes: Uint8Array.of(0xff, 0xff), signature: EMPTY };
    assert.deepEqual(await rw('pdc', 'open', garbage), [true, true]);
    await assert.rejects(
      permissions('pdc', 'readers', garbage),
      code('PROPOSAL_MALFORMED', /^error unmarshalling Proposal: /),
    );
    await assert.rejects(
      permissions('pdc', 'readers', undefined),
      code('PROPOSAL_MALFORMED', 'no signed proposal to check collection membership with'),
    );
  });

  it('reads the collection through the simulator, the keys Fabric reads', async () => {
    const lifecycle = await permissions('pdc', 'readers', proposals.Org2MSP);
    // Fabric's ChaincodeDefinitionIfDefined: the metadata and every field of the definition.
    assert.deepEqual(lifecycle.reads, [
      '_lifecycle:namespaces/fields/pdc/Collections',
      '_lifecycle:namespaces/fields/pdc/EndorsementInfo',
      '_lifecycle:namespaces/fields/pdc/Sequence',
      '_lifecycle:namespaces/fields/pdc/ValidationInfo',
      '_lifecycle:namespaces/metadata/pdc',
    ]);
    // An lscc chaincode: its collection key only, not its ChaincodeData (lscc's CollectionInfo).
    const legacy = await permissions('legacy', 'fine', proposals.Org1MSP);
    assert.deepEqual(legacy.reads, [
      '_lifecycle:namespaces/metadata/legacy',
      'lscc:legacy~collection',
    ]);
    assert.deepEqual([legacy.read, legacy.write], [true, true]);
    assert.deepEqual(await rw('legacy', 'fine', proposals.Org2MSP), [false, true]);
  });

  it("fails with Fabric's messages where the configuration does not decide", async () => {
    await assert.rejects(
      permissions('pdc', 'nosuch', proposals.Org1MSP),
      code('COLLECTION_NOT_FOUND', 'collection mychannel/pdc/nosuch could not be found'),
    );
    await assert.rejects(
      permissions('undefinedcc', 'open', proposals.Org1MSP),
      code('COLLECTION_NOT_FOUND', 'collection mychannel/undefinedcc/open could not be found'),
    );
    const criteria = (coll: string) =>
      `error setting up collection for collection criteria privdata.CollectionCriteria{Channel:"mychannel", Collection:"${coll}", Namespace:"legacy"}: `;
    await assert.rejects(
      permissions('legacy', 'nopolicy', proposals.Org1MSP),
      code('COLLECTION_CONFIG_INVALID', `${criteria('nopolicy')}Collection config policy is nil`),
    );
    // Set up before the flags are looked at: refused although nothing in it is member-only.
    await assert.rejects(
      permissions('legacy', 'nosigpolicy', proposals.Org1MSP),
      code(
        'COLLECTION_CONFIG_INVALID',
        `${criteria('nosigpolicy')}Collection config access policy is nil`,
      ),
    );
    await assert.rejects(
      permissions('legacy', 'badpolicy', proposals.Org1MSP),
      code(
        'COLLECTION_CONFIG_INVALID',
        `${criteria('badpolicy')}failed constructing policy object out of collection policy config: identity index out of range, requested 3, but identities length is 1`,
      ),
    );
    // A provider that cannot read the definition: its error, as Fabric returns it.
    const failing = new CollectionStore({
      channels: net.channels,
      collections: {
        collectionInfo: () => Promise.reject(new Error('could not get chaincode: bad state')),
      },
    });
    await assert.rejects(permissions('pdc', 'open', proposals.Org1MSP, failing), {
      message: 'could not get chaincode: bad state',
    });
  });

  describe('reading for DeliverWithPrivateData (CheckCollectionPolicy)', () => {
    const requesterOf = async (org: OrgMsp): Promise<SignedData> => {
      const data = utf8(`a seek envelope of ${org}`);
      return {
        data,
        identity: net.orgs[org].user.serialize(),
        signature: await net.orgs[org].user.sign(data),
      };
    };

    it('gives member-only-read collections to members only, the others to anyone', async () => {
      const org1 = await requesterOf('Org1MSP');
      const org2 = await requesterOf('Org2MSP');
      const forged = { ...org1, signature: org2.signature };
      const readable = (coll: string, who: SignedData) =>
        store.readable(net.channelId, 'pdc', coll, who);
      assert.equal(await readable('readers', org1), true);
      assert.equal(await readable('both', org1), true);
      assert.equal(await readable('readers', org2), false);
      assert.equal(await readable('both', org2), false);
      assert.equal(await readable('readers', forged), false);
      // Only member_only_read matters here; the requester is not even looked at.
      assert.equal(await readable('writers', org2), true);
      assert.equal(await readable('open', forged), true);
      assert.equal(await readable('_implicit_org_Org1MSP', org2), true);
      // The same membership, asked directly.
      const qe = await ledger().newQueryExecutor();
      let config;
      try {
        config = await collections.collectionInfo(net.channelId, 'pdc', 'readers', qe);
      } finally {
        qe.done();
      }
      assert.ok(config);
      assert.equal(await store.isMember(net.channelId, config, org1), true);
      assert.equal(await store.isMember(net.channelId, config, org2), false);
    });

    it("fails as Fabric's CheckCollectionPolicy where the configuration does not decide", async () => {
      const org1 = await requesterOf('Org1MSP');
      await assert.rejects(
        store.readable(net.channelId, 'pdc', 'nosuch', org1),
        code(
          'COLLECTION_NOT_FOUND',
          'no collection config was found for collection nosuch for chaincode pdc',
        ),
      );
      await assert.rejects(
        store.readable(net.channelId, 'legacy', 'nopolicy', org1),
        code(
          'COLLECTION_CONFIG_INVALID',
          'error setting up collection  nopolicy: Collection config policy is nil',
        ),
      );
      await assert.rejects(
        store.readable('otherchannel', 'pdc', 'open', org1),
        code('COLLECTION_LOOKUP_FAILED', 'channel otherchannel not found'),
      );
      const unreadable: CollectionInfoProvider = {
        collectionInfo: () => Promise.reject(new Error('could not get chaincode: bad state')),
      };
      await assert.rejects(
        new CollectionStore({ channels: net.channels, collections: unreadable }).readable(
          net.channelId,
          'pdc',
          'open',
          org1,
        ),
        code(
          'COLLECTION_LOOKUP_FAILED',
          'error getting the collection config for chaincode pdc: could not get chaincode: bad state',
        ),
      );
      // Every query executor was released: a commit still goes through.
      const height = Number(ledger().getBlockchainInfo().height);
      const sim = await ledger().newTxSimulator('after');
      await sim.setState('pdc', 'after', utf8('1'));
      const results = await sim.getTxSimulationResults();
      sim.done();
      await commitCall(net.channels, net.channelId, {
        response: { status: 200 },
        txId: 'after',
        results,
      });
      assert.equal(Number(ledger().getBlockchainInfo().height), height + 1);
    });
  });
});
