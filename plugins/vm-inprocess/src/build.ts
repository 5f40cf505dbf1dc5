/**
 * Builds Node.js chaincode for the inprocess runtime: the code extracted (safely) into
 * `<peer.fileSystemPath>/externalbuilds/inprocess/<sanitized chaincode id>/`, its dependencies
 * made available, and its start script read as Fabric's node builder runs it (`npm start --
 * --peer.address ...`). A finished build is marked and reused across restarts.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  access,
  lstat,
  mkdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ChaincodePackage, Logger } from '@fabric-peer/api';
import { InprocessRuntimeError, messageOf } from './errors.js';
import { readCodeArchive, writeEntries } from './extract.js';

/** How to run a built chaincode: `node [nodeArgs] <script> [args]`. */
export interface StartCommand {
  /** `shim`: the start script was `fabric-chaincode-node start ...`; `node`: `node <file> ...`. */
  readonly kind: 'shim' | 'node';
  /** Absolute path of the script node runs. */
  readonly script: string;
  /** Node options written before the script (`node --max-old-space-size=512 index.js`). */
  readonly nodeArgs: readonly string[];
  /** Arguments after the script, from the start script. */
  readonly args: readonly string[];
}

/** A built chaincode. */
export interface Build {
  readonly chaincodeId: string;
  readonly dir: string;
  readonly command: StartCommand;
  /** True when an earlier build was reused. */
  readonly reused: boolean;
}

/** Name of the file that marks a finished build. */
export const BUILD_MARKER = '.fabric-peer-build.json';

/** The folder name of a chaincode id: `:` becomes `.` (as in Fabric's file names), other unsafe characters `_`. */
export function sanitizeChaincodeId(id: string): string {
  const base = id.replace(':', '.').replace(/[^A-Za-z0-9_.+-]/g, '_');
  // Replacing characters can make two ids meet, and `.`/`..` are not folder names.
  // A leading dot would also hide the folder and could meet the runtime's own `.run`.
  return base === id.replace(':', '.') && !base.startsWith('.')
    ? base
    : `${base}-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
}

function buildError(chaincodeId: string, message: string, cause?: unknown) {
  return new InprocessRuntimeError('BUILD_FAILED', message, {
    details: { chaincodeId },
    ...(cause === undefined ? {} : { cause }),
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Splits a start script into words (quotes allowed); undefined when it uses shell syntax. */
export function splitWords(script: string): string[] | undefined {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (const ch of script) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else if ('|&;<>()$`\\*?'.includes(ch)) {
      return undefined;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) return undefined;
  if (started) words.push(current);
  return words;
}

/**
 * Reads `scripts.start` as the chaincode's command: `fabric-chaincode-node start [args]` runs the
 * shim's cli.js, `node [options] <file> [args]` runs that file. Anything else is refused with a
 * message saying what is supported.
 */
export function parseStartScript(
  chaincodeId: string,
  dir: string,
  start: unknown,
  shimCli: string,
): StartCommand {
  const unsupported = (why: string) =>
    buildError(
      chaincodeId,
      `cannot run chaincode ${chaincodeId}: ${why}; the inprocess runtime runs a package.json ` +
        `start script of the form "fabric-chaincode-node start [args]" or "node <file> [args]"`,
    );
  if (typeof start !== 'string' || start.trim() === '') {
    throw unsupported('its package.json has no scripts.start');
  }
  const words = splitWords(start);
  if (!words || words.length === 0)
    throw unsupported(`unsupported start script ${JSON.stringify(start)}`);
  const [program, ...rest] = words;
  if (program === 'fabric-chaincode-node') {
    if (rest[0] !== 'start') {
      throw unsupported(
        `start script ${JSON.stringify(start)} does not run "fabric-chaincode-node start"`,
      );
    }
    return { kind: 'shim', script: shimCli, nodeArgs: [], args: ['start', ...rest.slice(1)] };
  }
  if (program === 'node') {
    const fileIndex = rest.findIndex((w) => !w.startsWith('-'));
    const file = rest[fileIndex];
    if (file === undefined)
      throw unsupported(`start script ${JSON.stringify(start)} names no file`);
    const script = resolve(dir, file);
    const rel = relative(dir, script);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw unsupported(`start script ${JSON.stringify(start)} runs a file outside the chaincode`);
    }
    return {
      kind: 'node',
      script,
      nodeArgs: rest.slice(0, fileIndex),
      args: rest.slice(fileIndex + 1),
    };
  }
  throw unsupported(`unsupported start script ${JSON.stringify(start)}`);
}

/** What the builder needs. */
export interface BuilderOptions {
  /** `<peer.fileSystemPath>/externalbuilds/inprocess`. */
  readonly root: string;
  /** Folders of the fabric-shim and fabric-contract-api this runtime provides. */
  readonly provided: Readonly<Record<string, string>>;
  /** npm executable, for packages that need dependencies they do not vendor. */
  readonly npm: string;
  /** Longest time npm may take (chaincode.installTimeout). */
  readonly installTimeoutMs: number;
  readonly logger: Logger;
}

interface PackageJson {
  readonly scripts?: { readonly start?: unknown };
  readonly dependencies?: Readonly<Record<string, unknown>>;
}

/** Builds packages into the build cache, one build per chaincode id at a time. */
export class Builder {
  private readonly inFlight = new Map<string, Promise<Build>>();

  constructor(private readonly options: BuilderOptions) {}

  /** The build folder of a chaincode id. */
  dirOf(chaincodeId: string): string {
    return join(this.options.root, sanitizeChaincodeId(chaincodeId));
  }

  build(chaincodeId: string, pkg: ChaincodePackage): Promise<Build> {
    const pending = this.inFlight.get(chaincodeId);
    if (pending) return pending;
    const p = this.buildOnce(chaincodeId, pkg).finally(() => this.inFlight.delete(chaincodeId));
    this.inFlight.set(chaincodeId, p);
    return p;
  }

  private shimCli(dir: string): string {
    return join(dir, 'node_modules', 'fabric-shim', 'cli.js');
  }

  private async readPackageJson(chaincodeId: string, dir: string): Promise<PackageJson> {
    let text: string;
    try {
      text = await readFile(join(dir, 'package.json'), 'utf8');
    } catch {
      throw buildError(
        chaincodeId,
        `cannot build chaincode ${chaincodeId}: its code package has no package.json (at src/package.json or at the top)`,
      );
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      return parsed;
    } catch (err) {
      throw buildError(
        chaincodeId,
        `cannot build chaincode ${chaincodeId}: its package.json is not valid JSON (${messageOf(err)})`,
        err,
      );
    }
  }

  private async buildOnce(chaincodeId: string, pkg: ChaincodePackage): Promise<Build> {
    const dir = this.dirOf(chaincodeId);
    const codeHash = createHash('sha256').update(pkg.codeArchive).digest('hex');
    const marker = await readFile(join(dir, BUILD_MARKER), 'utf8').catch(() => undefined);
    if (marker !== undefined) {
      try {
        const m = JSON.parse(marker) as { chaincodeId?: string; codeHash?: string };
        if (m.chaincodeId === chaincodeId && m.codeHash === codeHash) {
          const json = await this.readPackageJson(chaincodeId, dir);
          const command = parseStartScript(
            chaincodeId,
            dir,
            json.scripts?.start,
            this.shimCli(dir),
          );
          // The runtime may have moved since (an upgraded peer): point the links at its libraries.
          await this.linkProvided(dir);
          this.options.logger.debug('reusing chaincode build', { chaincodeId, dir });
          return { chaincodeId, dir, command, reused: true };
        }
      } catch (err) {
        if (err instanceof InprocessRuntimeError) throw err;
      }
    }

    const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      const entries = await readCodeArchive(chaincodeId, pkg.codeArchive);
      await writeEntries(tmp, entries);
      const json = await this.readPackageJson(chaincodeId, tmp);
      // Checked before npm runs: a package that cannot start is refused quickly.
      parseStartScript(chaincodeId, tmp, json.scripts?.start, this.shimCli(tmp));
      await this.provideDependencies(chaincodeId, tmp, json);
      await writeFile(
        join(tmp, BUILD_MARKER),
        JSON.stringify({ chaincodeId, codeHash, builtAt: new Date().toISOString() }),
      );
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      const command = parseStartScript(chaincodeId, dir, json.scripts?.start, this.shimCli(dir));
      this.options.logger.info('built chaincode', { chaincodeId, dir });
      return { chaincodeId, dir, command, reused: false };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      if (err instanceof InprocessRuntimeError) throw err;
      throw buildError(
        chaincodeId,
        `cannot build chaincode ${chaincodeId}: ${messageOf(err)}`,
        err,
      );
    }
  }

  /**
   * fabric-shim and fabric-contract-api come from this runtime (linked into node_modules) unless
   * the package vendors them; other dependencies must be vendored, or npm installs them.
   */
  private async provideDependencies(
    chaincodeId: string,
    dir: string,
    json: PackageJson,
  ): Promise<void> {
    const modules = join(dir, 'node_modules');
    const vendored = await exists(modules);
    const deps = Object.keys(json.dependencies ?? {});
    const missing = deps.filter((d) => !(d in this.options.provided));
    if (!vendored && missing.length > 0) await this.npmInstall(chaincodeId, dir, missing);
    await this.linkProvided(dir);
  }

  /** Links the runtime's fabric-shim and fabric-contract-api where the package has none of its own. */
  private async linkProvided(dir: string): Promise<void> {
    const modules = join(dir, 'node_modules');
    await mkdir(modules, { recursive: true });
    for (const [name, from] of Object.entries(this.options.provided)) {
      const at = join(modules, name);
      const info = await lstat(at).catch(() => undefined);
      if (info?.isSymbolicLink() && (await readlink(at)) !== from) await unlink(at);
      else if (info) continue;
      await symlink(from, at, 'dir');
    }
  }

  private npmInstall(chaincodeId: string, dir: string, missing: string[]): Promise<void> {
    this.options.logger.info('installing chaincode dependencies with npm', {
      chaincodeId,
      dependencies: missing,
    });
    return new Promise((resolvePromise, reject) => {
      const child = spawn(this.options.npm, ['install', '--omit=dev', '--no-audit', '--no-fund'], {
        cwd: dir,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: this.options.installTimeoutMs,
        killSignal: 'SIGKILL',
      });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-4000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const fail = (why: string, cause?: unknown) =>
        reject(
          buildError(
            chaincodeId,
            `cannot build chaincode ${chaincodeId}: npm install of its dependencies ` +
              `(${missing.join(', ')}) failed: ${why}`,
            cause,
          ),
        );
      child.on('error', (err) => fail(messageOf(err), err));
      child.on('close', (code, signal) => {
        if (code === 0) resolvePromise();
        else
          fail(
            signal
              ? `npm was killed (${signal}) after ${this.options.installTimeoutMs} ms or by a signal`
              : `npm exited with code ${code}: ${output.trim()}`,
          );
      });
    });
  }
}
