/**
 * Chaincode packages for tests, made as `peer lifecycle chaincode package` makes them: a tar.gz
 * holding `metadata.json` ({type, path, label}) and `code.tar.gz` (the code under `src/`), both
 * written with the `tar` package from files on disk, then read back into a ChaincodePackage.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Parser, create, type ReadEntry } from 'tar';
import type { ChaincodePackage } from '@fabric-peer/api';

/** What goes into a package. */
export interface PackageSpec {
  readonly label: string;
  /** Files of the chaincode, by path relative to `src/`. */
  readonly files: Readonly<Record<string, string>>;
  /** metadata.json `type`; default `node`. */
  readonly type?: string;
  /** metadata.json `path`; default `/chaincode`. */
  readonly path?: string;
}

async function tarGz(cwd: string, members: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd, portable: true }, members);
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Writes the package file's bytes. */
export async function writeChaincodePackage(spec: PackageSpec): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'vm-docker-pkg-'));
  try {
    const codeDir = join(dir, 'code');
    for (const [path, body] of Object.entries(spec.files)) {
      const file = join(codeDir, 'src', path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
    }
    const outer = join(dir, 'outer');
    await mkdir(outer);
    await writeFile(join(outer, 'code.tar.gz'), await tarGz(codeDir, ['src']));
    await writeFile(
      join(outer, 'metadata.json'),
      JSON.stringify({
        type: spec.type ?? 'node',
        path: spec.path ?? '/chaincode',
        label: spec.label,
      }),
    );
    return await tarGz(outer, ['metadata.json', 'code.tar.gz']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a package file into what VM providers are given; the package ID is `label:sha256`. */
export async function readChaincodePackage(bytes: Buffer): Promise<ChaincodePackage> {
  const members = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => members.set(entry.path, Buffer.concat(chunks)));
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(bytes);
  });
  const meta = members.get('metadata.json');
  const code = members.get('code.tar.gz');
  if (meta === undefined || code === undefined) throw new Error('not a chaincode package');
  const metadata = JSON.parse(meta.toString('utf8')) as Record<string, unknown>;
  const label = String(metadata['label']);
  return {
    packageId: `${label}:${createHash('sha256').update(bytes).digest('hex')}`,
    label,
    type: String(metadata['type']),
    path: String(metadata['path']),
    metadata,
    codeArchive: new Uint8Array(code),
  };
}

/** Writes and reads back a package. */
export async function makeChaincodePackage(spec: PackageSpec): Promise<ChaincodePackage> {
  return readChaincodePackage(await writeChaincodePackage(spec));
}

/** A chaincode on the low-level fabric-shim API, started with `node index.js`. */
export function shimChaincode(label: string): PackageSpec {
  return {
    label,
    files: {
      'package.json': JSON.stringify({
        name: label,
        version: '1.0.0',
        main: 'index.js',
        scripts: { start: 'node index.js' },
        dependencies: { 'fabric-shim': '^2.5.0' },
      }),
      'index.js': `'use strict';
const shim = require('fabric-shim');
class Echo {
  async Init() { return shim.success(); }
  async Invoke(stub) {
    const { fcn, params } = stub.getFunctionAndParameters();
    return shim.success(Buffer.from(fcn + ':' + params.join(',') + ':' + process.env.CORE_CHAINCODE_ID_NAME));
  }
}
shim.start(new Echo());
`,
    },
  };
}

/** A fabric-contract-api chaincode, started with `fabric-chaincode-node start`. */
export function contractChaincode(label: string): PackageSpec {
  return {
    label,
    files: {
      'package.json': JSON.stringify({
        name: label,
        version: '1.0.0',
        main: 'index.js',
        scripts: { start: 'fabric-chaincode-node start' },
        dependencies: { 'fabric-contract-api': '^2.5.0', 'fabric-shim': '^2.5.0' },
      }),
      'index.js': `'use strict';
const { Contract } = require('fabric-contract-api');
class Greeter extends Contract {
  constructor() { super('Greeter'); }
  async hello(ctx, name) {
    return 'hello ' + name + ' from ' + ctx.clientIdentity.getMSPID();
  }
}
module.exports.contracts = [Greeter];
`,
    },
  };
}

/** A chaincode that prints a line and exits with `code` before it registers. */
export function crashingChaincode(label: string, code: number): PackageSpec {
  return {
    label,
    files: {
      'package.json': JSON.stringify({
        name: label,
        version: '1.0.0',
        scripts: { start: 'node lib/crash.js' },
      }),
      'lib/crash.js': `console.log('crash chaincode starting as ' + process.env.CORE_CHAINCODE_ID_NAME);
console.error('crash chaincode giving up');
process.exit(${code});
`,
    },
  };
}
