// buildGenesisBlock against configtxgen's genesis block of the corpus channel (block-0.pb): the
// same config tree (names, mod policies, versions, policies, capabilities, consensus, batch
// settings, ACLs), the same block structure, and — from the corpus's own MSP folders — the same
// content down to the certificates.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  common,
  decodeBlockDeep,
  nodeAt,
  type BlockTreeNode,
  type etcdraft,
  type msp,
  type orderer,
  type protos,
} from '@fabric-peer/protos';
import {
  buildGenesisBlock,
  buildGenesisBlockFromFile,
  DevtoolsError,
  generateCrypto,
  loadCryptoConfig,
  SAMPLE_ACLS,
  type GenesisSpec,
} from '../src/index.js';
import { corpusDir, sampleConfigDir, tempDir } from '../test-support/paths.js';
import {
  decodeErrors,
  differences,
  nodePaths,
  plain,
  undecodedFields,
} from '../test-support/tree.js';

const ORDERER_TLS = 'ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt';

/** The corpus channel described in the genesis YAML format, MSP folders under `crypto`. */
function corpusChannelYaml(crypto: string): string {
  return `# the corpus channel: two peer orgs and an orderer org
channel: mychannel
orgs:
  - name: OrdererOrg
    mspId: OrdererMSP
    mspDir: ${crypto}/ordererOrganizations/example.com/msp
    orderer: true
    ordererEndpoints: [127.0.0.1:7050]
  - mspId: Org1MSP
    mspDir: ${crypto}/peerOrganizations/org1.example.com/msp
    anchorPeers: [127.0.0.1:7051]
  - mspId: Org2MSP
    mspDir: ${crypto}/peerOrganizations/org2.example.com/msp
    anchorPeers:
      - host: 127.0.0.1
        port: 9051
orderer:
  type: etcdraft
  addresses: [127.0.0.1:7050]
  batchTimeout: 250ms
  batchSize:
    maxMessageCount: 500
    absoluteMaxBytes: 10 MB
    preferredMaxBytes: 2 MB
  consenters:
    - host: 127.0.0.1
      port: 7050
      clientTLSCert: ${crypto}/${ORDERER_TLS}
      serverTLSCert: ${crypto}/${ORDERER_TLS}
capabilities:
  channel: [V2_0]
  orderer: [V2_0]
  application: [V2_0]
# the corpus's configtx.yaml has no ACLs
acls: {}
`;
}

function corpusBlock(): Buffer {
  // The orderer's copy: the peer's adds its TRANSACTIONS_FILTER to the metadata.
  return readFileSync(join(corpusDir(), 'orderer-blocks', 'block-0.pb'));
}

function tree(bytes: Uint8Array): BlockTreeNode<common.Block> {
  return decodeBlockDeep(bytes, { consensusType: 'etcdraft' });
}

const CONFIG_PATH = ['data', 'data', 0, 'payload', 'data', 'config', 'channelGroup'] as const;

function channelGroup(t: BlockTreeNode): BlockTreeNode {
  const node = nodeAt(t, ...CONFIG_PATH);
  assert.ok(node !== undefined, 'no channel group');
  return node;
}

function headers(t: BlockTreeNode): { ch: common.ChannelHeader; sh: common.SignatureHeader } {
  const ch = nodeAt<common.ChannelHeader>(
    t,
    'data',
    'data',
    0,
    'payload',
    'header',
    'channelHeader',
  );
  const sh = nodeAt<common.SignatureHeader>(
    t,
    'data',
    'data',
    0,
    'payload',
    'header',
    'signatureHeader',
  );
  assert.ok(ch?.message !== undefined && sh?.message !== undefined);
  return { ch: ch.message, sh: sh.message };
}

/** A config value of the channel group, decoded, by path of group names and the value key. */
function configValue<T>(t: BlockTreeNode, groups: string[], key: string): T | undefined {
  const steps: (string | number)[] = [...CONFIG_PATH];
  for (const g of groups) steps.push('groups', g);
  steps.push('values', key, 'value');
  return nodeAt<T>(t, ...steps)?.message;
}

/** Without the parts that differ from run to run (time, nonce, txid, hence the data hash). */
function stable(view: unknown): unknown {
  const v = structuredClone(view) as {
    header: Record<string, unknown>;
    data: {
      data: {
        payload: {
          header: {
            channelHeader: Record<string, unknown>;
            signatureHeader: Record<string, unknown>;
          };
        };
      }[];
    };
  };
  delete v.header.dataHash;
  const h = v.data.data[0]?.payload.header;
  assert.ok(h !== undefined);
  delete h.channelHeader.timestamp;
  delete h.channelHeader.txId;
  delete h.signatureHeader.nonce;
  return v;
}

void describe('buildGenesisBlock for the corpus channel', () => {
  let dir = '';
  let dispose: () => Promise<void> = () => Promise.resolve();
  let mine: Uint8Array = new Uint8Array();
  const started = Date.now();

  before(async () => {
    const tmp = await tempDir('genesis');
    dispose = tmp.dispose;
    dir = tmp.dir;
    const spec = await loadCryptoConfig(join(corpusDir(), 'config', 'crypto-config.yaml'));
    await generateCrypto(spec, join(dir, 'crypto'));
    // Relative paths: taken from the YAML file's folder.
    await writeFile(join(dir, 'genesis.yaml'), corpusChannelYaml('crypto'));
    const block = await buildGenesisBlockFromFile(join(dir, 'genesis.yaml'));
    assert.deepEqual(block.warnings, []);
    assert.equal(block.channelId, 'mychannel');
    assert.deepEqual(block.ordererOrgs, ['OrdererMSP']);
    assert.deepEqual(block.applicationOrgs, ['Org1MSP', 'Org2MSP']);
    mine = block.bytes;
  });
  after(() => dispose());

  void it('has the config tree of configtxgen: every group, value and policy, certificates aside', () => {
    const a = plain(channelGroup(tree(mine)), true);
    const b = plain(channelGroup(tree(corpusBlock())), true);
    assert.deepEqual(differences(a, b), []);
    // The comparison saw what matters.
    const text = JSON.stringify(b);
    for (const s of [
      '"Orderer"',
      '"Application"',
      '"Org1MSP"',
      '"OrdererOrg"',
      '"BlockValidation"',
      '"LifecycleEndorsement"',
      '"ConsensusType"',
      '"etcdraft"',
      '"250ms"',
      '"V2_0"',
      '"/Channel/Orderer/Admins"',
      '"ADMIN"',
      '"MAJORITY"',
    ]) {
      assert.ok(text.includes(s), s);
    }
  });

  void it('has the block structure of configtxgen, but for time, nonce and tx id', () => {
    assert.deepEqual(
      differences(stable(plain(tree(mine), true)), stable(plain(tree(corpusBlock()), true))),
      [],
    );
  });

  void it('has block number 0, no previous hash, the data hash of its data and configtxgen metadata', () => {
    const block = common.Block.decode(mine);
    const corpus = common.Block.decode(corpusBlock());
    assert.equal(String(block.header?.number), '0');
    assert.equal(block.header?.previousHash?.length ?? 0, 0);
    const data = block.data?.data ?? [];
    assert.equal(data.length, 1);
    const hash = createHash('sha256');
    for (const d of data) hash.update(d);
    assert.deepEqual(Buffer.from(block.header?.dataHash ?? []), hash.digest());
    // SIGNATURES: Metadata{ value: OrdererBlockMetadata{ last_config{} } }; the other four empty.
    assert.deepEqual(
      block.metadata?.metadata?.map((m) => Buffer.from(m).toString('hex')),
      corpus.metadata?.metadata?.map((m) => Buffer.from(m).toString('hex')),
    );
    assert.deepEqual(
      block.metadata?.metadata?.map((m) => Buffer.from(m).toString('hex')),
      ['0a020a00', '', '', '', ''],
    );
    const env = common.Envelope.decode(data[0] ?? new Uint8Array());
    assert.equal(env.signature.length, 0);
  });

  void it('has a CONFIG channel header with the channel, a fresh timestamp and the tx id of its nonce', () => {
    const { ch, sh } = headers(tree(mine));
    assert.equal(ch.type, common.HeaderType.CONFIG);
    assert.equal(ch.version, 1);
    assert.equal(ch.channelId, 'mychannel');
    assert.equal(String(ch.epoch), '0');
    assert.equal(ch.timestamp?.nanos ?? 0, 0);
    const seconds = Number(ch.timestamp?.seconds);
    assert.ok(
      seconds * 1000 >= started - 1000 && seconds * 1000 <= Date.now(),
      `timestamp ${seconds}`,
    );
    assert.equal(sh.nonce.length, 24);
    assert.equal(sh.creator.length, 0);
    assert.equal(ch.txId, createHash('sha256').update(sh.nonce).digest('hex'));
  });

  void it('decodes with decodeBlockDeep as far as configtxgen’s block does, and no error', () => {
    const a = tree(mine);
    const b = tree(corpusBlock());
    assert.deepEqual(decodeErrors(a), []);
    const missing = [...nodePaths(b)].filter((p) => !nodePaths(a).has(p));
    assert.deepEqual(missing, []);
    const theirs = undecodedFields(b);
    assert.deepEqual(
      [...undecodedFields(a)].filter((f) => !theirs.has(f)),
      [],
    );
    assert.ok(nodePaths(a).size > 100, `${nodePaths(a).size} nodes`);
  });

  void it('puts the MSP folders and the consenter certificates in as files, byte for byte', () => {
    const t = tree(mine);
    const fabric = nodeAt<msp.FabricMSPConfig>(
      t,
      ...CONFIG_PATH,
      'groups',
      'Application',
      'groups',
      'Org1MSP',
      'values',
      'MSP',
      'value',
      'config',
    )?.message;
    assert.ok(fabric !== undefined);
    const msp = join(dir, 'crypto/peerOrganizations/org1.example.com/msp');
    assert.deepEqual(
      Buffer.from(fabric.rootCerts[0] ?? []),
      readFileSync(join(msp, 'cacerts/ca.org1.example.com-cert.pem')),
    );
    assert.deepEqual(
      Buffer.from(fabric.tlsRootCerts[0] ?? []),
      readFileSync(join(msp, 'tlscacerts/tlsca.org1.example.com-cert.pem')),
    );
    assert.deepEqual(
      Buffer.from(fabric.fabricNodeOus?.peerOuIdentifier?.certificate ?? []),
      readFileSync(join(msp, 'cacerts/ca.org1.example.com-cert.pem')),
    );
    const raft = nodeAt<etcdraft.ConfigMetadata>(
      t,
      ...CONFIG_PATH,
      'groups',
      'Orderer',
      'values',
      'ConsensusType',
      'value',
      'metadata',
    )?.message;
    assert.deepEqual(
      Buffer.from(raft?.consenters[0]?.serverTlsCert ?? []),
      readFileSync(join(dir, 'crypto', ORDERER_TLS)),
    );
  });
});

void describe('buildGenesisBlock from the corpus’s own MSP folders, time and nonce', () => {
  void it('gives configtxgen’s block: identical headers, identical content (map order aside)', async () => {
    const corpus = corpusBlock();
    const theirs = headers(tree(corpus));
    const crypto = join(corpusDir(), 'crypto');
    const block = await buildGenesisBlock(parseYaml(corpusChannelYaml(crypto)) as GenesisSpec, {
      timestamp: new Date(Number(theirs.ch.timestamp?.seconds) * 1000),
      nonce: theirs.sh.nonce,
    });
    assert.equal(block.txId, theirs.ch.txId);
    const a = tree(block.bytes);
    const b = tree(corpus);
    // The headers are byte for byte configtxgen's.
    for (const part of ['channelHeader', 'signatureHeader']) {
      const path = ['data', 'data', 0, 'payload', 'header', part] as const;
      assert.deepEqual(nodeAt(a, ...path)?.bytes, nodeAt(b, ...path)?.bytes, part);
    }
    // Everything else is equal as content; Go wrote the maps in random order, we sort them, so the
    // bytes (and the data hash) differ.
    const va = plain(a) as { header: { dataHash?: string } };
    const vb = plain(b) as { header: { dataHash?: string } };
    delete va.header.dataHash;
    delete vb.header.dataHash;
    assert.deepEqual(differences(va, vb), []);
    // Policies hold no maps: their bytes are configtxgen's exactly.
    for (const org of ['Org1MSP', 'Org2MSP']) {
      for (const p of ['Readers', 'Writers', 'Admins', 'Endorsement']) {
        const path = [
          ...CONFIG_PATH,
          'groups',
          'Application',
          'groups',
          org,
          'policies',
          p,
          'policy',
          'value',
        ] as const;
        assert.deepEqual(nodeAt(a, ...path)?.bytes, nodeAt(b, ...path)?.bytes, `${org} ${p}`);
      }
    }
  });
});

void describe('buildGenesisBlock defaults and options', () => {
  let dir = '';
  let dispose: () => Promise<void> = () => Promise.resolve();
  const crypto = (): string => join(corpusDir(), 'crypto');
  const minimal = (): Record<string, unknown> => ({
    channel: 'devchannel',
    orgs: [
      {
        name: 'OrdererOrg',
        mspId: 'OrdererMSP',
        mspDir: `${crypto()}/ordererOrganizations/example.com/msp`,
        orderer: true,
        ordererEndpoints: ['127.0.0.1:7050'],
      },
      { mspId: 'Org1MSP', mspDir: `${crypto()}/peerOrganizations/org1.example.com/msp` },
    ],
    orderer: {
      consenters: [{ host: '127.0.0.1', port: 7050, tlsCert: `${crypto()}/${ORDERER_TLS}` }],
    },
  });

  before(async () => {
    const tmp = await tempDir('genesis-defaults');
    dispose = tmp.dispose;
    dir = tmp.dir;
  });
  after(() => dispose());

  void it('uses the sample configtx.yaml’s ACLs, policies, capabilities and orderer settings', async () => {
    const block = await buildGenesisBlock(minimal() as unknown as GenesisSpec);
    const t = tree(block.bytes);
    const sample = parseYaml(readFileSync(join(sampleConfigDir(), 'configtx.yaml'), 'utf8'), {
      merge: true,
    }) as {
      Application: { ACLs: Record<string, string> };
    };
    const acls = configValue<protos.ACLs>(t, ['Application'], 'ACLs');
    assert.deepEqual(
      Object.fromEntries(Object.entries(acls?.acls ?? {}).map(([k, v]) => [k, v.policyRef])),
      sample.Application.ACLs,
    );
    assert.deepEqual(SAMPLE_ACLS, sample.Application.ACLs);
    const batch = configValue<orderer.BatchSize>(t, ['Orderer'], 'BatchSize');
    assert.deepEqual(
      [batch?.maxMessageCount, batch?.absoluteMaxBytes, batch?.preferredMaxBytes],
      [500, 10 * 1024 * 1024, 2 * 1024 * 1024],
    );
    assert.equal(configValue<orderer.BatchTimeout>(t, ['Orderer'], 'BatchTimeout')?.timeout, '2s');
    assert.equal(configValue(t, [], 'OrdererAddresses'), undefined);
    // Policies and capabilities as in the corpus (which used the sample's).
    const mineView = plain(channelGroup(t), true) as Record<string, Record<string, unknown>>;
    const corpusView = plain(channelGroup(tree(corpusBlock())), true) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(differences(mineView.policies, corpusView.policies), []);
    const groups = (
      v: Record<string, Record<string, unknown>>,
      g: string,
    ): Record<string, Record<string, unknown>> =>
      v.groups?.[g] as Record<string, Record<string, unknown>>;
    for (const g of ['Orderer', 'Application']) {
      assert.deepEqual(
        differences(groups(mineView, g).policies, groups(corpusView, g).policies),
        [],
        g,
      );
      assert.deepEqual(
        groups(mineView, g).values?.Capabilities,
        groups(corpusView, g).values?.Capabilities,
        g,
      );
    }
    assert.deepEqual(
      groups(groups(mineView, 'Application'), 'Org1MSP').policies,
      groups(groups(corpusView, 'Application'), 'Org1MSP').policies,
    );
  });

  void it('applies policy overrides, capabilities, options and anchor peers as written', async () => {
    const spec = minimal() as {
      orgs: Record<string, unknown>[];
      orderer: Record<string, unknown>;
    } & Record<string, unknown>;
    spec.orgs[1] = {
      ...spec.orgs[1],
      anchorPeers: ['peer0.org1:7051', { host: '::1', port: 7052 }],
      policies: {
        Endorsement: "OutOf(1, 'Org1MSP.peer', AND('Org1MSP.admin', 'Org1MSP.client'))",
        Writers: { type: 'Signature', rule: "OR('Org1MSP.member')" },
      },
    };
    spec.policies = {
      application: { Endorsement: 'ALL Endorsement', Extra: "OR('Org1MSP.admin')" },
      channel: { Readers: 'MAJORITY Readers' },
    };
    spec.capabilities = { channel: { V2_0: true, V1_4_3: false }, application: ['V2_5'] };
    spec.acls = { 'peer/Propose': '/Channel/Application/Extra' };
    spec.orderer = {
      ...spec.orderer,
      batchTimeout: '1500ms',
      options: { tickInterval: '250ms', electionTick: 20, snapshotIntervalSize: '1 MB' },
    };
    const t = tree((await buildGenesisBlock(spec as unknown as GenesisSpec)).bytes);
    const group = plain(channelGroup(t)) as {
      policies: Record<string, { policy: { value: unknown } }>;
      values: Record<string, { value: unknown }>;
      groups: Record<
        string,
        {
          policies: Record<string, { policy: { type: number; value: unknown } }>;
          values: Record<string, { value: unknown }>;
          groups: Record<
            string,
            {
              policies: Record<string, { policy: { value: unknown } }>;
              values: Record<string, { value: unknown }>;
            }
          >;
        }
      >;
    };
    assert.deepEqual(group.policies.Readers?.policy.value, {
      rule: 'MAJORITY',
      subPolicy: 'Readers',
    });
    assert.deepEqual(group.values.Capabilities?.value, { capabilities: { V2_0: {} } });
    const app = group.groups.Application;
    assert.ok(app !== undefined);
    assert.deepEqual(app.policies.Endorsement?.policy.value, {
      rule: 'ALL',
      subPolicy: 'Endorsement',
    });
    assert.equal(app.policies.Extra?.policy.type, common.Policy.PolicyType.SIGNATURE);
    assert.deepEqual(app.values.Capabilities?.value, { capabilities: { V2_5: {} } });
    assert.deepEqual(app.values.ACLs?.value, {
      acls: { 'peer/Propose': { policyRef: '/Channel/Application/Extra' } },
    });
    const org1 = app.groups.Org1MSP;
    assert.deepEqual(org1?.values.AnchorPeers?.value, {
      anchorPeers: [
        { host: 'peer0.org1', port: 7051 },
        { host: '::1', port: 7052 },
      ],
    });
    // Fabric's numbering: the nested AND's principals first, then the gate's own.
    const endorsement = org1?.policies.Endorsement?.policy.value as {
      identities: { principal: { mspIdentifier: string; role: string } }[];
      rule: unknown;
    };
    assert.deepEqual(
      endorsement.identities.map((i) => i.principal.role),
      ['ADMIN', 'CLIENT', 'PEER'],
    );
    assert.deepEqual(endorsement.rule, {
      nOutOf: {
        n: 1,
        rules: [{ signedBy: 2 }, { nOutOf: { n: 2, rules: [{ signedBy: 0 }, { signedBy: 1 }] } }],
      },
    });
    const writers = org1?.policies.Writers?.policy.value as {
      identities: { principal: { role: string } }[];
    };
    assert.deepEqual(
      writers.identities.map((i) => i.principal.role),
      ['MEMBER'],
    );
    const ord = group.groups.Orderer;
    assert.deepEqual(ord?.values.BatchTimeout?.value, { timeout: '1.5s' });
    const consensus = ord?.values.ConsensusType?.value as { metadata: { options: unknown } };
    assert.deepEqual(consensus.metadata.options, {
      tickInterval: '250ms',
      electionTick: 20,
      heartbeatTick: 1,
      maxInflightBlocks: 5,
      snapshotIntervalSize: 1024 * 1024,
    });
    assert.equal(ord?.values.Capabilities?.value !== undefined, true);
  });

  void it('puts an organization in both groups when it is both, with each group’s defaults', async () => {
    const spec = {
      channel: 'solo-org',
      orgs: [
        {
          name: 'SampleOrg',
          mspId: 'Org1MSP',
          mspDir: `${crypto()}/peerOrganizations/org1.example.com/msp`,
          orderer: true,
          application: true,
          ordererEndpoints: ['127.0.0.1:7050'],
          anchorPeers: ['127.0.0.1:7051'],
        },
      ],
      orderer: minimal().orderer,
    };
    const block = await buildGenesisBlock(spec as unknown as GenesisSpec);
    assert.deepEqual(block.ordererOrgs, ['Org1MSP']);
    assert.deepEqual(block.applicationOrgs, ['Org1MSP']);
    const group = plain(channelGroup(tree(block.bytes))) as {
      groups: Record<
        string,
        {
          groups: Record<
            string,
            { policies: Record<string, unknown>; values: Record<string, unknown> }
          >;
        }
      >;
    };
    const inOrderer = group.groups.Orderer?.groups.SampleOrg;
    const inApplication = group.groups.Application?.groups.SampleOrg;
    assert.deepEqual(Object.keys(inOrderer?.values ?? {}).sort(), ['Endpoints', 'MSP']);
    assert.deepEqual(Object.keys(inApplication?.values ?? {}).sort(), ['AnchorPeers', 'MSP']);
    assert.deepEqual(Object.keys(inOrderer?.policies ?? {}).sort(), [
      'Admins',
      'Readers',
      'Writers',
    ]);
    assert.deepEqual(Object.keys(inApplication?.policies ?? {}).sort(), [
      'Admins',
      'Endorsement',
      'Readers',
      'Writers',
    ]);
  });

  void it('reports bad input as one line naming the file and the field', async () => {
    const file = join(dir, 'bad.yaml');
    const base = corpusChannelYaml(crypto());
    const cases: [string, string, RegExp][] = [
      [
        base.replace('orderer: true', 'orderer: true\n    colour: red'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: orgs\[0\]\.colour: unknown key \(allowed here: name, mspId, mspDir/,
      ],
      [
        base.replace('org1.example.com/msp', 'org9.example.com/msp'),
        'DEVTOOLS_INPUT_MISSING',
        /bad\.yaml: orgs\[1\]\.mspDir: \/.*org9\.example\.com\/msp: MSP folder not found$/,
      ],
      [
        base.replace('batchTimeout: 250ms', 'batchTimeout: soon'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: orderer\.batchTimeout: expected a Go duration/,
      ],
      [
        base.replace('absoluteMaxBytes: 10 MB', 'absoluteMaxBytes: lots'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: orderer\.batchSize\.absoluteMaxBytes: expected a byte size/,
      ],
      [
        base.replace('type: etcdraft', 'type: solo'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: orderer\.type: unsupported orderer type "solo" \(only etcdraft\)/,
      ],
      [
        base.replace(
          `clientTLSCert: ${crypto()}/${ORDERER_TLS}`,
          `clientTLSCert: ${crypto()}/nope.crt`,
        ),
        'DEVTOOLS_INPUT_MISSING',
        /bad\.yaml: orderer\.consenters\[0\]\.clientTLSCert: cannot read \/.*nope\.crt: no such file or directory/,
      ],
      [
        `${base}policies:\n  orderer:\n    BlockValidation: null\n`,
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: policies\.orderer\.BlockValidation: is required/,
      ],
      [
        `${base}policies:\n  channel:\n    Admins: "OR('Org1MSP.boss')"\n`,
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: policies\.channel\.Admins: invalid Signature policy rule: invalid principal "Org1MSP\.boss"/,
      ],
      [
        `${base}policies:\n  channel:\n    Admins: "SOME Admins"\n`,
        'DEVTOOLS_SPEC_INVALID',
        /policies\.channel\.Admins: invalid Signature policy rule: unknown gate SOME/,
      ],
      [
        base.replace('anchorPeers: [127.0.0.1:7051]', 'anchorPeers: [127.0.0.1]'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: orgs\[1\]\.anchorPeers\[0\]: expected host:port/,
      ],
      [
        base.replace('channel: mychannel', 'channel: MyChannel'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: channel: invalid channel name "MyChannel"/,
      ],
      [
        base.replace('channel: mychannel', 'channel: [mychannel'),
        'DEVTOOLS_SPEC_INVALID',
        /bad\.yaml: not valid YAML at line \d+, column \d+/,
      ],
    ];
    for (const [text, code, expected] of cases) {
      await writeFile(file, text);
      await assert.rejects(
        buildGenesisBlockFromFile(file),
        (err: unknown) => {
          assert.ok(err instanceof DevtoolsError, String(err));
          assert.equal(err.code, code, err.message);
          assert.doesNotMatch(err.message, /\n/);
          assert.match(err.message, expected);
          return true;
        },
        expected.source,
      );
    }
  });
});
