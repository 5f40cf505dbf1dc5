/**
 * startDevNetwork: what Fabric's test-network gives (`./network.sh up createChannel deployCC`),
 * in one process and one folder — dev crypto, the channel's genesis block, the development
 * orderer, a peer that joins the channel, and the sample chaincode deployed through `_lifecycle` —
 * and, on a folder made before, the same network back with its ledgers, deploying nothing again.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoggerFactory, Signer } from '@fabric-peer/api';
import { loadConfig } from '@fabric-peer/config';
import { buildGenesisBlock, generateCrypto } from '@fabric-peer/devtools';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { ChannelsService, PeerNode, type BuildInfo, type LogSpecControl } from '@fabric-peer/node';
import { SoloOrderer } from '@fabric-peer/orderer-solo';
import { EndorserClient } from './clients.js';
import { packageNodeChaincode, SAMPLE_CHAINCODE, SAMPLE_CHAINCODE_DIR } from './chaincode.js';
import { writeConnectionFile } from './connection.js';
import { DEFAULT_PORTS, renderCoreYaml, type DevNetworkPorts } from './core-yaml.js';
import {
  approvals,
  approve,
  commit,
  findInstalled,
  install,
  invoke,
  joinChannel,
  query,
  queryCommitted,
  type AdminContext,
} from './deploy.js';
import { DevnetError, messageOf } from './errors.js';
import {
  CHANNEL_ID,
  CREATING_DIR,
  DEVNET_LAYOUT,
  genesisFile,
  inspectDir,
  layoutPaths,
  ORDERER_DOMAIN,
  ORDERER_HOST,
  ORDERER_MSP_ID,
  ORG_DOMAIN,
  ORG_MSP_ID,
  ORG_NAME,
  PEER_NAME,
  readJson,
  writeJsonAtomic,
  type DevnetManifest,
  type LayoutPaths,
} from './layout.js';
import { checkPortsFree, validPort } from './ports.js';

/** The folder a development network lives in when none is given: `.devnet` of the current folder. */
export const DEFAULT_DEVNET_DIR = '.devnet';

/** `config/core.yaml` of the repository this package is built in. */
export const SAMPLE_CORE_YAML = fileURLToPath(
  new URL('../../../../config/core.yaml', import.meta.url),
);

/** Options of {@link startDevNetwork}. */
export interface DevNetworkOptions {
  /** The network's folder, made when missing; default `.devnet` in the current folder. */
  readonly dir?: string;
  /** Ports on 127.0.0.1; default orderer 7050, peer 7051, chaincode 7052, operations 9443. */
  readonly ports?: Partial<DevNetworkPorts>;
  /** Loggers of the peer (by Fabric module name) and of the orderer (`orderer`). */
  readonly loggers: LoggerFactory;
  /** The peer's `/logspec`; default a control that keeps `info`. */
  readonly logSpec?: LogSpecControl;
  /** The peer's `/version`. */
  readonly build?: BuildInfo;
  /** Told one line per step: `crypto: ...`, `orderer listening on ...`, `chaincode basic: ready`. */
  readonly progress?: (text: string) => void;
  /** The core.yaml the peer's is written from; default the repository's `config/core.yaml`. */
  readonly coreYamlTemplate?: string;
  /** The Node.js chaincode deployed as `basic`; default `samples/chaincode/asset-transfer-basic`. */
  readonly chaincodeDir?: string;
  /** The channel's BatchTimeout when the network is made (a Go duration); default `100ms`. */
  readonly batchTimeout?: string;
  /** Aborting stops what has started and rejects with DEVNET_ABORTED. */
  readonly signal?: AbortSignal;
}

/** A running development network. */
export interface DevNetwork {
  readonly dir: string;
  readonly ports: DevNetworkPorts;
  readonly channelId: string;
  readonly chaincode: string;
  readonly peerAddress: string;
  readonly ordererAddress: string;
  readonly operationsUrl: string;
  /** `<dir>/connection.json`. */
  readonly connectionFile: string;
  /** This start made the crypto and the channel (the folder was new). */
  readonly created: boolean;
  /** This start deployed (approved and committed) the chaincode. */
  readonly deployed: boolean;
  /** Milliseconds from the call to ready. */
  readonly startMs: number;
  readonly peer: PeerNode;
  readonly orderer: SoloOrderer;
  /** How to call the chaincode from another terminal (the block `dev up` prints). */
  instructions(): string;
  /** Stops the peer, then the orderer. Idempotent. */
  stop(): Promise<void>;
}

/** deployed.json: what dev up did that the ledger does not say by itself. */
interface DeployedState {
  readonly [chaincode: string]: { readonly initLedgerTxId?: string } | undefined;
}

const fixedLogSpec = (): LogSpecControl => {
  let spec = 'info';
  return { spec: () => spec, activate: (s) => void (spec = s) };
};

function signingIdentity(mspDir: string, mspId: string): Signer {
  return createMsp(loadMspFolder(mspDir, mspId, { signing: true }), {
    version: 'v1_4_3',
  }).defaultSigningIdentity();
}

/** Crypto and genesis block, made in `<dir>/.creating` and moved into place, then the manifest. */
async function createNetwork(
  paths: LayoutPaths,
  ports: DevNetworkPorts,
  batchTimeout: string,
  progress: (text: string) => void,
): Promise<DevnetManifest> {
  const work = join(paths.dir, CREATING_DIR);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const crypto = join(work, 'crypto');
  await generateCrypto(
    {
      OrdererOrgs: [
        {
          Name: 'Orderer',
          Domain: ORDERER_DOMAIN,
          EnableNodeOUs: true,
          Specs: [{ Hostname: ORDERER_HOST, SANS: ['localhost', '127.0.0.1'] }],
        },
      ],
      PeerOrgs: [
        {
          Name: ORG_NAME,
          Domain: ORG_DOMAIN,
          EnableNodeOUs: true,
          Template: { Count: 1, SANS: ['localhost', '127.0.0.1'] },
          Users: { Count: 1 },
        },
      ],
    },
    crypto,
  );
  progress(
    `crypto: made ${ORDERER_MSP_ID} (${ORDERER_HOST}.${ORDERER_DOMAIN}) and ${ORG_MSP_ID} ` +
      `(${PEER_NAME}, Admin, User1) in ${paths.crypto}`,
  );
  const ordererEndpoint = `127.0.0.1:${ports.orderer}`;
  const ordererOrg = join(crypto, 'ordererOrganizations', ORDERER_DOMAIN);
  const genesis = await buildGenesisBlock(
    {
      channel: CHANNEL_ID,
      orgs: [
        {
          name: 'OrdererOrg',
          mspId: ORDERER_MSP_ID,
          mspDir: join(ordererOrg, 'msp'),
          orderer: true,
          ordererEndpoints: [ordererEndpoint],
        },
        {
          name: ORG_MSP_ID,
          mspId: ORG_MSP_ID,
          mspDir: join(crypto, 'peerOrganizations', ORG_DOMAIN, 'msp'),
          anchorPeers: [`127.0.0.1:${ports.peer}`],
        },
      ],
      orderer: {
        batchTimeout,
        consenters: [
          {
            host: '127.0.0.1',
            port: ports.orderer,
            tlsCert: join(
              ordererOrg,
              'orderers',
              `${ORDERER_HOST}.${ORDERER_DOMAIN}`,
              'tls',
              'server.crt',
            ),
          },
        ],
      },
      // V2_0 everywhere: chaincodes are deployed through _lifecycle, as on Fabric 2.x.
      capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] },
    },
    { baseDir: work },
  );
  await writeFile(join(work, genesisFile()), genesis.bytes);
  await rename(crypto, paths.crypto);
  await rename(join(work, genesisFile()), paths.genesis);
  const manifest: DevnetManifest = {
    layout: DEVNET_LAYOUT,
    channel: CHANNEL_ID,
    ordererEndpoint,
    created: new Date().toISOString(),
  };
  // The manifest last: a folder without it is an unfinished creation, made again next time.
  await writeJsonAtomic(paths.manifest, manifest);
  await rm(work, { recursive: true, force: true });
  progress(
    `channel ${CHANNEL_ID}: genesis block in ${paths.genesis} (orderer ${ordererEndpoint}, ` +
      `${ORG_MSP_ID}, V2_0 capabilities, BatchTimeout ${batchTimeout})`,
  );
  return manifest;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `--dir` a client command needs, or '' for the default folder. */
function dirFlag(dir: string): string {
  const cwd = process.cwd();
  if (dir === resolve(cwd, DEFAULT_DEVNET_DIR)) return '';
  const rel = relative(cwd, dir);
  const shown = rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : dir;
  return ` --dir ${shellQuote(shown)}`;
}

/** The codes of a LevelDB held by another process: block index, state, history databases. */
const IN_USE_CODES = new Set(['INDEX_IN_USE', 'DB_IN_USE', 'STATEDB_IN_USE', 'LEVEL_LOCKED']);

/** A start-up error from the orderer or the peer, said in the development network's terms. */
function translateStartError(err: unknown, dir: string, what: 'orderer' | 'peer'): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && IN_USE_CODES.has(code)) {
    return new DevnetError(
      'DEVNET_IN_USE',
      `the development network in ${dir} is already running in another process (its ${what} ` +
        `data is locked): stop that one first, or use another --dir`,
      { cause: err, details: { dir } },
    );
  }
  if (
    (code === 'ORDERER_LISTEN_FAILED' || code === 'LISTEN_FAILED') &&
    /address in use/i.test(messageOf(err))
  ) {
    return new DevnetError(
      'DEVNET_IN_USE',
      `${what}: ${messageOf(err)} (another \`fabric-peer dev up\` running?)`,
      { cause: err, details: { dir } },
    );
  }
  return err;
}

/**
 * Starts the development network in `options.dir`: makes it when the folder is new (crypto,
 * genesis block), otherwise reuses what is there; starts the orderer and the peer; joins the
 * channel and deploys the sample chaincode unless that was done before; resolves once the
 * chaincode answers. On failure, what started is stopped again.
 */
export async function startDevNetwork(options: DevNetworkOptions): Promise<DevNetwork> {
  const t0 = Date.now();
  const dir = resolve(options.dir ?? DEFAULT_DEVNET_DIR);
  const ports: DevNetworkPorts = {
    orderer: validPort(options.ports?.orderer ?? DEFAULT_PORTS.orderer, 'ports.orderer'),
    peer: validPort(options.ports?.peer ?? DEFAULT_PORTS.peer, 'ports.peer'),
    chaincode: validPort(options.ports?.chaincode ?? DEFAULT_PORTS.chaincode, 'ports.chaincode'),
    operations: validPort(
      options.ports?.operations ?? DEFAULT_PORTS.operations,
      'ports.operations',
    ),
  };
  const progress = options.progress ?? (() => undefined);
  const checkAborted = (): void => {
    if (options.signal?.aborted) {
      throw new DevnetError('DEVNET_ABORTED', 'the development network start was interrupted');
    }
  };
  checkAborted();
  const templatePath = options.coreYamlTemplate ?? SAMPLE_CORE_YAML;
  let template: string;
  try {
    template = await readFile(templatePath, 'utf8');
  } catch (err) {
    throw new DevnetError(
      'DEVNET_OPTIONS_INVALID',
      `cannot read the core.yaml template ${templatePath}: ${messageOf(err)}`,
      { cause: err },
    );
  }
  // Ports first: a second `dev up` must fail before it touches the folder of the first.
  await checkPortsFree(ports);
  const chaincodeDir = options.chaincodeDir ?? SAMPLE_CHAINCODE_DIR;
  const pkg = await packageNodeChaincode(chaincodeDir, SAMPLE_CHAINCODE.label);
  const state = await inspectDir(dir);
  const paths = layoutPaths(dir);
  let manifest: DevnetManifest;
  if (state.kind === 'new') {
    await mkdir(dir, { recursive: true });
    manifest = await createNetwork(paths, ports, options.batchTimeout ?? '100ms', progress);
  } else {
    manifest = state.manifest;
    // Left when a first start stopped between writing the manifest and tidying up.
    await rm(join(dir, CREATING_DIR), { recursive: true, force: true });
    progress(`crypto: reusing ${paths.crypto}`);
    progress(
      `channel ${manifest.channel}: reusing the genesis block and ledgers made ${manifest.created}`,
    );
  }
  const channelId = manifest.channel;
  const genesis = await readFile(join(dir, genesisFile(channelId)));

  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch {
        // Stopping goes on with the next part: one that fails to stop must not keep others up.
      }
    }
  };
  try {
    checkAborted();
    const orderer = new SoloOrderer({
      listenAddress: `127.0.0.1:${ports.orderer}`,
      mspDir: paths.ordererMsp,
      mspId: ORDERER_MSP_ID,
      fileSystemPath: paths.ordererData,
      logger: options.loggers('orderer'),
    });
    try {
      await orderer.start();
    } catch (err) {
      throw translateStartError(err, dir, 'orderer');
    }
    stops.push(() => orderer.stop());
    // Written once the orderer holds the folder's lock: a second start on a running network's
    // folder fails above without touching it.
    await writeFile(
      paths.coreYaml,
      renderCoreYaml(template, { dir, ports, ordererEndpoint: manifest.ordererEndpoint }),
    );
    if (!orderer.channels().some((c) => c.channelId === channelId)) {
      await orderer.joinChannel(genesis);
    }
    const ordererHeight = (): number =>
      orderer.channels().find((c) => c.channelId === channelId)?.height ?? 0;
    progress(
      `orderer listening on ${orderer.address} (${ORDERER_MSP_ID}, solo; channel ${channelId} at height ${ordererHeight()})`,
    );

    checkAborted();
    const peer = await PeerNode.create({
      config: loadConfig({ path: paths.coreYaml, env: {} }),
      loggerFactory: options.loggers,
      logSpec: options.logSpec ?? fixedLogSpec(),
      build: options.build ?? { Version: '0.0.0-devnet', CommitSHA: 'development build' },
    });
    try {
      await peer.start();
    } catch (err) {
      throw translateStartError(err, dir, 'peer');
    }
    stops.push(() => peer.stop());
    const peerAddress = `127.0.0.1:${ports.peer}`;
    const operationsUrl = `http://127.0.0.1:${ports.operations}`;
    progress(
      `peer listening on ${peerAddress} (${PEER_NAME}, ${ORG_MSP_ID}; chaincode 127.0.0.1:${ports.chaincode}, operations ${operationsUrl})`,
    );

    const endorser = new EndorserClient(peerAddress);
    stops.push(() => endorser.close());
    const registry = peer.kernel.container.get(ChannelsService).registry;
    const ctx: AdminContext = {
      endorser,
      ordererAddress: `127.0.0.1:${ports.orderer}`,
      channelId,
      admin: signingIdentity(paths.adminMsp, ORG_MSP_ID),
      ledger: () => {
        const channel = registry.get(channelId);
        if (channel === undefined) throw new Error(`the peer has not joined ${channelId}`);
        return channel.ledger;
      },
      checkAborted,
    };
    const user = signingIdentity(paths.userMsp, ORG_MSP_ID);

    checkAborted();
    const joinedNow = registry.get(channelId) === undefined;
    if (joinedNow) {
      await joinChannel(ctx, genesis);
      progress(`channel ${channelId}: ${PEER_NAME} joined`);
    }
    // The peer catches up with the orderer before anything is asked of its ledger.
    const peerHeight = (): number =>
      Number(registry.get(channelId)?.ledger.getBlockchainInfo().height ?? 0);
    if (peerHeight() > ordererHeight()) {
      throw new DevnetError(
        'DEVNET_LAYOUT_MISMATCH',
        `${dir}: the peer's ledger of ${channelId} (height ${peerHeight()}) is ahead of the orderer's chain ` +
          `(height ${ordererHeight()}), so part of the folder was removed or replaced: remove the folder to start a new development network`,
        { details: { dir } },
      );
    }
    const catchUpDeadline = Date.now() + 60_000;
    while (peerHeight() < ordererHeight()) {
      if (Date.now() > catchUpDeadline) {
        throw new DevnetError(
          'DEVNET_STEP_FAILED',
          `the peer is at height ${peerHeight()} of channel ${channelId}, the orderer at ${ordererHeight()}: blocks are not delivered`,
        );
      }
      checkAborted();
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!joinedNow) {
      progress(`channel ${channelId}: ${PEER_NAME} at height ${peerHeight()}`);
    }

    const deployed = await deploySample(ctx, user, pkg, paths, progress);
    const connectionFile = await writeConnectionFile(dir, {
      peerAddress,
      mspId: ORG_MSP_ID,
      identity: `User1@${ORG_DOMAIN}`,
      mspDir: paths.userMsp,
      channel: channelId,
      chaincode: SAMPLE_CHAINCODE.name,
    });
    checkAborted();
    // The chaincode answers a query: it is running (launched now on a restart) and serves.
    await query(ctx, user, SAMPLE_CHAINCODE.name, ['GetAllAssets']);
    progress(`chaincode ${SAMPLE_CHAINCODE.name}: ready`);

    let stopping: Promise<void> | undefined;
    const network: DevNetwork = {
      dir,
      ports,
      channelId,
      chaincode: SAMPLE_CHAINCODE.name,
      peerAddress,
      ordererAddress: orderer.address,
      operationsUrl,
      connectionFile,
      created: state.kind === 'new',
      deployed,
      startMs: Date.now() - t0,
      peer,
      orderer,
      instructions: () => instructions(network, chaincodeDir),
      stop: () => (stopping ??= stopAll()),
    };
    return network;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Install, approve, commit and InitLedger, each unless done before. Resolves `true` if committed now. */
async function deploySample(
  ctx: AdminContext,
  user: Signer,
  pkg: Uint8Array,
  paths: LayoutPaths,
  progress: (text: string) => void,
): Promise<boolean> {
  const def = {
    name: SAMPLE_CHAINCODE.name,
    version: SAMPLE_CHAINCODE.version,
    sequence: SAMPLE_CHAINCODE.sequence,
  };
  const say = (text: string): void => progress(`chaincode ${def.name}: ${text}`);
  ctx.checkAborted();
  // Installed whatever the definition says: a peer folder made anew still needs the package.
  let packageId = await findInstalled(ctx, SAMPLE_CHAINCODE.label);
  if (packageId === undefined) {
    packageId = await install(ctx, pkg);
    say(`installed (package ID ${packageId})`);
  } else {
    say(`already installed (package ID ${packageId})`);
  }
  ctx.checkAborted();
  const committed = await queryCommitted(ctx, def.name);
  let deployedNow = false;
  if (committed !== undefined) {
    say(
      `already committed on ${ctx.channelId} (sequence ${Number(committed.sequence)}): nothing to deploy`,
    );
  } else {
    const approved = await approvals(ctx, def);
    if (approved[ORG_MSP_ID] === true) {
      say(`already approved by ${ORG_MSP_ID}`);
    } else {
      const tx = await approve(ctx, def, packageId);
      say(`approved by ${ORG_MSP_ID} (block ${tx.blockNumber})`);
    }
    ctx.checkAborted();
    const tx = await commit(ctx, def);
    say(`committed on ${ctx.channelId} (sequence ${def.sequence}, block ${tx.blockNumber})`);
    deployedNow = true;
  }
  const state = ((await readJson(paths.deployed)) ?? {}) as DeployedState;
  if (state[def.name]?.initLedgerTxId === undefined) {
    ctx.checkAborted();
    const tx = await invoke(ctx, `${def.name} InitLedger`, user, def.name, ['InitLedger']);
    await writeJsonAtomic(paths.deployed, {
      ...state,
      [def.name]: { initLedgerTxId: tx.txId },
    });
    say(`InitLedger committed (asset1 to asset6; block ${tx.blockNumber})`);
  }
  return deployedNow;
}

function instructions(net: DevNetwork, chaincodeDir: string): string {
  const dirOpt = dirFlag(net.dir);
  const cmd = (verb: 'invoke' | 'query', args: readonly string[]): string =>
    `  npx fabric-peer chaincode ${verb} --channel ${net.channelId} --name ${net.chaincode}` +
    ` --args ${shellQuote(JSON.stringify(args))}${dirOpt}`;
  const rel = relative(process.cwd(), chaincodeDir);
  const shownCc = rel !== '' && !rel.startsWith('..') ? rel : chaincodeDir;
  return [
    `Development network ready in ${(net.startMs / 1000).toFixed(1)} s (${net.dir}):`,
    `  orderer    ${net.ordererAddress}  ${ORDERER_MSP_ID}, solo`,
    `  peer       ${net.peerAddress}  ${PEER_NAME}, ${ORG_MSP_ID}; operations ${net.operationsUrl}`,
    `  channel    ${net.channelId}`,
    `  chaincode  ${net.chaincode} (${shownCc}, label ${SAMPLE_CHAINCODE.label}, sequence ${SAMPLE_CHAINCODE.sequence})`,
    `  client     ${net.connectionFile} (User1@${ORG_DOMAIN}: peer address, certificate, key)`,
    '',
    'In another terminal:',
    cmd('invoke', ['CreateAsset', 'asset7', 'red', '5', 'Tom', '100']),
    cmd('query', ['ReadAsset', 'asset7']),
    cmd('query', ['GetAllAssets']),
    `  curl -s ${net.operationsUrl}/healthz`,
    '',
    'Stop with Ctrl-C; starting again on the same folder resumes this network and its ledger.',
    '',
  ].join('\n');
}
