/**
 * Config updates on top of the corpus config: authorised by the mod_policies, checked against the
 * current versions, compared with the config the block carries; the old bundle stays on error.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { common, msp, orderer, protos } from '@fabric-peer/protos';

import {
  ChannelConfigError,
  applyConfigBlock,
  applyConfigEnvelope,
  bundleFromBlock,
  configUpdateSignedData,
  proposeConfigUpdate,
  type ChannelConfigBundle,
} from '../src/index.js';
import { genesisBlockBytes } from '../test-support/corpus.js';
import { FakeIdentity, fakeMspConfig, fakeMspFactory } from '../test-support/fakes.js';
import {
  cloneGroup,
  configBlock,
  configEnvelope,
  group,
  signUpdate,
  updateTransaction,
  v,
} from '../test-support/updates.js';

const CHANNEL = 'mychannel';
const ordererAdmin = new FakeIdentity({
  mspId: 'OrdererMSP',
  name: 'orderer-admin',
  roles: ['ADMIN'],
});
const org1Admin = new FakeIdentity({ mspId: 'Org1MSP', name: 'org1-admin', roles: ['ADMIN'] });
const org2Admin = new FakeIdentity({ mspId: 'Org2MSP', name: 'org2-admin', roles: ['ADMIN'] });
const org1Client = new FakeIdentity({ mspId: 'Org1MSP', name: 'org1-user', roles: ['CLIENT'] });

let genesis: ChannelConfigBundle;

before(async () => {
  genesis = await bundleFromBlock(genesisBlockBytes(), { mspFactory: fakeMspFactory() });
});

/** The current channel group as a mutable message. */
function currentGroup(bundle: ChannelConfigBundle): common.ConfigGroup {
  return cloneGroup(bundle.config.channelGroup as common.ConfigGroup);
}

function child(g: common.ConfigGroup, ...path: string[]): common.ConfigGroup {
  let node = g;
  for (const name of path) node = node.groups[name] as common.ConfigGroup;
  return node;
}

const batchTimeout = (timeout: string): Uint8Array =>
  orderer.BatchTimeout.encode({ timeout }).finish();

interface Update {
  readSet: common.ConfigGroup;
  writeSet: common.ConfigGroup;
  /** Applies the change to the expected config. */
  expect: (g: common.ConfigGroup) => void;
  signers: FakeIdentity[];
  sequence?: number;
  channelId?: string;
  badSignatureBy?: FakeIdentity[];
}

function updateBlock(bundle: ChannelConfigBundle, u: Update): common.Block {
  const expected = currentGroup(bundle);
  u.expect(expected);
  const signed = signUpdate(
    { channelId: u.channelId ?? CHANNEL, readSet: u.readSet, writeSet: u.writeSet },
    u.signers,
    u.badSignatureBy ? { badSignatureBy: u.badSignatureBy } : {},
  );
  const sequence = u.sequence ?? Number(bundle.sequence) + 1;
  return configBlock(
    sequence,
    CHANNEL,
    configEnvelope(sequence, expected, updateTransaction(CHANNEL, signed)),
  );
}

/** BatchTimeout → `timeout`: read Orderer at its version, write BatchTimeout at version + 1. */
function batchTimeoutUpdate(
  bundle: ChannelConfigBundle,
  timeout: string,
  signers: FakeIdentity[],
  more: Partial<Update> = {},
): Update {
  const element = bundle.configMap.get('[Value]  /Channel/Orderer/BatchTimeout');
  const version = element?.kind === 'value' ? Number(element.value.version) : 0;
  const value = { version: v(version + 1), modPolicy: 'Admins', value: batchTimeout(timeout) };
  return {
    readSet: group({ groups: { Orderer: group({}) } }),
    writeSet: group({ groups: { Orderer: group({ values: { BatchTimeout: value } }) } }),
    expect: (g) => {
      child(g, 'Orderer').values.BatchTimeout = common.ConfigValue.create(value);
    },
    signers,
    ...more,
  };
}

async function refused(
  promise: Promise<unknown>,
  code: ChannelConfigError['code'],
  message: RegExp,
): Promise<ChannelConfigError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof ChannelConfigError,
    `expected a ChannelConfigError, got ${String(caught)}`,
  );
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  return caught;
}

function assertGenesisIntact(): void {
  assert.equal(genesis.sequence, 0n);
  assert.equal(genesis.orderer?.batchTimeout, '250ms');
  assert.equal(genesis.application?.organizations.get('Org1MSP')?.anchorPeers.length, 1);
  assert.equal(genesis.application?.organizations.get('Org2MSP')?.anchorPeers.length, 1);
}

void describe('config update: BatchTimeout', () => {
  void test('signed by the orderer admin: a new bundle with the change', async () => {
    const block = updateBlock(genesis, batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]));
    const next = await applyConfigBlock(genesis, block);
    assert.equal(next.sequence, 1n);
    assert.equal(next.orderer?.batchTimeout, '500ms');
    assert.equal(next.orderer?.batchTimeoutNanos, 500_000_000n);
    assert.equal(next.channelId, CHANNEL);
    assertGenesisIntact();

    // and the next update builds on it (sequence 2, BatchTimeout at version 1 → 2)
    const again = await applyConfigBlock(
      next,
      updateBlock(next, batchTimeoutUpdate(next, '2s', [ordererAdmin])),
    );
    assert.equal(again.sequence, 2n);
    assert.equal(again.orderer?.batchTimeoutNanos, 2_000_000_000n);
    // replaying the first update on the new bundle: wrong sequence
    await refused(
      applyConfigBlock(next, block),
      'CONFIG_SEQUENCE',
      /currently at sequence 1, cannot validate config at sequence 1/,
    );
  });

  void test('signed by an application admin only: refused, naming the element and the policy', async () => {
    const err = await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, batchTimeoutUpdate(genesis, '500ms', [org1Admin, org2Admin])),
      ),
      'CONFIG_UPDATE_UNAUTHORIZED',
      /^error validating DeltaSet: policy for \[Value\] {2}\/Channel\/Orderer\/BatchTimeout not satisfied \(mod_policy Admins, resolved to \/Channel\/Orderer\/Admins\): implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Admins' sub-policies to be satisfied$/,
    );
    assert.equal(err.details.policy, '/Channel/Orderer/Admins');
    assert.equal(err.details.element, '[Value]  /Channel/Orderer/BatchTimeout');
    assertGenesisIntact();
  });

  void test('unsigned: refused', async () => {
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, batchTimeoutUpdate(genesis, '500ms', []))),
      'CONFIG_UPDATE_UNAUTHORIZED',
      /\/Channel\/Orderer\/Admins/,
    );
    assertGenesisIntact();
  });

  void test('a bad signature by the right admin: refused', async () => {
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(
          genesis,
          batchTimeoutUpdate(genesis, '500ms', [ordererAdmin], { badSignatureBy: [ordererAdmin] }),
        ),
      ),
      'CONFIG_UPDATE_UNAUTHORIZED',
      /\/Channel\/Orderer\/Admins/,
    );
  });

  void test('the signed data is signature header ‖ config update', () => {
    const envelope = signUpdate({ channelId: CHANNEL }, [ordererAdmin]);
    const [sd] = configUpdateSignedData(envelope);
    const header = envelope.signatures[0]?.signatureHeader as Uint8Array;
    assert.deepEqual(Buffer.from(sd?.data ?? []), Buffer.concat([header, envelope.configUpdate]));
    assert.deepEqual(Buffer.from(sd?.identity ?? []), Buffer.from(ordererAdmin.serialize()));
  });

  void test('wrong sequence: refused', async () => {
    for (const sequence of [0, 2, 7]) {
      await refused(
        applyConfigBlock(
          genesis,
          updateBlock(genesis, batchTimeoutUpdate(genesis, '500ms', [ordererAdmin], { sequence })),
        ),
        'CONFIG_SEQUENCE',
        new RegExp(
          `^config currently at sequence 0, cannot validate config at sequence ${sequence}$`,
        ),
      );
    }
    assertGenesisIntact();
  });

  void test('the config carried differs from what the update produces: refused', async () => {
    const u = batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]);
    const lying = {
      ...u,
      expect: (g: common.ConfigGroup) => {
        u.expect(g);
        (child(g, 'Orderer').values.BatchTimeout as common.ConfigValue).value =
          batchTimeout('750ms');
      },
    };
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, lying)),
      'CONFIG_MISMATCH',
      /^ConfigEnvelope LastUpdate did not produce the supplied config result$/,
    );
    // also when only a mod_policy differs, or an extra (unsigned-for) value appears
    const sneaky = {
      ...u,
      expect: (g: common.ConfigGroup) => {
        u.expect(g);
        child(g, 'Application', 'Org1MSP').values.AnchorPeers = common.ConfigValue.create({
          modPolicy: 'Admins',
          value: protos.AnchorPeers.encode({ anchorPeers: [{ host: 'evil', port: 1 }] }).finish(),
        });
      },
    };
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, sneaky)),
      'CONFIG_MISMATCH',
      /did not produce/,
    );
    assertGenesisIntact();
  });

  void test('a read set at the wrong version: refused', async () => {
    const u = batchTimeoutUpdate(genesis, '500ms', [ordererAdmin], {
      readSet: group({ groups: { Orderer: group({ version: 3 }) } }),
    });
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, u)),
      'CONFIG_UPDATE_READ_SET',
      /^error validating ReadSet: proposed update requires that key \[Group\] {2}\/Channel\/Orderer be at version 3, but it is currently at version 0$/,
    );
    const missing = batchTimeoutUpdate(genesis, '500ms', [ordererAdmin], {
      readSet: group({ groups: { Nowhere: group({}) } }),
    });
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, missing)),
      'CONFIG_UPDATE_READ_SET',
      /existing config does not contain element for \[Group\] {2}\/Channel\/Nowhere but was in the read set/,
    );
  });

  void test('a version that skips: refused', async () => {
    const value = { version: v(2), modPolicy: 'Admins', value: batchTimeout('500ms') };
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, {
          ...batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]),
          writeSet: group({ groups: { Orderer: group({ values: { BatchTimeout: value } }) } }),
        }),
      ),
      'CONFIG_UPDATE_INVALID',
      /attempt to set key \[Value\] {2}\/Channel\/Orderer\/BatchTimeout to version 2, but key is at version 0/,
    );
  });

  void test('an update that changes nothing, or targets another channel: refused', async () => {
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, {
          readSet: group({ groups: { Orderer: group({}) } }),
          writeSet: group({ groups: { Orderer: group({}) } }),
          expect: () => {},
          signers: [ordererAdmin],
        }),
      ),
      'CONFIG_UPDATE_INVALID',
      /delta set was empty -- update would have no effect/,
    );
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(
          genesis,
          batchTimeoutUpdate(genesis, '500ms', [ordererAdmin], { channelId: 'other' }),
        ),
      ),
      'CONFIG_UPDATE_INVALID',
      /ConfigUpdate for channel 'other' but envelope for channel 'mychannel'/,
    );
  });

  void test('an authorised update whose result is not a valid config: refused', async () => {
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, batchTimeoutUpdate(genesis, '0s', [ordererAdmin])),
      ),
      'CHANNEL_CONFIG_INVALID',
      /Attempted to set the batch timeout to a non-positive value: 0s/,
    );
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, batchTimeoutUpdate(genesis, '5 seconds', [ordererAdmin])),
      ),
      'CHANNEL_CONFIG_INVALID',
      /batch timeout to a invalid value: time: (unknown unit|invalid duration)/,
    );
    assertGenesisIntact();
  });
});

void describe('config update: anchor peers and deletion', () => {
  const anchors = (...ports: number[]) =>
    protos.AnchorPeers.encode({
      anchorPeers: ports.map((port) => ({ host: '127.0.0.1', port })),
    }).finish();

  function addAnchor(signers: FakeIdentity[]): Update {
    const value = { version: v(1), modPolicy: 'Admins', value: anchors(7051, 7061) };
    return {
      readSet: group({ groups: { Application: group({ groups: { Org1MSP: group({}) } }) } }),
      writeSet: group({
        groups: {
          Application: group({ groups: { Org1MSP: group({ values: { AnchorPeers: value } }) } }),
        },
      }),
      expect: (g) => {
        child(g, 'Application', 'Org1MSP').values.AnchorPeers = common.ConfigValue.create(value);
      },
      signers,
    };
  }

  void test('an anchor peer added by the org admin', async () => {
    const next = await applyConfigBlock(genesis, updateBlock(genesis, addAnchor([org1Admin])));
    assert.deepEqual(next.application?.organizations.get('Org1MSP')?.anchorPeers, [
      { host: '127.0.0.1', port: 7051 },
      { host: '127.0.0.1', port: 7061 },
    ]);
    assertGenesisIntact();
  });

  void test("another org's admin, or a client of the org, may not", async () => {
    for (const signers of [[org2Admin], [org1Client], [ordererAdmin]]) {
      await refused(
        applyConfigBlock(genesis, updateBlock(genesis, addAnchor(signers))),
        'CONFIG_UPDATE_UNAUTHORIZED',
        /policy for \[Value\] {2}\/Channel\/Application\/Org1MSP\/AnchorPeers not satisfied \(mod_policy Admins, resolved to \/Channel\/Application\/Org1MSP\/Admins\): signature set did not satisfy policy/,
      );
    }
  });

  /** Org2's group at version 1 listing every member but AnchorPeers: AnchorPeers is deleted. */
  function deleteAnchors(signers: FakeIdentity[]): Update {
    const org2 = child(currentGroup(genesis), 'Application', 'Org2MSP');
    const keep = (names: string[]) => Object.fromEntries(names.map((n) => [n, { version: v(0) }]));
    const values = keep(Object.keys(org2.values).filter((k) => k !== 'AnchorPeers'));
    const policies = keep(Object.keys(org2.policies));
    return {
      readSet: group({
        groups: { Application: group({ groups: { Org2MSP: group({ values, policies }) } }) },
      }),
      writeSet: group({
        groups: {
          Application: group({
            groups: { Org2MSP: group({ version: 1, modPolicy: 'Admins', values, policies }) },
          }),
        },
      }),
      expect: (g) => {
        const target = child(g, 'Application', 'Org2MSP');
        target.version = v(1);
        delete target.values.AnchorPeers;
      },
      signers,
    };
  }

  void test('deleting a value: the group is rewritten at a new version without it', async () => {
    const next = await applyConfigBlock(genesis, updateBlock(genesis, deleteAnchors([org2Admin])));
    assert.deepEqual(next.application?.organizations.get('Org2MSP')?.anchorPeers, []);
    assert.equal(next.configMap.has('[Value]  /Channel/Application/Org2MSP/AnchorPeers'), false);
    assertGenesisIntact();
  });

  void test("deleting needs the group's mod_policy", async () => {
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, deleteAnchors([org1Admin]))),
      'CONFIG_UPDATE_UNAUTHORIZED',
      /policy for \[Group\] {2}\/Channel\/Application\/Org2MSP not satisfied \(mod_policy Admins, resolved to \/Channel\/Application\/Org2MSP\/Admins\)/,
    );
  });

  void test('leaving a value out of a write set without a new group version deletes nothing', async () => {
    // Org2MSP at version 0 in both sets is not part of the delta: its members stay as they are,
    // so a config without AnchorPeers does not match.
    const u = deleteAnchors([org2Admin]);
    const noBump = {
      ...u,
      writeSet: group({
        groups: {
          Application: group({
            groups: { Org2MSP: child(u.readSet, 'Application', 'Org2MSP') },
          }),
          Orderer: group({
            values: {
              BatchTimeout: { version: v(1), modPolicy: 'Admins', value: batchTimeout('1s') },
            },
          }),
        },
      }),
      readSet: group({
        groups: {
          Application: group({ groups: { Org2MSP: child(u.readSet, 'Application', 'Org2MSP') } }),
          Orderer: group({}),
        },
      }),
      expect: (g: common.ConfigGroup) => {
        delete child(g, 'Application', 'Org2MSP').values.AnchorPeers;
        child(g, 'Orderer').values.BatchTimeout = common.ConfigValue.create({
          version: v(1),
          modPolicy: 'Admins',
          value: batchTimeout('1s'),
        });
      },
      signers: [org2Admin, ordererAdmin],
    };
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, noBump)),
      'CONFIG_MISMATCH',
      /did not produce/,
    );
  });

  void test('an org may not change its MSP id', async () => {
    const value = {
      version: v(1),
      modPolicy: 'Admins',
      value: msp.MSPConfig.encode(fakeMspConfig('Org9MSP')).finish(),
    };
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, {
          readSet: group({ groups: { Application: group({ groups: { Org1MSP: group({}) } }) } }),
          writeSet: group({
            groups: {
              Application: group({ groups: { Org1MSP: group({ values: { MSP: value } }) } }),
            },
          }),
          expect: (g) => {
            child(g, 'Application', 'Org1MSP').values.MSP = common.ConfigValue.create(value);
          },
          signers: [org1Admin],
        }),
      ),
      'CONFIG_TRANSITION_INVALID',
      /^application org Org1MSP attempted to change MSP ID from Org1MSP to Org9MSP$/,
    );
  });

  void test('a capability this peer does not support: refused (Fabric panics)', async () => {
    const value = {
      version: v(1),
      modPolicy: 'Admins',
      value: common.Capabilities.encode({ capabilities: { V2_0: {}, V9_9: {} } }).finish(),
    };
    const u: Update = {
      readSet: group({ groups: { Application: group({}) } }),
      writeSet: group({ groups: { Application: group({ values: { Capabilities: value } }) } }),
      expect: (g) => {
        child(g, 'Application').values.Capabilities = common.ConfigValue.create(value);
      },
      signers: [org1Admin, org2Admin],
    };
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, u)),
      'CAPABILITY_UNSUPPORTED',
      /^\[channel mychannel\] incompatible: Application capability V9_9 is required but not supported$/,
    );
    // /Channel/Application/Admins is MAJORITY of two orgs: one admin is not enough
    await refused(
      applyConfigBlock(genesis, updateBlock(genesis, { ...u, signers: [org1Admin] })),
      'CONFIG_UPDATE_UNAUTHORIZED',
      /resolved to \/Channel\/Application\/Admins\): implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2/,
    );
  });
});

void describe('config update: malformed transactions', () => {
  void test('not a CONFIG block, no last_update, not a CONFIG_UPDATE', async () => {
    const u = batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]);
    const expected = currentGroup(genesis);
    u.expect(expected);
    const signed = signUpdate({ channelId: CHANNEL, readSet: u.readSet, writeSet: u.writeSet }, [
      ordererAdmin,
    ]);
    await refused(
      applyConfigBlock(
        genesis,
        configBlock(
          1,
          CHANNEL,
          configEnvelope(1, expected, updateTransaction(CHANNEL, signed)),
          common.HeaderType.ENDORSER_TRANSACTION,
        ),
      ),
      'CONFIG_MALFORMED',
      /invalid type ENDORSER_TRANSACTION, expected CONFIG/,
    );
    await refused(
      applyConfigEnvelope(genesis, configEnvelope(1, expected, null)),
      'CONFIG_MALFORMED',
      /no last_update/,
    );
    await refused(
      applyConfigEnvelope(
        genesis,
        configEnvelope(1, expected, updateTransaction(CHANNEL, signed, common.HeaderType.CONFIG)),
      ),
      'CONFIG_MALFORMED',
      /invalid type CONFIG, expected CONFIG_UPDATE/,
    );
    // the well-formed envelope goes through
    const next = await applyConfigEnvelope(
      genesis,
      configEnvelope(1, expected, updateTransaction(CHANNEL, signed)),
    );
    assert.equal(next.orderer?.batchTimeout, '500ms');
  });

  void test('illegal keys in the write set', async () => {
    const u = batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]);
    await refused(
      applyConfigBlock(
        genesis,
        updateBlock(genesis, {
          ...u,
          writeSet: group({
            groups: {
              Orderer: group({
                values: { 'Batch/Timeout': { version: v(0), modPolicy: 'Admins' } },
              }),
            },
          }),
        }),
      ),
      'CONFIG_UPDATE_INVALID',
      /^error mapping WriteSet: illegal characters in key: \[Value\] {2}: config ID 'Batch\/Timeout' contains illegal characters$/,
    );
  });
});

void describe("config update: the orderer's side (proposeConfigUpdate)", () => {
  function updateTx(u: Update, type?: number): common.Envelope {
    const signed = signUpdate(
      { channelId: CHANNEL, readSet: u.readSet, writeSet: u.writeSet },
      u.signers,
    );
    return updateTransaction(CHANNEL, signed, type);
  }

  void test('an authorised update: the next config, which peers then apply', async () => {
    const tx = updateTx(batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]));
    const proposed = await proposeConfigUpdate(genesis, tx);
    assert.equal(Number(proposed.config?.sequence), 1);
    assert.deepEqual(
      Buffer.from(common.Envelope.encode(proposed.lastUpdate!).finish()),
      Buffer.from(common.Envelope.encode(tx).finish()),
    );
    const next = await applyConfigEnvelope(genesis, proposed);
    assert.equal(next.orderer?.batchTimeout, '500ms');
    assertGenesisIntact();
  });

  void test('an unauthorised update: refused with the prefix of Fabric', async () => {
    const tx = updateTx(batchTimeoutUpdate(genesis, '500ms', [org1Admin]));
    await refused(
      proposeConfigUpdate(genesis, tx),
      'CONFIG_UPDATE_UNAUTHORIZED',
      /^error authorizing update: error validating DeltaSet: policy for \[Value\] {2}\/Channel\/Orderer\/BatchTimeout not satisfied/,
    );
  });

  void test('an envelope that is not a CONFIG_UPDATE: refused', async () => {
    const tx = updateTx(
      batchTimeoutUpdate(genesis, '500ms', [ordererAdmin]),
      common.HeaderType.ENDORSER_TRANSACTION,
    );
    await refused(
      proposeConfigUpdate(genesis, tx),
      'CONFIG_MALFORMED',
      /^error converting envelope to config update: invalid type ENDORSER_TRANSACTION, expected CONFIG_UPDATE$/,
    );
  });
});
