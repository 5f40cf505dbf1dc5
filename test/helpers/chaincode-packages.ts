/**
 * Chaincode packages as Fabric's own tools make them, for the tests: the legacy
 * ChaincodeDeploymentSpec `peer chaincode package`/`install` sends to lscc (a Node chaincode's
 * files under `src/` in a gzipped tar, as Fabric's node platform writes them).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { protos } from '@fabric-peer/protos';

/** Every file under `dir` except node_modules, relative paths in sorted order. */
function filesOf(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesOf(path, root));
    else out.push(relative(root, path));
  }
  return out;
}

/** One ustar header block. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(name) > 100) throw new Error(`path too long for the test tar: ${name}`);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/**
 * A gzipped tar of `dir`'s files under `prefix/`, then `extra` files at their own paths (e.g.
 * `META-INF/statedb/couchdb/indexes/...`), deterministic (fixed times and modes).
 */
export function codeArchive(
  dir: string,
  prefix = 'src',
  extra: Readonly<Record<string, string>> = {},
): Uint8Array {
  const parts: Buffer[] = [];
  const entries: [string, Buffer][] = [
    ...filesOf(dir).map((file): [string, Buffer] => [
      `${prefix}/${file.split('\\').join('/')}`,
      readFileSync(join(dir, file)),
    ]),
    ...Object.entries(extra).map(([path, text]): [string, Buffer] => [path, Buffer.from(text)]),
  ];
  for (const [path, data] of entries) {
    parts.push(tarHeader(path, data.length), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** The ChaincodeDeploymentSpec of a Node chaincode folder, as `peer chaincode install` sends it. */
export function nodeDeploymentSpec(options: {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  /** Files added at their own paths in the code package (e.g. `META-INF/...`). */
  readonly extra?: Readonly<Record<string, string>>;
}): Uint8Array {
  return protos.ChaincodeDeploymentSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type.NODE,
      chaincodeId: { name: options.name, version: options.version, path: options.dir },
      input: { args: [] },
    },
    codePackage: codeArchive(options.dir, 'src', options.extra),
  }).finish();
}
