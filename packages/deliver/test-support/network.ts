/**
 * A test network with real orderer endpoints: crypto made by devtools' cryptogen (orderer TLS
 * certificates valid for 127.0.0.1), a genesis block whose orderer org lists the given addresses
 * (as per-org `Endpoints`, or as the global `OrdererAddresses`), the TLS material to run fake
 * orderers with, and the peer's identities. It has the shape of `@fabric-peer/channel`'s
 * TestNetwork, so `openTestChannels` opens and joins it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGenesisBlock, generateCrypto } from '@fabric-peer/devtools';
import type { TestNetwork } from '@fabric-peer/channel/test-support';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';

export interface OrdererNetworkOptions {
  /** The orderers' addresses (`127.0.0.1:<port>`); one cryptogen orderer node each. */
  readonly addresses: readonly string[];
  /** List them in the channel's global OrdererAddresses instead of the org's Endpoints. */
  readonly globalAddresses?: boolean;
  readonly channelId?: string;
  /** Application ACLs; default the sample configtx.yaml's. */
  readonly acls?: Readonly<Record<string, string>>;
}

/** TLS material of one orderer node. */
export interface OrdererTlsFiles {
  readonly address: string;
  /** PEM server certificate and key. */
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface OrdererNetwork extends TestNetwork {
  readonly orderers: readonly OrdererTlsFiles[];
  /** PEM root of the orderer org's TLS CA (what the channel config holds). */
  readonly ordererTlsCa: Buffer;
  /** The peer's TLS pair (its client certificate towards orderers) and its org's TLS CA. */
  readonly peerTls: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer };
}

const ORG_MSP_ID = 'Org1MSP';

function signingIdentity(mspDir: string): X509SigningIdentity {
  const config = loadMspFolder(mspDir, ORG_MSP_ID, { signing: true });
  return createMsp(config, { version: 'v1_4_3' }).defaultSigningIdentity();
}

/** Makes crypto, a genesis block naming `addresses` and the TLS files, in a temporary folder. */
export async function makeOrdererNetwork(options: OrdererNetworkOptions): Promise<OrdererNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'fabric-peer-deliver-'));
  const channelId = options.channelId ?? 'mychannel';
  const names = options.addresses.map((_, i) => `orderer${i}`);
  await generateCrypto(
    {
      OrdererOrgs: [
        {
          Name: 'Orderer',
          Domain: 'example.com',
          Specs: names.map((Hostname) => ({ Hostname, SANS: ['127.0.0.1'] })),
        },
      ],
      PeerOrgs: [
        {
          Name: 'Org1',
          Domain: 'org1.example.com',
          EnableNodeOUs: true,
          Template: { Count: 1, SANS: ['127.0.0.1'] },
          Users: { Count: 1 },
        },
      ],
    },
    join(dir, 'crypto'),
  );
  const ordererOrgDir = join(dir, 'crypto', 'ordererOrganizations', 'example.com');
  const orgDir = join(dir, 'crypto', 'peerOrganizations', 'org1.example.com');
  const nodeTls = (name: string): string =>
    join(ordererOrgDir, 'orderers', `${name}.example.com`, 'tls');
  const genesis = await buildGenesisBlock(
    {
      channel: channelId,
      orgs: [
        {
          name: 'OrdererOrg',
          mspId: 'OrdererMSP',
          mspDir: join(ordererOrgDir, 'msp'),
          orderer: true,
          ordererEndpoints: options.globalAddresses === true ? [] : [...options.addresses],
        },
        { name: 'Org1MSP', mspId: ORG_MSP_ID, mspDir: join(orgDir, 'msp') },
      ],
      orderer: {
        ...(options.globalAddresses === true ? { addresses: [...options.addresses] } : {}),
        consenters: options.addresses.map((address, i) => {
          const [host, port] = address.split(':');
          return {
            host: host ?? '127.0.0.1',
            port: Number(port),
            tlsCert: join(nodeTls(names[i]!), 'server.crt'),
          };
        }),
      },
      ...(options.acls !== undefined ? { acls: options.acls } : {}),
    },
    { baseDir: dir },
  );
  await writeFile(join(dir, 'genesis.block'), genesis.bytes);
  const orderers: OrdererTlsFiles[] = [];
  for (const [i, address] of options.addresses.entries()) {
    orderers.push({
      address,
      cert: await readFile(join(nodeTls(names[i]!), 'server.crt')),
      key: await readFile(join(nodeTls(names[i]!), 'server.key')),
    });
  }
  const peerDir = join(orgDir, 'peers', 'peer0.org1.example.com');
  const peerMspDir = join(peerDir, 'msp');
  return {
    dir,
    channelId,
    genesis: genesis.bytes,
    peerMspDir,
    identities: {
      peer: signingIdentity(peerMspDir),
      admin: signingIdentity(join(orgDir, 'users', 'Admin@org1.example.com', 'msp')),
      user: signingIdentity(join(orgDir, 'users', 'User1@org1.example.com', 'msp')),
    },
    orderers,
    ordererTlsCa: await readFile(join(ordererOrgDir, 'tlsca', 'tlsca.example.com-cert.pem')),
    peerTls: {
      cert: await readFile(join(peerDir, 'tls', 'server.crt')),
      key: await readFile(join(peerDir, 'tls', 'server.key')),
      ca: await readFile(join(peerDir, 'tls', 'ca.crt')),
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
