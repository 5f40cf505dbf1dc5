/**
 * connection.json: what a client of the development network needs — the peer's address, the MSP
 * id, and the certificate and private key of the identity to act as (User1), as paths relative to
 * the file's folder. `dev up` writes it at each start; `fabric-peer chaincode invoke|query` reads it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DevnetError, messageOf } from './errors.js';
import { CONNECTION_FILE, writeJsonAtomic } from './layout.js';

/** The file as written. */
export interface ConnectionFile {
  /** The peer's gRPC address (Endorser, Deliver, Gateway), `host:port`. */
  readonly peerAddress: string;
  /** Whether the peer's listener uses TLS (the development network: never). */
  readonly tls: boolean;
  readonly mspId: string;
  /** The identity's name, for messages. */
  readonly identity: string;
  /** PEM certificate, relative to the file's folder (or absolute). */
  readonly certPath: string;
  /** PEM PKCS#8 private key, relative to the file's folder (or absolute). */
  readonly keyPath: string;
  /** The network's channel and sample chaincode, for the printed examples. */
  readonly channel: string;
  readonly chaincode: string;
}

/** A connection read and checked, with the credentials loaded. */
export interface DevConnection extends ConnectionFile {
  /** Where it was read from. */
  readonly file: string;
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
}

/** The only file of an MSP sub-folder (`signcerts/`, `keystore/`), as a path. */
export async function onlyFile(folder: string): Promise<string> {
  const names = (await readdir(folder)).filter((n) => !n.startsWith('.')).sort();
  const first = names[0];
  if (first === undefined) throw new Error(`${folder} is empty`);
  return join(folder, first);
}

/** Writes `<dir>/connection.json` for the identity whose MSP folder is `mspDir`. */
export async function writeConnectionFile(
  dir: string,
  options: {
    readonly peerAddress: string;
    readonly mspId: string;
    readonly identity: string;
    readonly mspDir: string;
    readonly channel: string;
    readonly chaincode: string;
  },
): Promise<string> {
  const file = join(dir, CONNECTION_FILE);
  const content: ConnectionFile = {
    peerAddress: options.peerAddress,
    tls: false,
    mspId: options.mspId,
    identity: options.identity,
    certPath: relative(dir, await onlyFile(join(options.mspDir, 'signcerts'))),
    keyPath: relative(dir, await onlyFile(join(options.mspDir, 'keystore'))),
    channel: options.channel,
    chaincode: options.chaincode,
  };
  await writeJsonAtomic(file, content);
  return file;
}

function invalid(file: string, why: string, cause?: unknown): DevnetError {
  return new DevnetError('DEVNET_CONNECTION_INVALID', `${file}: ${why}`, {
    details: { file },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * Reads `connection.json` from `dirOrFile` (a development network folder, or the file itself)
 * and loads the certificate and key it names. Errors say what to do, e.g. start the network.
 */
export async function readConnectionFile(dirOrFile: string): Promise<DevConnection> {
  const file = dirOrFile.endsWith('.json')
    ? resolve(dirOrFile)
    : resolve(dirOrFile, CONNECTION_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw invalid(
        file,
        'not found: no development network there; start one with `fabric-peer dev up` (or pass its folder with --dir)',
        err,
      );
    }
    throw invalid(file, `cannot be read: ${messageOf(err)}`, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(file, `is not JSON: ${messageOf(err)}`, err);
  }
  const c = (value ?? {}) as Partial<Record<keyof ConnectionFile, unknown>>;
  const str = (key: keyof ConnectionFile): string => {
    const v = c[key];
    if (typeof v !== 'string' || v === '')
      throw invalid(file, `${key}: expected a non-empty string`);
    return v;
  };
  const base = dirname(file);
  const at = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  const connection = {
    peerAddress: str('peerAddress'),
    tls: c.tls === true,
    mspId: str('mspId'),
    identity: str('identity'),
    certPath: at(str('certPath')),
    keyPath: at(str('keyPath')),
    channel: str('channel'),
    chaincode: str('chaincode'),
  };
  const load = async (what: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw invalid(file, `cannot read the ${what} ${path}: ${messageOf(err)}`, err);
    }
  };
  return {
    ...connection,
    file,
    certificate: await load('certificate', connection.certPath),
    privateKey: await load('private key', connection.keyPath),
  };
}
