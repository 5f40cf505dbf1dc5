/**
 * The Node.js modules chaincode images get from the peer's machine: `fabric-shim` and
 * `fabric-contract-api` with their dependency trees, found from this plugin's own dependencies.
 * Chaincode containers cannot reach an npm registry, so Fabric's `npm install` at build time is
 * replaced by copying what the peer itself runs with.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerRuntimeError } from './errors.js';
import type { TarEntry } from './tar.js';

/** The modules every Node.js chaincode image holds. */
export const VENDORED_ROOTS = ['fabric-shim', 'fabric-contract-api'] as const;

/** Files no chaincode loads at run time: types, sources of compiled code, source maps, docs. */
const SKIPPED_FILE = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md|\.markdown)$/i;

/** The vendored modules: files under `node_modules/...` and the top-level module names. */
export interface VendoredModules {
  /** Entries with paths `node_modules/<name>/...` (nested `node_modules` kept where npm put them). */
  readonly entries: readonly TarEntry[];
  /** Names a chaincode can `require` (the top level of the tree). */
  readonly topLevel: ReadonlySet<string>;
  /** Name and version of each root, for labels and logs. */
  readonly versions: Readonly<Record<string, string>>;
}

/** This package's folder (the code runs from `dist/src`). */
export function pluginDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

async function readJson(file: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Node's lookup of a package directory: `node_modules/<name>` in `from` and each parent. */
async function findPackage(from: string, name: string): Promise<string | undefined> {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    try {
      if ((await stat(join(candidate, 'package.json'))).isFile()) return candidate;
    } catch {
      // Not here: one level up.
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

async function listFiles(dir: string, base: string, out: TarEntry[]): Promise<void> {
  const items = await readdir(dir, { withFileTypes: true });
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const item of items) {
    const full = join(dir, item.name);
    const path = `${base}/${item.name}`;
    if (item.isDirectory()) {
      // Nested packages are entries of the tree of their own, when something depends on them.
      if (item.name === 'node_modules') continue;
      out.push({ type: 'dir', path });
      await listFiles(full, path, out);
    } else if (item.isFile() && !SKIPPED_FILE.test(item.name)) {
      const s = await stat(full);
      out.push({
        type: 'file',
        path,
        source: full,
        size: s.size,
        mode: s.mode & 0o111 ? 0o755 : 0o644,
      });
    }
  }
}

/**
 * Collects the dependency trees of {@link VENDORED_ROOTS} as Node resolves them from `from`
 * (default: this plugin's folder). The layout under the folder holding the roots is kept, so
 * that every module resolves in the image to the copy it resolves to on the peer's machine.
 */
export async function collectVendoredModules(from: string = pluginDir()): Promise<VendoredModules> {
  const dirs = new Map<string, string>(); // package directory → name
  const versions: Record<string, string> = {};
  const missing: string[] = [];

  const visit = async (dir: string, name: string): Promise<void> => {
    if (dirs.has(dir)) return;
    dirs.set(dir, name);
    const pkg = (await readJson(join(dir, 'package.json'))) ?? {};
    const deps = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const dep of [...deps, ...optional]) {
      // Type declarations are never loaded at run time.
      if (dep.startsWith('@types/')) continue;
      const found = await findPackage(dir, dep);
      if (found === undefined) {
        if (!optional.has(dep) && !Object.keys(pkg.peerDependencies ?? {}).includes(dep)) {
          missing.push(`${dep} (needed by ${name})`);
        }
        continue;
      }
      await visit(found, dep);
    }
  };

  const roots: string[] = [];
  for (const root of VENDORED_ROOTS) {
    const dir = await findPackage(from, root);
    if (dir === undefined) {
      missing.push(root);
      continue;
    }
    roots.push(dir);
    versions[root] = (await readJson(join(dir, 'package.json')))?.version ?? 'unknown';
    await visit(dir, root);
  }
  if (missing.length > 0) {
    throw new DockerRuntimeError(
      'DOCKER_INVALID_PACKAGE',
      `cannot vendor the chaincode modules: ${missing.join(', ')} not installed on the peer's machine ` +
        `(looked up from ${from}); install @fabric-peer/vm-docker with its dependencies`,
      { details: { missing } },
    );
  }

  // The node_modules folder holding the first root is the top of the copied tree.
  let top = roots[0] as string;
  for (let i = 0; i < (VENDORED_ROOTS[0] as string).split('/').length; i++) top = dirname(top);
  const entries: TarEntry[] = [];
  const topLevel = new Set<string>();
  const placed = new Map<string, string>(); // path in the image → package directory
  for (const [dir, name] of [...dirs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rel = relative(top, dir);
    const inside = rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
    // A package found above the top (a parent's node_modules) goes to the top level.
    const path = `node_modules/${inside ? rel.split(sep).join('/') : name}`;
    const other = placed.get(path);
    if (other !== undefined && other !== dir) {
      throw new DockerRuntimeError(
        'DOCKER_INVALID_PACKAGE',
        `cannot vendor the chaincode modules: ${other} and ${dir} would both be ${path}`,
      );
    }
    placed.set(path, dir);
    if (!path.slice('node_modules/'.length).includes('/node_modules/')) topLevel.add(name);
    await listFiles(dir, path, entries);
  }
  // Parent folders the listing does not hold (node_modules, scopes).
  const dirsNeeded = new Set<string>();
  for (const path of placed.keys()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirsNeeded.add(parts.slice(0, i + 1).join('/'));
  }
  const dirEntries: TarEntry[] = [{ type: 'dir', path: 'node_modules' }];
  for (const d of [...dirsNeeded].sort()) dirEntries.push({ type: 'dir', path: d });
  return { entries: [...dirEntries, ...entries], topLevel, versions };
}
