/**
 * A one-organization test network on disk, for the tests of the packages above the ledger
 * (channel, chaincode, endorser, scc, node): crypto made by devtools' cryptogen, a channel genesis
 * block made by devtools' configtxgen equivalent, the peer's and users' signing identities loaded
 * by the real X.509 MSP, a ledger manager over an in-memory state database (or the one given), a
 * channel manager that joined the channel, and signed proposals built layer by layer as a client
 * builds them (txid = SHA-256(nonce ‖ creator)).
 *
 * Exported as `@fabric-peer/channel/test-support`; for tests only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateDatabaseProvider } from '@fabric-peer/api';
import { buildGenesisBlock, generateCrypto, type CapabilityList } from '@fabric-peer/devtools';
import { openLedgerManager, type LedgerManager } from '@fabric-peer/ledger';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';
import { common, computeTxId, protos, timestampFromMillis } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import { ChannelManager } from '../src/manager.js';

export interface TestNetworkOptions {
  /** Channel name; default `mychannel`. */
  readonly channelId?: string;
  /**
   * Application capabilities; default `['V2_0']`. Use `['V1_4_2']` for a channel where the legacy
   * lifecycle (lscc deploy) is allowed.
   */
  readonly applicationCapabilities?: CapabilityList;
  /** Application ACLs; default the sample configtx.yaml's. */
  readonly acls?: Readonly<Record<string, string>>;
}

/** The identities of the organization `Org1MSP` (domain org1.example.com). */
export interface TestIdentities {
  /** peer0.org1.example.com: the peer's own signing identity (its local MSP). */
  readonly peer: X509SigningIdentity;
  /** Admin@org1.example.com (NodeOU admin). */
  readonly admin: X509SigningIdentity;
  /** User1@org1.example.com (NodeOU client). */
  readonly user: X509SigningIdentity;
}

export interface TestNetwork {
  /** The temporary folder everything lives in. */
  readonly dir: string;
  readonly channelId: string;
  /** The genesis block's bytes. */
  readonly genesis: Uint8Array;
  /** `<dir>/crypto/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp`. */
  readonly peerMspDir: string;
  readonly identities: TestIdentities;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

export const ORG_MSP_ID = 'Org1MSP';
const ORG_DIR = ['crypto', 'peerOrganizations', 'org1.example.com'];

function signingIdentity(mspDir: string): X509SigningIdentity {
  const config = loadMspFolder(mspDir, ORG_MSP_ID, { signing: true });
  return createMsp(config, { version: 'v1_4_3' }).defaultSigningIdentity();
}

/** Makes crypto, a genesis block and identities in a new temporary folder. */
export async function makeTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'fabric-peer-net-'));
  const channelId = options.channelId ?? 'mychannel';
  await generateCrypto(
    {
      OrdererOrgs: [{ Name: 'Orderer', Domain: 'example.com', Specs: [{ Hostname: 'orderer' }] }],
      PeerOrgs: [
        {
          Name: 'Org1',
          Domain: 'org1.example.com',
          EnableNodeOUs: true,
          Template: { Count: 1 },
          Users: { Count: 1 },
        },
      ],
    },
    join(dir, 'crypto'),
  );
  const orgDir = join(dir, ...ORG_DIR);
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
        { name: 'Org1MSP', mspId: ORG_MSP_ID, mspDir: join(orgDir, 'msp') },
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
      ...(options.acls !== undefined ? { acls: options.acls } : {}),
    },
    { baseDir: dir },
  );
  await writeFile(join(dir, 'genesis.block'), genesis.bytes);
  const peerMspDir = join(orgDir, 'peers', 'peer0.org1.example.com', 'msp');
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
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface TestChannels {
  readonly ledgers: LedgerManager;
  readonly channels: ChannelManager;
  close(): Promise<void>;
}

/**
 * Opens a ledger manager under `<network.dir>/production` and a channel manager over it, and joins
 * the network's channel unless `join` is false.
 */
export async function openTestChannels(
  network: TestNetwork,
  options: { provider?: StateDatabaseProvider; join?: boolean } = {},
): Promise<TestChannels> {
  const provider = options.provider ?? memoryStateDatabaseProvider();
  const ledgers = await openLedgerManager({
    fileSystemPath: join(network.dir, 'production'),
    stateDatabaseProvider: provider,
  });
  const channels = new ChannelManager({ ledgers });
  await channels.restore();
  if (options.join !== false && channels.get(network.channelId) === undefined) {
    await channels.join(common.Block.decode(network.genesis));
  }
  return {
    ledgers,
    channels,
    async close() {
      channels.close();
      await ledgers.close();
      await provider.close();
    },
  };
}

export interface ProposalSpec {
  /** Who signs; its serialized identity is the creator. */
  readonly signer: { serialize(): Uint8Array; sign(message: Uint8Array): Promise<Uint8Array> };
  /** '' for a channel-less proposal. */
  readonly channelId: string;
  readonly chaincode: string;
  /** Function name and arguments, as strings or bytes. */
  readonly args: readonly (string | Uint8Array)[];
  readonly transient?: Readonly<Record<string, Uint8Array>>;
  readonly isInit?: boolean;
  /** Header type; default ENDORSER_TRANSACTION. */
  readonly type?: number;
  /** Overrides the computed txid (to test the check). */
  readonly txId?: string;
  readonly nonce?: Uint8Array;
  readonly timestampMs?: number;
}

/** A signed proposal and what a test needs to check the response. */
export interface BuiltProposal {
  readonly signed: protos.SignedProposal;
  readonly proposal: protos.Proposal;
  readonly txId: string;
  readonly creator: Uint8Array;
}

const enc = new TextEncoder();

/** Builds and signs a chaincode proposal the way the Node SDK does. */
export async function buildProposal(spec: ProposalSpec): Promise<BuiltProposal> {
  const creator = spec.signer.serialize();
  const nonce = spec.nonce ?? randomBytes(24);
  const txId = spec.txId ?? computeTxId(nonce, creator);
  const chaincodeId = { name: spec.chaincode };
  const channelHeader = common.ChannelHeader.encode({
    type: spec.type ?? common.HeaderType.ENDORSER_TRANSACTION,
    version: 0,
    channelId: spec.channelId,
    txId,
    epoch: 0,
    timestamp: timestampFromMillis(spec.timestampMs ?? Date.now()),
    extension: protos.ChaincodeHeaderExtension.encode({ chaincodeId }).finish(),
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({ creator, nonce }).finish();
  const header = common.Header.encode({ channelHeader, signatureHeader }).finish();
  const invocation = protos.ChaincodeInvocationSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type.NODE,
      chaincodeId,
      input: {
        args: spec.args.map((a) => (typeof a === 'string' ? enc.encode(a) : a)),
        isInit: spec.isInit ?? false,
      },
    },
  }).finish();
  const payload = protos.ChaincodeProposalPayload.encode({
    input: invocation,
    ...(spec.transient !== undefined ? { TransientMap: { ...spec.transient } } : {}),
  }).finish();
  const proposalBytes = protos.Proposal.encode({ header, payload }).finish();
  const signature = await spec.signer.sign(proposalBytes);
  const wire = protos.SignedProposal.encode({ proposalBytes, signature }).finish();
  return {
    signed: protos.SignedProposal.decode(wire),
    proposal: protos.Proposal.decode(proposalBytes),
    txId,
    creator,
  };
}
