/**
 * A test network for the orderer: crypto made by devtools' cryptogen (an orderer org, Org1 in the
 * channel, Org2 outside it), channel genesis blocks made by devtools, and the signing identities
 * of everyone the tests play, loaded by the real X.509 MSP. For tests only.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGenesisBlock, generateCrypto } from '@fabric-peer/devtools';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';

/** The channel's batching, as the genesis YAML takes it. */
export interface BatchOptions {
  readonly batchTimeout?: string;
  readonly maxMessageCount?: number;
  readonly absoluteMaxBytes?: number;
  readonly preferredMaxBytes?: number;
}

/** TLS files of one node or user, as cryptogen writes them. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The TLS CA of its organisation. */
  readonly ca: Buffer;
}

export interface OrdererTestNetwork {
  /** The temporary folder everything lives in. */
  readonly dir: string;
  /** The orderer node's MSP folder (orderer.example.com, OrdererMSP). */
  readonly ordererMspDir: string;
  readonly ordererMspId: 'OrdererMSP';
  /** The orderer's TLS server certificate (SANs localhost, 127.0.0.1) and key. */
  readonly ordererTls: TlsFiles;
  /** User1@org1.example.com's TLS client certificate. */
  readonly userTls: TlsFiles;
  readonly identities: {
    /** orderer.example.com (OrdererMSP, orderer OU). */
    readonly orderer: X509SigningIdentity;
    /** Admin@example.com (OrdererMSP admin). */
    readonly ordererAdmin: X509SigningIdentity;
    /** Admin@org1.example.com. */
    readonly admin: X509SigningIdentity;
    /** User1@org1.example.com (client: a Writer and Reader of the channel). */
    readonly user: X509SigningIdentity;
    /** peer0.org1.example.com (peer: a Reader, not a Writer). */
    readonly peer: X509SigningIdentity;
    /** User1@org2.example.com: Org2 is not a member of the channels. */
    readonly outsider: X509SigningIdentity;
  };
  /** A genesis block for `channelId` with Org1 and the orderer org. */
  genesis(channelId: string, batch?: BatchOptions): Promise<Uint8Array>;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

function identity(mspDir: string, mspId: string): X509SigningIdentity {
  const config = loadMspFolder(mspDir, mspId, { signing: true });
  return createMsp(config, { version: 'v1_4_3' }).defaultSigningIdentity();
}

/** Makes the crypto of the test network in a new temporary folder. */
export async function makeOrdererNetwork(): Promise<OrdererTestNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'orderer-solo-'));
  const crypto = join(dir, 'crypto');
  await generateCrypto(
    {
      OrdererOrgs: [
        {
          Name: 'Orderer',
          Domain: 'example.com',
          EnableNodeOUs: true,
          Specs: [{ Hostname: 'orderer', SANS: ['localhost', '127.0.0.1'] }],
        },
      ],
      PeerOrgs: ['org1', 'org2'].map((org) => ({
        Name: org.replace('org', 'Org'),
        Domain: `${org}.example.com`,
        EnableNodeOUs: true,
        Template: { Count: 1 },
        Users: { Count: 1 },
      })),
    },
    crypto,
  );
  const ordererOrg = join(crypto, 'ordererOrganizations', 'example.com');
  const org1 = join(crypto, 'peerOrganizations', 'org1.example.com');
  const org2 = join(crypto, 'peerOrganizations', 'org2.example.com');
  const ordererNode = join(ordererOrg, 'orderers', 'orderer.example.com');
  const user1 = join(org1, 'users', 'User1@org1.example.com');

  return {
    dir,
    ordererMspDir: join(ordererNode, 'msp'),
    ordererMspId: 'OrdererMSP',
    ordererTls: {
      cert: await readFile(join(ordererNode, 'tls', 'server.crt')),
      key: await readFile(join(ordererNode, 'tls', 'server.key')),
      ca: await readFile(join(ordererNode, 'tls', 'ca.crt')),
    },
    userTls: {
      cert: await readFile(join(user1, 'tls', 'client.crt')),
      key: await readFile(join(user1, 'tls', 'client.key')),
      ca: await readFile(join(user1, 'tls', 'ca.crt')),
    },
    identities: {
      orderer: identity(join(ordererNode, 'msp'), 'OrdererMSP'),
      ordererAdmin: identity(join(ordererOrg, 'users', 'Admin@example.com', 'msp'), 'OrdererMSP'),
      admin: identity(join(org1, 'users', 'Admin@org1.example.com', 'msp'), 'Org1MSP'),
      user: identity(join(user1, 'msp'), 'Org1MSP'),
      peer: identity(join(org1, 'peers', 'peer0.org1.example.com', 'msp'), 'Org1MSP'),
      outsider: identity(join(org2, 'users', 'User1@org2.example.com', 'msp'), 'Org2MSP'),
    },
    async genesis(channelId, batch = {}) {
      const block = await buildGenesisBlock({
        channel: channelId,
        orgs: [
          {
            name: 'OrdererOrg',
            mspId: 'OrdererMSP',
            mspDir: join(ordererOrg, 'msp'),
            orderer: true,
            ordererEndpoints: ['127.0.0.1:7050'],
          },
          { mspId: 'Org1MSP', mspDir: join(org1, 'msp') },
        ],
        orderer: {
          batchTimeout: batch.batchTimeout ?? '2s',
          batchSize: {
            maxMessageCount: batch.maxMessageCount ?? 10,
            absoluteMaxBytes: batch.absoluteMaxBytes ?? 1024 * 1024,
            preferredMaxBytes: batch.preferredMaxBytes ?? 512 * 1024,
          },
          consenters: [
            { host: '127.0.0.1', port: 7050, tlsCert: join(ordererNode, 'tls', 'server.crt') },
          ],
        },
      });
      return block.bytes;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
