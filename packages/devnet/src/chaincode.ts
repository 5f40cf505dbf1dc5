/**
 * The sample chaincode the development network deploys, and its Fabric 2.x package made as
 * `peer lifecycle chaincode package --lang node` makes it: the folder under `src/`, without
 * `node_modules` (Fabric's Node platform leaves it out; the runtime provides fabric-shim and
 * fabric-contract-api).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChaincodePackage } from '@fabric-peer/chaincode-packages';
import { DevnetError, messageOf } from './errors.js';

/** Name, label and sequence of the sample chaincode on the development network. */
export const SAMPLE_CHAINCODE = {
  name: 'basic',
  version: '1.0',
  label: 'basic_1.0',
  sequence: 1,
} as const;

/** `samples/chaincode/asset-transfer-basic` of the repository this package is built in. */
export const SAMPLE_CHAINCODE_DIR = fileURLToPath(
  new URL('../../../../samples/chaincode/asset-transfer-basic', import.meta.url),
);

const SKIPPED = new Set(['node_modules']);

async function collect(root: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      if (SKIPPED.has(name) || name.startsWith('.')) continue;
      const full = join(dir, name);
      const info = await stat(full);
      if (info.isDirectory()) await walk(full);
      else if (info.isFile()) {
        files[`src/${relative(root, full).split(sep).join('/')}`] = await readFile(full);
      }
    }
  };
  await walk(root);
  return files;
}

/** The install package of the Node chaincode in `codeDir`, labelled `label`. */
export async function packageNodeChaincode(codeDir: string, label: string): Promise<Buffer> {
  let files: Record<string, Uint8Array>;
  try {
    files = await collect(codeDir);
  } catch (err) {
    throw new DevnetError(
      'DEVNET_OPTIONS_INVALID',
      `cannot read the chaincode folder ${codeDir}: ${messageOf(err)}`,
      { cause: err, details: { codeDir } },
    );
  }
  if (files['src/package.json'] === undefined) {
    throw new DevnetError(
      'DEVNET_OPTIONS_INVALID',
      `${codeDir} holds no package.json: not a Node.js chaincode`,
      { details: { codeDir } },
    );
  }
  return createChaincodePackage({ label, type: 'node', path: '', files });
}
