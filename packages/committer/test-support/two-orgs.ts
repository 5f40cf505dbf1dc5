/**
 * A two-organization channel like Fabric's test network (Org1MSP and Org2MSP, one peer, an admin and
 * a user each, one orderer org; Endorsement and LifecycleEndorsement = MAJORITY of the orgs'
 * Endorsement policies, so a transaction needs both peers), on a ledger manager over the state
 * database given, with a committer: what the benchmark and the multi-org tests use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, StateDatabaseProvider } from '@fabric-peer/api';
import { ChannelManager, type Channel } from '@fabric-peer/channel';
import { buildGenesisBlock, generateCrypto } from '@fabric-peer/devtools';
import { DefaultValidation } from '@fabric-peer/handlers-default';
import { openLedgerManager, type BlockToLiveSource, type LedgerManager } from '@fabric-peer/ledger';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';
import type { ChannelMspFactory } from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';

import { Committer, type CommitterOptions } from '../src/index.js';
import { BlockMaker } from './chain.js';
import { LifecycleStateInfo } from './lifecycle.js';

export interface TwoOrgNetwork {
  readonly dir: string;
  readonly channelId: string;
  readonly ledgers: LedgerManager;
  readonly channels: ChannelManager;
  readonly channel: Channel;
  readonly committer: Committer;
  readonly blocks: BlockMaker;
  readonly orderer: X509SigningIdentity;
  readonly peer1: X509SigningIdentity;
  readonly peer2: X509SigningIdentity;
  readonly user1: X509SigningIdentity;
  readonly admin1: X509SigningIdentity;
  close(): Promise<void>;
}

function signer(dir: string, mspId: string): X509SigningIdentity {
  return createMsp(loadMspFolder(dir, mspId, { signing: true }), {
    version: 'v1_4_3',
  }).defaultSigningIdentity();
}

/** Builds the network in a temporary folder; `provider` makes the state database. */
export async function openTwoOrgNetwork(options: {
  readonly provider: (dir: string) => StateDatabaseProvider;
  /** How the channel's MSPs are built; default the peer's (policies' x509MspFactory). */
  readonly mspFactory?: ChannelMspFactory;
  readonly committer?: Partial<CommitterOptions>;
  /** Collections' block-to-live for the ledgers (the peer gives `_lifecycle`'s); default none. */
  readonly blockToLive?: BlockToLiveSource;
  readonly logger?: Logger;
}): Promise<TwoOrgNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'committer-2orgs-'));
  const crypto = join(dir, 'crypto');
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
    crypto,
  );
  const org = (n: number) => join(crypto, 'peerOrganizations', `org${n}.example.com`);
  const ordererDir = join(crypto, 'ordererOrganizations', 'example.com');
  const genesis = await buildGenesisBlock(
    {
      channel: 'mychannel',
      orgs: [
        {
          name: 'OrdererOrg',
          mspId: 'OrdererMSP',
          mspDir: join(ordererDir, 'msp'),
          orderer: true,
          ordererEndpoints: ['127.0.0.1:7050'],
        },
        { name: 'Org1MSP', mspId: 'Org1MSP', mspDir: join(org(1), 'msp') },
        { name: 'Org2MSP', mspId: 'Org2MSP', mspDir: join(org(2), 'msp') },
      ],
      orderer: {
        consenters: [
          {
            host: '127.0.0.1',
            port: 7050,
            tlsCert: join(ordererDir, 'orderers', 'orderer.example.com', 'tls', 'server.crt'),
          },
        ],
      },
    },
    { baseDir: dir },
  );
  const provider = options.provider(dir);
  const ledgers = await openLedgerManager({
    fileSystemPath: join(dir, 'production'),
    stateDatabaseProvider: provider,
    ...(options.blockToLive !== undefined ? { blockToLive: options.blockToLive } : {}),
  });
  const channels = new ChannelManager({
    ledgers,
    ...(options.mspFactory !== undefined
      ? { bundleOptions: { mspFactory: options.mspFactory } }
      : {}),
  });
  const genesisBlock = common.Block.decode(genesis.bytes);
  const channel = await channels.join(genesisBlock);
  const committer: Committer = new Committer({
    channel,
    validationInfo: new LifecycleStateInfo(() => committer.bundle()),
    validationPlugin: (name) => (name === 'vscc' ? new DefaultValidation() : undefined),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...options.committer,
  });
  const orderer = signer(join(ordererDir, 'orderers', 'orderer.example.com', 'msp'), 'OrdererMSP');
  return {
    dir,
    channelId: 'mychannel',
    ledgers,
    channels,
    channel,
    committer,
    blocks: new BlockMaker(orderer, genesisBlock),
    orderer,
    peer1: signer(join(org(1), 'peers', 'peer0.org1.example.com', 'msp'), 'Org1MSP'),
    peer2: signer(join(org(2), 'peers', 'peer0.org2.example.com', 'msp'), 'Org2MSP'),
    user1: signer(join(org(1), 'users', 'User1@org1.example.com', 'msp'), 'Org1MSP'),
    admin1: signer(join(org(1), 'users', 'Admin@org1.example.com', 'msp'), 'Org1MSP'),
    async close() {
      committer.close();
      channels.close();
      await ledgers.close();
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
