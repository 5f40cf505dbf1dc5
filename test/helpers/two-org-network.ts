/**
 * A Fabric network on 127.0.0.1 made from nothing but this repository: crypto for two peer
 * organizations and an orderer organization (devtools' cryptogen), a channel genesis block whose
 * anchor peers and orderer endpoint are the ports chosen here, the development ordering service
 * (orderer-solo) that joined the channel, and one peer per organization, each a whole PeerNode in
 * this process started from its own core.yaml. The peers join the channel through cscc and pull
 * their blocks from the orderer; nothing is committed behind their back.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parseDocument } from 'yaml';
import { createChaincodePackage } from '@fabric-peer/chaincode-packages';
import { buildProposal } from '@fabric-peer/channel/test-support';
import { loadConfig } from '@fabric-peer/config';
import { buildGenesisBlock, generateCrypto } from '@fabric-peer/devtools';
import { LoggingSystem } from '@fabric-peer/logging';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';
import { ChannelsService, PeerNode } from '@fabric-peer/node';
import { SoloOrderer } from '@fabric-peer/orderer-solo';
import {
  AtomicBroadcastService,
  common,
  EndorserService,
  lifecycle,
  protos as protoClasses,
  type orderer as ordererProtos,
  type protos,
} from '@fabric-peer/protos';
import { freePort, silentLoggers } from '@fabric-peer/testkit';
import { sampleConfig } from './paths.js';
import { PeerHarness } from './peer-harness.js';
import { PeerProcess } from './peer-process.js';

export const CHANNEL = 'mychannel';

export interface NetworkPeer {
  readonly mspId: string;
  /** PEM of the organization's TLS CA (what a client trusts), when the network uses TLS. */
  readonly tlsRootCert?: Buffer;
  readonly domain: string;
  readonly address: string;
  /** The PeerNode, for a peer running in this process; undefined for a peer process. */
  readonly node: PeerNode | undefined;
  /** The `fabric-peer start` process, for a peer running as one (see `processPeers`). */
  readonly process: PeerProcess | undefined;
  /** SIGKILLs the peer process and waits for it to be gone. */
  kill(): Promise<void>;
  /**
   * Stops the peer process (SIGTERM) and starts it again on the same configuration and ledger,
   * running `whileStopped` in between (an offline tool, say).
   */
  restart(whileStopped?: () => Promise<void>): Promise<void>;
  /** The core.yaml of a peer running as a process. */
  readonly configFile: string | undefined;
  readonly admin: X509SigningIdentity;
  readonly user: X509SigningIdentity;
  /** The user's MSP folder (signcerts + keystore), for client libraries. */
  readonly userMspDir: string;
  /** Sends a signed proposal to this peer's Endorser service. */
  processProposal(signed: protos.ISignedProposal): Promise<protos.ProposalResponse>;
  /** The ledger height of an in-process peer. */
  height(): number;
  /** The ledger height as qscc GetChainInfo reports it (any peer). */
  chainHeight(): Promise<number>;
  /** A committed block, through qscc GetBlockByNumber (any peer). */
  block(n: number): Promise<common.Block>;
}

export interface TwoOrgNetwork {
  readonly dir: string;
  readonly tls: boolean;
  readonly ordererAddress: string;
  /** The development orderer (a new object after {@link restartOrderer}). */
  readonly orderer: SoloOrderer;
  /** Stops the orderer and starts it again on the same chain and port. */
  stopOrderer(): Promise<void>;
  startOrderer(): Promise<void>;
  readonly peers: readonly [NetworkPeer, NetworkPeer];
  readonly genesis: Uint8Array;
  /** Broadcasts a signed transaction envelope to the orderer; resolves with its status. */
  broadcast(envelope: { payload: Uint8Array; signature: Uint8Array }): Promise<number>;
  /** Resolves once every peer has committed up to `height`. */
  waitForHeight(height: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function identity(mspDir: string, mspId: string): X509SigningIdentity {
  return createMsp(loadMspFolder(mspDir, mspId, { signing: true }), {
    version: 'v1_4_3',
  }).defaultSigningIdentity();
}

export async function startTwoOrgNetwork(
  options: {
    readonly vmProviders?: readonly string[];
    readonly logSpec?: string;
    /** TLS on every listener and connection (peers, orderer, chaincode); default true. */
    readonly tls?: boolean;
    /** Peers (1, 2) that run as `fabric-peer start` processes instead of in this process. */
    readonly processPeers?: readonly number[];
    /** More core.yaml keys for both peers (dotted path → value). */
    readonly set?: Readonly<Record<string, unknown>>;
    /** The channel's Orderer BatchTimeout (a Go duration, e.g. '250ms'); default 2s. */
    readonly batchTimeout?: string;
    /** The channel's Orderer BatchSize.MaxMessageCount; default 500. */
    readonly maxMessageCount?: number;
    /** The channel's application capabilities (e.g. `['V2_5']`); default V2_0. */
    readonly applicationCapabilities?: readonly string[];
  } = {},
): Promise<TwoOrgNetwork> {
  const tls = options.tls ?? true;
  // Certificates valid for the addresses the network uses.
  const sans = ['localhost', '127.0.0.1'];
  const dir = await mkdtemp(join(tmpdir(), 'fabric-peer-e2e-'));
  const crypto = join(dir, 'crypto');
  await generateCrypto(
    {
      OrdererOrgs: [
        { Name: 'Orderer', Domain: 'example.com', Specs: [{ Hostname: 'orderer', SANS: sans }] },
      ],
      PeerOrgs: [1, 2].map((n) => ({
        Name: `Org${n}`,
        Domain: `org${n}.example.com`,
        EnableNodeOUs: true,
        Template: { Count: 1, SANS: sans },
        Users: { Count: 1 },
      })),
    },
    crypto,
  );
  const ordererPort = await freePort();
  const peerPorts = [await freePort(), await freePort()] as const;
  const ordererAddress = `127.0.0.1:${ordererPort}`;
  const ordererDir = join(crypto, 'ordererOrganizations', 'example.com');
  const genesis = await buildGenesisBlock(
    {
      channel: CHANNEL,
      orgs: [
        {
          name: 'OrdererOrg',
          mspId: 'OrdererMSP',
          mspDir: join(ordererDir, 'msp'),
          orderer: true,
          ordererEndpoints: [ordererAddress],
        },
        ...[1, 2].map((n) => ({
          name: `Org${n}MSP`,
          mspId: `Org${n}MSP`,
          mspDir: join(crypto, 'peerOrganizations', `org${n}.example.com`, 'msp'),
          anchorPeers: [`127.0.0.1:${peerPorts[n - 1]}`],
        })),
      ],
      ...(options.applicationCapabilities !== undefined
        ? { capabilities: { application: options.applicationCapabilities } }
        : {}),
      orderer: {
        ...(options.batchTimeout !== undefined ? { batchTimeout: options.batchTimeout } : {}),
        ...(options.maxMessageCount !== undefined
          ? { batchSize: { maxMessageCount: options.maxMessageCount } }
          : {}),
        consenters: [
          {
            host: '127.0.0.1',
            port: ordererPort,
            tlsCert: join(ordererDir, 'orderers', 'orderer.example.com', 'tls', 'server.crt'),
          },
        ],
      },
    },
    { baseDir: dir },
  );

  const ordererTlsDir = join(ordererDir, 'orderers', 'orderer.example.com', 'tls');
  const newOrderer = (): SoloOrderer =>
    new SoloOrderer({
      listenAddress: ordererAddress,
      ...(tls
        ? {
            tls: {
              cert: readFileSync(join(ordererTlsDir, 'server.crt')),
              key: readFileSync(join(ordererTlsDir, 'server.key')),
            },
          }
        : {}),
      mspDir: join(ordererDir, 'orderers', 'orderer.example.com', 'msp'),
      mspId: 'OrdererMSP',
      fileSystemPath: join(dir, 'orderer'),
      logger: silentLoggers('orderer'),
    });
  let orderer = newOrderer();
  await orderer.start();
  await orderer.joinChannel(common.Block.decode(genesis.bytes));

  const peers: NetworkPeer[] = [];
  const clients: grpc.Client[] = [];
  for (const n of [1, 2]) {
    const domain = `org${n}.example.com`;
    const mspId = `Org${n}MSP`;
    const orgDir = join(crypto, 'peerOrganizations', domain);
    const port = peerPorts[n - 1]!;
    const doc = parseDocument(readFileSync(sampleConfig, 'utf8'));
    const set = (path: string, value: unknown) => doc.setIn(path.split('.'), value);
    const ccPort = await freePort();
    set('peer.id', `peer0.${domain}`);
    set('peer.fileSystemPath', join(dir, `peer${n}`));
    set('peer.mspConfigPath', join(orgDir, 'peers', `peer0.${domain}`, 'msp'));
    set('peer.localMspId', mspId);
    set('peer.listenAddress', `127.0.0.1:${port}`);
    set('peer.address', `127.0.0.1:${port}`);
    set('peer.chaincodeListenAddress', `127.0.0.1:${ccPort}`);
    set('peer.chaincodeAddress', `127.0.0.1:${ccPort}`);
    set('operations.listenAddress', `127.0.0.1:${await freePort()}`);
    set('metrics.provider', 'disabled');
    const peerTlsDir = join(orgDir, 'peers', `peer0.${domain}`, 'tls');
    set('peer.tls.enabled', tls);
    set('peer.tls.cert.file', join(peerTlsDir, 'server.crt'));
    set('peer.tls.key.file', join(peerTlsDir, 'server.key'));
    set('peer.tls.rootcert.file', join(peerTlsDir, 'ca.crt'));
    set('peer.tls.clientRootCAs.files', [join(peerTlsDir, 'ca.crt')]);
    for (const [path, value] of Object.entries(options.set ?? {})) set(path, value);
    if (options.vmProviders) {
      set(
        'vm.providers',
        options.vmProviders.map((name) => ({ name, library: null })),
      );
    }
    const configFile = join(dir, `core-peer${n}.yaml`);
    await writeFile(configFile, doc.toString());
    const asProcess = options.processPeers?.includes(n) === true;
    let node: PeerNode | undefined;
    let child: PeerProcess | undefined;
    const startProcess = async (): Promise<PeerProcess> => {
      // node.start=info: the "peer started" line this waits for.
      const spec = options.logSpec ?? process.env.E2E_LOGSPEC ?? 'warning';
      const p = PeerProcess.run(['start', '--config', configFile], {
        FABRIC_LOGGING_SPEC: `node.start=info:${spec}`,
      });
      try {
        await p.waitFor(/peer started/, 30_000);
      } catch (err) {
        p.kill();
        throw err;
      }
      return p;
    };
    if (asProcess) {
      child = await startProcess();
    } else {
      const logging = new LoggingSystem({
        spec: options.logSpec ?? process.env.E2E_LOGSPEC ?? 'warning',
        format: 'json',
        writer: process.env.E2E_LOG ? process.stderr : { write: () => undefined },
      });
      node = await PeerNode.create({
        config: loadConfig({ path: configFile, env: {} }),
        loggerFactory: (module) => logging.logger(module),
        logSpec: logging,
        build: { Version: 'test', CommitSHA: 'test' },
      });
      await node.start();
    }
    const Client = grpc.makeGenericClientConstructor(EndorserService, 'Endorser');
    const tlsRootCert = tls
      ? readFileSync(join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`))
      : undefined;
    const client = new Client(`127.0.0.1:${port}`, clientCredentials(tlsRootCert));
    const userMspDir = join(orgDir, 'users', `User1@${domain}`, 'msp');
    const admin = identity(join(orgDir, 'users', `Admin@${domain}`, 'msp'), mspId);
    const user = identity(userMspDir, mspId);
    const processProposal = (signed: protos.ISignedProposal): Promise<protos.ProposalResponse> =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(
          EndorserService.processProposal.path,
          EndorserService.processProposal.requestSerialize,
          EndorserService.processProposal.responseDeserialize,
          signed,
          (err, res) =>
            err || !res
              ? reject(err ?? new Error('no response'))
              : resolve(res as protos.ProposalResponse),
        ),
      );
    const qscc = async (args: (string | Uint8Array)[]): Promise<Uint8Array> => {
      const built = await buildProposal({ signer: user, channelId: '', chaincode: 'qscc', args });
      const response = await processProposal(built.signed);
      if (response.response?.status !== 200) {
        throw new Error(`qscc ${String(args[0])}: ${response.response?.message ?? ''}`);
      }
      return response.response.payload ?? new Uint8Array();
    };
    peers.push({
      mspId,
      ...(tlsRootCert !== undefined ? { tlsRootCert } : {}),
      domain,
      address: `127.0.0.1:${port}`,
      get node() {
        return node;
      },
      get process() {
        return child;
      },
      async kill() {
        if (child === undefined) throw new Error(`peer${n} does not run as a process`);
        child.child.kill('SIGKILL');
        await child.exited;
      },
      async restart(whileStopped?: () => Promise<void>) {
        if (child === undefined) throw new Error(`peer${n} does not run as a process`);
        child.kill();
        await child.exited;
        await whileStopped?.();
        child = await startProcess();
      },
      configFile: asProcess ? configFile : undefined,
      admin,
      user,
      userMspDir,
      processProposal,
      height: () => {
        if (node === undefined) throw new Error(`peer${n} runs as a process: use chainHeight()`);
        const channel = node.kernel.container.get(ChannelsService).registry.get(CHANNEL);
        return channel ? Number(channel.ledger.getBlockchainInfo().height) : 0;
      },
      chainHeight: async () =>
        Number(common.BlockchainInfo.decode(await qscc(['GetChainInfo', CHANNEL])).height),
      block: async (num) =>
        common.Block.decode(await qscc(['GetBlockByNumber', CHANNEL, String(num)])),
    });
    // Join through cscc, as `peer channel join` does.
    const join_ = await buildProposal({
      signer: peers[n - 1]!.admin,
      channelId: '',
      chaincode: 'cscc',
      args: ['JoinChain', genesis.bytes],
    });
    const joined = await peers[n - 1]!.processProposal(join_.signed);
    if (joined.response?.status !== 200) {
      throw new Error(`peer${n} JoinChain: ${joined.response?.message ?? ''}`);
    }
    clients.push(client);
  }

  const ordererTlsRoot = tls
    ? readFileSync(join(ordererDir, 'tlsca', 'tlsca.example.com-cert.pem'))
    : undefined;
  const network: TwoOrgNetwork = {
    dir,
    tls,
    ordererAddress,
    get orderer() {
      return orderer;
    },
    async stopOrderer() {
      await orderer.stop();
    },
    async startOrderer() {
      orderer = newOrderer();
      await orderer.start();
    },
    peers: peers as [NetworkPeer, NetworkPeer],
    genesis: genesis.bytes,
    broadcast: (envelope) =>
      broadcastTo(ordererAddress, clientCredentials(ordererTlsRoot), envelope),
    async waitForHeight(height, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const heights = await Promise.all(
          peers.map((p) =>
            p.node !== undefined ? Promise.resolve(p.height()) : p.chainHeight().catch(() => 0),
          ),
        );
        if (heights.every((h) => h >= height)) return;
        if (Date.now() > deadline) {
          throw new Error(`peers at heights ${heights.join(', ')}, expected ${height}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      for (const c of clients) c.close();
      for (const p of peers) {
        await p.node?.stop();
        if (p.process !== undefined) await p.process.terminate();
      }
      await orderer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return network;
}

/** TLS trusting `root`, or plaintext. */
export function clientCredentials(root: Buffer | undefined): grpc.ChannelCredentials {
  return root === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(root);
}

/** One Broadcast call to the orderer. */
function broadcastTo(
  address: string,
  credentials: grpc.ChannelCredentials,
  envelope: { payload: Uint8Array; signature: Uint8Array },
): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(AtomicBroadcastService, 'AtomicBroadcast');
  const client = new Client(address, credentials);
  return new Promise<number>((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      AtomicBroadcastService.broadcast.path,
      AtomicBroadcastService.broadcast.requestSerialize,
      AtomicBroadcastService.broadcast.responseDeserialize,
    );
    call.on('data', (res: unknown) => {
      resolve(Number((res as ordererProtos.BroadcastResponse).status));
      call.end();
    });
    call.on('error', reject);
    call.write(envelope);
  }).finally(() => client.close());
}

const enc = new TextEncoder();

function expect200(response: protos.IProposalResponse, what: string): void {
  if (response.response?.status !== 200) {
    throw new Error(`${what}: ${response.response?.status} ${response.response?.message ?? ''}`);
  }
}

/**
 * Deploys a Node chaincode through `_lifecycle` as the organizations' admins do it: installed on
 * both peers, approved by each organization (ordered, committed), then the definition committed
 * in one transaction endorsed by both. Resolves with the package id.
 */
export async function deployWithLifecycle(
  net: TwoOrgNetwork,
  chaincode: {
    readonly name: string;
    readonly label: string;
    readonly codeDir: string;
    /** Private data collections of the definition (approved and committed as given). */
    readonly collections?: protos.ICollectionConfigPackage;
  },
): Promise<string> {
  const pkg = await createChaincodePackage({
    label: chaincode.label,
    type: 'node',
    path: '',
    codeDir: chaincode.codeDir,
  });
  let packageId = '';
  for (const peer of net.peers) {
    const installed = await buildProposal({
      signer: peer.admin,
      channelId: '',
      chaincode: '_lifecycle',
      args: [
        enc.encode('InstallChaincode'),
        lifecycle.InstallChaincodeArgs.encode({ chaincodeInstallPackage: pkg }).finish(),
      ],
    });
    const response = await peer.processProposal(installed.signed);
    expect200(response, `install on ${peer.mspId}`);
    packageId = lifecycle.InstallChaincodeResult.decode(response.response!.payload!).packageId;
  }
  let height = await net.peers[0].chainHeight();
  for (const peer of net.peers) {
    const approve = await buildProposal({
      signer: peer.admin,
      channelId: CHANNEL,
      chaincode: '_lifecycle',
      args: [
        enc.encode('ApproveChaincodeDefinitionForMyOrg'),
        lifecycle.ApproveChaincodeDefinitionForMyOrgArgs.encode({
          sequence: 1,
          name: chaincode.name,
          version: '1.0',
          source: { localPackage: { packageId } },
          ...(chaincode.collections !== undefined ? { collections: chaincode.collections } : {}),
        }).finish(),
      ],
    });
    const response = await peer.processProposal(approve.signed);
    expect200(response, `approve by ${peer.mspId}`);
    const status = await net.broadcast(await PeerHarness.envelopeOf(approve, response, peer.admin));
    if (status !== 200) throw new Error(`approve by ${peer.mspId}: broadcast status ${status}`);
    await net.waitForHeight(++height);
  }
  // The commit, endorsed by both organizations (LifecycleEndorsement: MAJORITY).
  const commit = await buildProposal({
    signer: net.peers[0].admin,
    channelId: CHANNEL,
    chaincode: '_lifecycle',
    args: [
      enc.encode('CommitChaincodeDefinition'),
      lifecycle.CommitChaincodeDefinitionArgs.encode({
        sequence: 1,
        name: chaincode.name,
        version: '1.0',
        ...(chaincode.collections !== undefined ? { collections: chaincode.collections } : {}),
      }).finish(),
    ],
  });
  const responses = await Promise.all(net.peers.map((p) => p.processProposal(commit.signed)));
  for (const r of responses) expect200(r, 'commit definition');
  const envelope = await PeerHarness.envelopeOf(commit, responses[0]!, net.peers[0].admin);
  // Both endorsements in the one transaction.
  const payload = common.Payload.decode(envelope.payload);
  const tx = protoClasses.Transaction.decode(payload.data);
  const cap = protoClasses.ChaincodeActionPayload.decode(tx.actions[0]!.payload!);
  cap.action!.endorsements = responses.map((r) => r.endorsement!);
  tx.actions[0]!.payload = protoClasses.ChaincodeActionPayload.encode(cap).finish();
  payload.data = protoClasses.Transaction.encode(tx).finish();
  const payloadBytes = common.Payload.encode(payload).finish();
  const status = await net.broadcast({
    payload: payloadBytes,
    signature: await net.peers[0].admin.sign(payloadBytes),
  });
  if (status !== 200) throw new Error(`commit definition: broadcast status ${status}`);
  await net.waitForHeight(++height);
  return packageId;
}
