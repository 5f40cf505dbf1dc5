/**
 * The development network's folder: what is where, the manifest that marks a folder as one
 * (`devnet.json`, with the layout version), and the checks a start makes before using a folder.
 *
 * ```
 * <dir>/devnet.json       the manifest (layout version, channel, orderer endpoint in the channel config)
 * <dir>/crypto/           MSP trees in cryptogen's layout (OrdererMSP, Org1MSP)
 * <dir>/mychannel.block   the channel's genesis block
 * <dir>/core.yaml         the peer's configuration (written at each start)
 * <dir>/connection.json   what clients need: peer address, MSP id, User1's certificate and key
 * <dir>/deployed.json     what dev up has deployed (InitLedger done)
 * <dir>/orderer/          the development orderer's chains
 * <dir>/peer/             the peer's peer.fileSystemPath (ledgers, installed chaincodes)
 * ```
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevnetError, messageOf } from './errors.js';

/** The layout version this code reads and writes; another one in devnet.json is refused. */
export const DEVNET_LAYOUT = 'fabric-peer-devnet/1';

export const MANIFEST_FILE = 'devnet.json';
export const CONNECTION_FILE = 'connection.json';
export const DEPLOYED_FILE = 'deployed.json';
export const CORE_YAML_FILE = 'core.yaml';
export const CRYPTO_DIR = 'crypto';
export const ORDERER_DIR = 'orderer';
export const PEER_DIR = 'peer';
/** Where a first start prepares crypto and genesis before moving them into place. */
export const CREATING_DIR = '.creating';

export const CHANNEL_ID = 'mychannel';
export const ORDERER_DOMAIN = 'example.com';
export const ORDERER_MSP_ID = 'OrdererMSP';
export const ORDERER_HOST = 'orderer';
export const ORG_NAME = 'Org1';
export const ORG_DOMAIN = 'org1.example.com';
export const ORG_MSP_ID = 'Org1MSP';
export const PEER_NAME = `peer0.${ORG_DOMAIN}`;

/** The genesis block's file name. */
export function genesisFile(channelId: string = CHANNEL_ID): string {
  return `${channelId}.block`;
}

/** Paths inside a development network folder. */
export function layoutPaths(dir: string) {
  const crypto = join(dir, CRYPTO_DIR);
  const org = join(crypto, 'peerOrganizations', ORG_DOMAIN);
  const ordererOrg = join(crypto, 'ordererOrganizations', ORDERER_DOMAIN);
  return {
    dir,
    manifest: join(dir, MANIFEST_FILE),
    connection: join(dir, CONNECTION_FILE),
    deployed: join(dir, DEPLOYED_FILE),
    coreYaml: join(dir, CORE_YAML_FILE),
    genesis: join(dir, genesisFile()),
    crypto,
    ordererData: join(dir, ORDERER_DIR),
    peerData: join(dir, PEER_DIR),
    ordererOrgMsp: join(ordererOrg, 'msp'),
    ordererMsp: join(ordererOrg, 'orderers', `${ORDERER_HOST}.${ORDERER_DOMAIN}`, 'msp'),
    ordererTlsCert: join(
      ordererOrg,
      'orderers',
      `${ORDERER_HOST}.${ORDERER_DOMAIN}`,
      'tls',
      'server.crt',
    ),
    orgMsp: join(org, 'msp'),
    peerMsp: join(org, 'peers', PEER_NAME, 'msp'),
    adminMsp: join(org, 'users', `Admin@${ORG_DOMAIN}`, 'msp'),
    userMsp: join(org, 'users', `User1@${ORG_DOMAIN}`, 'msp'),
  };
}

export type LayoutPaths = ReturnType<typeof layoutPaths>;

/** devnet.json: written once, when the network is made. */
export interface DevnetManifest {
  readonly layout: string;
  readonly channel: string;
  /** The orderer's `host:port` as the channel configuration names it. */
  readonly ordererEndpoint: string;
  /** ISO time of creation. */
  readonly created: string;
}

/** What a start finds in the folder. */
export type DirState =
  { readonly kind: 'new' } | { readonly kind: 'existing'; readonly manifest: DevnetManifest };

/** Entries an interrupted first start may leave behind (nothing used them yet). */
const CREATION_LEFTOVERS = new Set([
  CREATING_DIR,
  CRYPTO_DIR,
  genesisFile(),
  `${MANIFEST_FILE}.tmp`,
]);

function layoutMismatch(dir: string, why: string, cause?: unknown): DevnetError {
  return new DevnetError(
    'DEVNET_LAYOUT_MISMATCH',
    `${dir} ${why}: remove the folder to start a new development network, or choose another with --dir`,
    { details: { dir }, ...(cause !== undefined ? { cause } : {}) },
  );
}

function parseManifest(dir: string, text: string): DevnetManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw layoutMismatch(dir, `has a ${MANIFEST_FILE} that is not JSON (${messageOf(err)})`, err);
  }
  const m = value as Partial<Record<keyof DevnetManifest, unknown>> | null;
  if (m === null || typeof m !== 'object' || typeof m.layout !== 'string') {
    throw layoutMismatch(dir, `has a ${MANIFEST_FILE} without a layout version`);
  }
  if (m.layout !== DEVNET_LAYOUT) {
    throw layoutMismatch(
      dir,
      `holds a development network of another layout (${m.layout}; this fabric-peer reads ${DEVNET_LAYOUT})`,
    );
  }
  if (
    typeof m.channel !== 'string' ||
    typeof m.ordererEndpoint !== 'string' ||
    typeof m.created !== 'string'
  ) {
    throw layoutMismatch(dir, `has a ${MANIFEST_FILE} with missing fields`);
  }
  return {
    layout: m.layout,
    channel: m.channel,
    ordererEndpoint: m.ordererEndpoint,
    created: m.created,
  };
}

/**
 * Looks at `dir` before a start: `new` when it does not exist, is empty, or holds only what an
 * interrupted first start left (removed here); `existing` with the manifest of a network made
 * before, whose files are checked. Anything else is refused with a message saying what to do.
 */
export async function inspectDir(dir: string): Promise<DirState> {
  let entries: string[];
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new DevnetError('DEVNET_DIR_NOT_EMPTY', `${dir} is not a folder`, {
        details: { dir },
      });
    }
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'new' };
    if (err instanceof DevnetError) throw err;
    throw new DevnetError('DEVNET_OPTIONS_INVALID', `cannot read ${dir}: ${messageOf(err)}`, {
      cause: err,
      details: { dir },
    });
  }
  if (entries.includes(MANIFEST_FILE)) {
    const paths = layoutPaths(dir);
    const manifest = parseManifest(dir, await readFile(paths.manifest, 'utf8'));
    for (const [what, path] of [
      ['the genesis block', join(dir, genesisFile(manifest.channel))],
      ["the orderer's MSP", paths.ordererMsp],
      ["the peer's MSP", paths.peerMsp],
      ["the admin's MSP", paths.adminMsp],
      ["User1's MSP", paths.userMsp],
    ] as const) {
      try {
        await stat(path);
      } catch (err) {
        throw layoutMismatch(dir, `is missing ${what} (${path})`, err);
      }
    }
    return { kind: 'existing', manifest };
  }
  const foreign = entries.filter((e) => !CREATION_LEFTOVERS.has(e));
  if (foreign.length > 0) {
    throw new DevnetError(
      'DEVNET_DIR_NOT_EMPTY',
      `${dir} is not empty and holds no ${MANIFEST_FILE}, so it is not a development network ` +
        `(found ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}): choose a new or empty folder with --dir`,
      { details: { dir, entries: foreign } },
    );
  }
  for (const e of entries) await rm(join(dir, e), { recursive: true, force: true });
  return { kind: 'new' };
}

/** Writes JSON atomically (temporary file, then rename), so a crash leaves the old file or the new. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

/** Reads a JSON file; `undefined` when it does not exist. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as unknown;
}

/** Makes `dir` (and parents). */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
