/** ACLs: Fabric's default map, the channel's ACLs value, local-MSP resources, unknown resources. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { common, protos } from '@fabric-peer/protos';

import {
  AclError,
  AclResources,
  applyConfigBlock,
  bundleFromBlock,
  createAclProvider,
  defaultAcls,
  type AclProvider,
  type ChannelConfigBundle,
} from '../src/index.js';
import { genesisBlockBytes } from '../test-support/corpus.js';
import { FakeIdentity, fakeLocalMsp, fakeMspFactory } from '../test-support/fakes.js';
import {
  cloneGroup,
  configBlock,
  configEnvelope,
  group,
  signUpdate,
  signedEnvelope,
  signedProposal,
  updateTransaction,
  v,
} from '../test-support/updates.js';

const CHANNEL = 'mychannel';
const org1Admin = new FakeIdentity({ mspId: 'Org1MSP', name: 'org1-admin', roles: ['ADMIN'] });
const org2Admin = new FakeIdentity({ mspId: 'Org2MSP', name: 'org2-admin', roles: ['ADMIN'] });
const org1Client = new FakeIdentity({ mspId: 'Org1MSP', name: 'org1-user', roles: ['CLIENT'] });
const org1Peer = new FakeIdentity({ mspId: 'Org1MSP', name: 'org1-peer', roles: ['PEER'] });
const org2Client = new FakeIdentity({ mspId: 'Org2MSP', name: 'org2-user', roles: ['CLIENT'] });

/** ACLs set by the config update of the tests. */
const ACLS: Record<string, string> = {
  'peer/Propose': 'Readers', // relative: /Channel/Application/Readers
  'qscc/GetChainInfo': '/Channel/Application/Org1MSP/Readers', // absolute
  'cscc/JoinChain': 'Readers', // a local-MSP resource: may not be overridden
  'custom/Thing': 'Writers', // a resource Fabric's default map does not know
  'event/Block': '', // empty: the default applies
  'gateway/CommitStatus': 'NoSuchPolicy',
};

let genesis: ChannelConfigBundle;
let withAcls: ChannelConfigBundle;
let acl: AclProvider;
let aclOnGenesis: AclProvider;

before(async () => {
  genesis = await bundleFromBlock(genesisBlockBytes(), { mspFactory: fakeMspFactory() });
  // Add the ACLs value to /Channel/Application: a new value, authorised by the group's version
  // bump under /Channel/Application/Admins (MAJORITY of both orgs).
  const current = cloneGroup(genesis.config.channelGroup as common.ConfigGroup);
  const app = current.groups.Application as common.ConfigGroup;
  const aclValue = {
    version: v(0),
    modPolicy: 'Admins',
    value: protos.ACLs.encode({
      acls: Object.fromEntries(Object.entries(ACLS).map(([k, ref]) => [k, { policyRef: ref }])),
    }).finish(),
  };
  const members = (g: common.ConfigGroup) => ({
    groups: Object.fromEntries(Object.keys(g.groups).map((k) => [k, group({})])),
    values: Object.fromEntries(Object.keys(g.values).map((k) => [k, { version: v(0) }])),
    policies: Object.fromEntries(Object.keys(g.policies).map((k) => [k, { version: v(0) }])),
  });
  const readSet = group({ groups: { Application: group(members(app)) } });
  const writeApp = members(app);
  const writeSet = group({
    groups: {
      Application: group({
        version: 1,
        modPolicy: 'Admins',
        ...writeApp,
        values: { ...writeApp.values, ACLs: aclValue },
      }),
    },
  });
  app.version = v(1);
  app.values.ACLs = common.ConfigValue.create(aclValue);
  const signed = signUpdate({ channelId: CHANNEL, readSet, writeSet }, [org1Admin, org2Admin]);
  withAcls = await applyConfigBlock(
    genesis,
    configBlock(1, CHANNEL, configEnvelope(1, current, updateTransaction(CHANNEL, signed))),
  );
  const local = fakeLocalMsp('Org1MSP');
  acl = createAclProvider({
    bundles: (id) => (id === CHANNEL ? withAcls : undefined),
    localMsp: local,
  });
  aclOnGenesis = createAclProvider({
    bundles: (id) => (id === CHANNEL ? genesis : undefined),
    localMsp: local,
  });
});

async function denied(
  promise: Promise<void>,
  code: AclError['code'],
  message: RegExp | string,
): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AclError, `expected an AclError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (typeof message === 'string') assert.equal(caught.message, message);
  else assert.match(caught.message, message);
}

void describe('ACLs: the default map', () => {
  void test('the map is Fabric v2.5’s', () => {
    const { local, channel } = defaultAcls();
    assert.equal(local.size, 15);
    assert.equal(local.get(AclResources.Cscc_GetChannels), 'Members');
    assert.equal(local.get(AclResources.Lifecycle_InstallChaincode), 'Admins');
    assert.equal(local.has(AclResources.Lifecycle_QueryApprovedChaincodeDefinitions), false);
    assert.equal(
      defaultAcls('3').local.get(AclResources.Lifecycle_QueryApprovedChaincodeDefinitions),
      'Admins',
    );
    assert.equal(channel.get(AclResources.Peer_Propose), '/Channel/Application/Writers');
    assert.equal(channel.get(AclResources.Qscc_GetBlockByNumber), '/Channel/Application/Readers');
    assert.equal(channel.get(AclResources.Gateway_ChaincodeEvents), '/Channel/Application/Readers');
    assert.equal(channel.get(AclResources.Lscc_Deploy), '');
  });

  void test('peer/Propose needs a channel writer (an org client)', async () => {
    await aclOnGenesis.checkACL('peer/Propose', CHANNEL, signedProposal(org1Client, CHANNEL));
    await denied(
      aclOnGenesis.checkACL('peer/Propose', CHANNEL, signedProposal(org1Peer, CHANNEL)),
      'ACCESS_DENIED',
      'Failed evaluating policy on signed data during check policy on channel [mychannel] with policy ' +
        "[/Channel/Application/Writers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied]",
    );
  });

  void test('a badly signed proposal is denied', async () => {
    await denied(
      aclOnGenesis.checkACL(
        'peer/Propose',
        CHANNEL,
        signedProposal(org1Client, CHANNEL, { badSignature: true }),
      ),
      'ACCESS_DENIED',
      /with policy \[\/Channel\/Application\/Writers\]/,
    );
  });

  void test('readers resources accept a peer; envelopes and signed data work too', async () => {
    await aclOnGenesis.checkACL('qscc/GetChainInfo', CHANNEL, signedProposal(org1Peer, CHANNEL));
    await aclOnGenesis.checkACL('event/Block', CHANNEL, signedEnvelope(org2Client, CHANNEL));
    const data = new Uint8Array([9, 9]);
    await aclOnGenesis.checkACL('gateway/CommitStatus', CHANNEL, org2Client.signed(data));
    await aclOnGenesis.checkACL('gateway/CommitStatus', CHANNEL, [org2Client.signed(data)]);
    await denied(
      aclOnGenesis.checkACL('gateway/CommitStatus', CHANNEL, [org2Client.signed(data, true)]),
      'ACCESS_DENIED',
      /policy \[\/Channel\/Application\/Readers\]/,
    );
  });

  void test('unknown resources and resources checked elsewhere', async () => {
    await denied(
      aclOnGenesis.checkACL('foo/Bar', CHANNEL, signedProposal(org1Client, CHANNEL)),
      'ACL_UNKNOWN_RESOURCE',
      'Unmapped policy for foo/Bar',
    );
    await denied(
      aclOnGenesis.checkACL('lscc/Deploy', CHANNEL, signedProposal(org1Client, CHANNEL)),
      'ACL_UNKNOWN_RESOURCE',
      'Unmapped policy for lscc/Deploy',
    );
    assert.equal(aclOnGenesis.policyFor('foo/Bar', CHANNEL), undefined);
  });

  void test('a channel this peer has not joined', async () => {
    await denied(
      aclOnGenesis.checkACL('peer/Propose', 'nochannel', signedProposal(org1Client, 'nochannel')),
      'ACL_NO_CHANNEL',
      'Failed to get policy manager for channel [nochannel]',
    );
  });

  void test('a proposal that does not decode', async () => {
    await denied(
      aclOnGenesis.checkACL('peer/Propose', CHANNEL, {
        proposalBytes: new Uint8Array([0x0a, 0x05]),
        signature: new Uint8Array(),
      }),
      'ACL_BAD_REQUEST',
      /^Failing extracting proposal during check policy on channel \[mychannel\] with policy \[\/Channel\/Application\/Writers\]: \[/,
    );
    const noHeader = protos.Proposal.encode({ header: new Uint8Array([0x12, 0x09]) }).finish();
    await denied(
      aclOnGenesis.checkACL('peer/Propose', CHANNEL, {
        proposalBytes: noHeader,
        signature: new Uint8Array(),
      }),
      'ACL_BAD_REQUEST',
      /^Failing extracting header during check policy on channel \[mychannel\] with policy/,
    );
  });
});

void describe("ACLs: the channel's ACLs value", () => {
  void test('the update set it', () => {
    assert.deepEqual(Object.fromEntries(withAcls.application?.acls ?? []), ACLS);
    assert.equal(
      withAcls.application?.aclPolicyRefs.get('peer/Propose'),
      '/Channel/Application/Readers',
    );
    assert.equal(withAcls.application?.aclPolicyRefs.has('event/Block'), false);
  });

  void test('a relative override: peer/Propose → /Channel/Application/Readers', async () => {
    assert.deepEqual(acl.policyFor('peer/Propose', CHANNEL), {
      path: '/Channel/Application/Readers',
    });
    // a peer is a reader, not a writer: allowed now
    await acl.checkACL('peer/Propose', CHANNEL, signedProposal(org1Peer, CHANNEL));
  });

  void test('an absolute override: qscc/GetChainInfo → Org1 readers only', async () => {
    await acl.checkACL('qscc/GetChainInfo', CHANNEL, signedProposal(org1Peer, CHANNEL));
    await denied(
      acl.checkACL('qscc/GetChainInfo', CHANNEL, signedProposal(org2Client, CHANNEL)),
      'ACCESS_DENIED',
      'failed evaluating policy on signed data during check policy [/Channel/Application/Org1MSP/Readers]: [signature set did not satisfy policy]',
    );
  });

  void test('a resource only the channel knows', async () => {
    await acl.checkACL('custom/Thing', CHANNEL, signedProposal(org1Client, CHANNEL));
    await denied(
      aclOnGenesis.checkACL('custom/Thing', CHANNEL, signedProposal(org1Client, CHANNEL)),
      'ACL_UNKNOWN_RESOURCE',
      'Unmapped policy for custom/Thing',
    );
  });

  void test('an empty policy_ref falls back to the default; a missing policy is denied', async () => {
    assert.deepEqual(acl.policyFor('event/Block', CHANNEL), {
      path: '/Channel/Application/Readers',
    });
    await acl.checkACL('event/Block', CHANNEL, signedEnvelope(org2Client, CHANNEL));
    await denied(
      acl.checkACL('gateway/CommitStatus', CHANNEL, org1Client.signed(new Uint8Array([1]))),
      'ACCESS_DENIED',
      'failed evaluating policy on signed data during check policy [/Channel/Application/NoSuchPolicy]: [policy /Channel/Application/NoSuchPolicy not found]',
    );
  });

  void test('local-MSP resources cannot be overridden by the channel', async () => {
    assert.deepEqual(acl.policyFor('cscc/JoinChain', CHANNEL), { local: 'Admins' });
    await denied(
      acl.checkACL('cscc/JoinChain', CHANNEL, signedProposal(org1Peer, CHANNEL)),
      'ACCESS_DENIED',
      /^Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy \[Admins\]: \[/,
    );
  });
});

void describe('ACLs: local-MSP resources', () => {
  void test('Admins resources need a local MSP admin', async () => {
    await acl.checkACL('cscc/JoinChain', '', signedProposal(org1Admin, ''));
    await acl.checkACL('_lifecycle/InstallChaincode', CHANNEL, signedProposal(org1Admin, CHANNEL));
    await denied(
      acl.checkACL('_lifecycle/InstallChaincode', '', signedProposal(org1Client, '')),
      'ACCESS_DENIED',
      /^Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy \[Admins\]: \[fake: org1-user is not ADMIN of Org1MSP\]$/,
    );
  });

  void test('Members resources accept any local member', async () => {
    await acl.checkACL('cscc/GetChannels', '', signedProposal(org1Client, ''));
    await acl.checkACL('cscc/GetChannels', '', signedProposal(org1Peer, ''));
  });

  void test('another MSP’s admin is not a local admin', async () => {
    await denied(
      acl.checkACL('cscc/JoinChain', '', signedProposal(org2Admin, '')),
      'ACCESS_DENIED',
      /^Failed deserializing proposal creator during channelless check policy with policy \[Admins\]: \[expected MSP ID Org1MSP, received Org2MSP\]$/,
    );
  });

  void test('a bad signature by a local admin is denied', async () => {
    await denied(
      acl.checkACL('cscc/JoinChain', '', signedProposal(org1Admin, '', { badSignature: true })),
      'ACCESS_DENIED',
      'fake: bad signature',
    );
  });

  void test('checkACLNoChannel: signed data against the local MSP; channel resources refused', async () => {
    const data = new Uint8Array([4, 2]);
    await acl.checkACLNoChannel('snapshot/submitrequest', [org1Admin.signed(data)]);
    await denied(
      acl.checkACLNoChannel('snapshot/submitrequest', [
        org1Admin.signed(data),
        org1Client.signed(data),
      ]),
      'ACCESS_DENIED',
      /^failed verifying that the signed data identity satisfies local MSP principal during channelless check policy with policy \[Admins\]/,
    );
    await denied(
      acl.checkACLNoChannel('snapshot/listpending', []),
      'ACL_BAD_REQUEST',
      'no signed data during channelless check policy with policy [Admins]',
    );
    await denied(
      acl.checkACLNoChannel('peer/Propose', [org1Admin.signed(data)]),
      'ACL_UNKNOWN_RESOURCE',
      'cannot override peer type policy for channeless ACL check',
    );
    await acl.checkACLNoChannel('cscc/JoinChain', signedProposal(org1Admin, ''));
  });

  void test("Fabric's CheckACL refuses signed data for local-MSP resources", async () => {
    // (Fabric's snapshot service uses CheckACLNoChannel for that reason.)
    await denied(
      acl.checkACL('snapshot/submitrequest', '', [org1Admin.signed(new Uint8Array([1]))]),
      'ACL_BAD_REQUEST',
      'Invalid channel ID name during check policy on signed data. Name must be different from nil.',
    );
  });
});
