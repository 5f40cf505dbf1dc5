/** The rules a channel configuration must follow, as Fabric's channelconfig checks them. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { Long, common, msp, orderer, protos } from '@fabric-peer/protos';

import {
  ChannelConfigError,
  bundleFromConfig,
  connectableOrdererEndpoints,
  type BundleOptions,
  type ChannelConfigBundle,
  type FabricLevel,
} from '../src/index.js';
import { genesisBlock } from '../test-support/corpus.js';
import { fakeMspConfig, fakeMspFactory } from '../test-support/fakes.js';
import { cloneGroup } from '../test-support/updates.js';

let base: common.ConfigGroup;

before(() => {
  const payload = common.Payload.decode(
    common.Envelope.decode(genesisBlock().data?.data?.[0] as Uint8Array).payload,
  );
  base = common.ConfigEnvelope.decode(payload.data).config?.channelGroup as common.ConfigGroup;
});

const value = (bytes: Uint8Array): common.ConfigValue =>
  common.ConfigValue.create({ modPolicy: 'Admins', value: bytes });
const caps = (...names: string[]): common.ConfigValue =>
  value(
    common.Capabilities.encode({
      capabilities: Object.fromEntries(names.map((n) => [n, {}])),
    }).finish(),
  );

function build(
  change: (g: common.ConfigGroup) => void,
  options: Partial<BundleOptions> & { level?: FabricLevel } = {},
  channelId = 'mychannel',
): Promise<ChannelConfigBundle> {
  const g = cloneGroup(base);
  change(g);
  return bundleFromConfig(
    common.Config.create({ sequence: Long.UZERO, channelGroup: g }),
    channelId,
    { mspFactory: fakeMspFactory(), ...options },
  );
}

const G = (g: common.ConfigGroup, ...path: string[]): common.ConfigGroup => {
  let node = g;
  for (const p of path) node = node.groups[p] as common.ConfigGroup;
  return node;
};

async function invalid(
  promise: Promise<unknown>,
  message: RegExp | string,
  code = 'CHANNEL_CONFIG_INVALID',
): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ChannelConfigError, String(err));
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

void describe('channel config rules', () => {
  void test('the unchanged config builds', async () => {
    const bundle = await build(() => {});
    assert.equal(bundle.channelId, 'mychannel');
  });

  void test('unknown value keys and groups', async () => {
    await invalid(
      build((g) => {
        g.values.Foo = value(new Uint8Array());
      }),
      'initializing channelconfig failed: failed to deserialize values: Unexpected key Foo',
    );
    await invalid(
      build((g) => {
        G(g, 'Orderer').values.AnchorPeers = value(new Uint8Array());
      }),
      'initializing channelconfig failed: could not create channel Orderer sub-group config: failed to deserialize values: Unexpected key AnchorPeers',
    );
    await invalid(
      build((g) => {
        g.groups.Foo = common.ConfigGroup.create();
      }),
      'initializing channelconfig failed: Disallowed channel group: Foo',
    );
  });

  void test('channel values', async () => {
    await invalid(
      build((g) => {
        g.values.HashingAlgorithm = value(common.HashingAlgorithm.encode({ name: 'MD5' }).finish());
      }),
      'initializing channelconfig failed: Unknown hashing algorithm type: MD5',
    );
    await invalid(
      build((g) => {
        g.values.BlockDataHashingStructure = value(
          common.BlockDataHashingStructure.encode({ width: 16 }).finish(),
        );
      }),
      /BlockDataHashStructure width only supported at MaxUint32/,
    );
    const sha3 = await build((g) => {
      g.values.HashingAlgorithm = value(
        common.HashingAlgorithm.encode({ name: 'SHA3_256' }).finish(),
      );
    });
    assert.equal(
      Buffer.from(sha3.channel.hash(new Uint8Array())).toString('hex'),
      'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a',
    );
  });

  void test('capabilities need orderer support first', async () => {
    await invalid(
      build((g) => {
        delete G(g, 'Orderer').values.Capabilities;
      }),
      'cannot enable channel capabilities without orderer support first',
    );
    await invalid(
      build((g) => {
        delete G(g, 'Orderer').values.Capabilities;
        delete g.values.Capabilities;
      }),
      'cannot enable application capabilities without orderer support first',
    );
  });

  void test('below V1_4_2: global orderer addresses required, org endpoints refused', async () => {
    await invalid(
      build((g) => {
        g.values.Capabilities = caps('V1_3');
      }),
      /Orderer Org OrdererOrg cannot contain endpoints value until V1_4_2\+ capabilities have been enabled/,
    );
    await invalid(
      build((g) => {
        g.values.Capabilities = caps('V1_3');
        delete g.values.OrdererAddresses;
      }),
      'initializing channelconfig failed: Must set some OrdererAddresses',
    );
    const v13 = await build((g) => {
      g.values.Capabilities = caps('V1_3');
      delete G(g, 'Orderer', 'OrdererOrg').values.Endpoints;
    });
    assert.equal(v13.capabilities.channel.mspVersion, 'v1_3');
    // no org endpoints: a deliver client dials the global addresses with every org's roots
    const dial = connectableOrdererEndpoints(v13);
    assert.deepEqual(
      dial.map((d) => d.address),
      [...v13.channel.ordererAddresses],
    );
    assert.equal(
      dial[0]?.rootCerts.length,
      v13.ordererEndpoints.orgs.get('OrdererOrg')?.rootCerts.length,
    );
  });

  void test('orderer values', async () => {
    const batch = (max: number, abs: number, pref: number) =>
      value(
        orderer.BatchSize.encode({
          maxMessageCount: max,
          absoluteMaxBytes: abs,
          preferredMaxBytes: pref,
        }).finish(),
      );
    await invalid(
      build((g) => {
        G(g, 'Orderer').values.BatchSize = batch(10, 100, 200);
      }),
      /Attempted to set the batch size preferred max bytes \(200\) greater than the absolute max bytes \(100\)\.$/,
    );
    await invalid(
      build((g) => {
        G(g, 'Orderer').values.BatchSize = batch(0, 100, 20);
      }),
      /batch size max message count to an invalid value: 0$/,
    );
    await invalid(
      build((g) => {
        delete G(g, 'Orderer').values.BatchTimeout;
      }),
      /Attempted to set the batch timeout to a invalid value: time: invalid duration ""$/,
    );
    await invalid(
      build((g) => {
        G(g, 'Orderer').values.KafkaBrokers = value(
          orderer.KafkaBrokers.encode({ brokers: ['host_1:9092'] }).finish(),
        );
      }),
      /Invalid broker entry: host_1:9092$/,
    );
    const kafka = await build((g) => {
      G(g, 'Orderer').values.KafkaBrokers = value(
        orderer.KafkaBrokers.encode({ brokers: ['kafka-0.example.com:9092', ':9093'] }).finish(),
      );
      G(g, 'Orderer').values.ConsensusType = value(
        orderer.ConsensusType.encode({
          type: 'etcdraft',
          metadata: new Uint8Array([0xff]),
        }).finish(),
      );
    });
    assert.deepEqual(
      [...(kafka.orderer?.kafkaBrokers ?? [])],
      ['kafka-0.example.com:9092', ':9093'],
    );
    // metadata the peer cannot read is not an error
    assert.equal(kafka.orderer?.consensus.kind, 'undecodable');
  });

  void test('application: ACLs need a capability; org groups have no sub-groups', async () => {
    await invalid(
      build((g) => {
        G(g, 'Application').values.Capabilities = caps('V1_1');
        G(g, 'Application').values.ACLs = value(
          protos.ACLs.encode({ acls: { 'peer/Propose': { policyRef: 'Readers' } } }).finish(),
        );
      }),
      /ACLs may not be specified without the required capability$/,
    );
    await invalid(
      build((g) => {
        G(g, 'Application', 'Org1MSP').groups.Sub = common.ConfigGroup.create();
      }),
      /could not create channel Application sub-group config: ApplicationOrg config does not allow sub-groups$/,
    );
  });

  void test('MSPs: one config per MSP id; types; empty ids', async () => {
    const twice = await build((g) => {
      G(g, 'Application').groups.Org1Again = cloneGroup(G(g, 'Application', 'Org1MSP'));
    });
    assert.equal(twice.mspManager.msps.size, 3);
    assert.equal(twice.application?.organizations.get('Org1Again')?.mspId, 'Org1MSP');
    // As in Fabric, each org gets the MSP built for it; the manager keeps the first per MSP id.
    assert.notEqual(
      twice.application?.organizations.get('Org1Again')?.msp,
      twice.application?.organizations.get('Org1MSP')?.msp,
    );
    await invalid(
      build((g) => {
        const other = cloneGroup(G(g, 'Application', 'Org2MSP'));
        other.values.MSP = value(msp.MSPConfig.encode(fakeMspConfig('Org1MSP')).finish());
        G(g, 'Application').groups.Impostor = other;
      }),
      /Attempted to define two different versions of MSP: Org1MSP$/,
    );
    await invalid(
      build((g) => {
        G(g, 'Application', 'Org1MSP').values.MSP = value(
          msp.MSPConfig.encode({ type: 5 }).finish(),
        );
      }),
      /Setup error: unsupported msp type 5$/,
    );
    const factory = fakeMspFactory();
    await invalid(
      build(() => {}, {
        mspFactory: (c, ver) => ({ ...(factory(c, ver) as object), mspId: '' }) as never,
      }),
      /MSP for org \S+ has empty MSP ID$/,
    );
    await invalid(
      build((g) => {
        delete G(g, 'Application', 'Org1MSP').values.MSP;
      }),
      /setting up the MSP manager failed: fake MSP factory: MSP config has no name$/,
    );
  });

  void test('policies: unknown types, bad keys', async () => {
    await invalid(
      build((g) => {
        G(g, 'Application').policies.Odd = common.ConfigPolicy.create({ policy: { type: 2 } });
      }),
      'initializing policymanager failed: policy Odd at path Channel/Application has unknown policy type: 2',
    );
    await invalid(
      build((g) => {
        G(g, 'Application').policies.Nil = common.ConfigPolicy.create({});
      }),
      'initializing policymanager failed: policy Nil at path Channel/Application was nil',
    );
    await invalid(
      build((g) => {
        G(g, 'Application').policies['Bad Name'] = cloneGroup(G(g, 'Application')).policies
          .Admins as common.ConfigPolicy;
      }),
      "initializing configtx manager failed: error converting config to map: illegal characters in key: [Policy] : config ID 'Bad Name' contains illegal characters",
    );
    await invalid(
      build(() => {}, {}, 'My_Channel'),
      "initializing configtx manager failed: bad channel ID: 'My_Channel' contains illegal characters",
    );
  });

  void test("level '3': V3_0, BFT, the Orderers value", async () => {
    // A v2.5 peer does not know V3_0: alone, it does not allow org endpoints...
    await invalid(
      build((g) => {
        g.values.Capabilities = caps('V3_0');
      }),
      /Orderer Org OrdererOrg cannot contain endpoints value until V1_4_2\+ capabilities/,
    );
    // ...and with V2_0 the bundle builds but the peer refuses to run the channel.
    const v25 = await build((g) => {
      g.values.Capabilities = caps('V2_0', 'V3_0');
    });
    assert.throws(
      () => v25.assertPeerSupport(),
      /^ChannelConfigError: \[channel mychannel\] incompatible: Channel capability V3_0 is required but not supported$/,
    );
    await invalid(
      build((g) => {
        G(g, 'Orderer').values.Orderers = value(common.Orderers.encode({}).finish());
      }),
      /Unexpected key Orderers$/,
    );

    await invalid(
      build(
        (g) => {
          g.values.Capabilities = caps('V3_0');
        },
        { level: '3' },
      ),
      'initializing channelconfig failed: global OrdererAddresses are not allowed with V3_0 capability, use org specific addresses only',
    );
    const options = orderer.smartbft.Options.encode({
      requestBatchMaxCount: 100,
      leaderRotation: 2,
    }).finish();
    const bft = await build(
      (g) => {
        g.values.Capabilities = caps('V3_0');
        delete g.values.OrdererAddresses;
        G(g, 'Orderer').values.ConsensusType = value(
          orderer.ConsensusType.encode({ type: 'BFT', metadata: options }).finish(),
        );
        G(g, 'Orderer').values.Orderers = value(
          common.Orderers.encode({
            consenterMapping: [{ id: 1, host: 'o1', port: 7050, mspId: 'OrdererMSP' }],
          }).finish(),
        );
      },
      { level: '3' },
    );
    bft.assertPeerSupport();
    assert.equal(bft.capabilities.channel.mspVersion, 'v3_0');
    assert.equal(bft.capabilities.channel.consensusTypeBFT, true);
    assert.equal(bft.orderer?.consensus.kind, 'BFT');
    assert.ok(bft.orderer?.consensus.kind === 'BFT');
    assert.equal(Number(bft.orderer.consensus.options.requestBatchMaxCount), 100);
    assert.equal(bft.orderer.consenterMapping[0]?.host, 'o1');
    await invalid(
      build(
        (g) => {
          g.values.Capabilities = caps('V3_0');
          delete g.values.OrdererAddresses;
          delete G(g, 'Orderer', 'OrdererOrg').values.Endpoints;
        },
        { level: '3' },
      ),
      /some orderer organizations endpoints are empty: \[OrdererOrg\]$/,
    );
  });
});
