/**
 * A two-organization channel for the `_lifecycle` tests: crypto by devtools' cryptogen, a genesis
 * block with Org1MSP and Org2MSP (NodeOUs, the sample configtx.yaml's policies, so Endorsement and
 * LifecycleEndorsement are MAJORITY), a real ledger (in-memory state database, `_lifecycle`'s
 * collections checked by the ledger) joined to it, and for each org its signing identities and an
 * ACL provider whose local MSP is that org's (as on that org's peer).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identity } from '@fabric-peer/api';
import { ChannelManager } from '@fabric-peer/channel';
import {
  buildGenesisBlock,
  generateCrypto,
  type CapabilityList,
  type GenesisSpec,
} from '@fabric-peer/devtools';
import { openLedgerManager, type LedgerManager } from '@fabric-peer/ledger';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';
import { createAclProvider, type AclProvider } from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import { LifecycleCollections } from '../src/index.js';

export const ORGS = ['Org1MSP', 'Org2MSP'] as const;
export type OrgMsp = (typeof ORGS)[number];

/** One org: its users, and the ACL provider of its peer. */
export interface TestOrg {
  readonly mspId: OrgMsp;
  readonly admin: X509SigningIdentity;
  readonly user: X509SigningIdentity;
  readonly acl: AclProvider;
}

export interface LifecycleNetwork {
  readonly dir: string;
  readonly channelId: string;
  readonly ledgers: LedgerManager;
  readonly channels: ChannelManager;
  readonly orgs: Readonly<Record<OrgMsp, TestOrg>>;
  close(): Promise<void>;
}

export interface LifecycleNetworkOptions {
  /** Default `['V2_0']`. */
  readonly applicationCapabilities?: CapabilityList;
  /** Application policy overrides (null removes one). */
  readonly applicationPolicies?: NonNullable<GenesisSpec['policies']>['application'];
}

function identity(mspDir: string, mspId: string): X509SigningIdentity {
  return createMsp(loadMspFolder(mspDir, mspId, { signing: true }), {
    version: 'v1_4_3',
  }).defaultSigningIdentity();
}

export async function openLifecycleNetwork(
  options: LifecycleNetworkOptions = {},
): Promise<LifecycleNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'scc-lifecycle-net-'));
  const channelId = 'mychannel';
  const orgDir = (n: number): string =>
    join(dir, 'crypto', 'peerOrganizations', `org${n}.example.com`);
  await generateCrypto(
    {
      OrdererOrgs: [{ Name: 'Orderer', Domain: 'example.com', Specs: [{ Hostname: 'orderer' }] }],
      PeerOrgs: [1, 2].map((n) => ({
        Name: `Org${n}`,
        Domain: `org${n}.example.com`,
        EnableNodeOUs: true,
        Template: { Count: 1 },
        Users: { Count: 1 },
      })),
    },
    join(dir, 'crypto'),
  );
  const genesis = await buildGenesisBlock(
    {
      channel: channelId,
      orgs: [
        {
          name: 'OrdererOrg',
          mspId: 'OrdererMSP',
          mspDir: join(dir, 'crypto', 'ordererOrganizations', 'example.com', 'msp'),
          orderer: true,
          ordererEndpoints: ['127.0.0.1:7050'],
        },
        { name: 'Org1MSP', mspId: 'Org1MSP', mspDir: join(orgDir(1), 'msp') },
        { name: 'Org2MSP', mspId: 'Org2MSP', mspDir: join(orgDir(2), 'msp') },
      ],
      orderer: {
        consenters: [
          {
            host: '127.0.0.1',
            port: 7050,
            tlsCert: join(
              dir,
              'crypto',
              'ordererOrganizations',
              'example.com',
              'orderers',
              'orderer.example.com',
              'tls',
              'server.crt',
            ),
          },
        ],
      },
      capabilities: { application: options.applicationCapabilities ?? ['V2_0'] },
      ...(options.applicationPolicies !== undefined
        ? { policies: { application: options.applicationPolicies } }
        : {}),
    },
    { baseDir: dir },
  );

  // The ledger asks for collections once channels exist: the registry is filled in below.
  const registry: { channels?: ChannelManager } = {};
  const provider = memoryStateDatabaseProvider();
  const ledgers = await openLedgerManager({
    fileSystemPath: join(dir, 'production'),
    stateDatabaseProvider: provider,
    collections: new LifecycleCollections({
      bundles: (id) => registry.channels?.get(id)?.bundle(),
      localMspId: 'Org1MSP',
    }),
  });
  const joined = new ChannelManager({ ledgers });
  registry.channels = joined;
  await joined.restore();
  await joined.join(common.Block.decode(genesis.bytes));

  const org = (n: 1 | 2): TestOrg => {
    const mspId: OrgMsp = n === 1 ? 'Org1MSP' : 'Org2MSP';
    const domain = `org${n}.example.com`;
    const local = createMsp(
      loadMspFolder(join(orgDir(n), 'peers', `peer0.${domain}`, 'msp'), mspId, { signing: true }),
      { version: 'v1_4_3' },
    );
    return {
      mspId,
      admin: identity(join(orgDir(n), 'users', `Admin@${domain}`, 'msp'), mspId),
      user: identity(join(orgDir(n), 'users', `User1@${domain}`, 'msp'), mspId),
      acl: createAclProvider({
        bundles: (id) => joined.get(id)?.bundle(),
        localMsp: {
          mspId,
          deserializeIdentity: (b: Uint8Array): Identity => local.deserializeIdentity(b),
        },
      }),
    };
  };

  return {
    dir,
    channelId,
    ledgers,
    channels: joined,
    orgs: { Org1MSP: org(1), Org2MSP: org(2) },
    async close() {
      joined.close();
      await ledgers.close();
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
