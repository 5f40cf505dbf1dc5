/**
 * The genesis block of a real Fabric v2.4.9 channel, read into a bundle and compared, field by
 * field, with configtxgen's own rendering of the same block (config/mychannel.block.json).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { common, orderer } from '@fabric-peer/protos';

import {
  bundleFromBlock,
  connectableOrdererEndpoints,
  groupFromTree,
  groupsEqual,
  treeFromGroup,
  type ChannelConfigBundle,
} from '../src/index.js';
import {
  at,
  b64,
  channelGroupJson,
  channelIdJson,
  genesisBlock,
  genesisBlockBytes,
  genesisJson,
  groupJson,
  keysOf,
  policiesJson,
  type Json,
} from '../test-support/corpus.js';
import { fakeMspFactory, type MspFactoryCall } from '../test-support/fakes.js';

let bundle: ChannelConfigBundle;
let json: Json;
let channel: Json;
const calls: MspFactoryCall[] = [];

before(async () => {
  bundle = await bundleFromBlock(genesisBlockBytes(), { mspFactory: fakeMspFactory(calls) });
  json = genesisJson();
  channel = channelGroupJson(json);
});

const capabilitiesOf = (group: Json): string[] =>
  keysOf(at(group, 'values', 'Capabilities', 'value', 'capabilities')).sort();
const sorted = (s: Iterable<string>): string[] => [...s].sort();
const mspConfigOf = (group: Json): Json => at(group, 'values', 'MSP', 'value', 'config') as Json;

void describe('corpus genesis block → bundle', () => {
  void test('channel id and sequence', () => {
    assert.equal(bundle.channelId, channelIdJson(json));
    const sequence = at(json, 'data', 'data', 0, 'payload', 'data', 'config', 'sequence') as string;
    assert.equal(bundle.sequence, BigInt(sequence));
  });

  void test('the same block as a decoded message gives the same bundle', async () => {
    const again = await bundleFromBlock(genesisBlock(), { mspFactory: fakeMspFactory() });
    assert.ok(groupsEqual(again.channelGroup, bundle.channelGroup));
  });

  void test('channel values', () => {
    assert.equal(
      bundle.channel.hashingAlgorithm,
      at(channel, 'values', 'HashingAlgorithm', 'value', 'name'),
    );
    assert.equal(
      bundle.channel.blockDataHashingStructureWidth,
      at(channel, 'values', 'BlockDataHashingStructure', 'value', 'width'),
    );
    assert.deepEqual(
      [...bundle.channel.ordererAddresses],
      at(channel, 'values', 'OrdererAddresses', 'value', 'addresses'),
    );
    const consortium = keysOf(channel.values).includes('Consortium')
      ? at(channel, 'values', 'Consortium', 'value', 'name')
      : '';
    assert.equal(bundle.channel.consortium, consortium);
    // the hash function is the one named
    assert.equal(
      Buffer.from(bundle.channel.hash(new Uint8Array())).toString('hex'),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  void test('capabilities, and the flags Fabric derives from them', () => {
    assert.deepEqual(sorted(bundle.capabilities.channel.names), capabilitiesOf(channel));
    assert.deepEqual(
      sorted(bundle.capabilities.orderer?.names ?? []),
      capabilitiesOf(groupJson(channel, 'Orderer')),
    );
    assert.deepEqual(
      sorted(bundle.capabilities.application?.names ?? []),
      capabilitiesOf(groupJson(channel, 'Application')),
    );
    // V2_0 everywhere (README): MSP 1.4.3, the new lifecycle, org-specific orderer endpoints.
    assert.ok(capabilitiesOf(channel).includes('V2_0'));
    assert.equal(bundle.capabilities.channel.mspVersion, 'v1_4_3');
    assert.equal(bundle.capabilities.channel.orgSpecificOrdererEndpoints, true);
    assert.equal(bundle.capabilities.application?.lifecycleV20, true);
    assert.equal(bundle.capabilities.application?.v2_0Validation, true);
    assert.equal(bundle.capabilities.application?.acls, true);
    assert.equal(bundle.capabilities.application?.purgePvtData, false);
    assert.equal(bundle.capabilities.orderer?.useChannelCreationPolicyAsAdmins, true);
    bundle.assertPeerSupport();
    // every MSP was built at the version the channel asks for
    assert.ok(calls.length > 0);
    for (const call of calls) assert.equal(call.version, 'v1_4_3');
  });

  void test('MSP ids of every org', () => {
    for (const section of ['Application', 'Orderer'] as const) {
      const sectionJson = groupJson(channel, section);
      const orgs =
        section === 'Application'
          ? bundle.application?.organizations
          : bundle.orderer?.organizations;
      assert.deepEqual(sorted(orgs?.keys() ?? []), keysOf(sectionJson.groups).sort());
      for (const name of keysOf(sectionJson.groups)) {
        const expected = at(mspConfigOf(groupJson(sectionJson, name)), 'name');
        assert.equal(orgs?.get(name)?.mspId, expected, `${section}/${name}`);
      }
    }
    const allIds = new Set<string>();
    for (const section of ['Application', 'Orderer']) {
      const s = groupJson(channel, section);
      for (const name of keysOf(s.groups))
        allIds.add(at(mspConfigOf(groupJson(s, name)), 'name') as string);
    }
    assert.deepEqual(sorted(bundle.mspManager.msps.keys()), sorted(allIds));
  });

  void test('ACLs', () => {
    const app = groupJson(channel, 'Application');
    const expected = keysOf(app.values).includes('ACLs')
      ? Object.fromEntries(
          Object.entries(at(app, 'values', 'ACLs', 'value', 'acls') as Record<string, Json>).map(
            ([k, v]) => [k, v.policy_ref as string],
          ),
        )
      : {};
    assert.deepEqual(Object.fromEntries(bundle.application?.acls ?? []), expected);
  });

  void test('orderer: consensus type, consenters and options', () => {
    const consensus = at(groupJson(channel, 'Orderer'), 'values', 'ConsensusType', 'value') as Json;
    assert.equal(bundle.orderer?.consensusType, consensus.type);
    assert.equal(
      bundle.orderer?.consensusState,
      orderer.ConsensusType.State[consensus.state as keyof typeof orderer.ConsensusType.State],
    );
    const c = bundle.orderer?.consensus;
    assert.equal(c?.kind, consensus.type);
    assert.ok(c?.kind === 'etcdraft');
    const expected = at(consensus, 'metadata', 'consenters') as Json[];
    assert.equal(c.metadata.consenters.length, expected.length);
    expected.forEach((e, i) => {
      const got = c.metadata.consenters[i];
      assert.equal(got?.host, e.host);
      assert.equal(got?.port, e.port);
      assert.deepEqual(
        Buffer.from(got?.clientTlsCert ?? []),
        Buffer.from(b64(e.client_tls_cert as string)),
      );
      assert.deepEqual(
        Buffer.from(got?.serverTlsCert ?? []),
        Buffer.from(b64(e.server_tls_cert as string)),
      );
    });
    const options = at(consensus, 'metadata', 'options') as Json;
    assert.equal(c.metadata.options?.tickInterval, options.tick_interval);
    assert.equal(c.metadata.options?.electionTick, options.election_tick);
    assert.equal(c.metadata.options?.heartbeatTick, options.heartbeat_tick);
    assert.equal(c.metadata.options?.maxInflightBlocks, options.max_inflight_blocks);
    assert.equal(c.metadata.options?.snapshotIntervalSize, options.snapshot_interval_size);
  });

  void test('orderer: batch size and batch timeout', () => {
    const orderer = groupJson(channel, 'Orderer');
    const size = at(orderer, 'values', 'BatchSize', 'value') as Json;
    assert.deepEqual(bundle.orderer?.batchSize, {
      maxMessageCount: size.max_message_count,
      absoluteMaxBytes: size.absolute_max_bytes,
      preferredMaxBytes: size.preferred_max_bytes,
    });
    const timeout = at(orderer, 'values', 'BatchTimeout', 'value', 'timeout') as string;
    assert.equal(bundle.orderer?.batchTimeout, timeout);
    // an independent reading of the "<n>ms" / "<n>s" the corpus uses
    const m = /^(\d+)(ms|s)$/.exec(timeout);
    assert.ok(m, `unexpected timeout format ${timeout}`);
    const nanos = BigInt(m[1] as string) * (m[2] === 'ms' ? 1_000_000n : 1_000_000_000n);
    assert.equal(bundle.orderer?.batchTimeoutNanos, nanos);
  });

  void test('orderer endpoints: global and per org, with each org MSP TLS roots', () => {
    assert.deepEqual(
      [...bundle.ordererEndpoints.global],
      at(channel, 'values', 'OrdererAddresses', 'value', 'addresses'),
    );
    const orderer = groupJson(channel, 'Orderer');
    assert.deepEqual(sorted(bundle.ordererEndpoints.orgs.keys()), keysOf(orderer.groups).sort());
    for (const name of keysOf(orderer.groups)) {
      const org = groupJson(orderer, name);
      const got = bundle.ordererEndpoints.orgs.get(name);
      assert.equal(got?.mspId, at(mspConfigOf(org), 'name'));
      assert.deepEqual(
        [...(got?.addresses ?? [])],
        at(org, 'values', 'Endpoints', 'value', 'addresses'),
      );
      const roots = [
        ...((at(mspConfigOf(org), 'tls_root_certs') as string[]) ?? []),
        ...((at(mspConfigOf(org), 'tls_intermediate_certs') as string[]) ?? []),
      ].map((t) => Buffer.from(b64(t)).toString('hex'));
      assert.ok(roots.length > 0);
      assert.deepEqual(
        got?.rootCerts.map((r) => Buffer.from(r).toString('hex')),
        roots,
      );
    }
    // Org endpoints exist, so a deliver client dials those (with their org's roots).
    const dial = connectableOrdererEndpoints(bundle);
    const perOrg = keysOf(orderer.groups).flatMap(
      (name) =>
        at(groupJson(orderer, name), 'values', 'Endpoints', 'value', 'addresses') as string[],
    );
    assert.deepEqual(
      dial.map((d) => d.address),
      perOrg,
    );
  });

  void test('anchor peers', () => {
    const app = groupJson(channel, 'Application');
    for (const name of keysOf(app.groups)) {
      const expected = at(
        groupJson(app, name),
        'values',
        'AnchorPeers',
        'value',
        'anchor_peers',
      ) as Json[];
      assert.deepEqual(
        bundle.application?.organizations.get(name)?.anchorPeers,
        expected.map((a) => ({ host: a.host, port: a.port })),
      );
    }
  });

  void test('policies: the same paths, of the same types', () => {
    const expected = policiesJson(channel);
    const got = new Map(
      [...bundle.policyManager.policies.entries()].map(([rel, p]) => [
        `/Channel/${rel}`,
        p.kind === 'signature' ? 1 : p.kind === 'implicit-meta' ? 3 : 0,
      ]),
    );
    assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()));
  });

  void test('the config tree rebuilds to an equal group', () => {
    const encoded = common.ConfigGroup.encode(groupFromTree(bundle.channelGroup)).finish();
    assert.ok(groupsEqual(treeFromGroup(common.ConfigGroup.decode(encoded)), bundle.channelGroup));
    // and the config map covers every element of the JSON tree
    let elements = 0;
    const count = (g: Json): void => {
      elements += 1 + keysOf(g.values).length + keysOf(g.policies).length;
      for (const name of keysOf(g.groups)) count(at(g, 'groups', name) as Json);
    };
    count(channel);
    assert.equal(bundle.configMap.size, elements);
  });
});
