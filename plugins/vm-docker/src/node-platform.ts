/**
 * Fabric's Node.js platform for the Docker runtime: the chaincode's code (`src/` of code.tar.gz)
 * goes to `/usr/local/src` of an image made `FROM chaincode.node.runtime`, and the container runs
 * what `npm start` would run, without npm: `fabric-chaincode-node start` becomes the shim's
 * `cli.js`, `node x.js` stays as it is, and Fabric's `--peer.address <address>` is appended.
 */
import { Parser, type ReadEntry } from 'tar';
import { DockerRuntimeError } from './errors.js';
import type { TarEntry } from './tar.js';

/** Where the chaincode's code lives in the image (Fabric's). */
export const CODE_DIR = '/usr/local/src';
/** Where the vendored modules live: above the code, so the package's own node_modules win. */
export const VENDOR_DIR = '/usr/local/node_modules';
/** The small preload that lets node, as PID 1 of a container, end on SIGTERM. */
export const PRELOAD_PATH = '/usr/local/lib/fabric-peer/signals.cjs';

/**
 * Node ignores SIGTERM as PID 1 when the program installs no handler; `docker stop` would then
 * wait for its timeout and kill. The exit code is the conventional 128 + signal number.
 */
export const PRELOAD_SOURCE = `'use strict';
// Installed by fabric-peer's Docker runtime: end on SIGTERM/SIGINT even as PID 1.
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]]) {
  process.on(signal, () => process.exit(code));
}
`;

/** The files of a chaincode's code archive that go into its image. */
export interface NodeCode {
  /** Files under `src/`, by path relative to `src/`. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** The parsed `src/package.json`. */
  readonly packageJson: Readonly<Record<string, unknown>>;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

function invalid(ccid: string, problem: string, cause?: unknown): DockerRuntimeError {
  return new DockerRuntimeError(
    'DOCKER_INVALID_PACKAGE',
    `chaincode package ${ccid} cannot be built: ${problem}`,
    { ...(cause !== undefined ? { cause } : {}), details: { chaincodeId: ccid } },
  );
}

/** Reads the `src/` files of code.tar.gz (gzip or plain tar); other members are ignored. */
export async function readNodeCode(ccid: string, codeArchive: Uint8Array): Promise<NodeCode> {
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const path = entry.path.replace(/^\.?\/+/, '');
        const m = /^src\/(.+)$/.exec(path);
        const rel = m?.[1]?.replace(/\/+$/, '');
        if (!FILE_TYPES.has(entry.type) || rel === undefined || rel === '') {
          entry.resume();
          return;
        }
        // Never a path that would leave /usr/local/src.
        if (rel.split('/').some((p) => p === '..' || p === '')) {
          entry.resume();
          reject(invalid(ccid, `code.tar.gz holds an illegal path: ${entry.path}`));
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => files.set(rel, Buffer.concat(chunks)));
      },
    });
    parser.on('error', (err: Error) =>
      reject(invalid(ccid, `code.tar.gz is not a readable tar archive (${err.message})`, err)),
    );
    parser.on('end', () => resolve());
    parser.end(Buffer.from(codeArchive.buffer, codeArchive.byteOffset, codeArchive.byteLength));
  });
  const pkg = files.get('package.json');
  if (pkg === undefined) {
    throw invalid(ccid, 'no package.json found at the root of the chaincode package');
  }
  let packageJson: unknown;
  try {
    packageJson = JSON.parse(pkg.toString('utf8'));
  } catch (err) {
    throw invalid(ccid, `src/package.json is not valid JSON (${(err as Error).message})`, err);
  }
  if (typeof packageJson !== 'object' || packageJson === null || Array.isArray(packageJson)) {
    throw invalid(ccid, 'src/package.json is not a JSON object');
  }
  return { files, packageJson: packageJson as Record<string, unknown> };
}

/** Splits a command line as a POSIX shell would, for the forms `npm start` scripts use. */
export function splitCommand(line: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const quoted = line.slice(i + 1, end);
      // Expansions inside double quotes need a shell.
      if (c === '"' && /[$`\\]/.test(quoted)) return undefined;
      word += quoted;
      inWord = true;
      i = end;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (/[|&;<>()$`\\*?[\]{}~#!]/.test(c)) {
      // Pipes, lists, redirections, expansions, globs: not a plain command.
      return undefined;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** How a chaincode container runs: the image's entrypoint and environment. */
export interface StartCommand {
  /** The argv, before Fabric's `--peer.address <address>`. */
  readonly argv: readonly string[];
  /** `NAME=value` assignments written before the command in the start script. */
  readonly env: readonly string[];
}

/**
 * The command `npm start` would run (npm's default is `node server.js` when package.json has no
 * start script and server.js exists), without a shell or npm.
 */
export function startCommand(ccid: string, code: NodeCode): StartCommand {
  const scripts = code.packageJson['scripts'];
  let script: unknown =
    typeof scripts === 'object' && scripts !== null
      ? (scripts as Record<string, unknown>)['start']
      : undefined;
  if (script === undefined && code.files.has('server.js')) script = 'node server.js';
  if (typeof script !== 'string' || script.trim() === '') {
    throw invalid(
      ccid,
      'package.json has no scripts.start (e.g. "fabric-chaincode-node start" or "node index.js")',
    );
  }
  const words = splitCommand(script.trim());
  const unsupported = (): DockerRuntimeError =>
    invalid(
      ccid,
      `the start script ${JSON.stringify(script)} is not supported: containers run it without ` +
        'a shell or npm, so it must be "fabric-chaincode-node start [options]" or ' +
        '"node [options] <file> [args]", optionally after NAME=value assignments',
    );
  if (words === undefined) throw unsupported();
  const env: string[] = [];
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) {
    env.push(words.shift() as string);
  }
  const [command, ...args] = words;
  if (command === undefined) throw unsupported();
  const base = command.split('/').pop();
  if (base === 'fabric-chaincode-node') {
    // The package's own fabric-shim, when it brings one, else the vendored one.
    const own = code.files.has('node_modules/fabric-shim/cli.js');
    const cli = own
      ? `${CODE_DIR}/node_modules/fabric-shim/cli.js`
      : `${VENDOR_DIR}/fabric-shim/cli.js`;
    return { argv: ['node', '--require', PRELOAD_PATH, cli, ...args], env };
  }
  if (base === 'node' || base === 'nodejs') {
    if (args.length === 0) throw unsupported();
    return { argv: ['node', '--require', PRELOAD_PATH, ...args], env };
  }
  throw unsupported();
}

/**
 * The names of `dependencies` in package.json that neither the package (under node_modules) nor
 * the vendored modules provide; without a registry nothing else can be installed.
 */
export function missingDependencies(code: NodeCode, vendored: ReadonlySet<string>): string[] {
  const deps = code.packageJson['dependencies'];
  if (typeof deps !== 'object' || deps === null) return [];
  return Object.keys(deps)
    .filter((name) => !vendored.has(name))
    .filter((name) => !code.files.has(`node_modules/${name}/package.json`))
    .sort();
}

/** A Dockerfile double-quoted word: no variable expansion, no line break. */
function quote(text: string): string {
  return `"${text.replace(/[\\"$]/g, '\\$&').replace(/\r?\n/g, ' ')}"`;
}

/** Labels of a chaincode image. */
export const LABEL_CHAINCODE_ID = 'org.hyperledger.fabric-peer.chaincode-id';

/** The Dockerfile of a chaincode image. */
export function dockerfile(
  runtimeImage: string,
  start: StartCommand,
  ccid: string,
  shimVersions: Readonly<Record<string, string>>,
): string {
  const labels = {
    [LABEL_CHAINCODE_ID]: ccid,
    'org.hyperledger.fabric-peer.vendored': Object.entries(shimVersions)
      .map(([n, v]) => `${n}@${v}`)
      .join(' '),
  };
  const lines = [
    `FROM ${runtimeImage}`,
    // Vendored modules first: the layer is the same for every chaincode, so Docker reuses it.
    `COPY node_modules ${VENDOR_DIR}`,
    `COPY signals.cjs ${PRELOAD_PATH}`,
    `COPY src ${CODE_DIR}`,
    `WORKDIR ${CODE_DIR}`,
    ...start.env.map((e) => {
      const eq = e.indexOf('=');
      return `ENV ${e.slice(0, eq)}=${quote(e.slice(eq + 1))}`;
    }),
    `LABEL ${Object.entries(labels)
      .map(([k, v]) => `${quote(k)}=${quote(v)}`)
      .join(' ')}`,
    `ENTRYPOINT ${JSON.stringify(start.argv)}`,
    'CMD []',
    '',
  ];
  return lines.join('\n');
}

/** The build context: Dockerfile, the preload, the vendored modules, the code under `src/`. */
export function buildContext(
  dockerfileText: string,
  code: NodeCode,
  vendored: readonly TarEntry[],
): TarEntry[] {
  const entries: TarEntry[] = [
    { type: 'file', path: 'Dockerfile', data: Buffer.from(dockerfileText, 'utf8') },
    { type: 'file', path: 'signals.cjs', data: Buffer.from(PRELOAD_SOURCE, 'utf8') },
    ...vendored,
    { type: 'dir', path: 'src' },
  ];
  const dirs = new Set<string>();
  for (const path of [...code.files.keys()].sort()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ type: 'dir', path: `src/${d}` });
      }
    }
    entries.push({ type: 'file', path: `src/${path}`, data: code.files.get(path) as Buffer });
  }
  return entries;
}
