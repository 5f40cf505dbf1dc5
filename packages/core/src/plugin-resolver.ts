/**
 * Finds the file to import for a `library:` value: a path (relative to the config file's folder)
 * or an npm package name (searched in node_modules from the config folder up, then from the
 * peer's own installation, so the built-in plugins always resolve).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** Where a plugin's code lives. */
export interface ResolvedLibrary {
  /** The file to import. */
  readonly entry: string;
  /** The package folder (or the file's folder for a bare file). */
  readonly location: string;
  /** package.json `name`, or the library string when there is none. */
  readonly packageName: string;
  /** package.json `version`, when known. */
  readonly packageVersion?: string;
}

/** Why a library could not be resolved, in words for the operator. */
export class LibraryNotFound extends Error {}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
}

const CONDITIONS = ['import', 'node', 'default', 'require'];

function isPathLike(library: string): boolean {
  return library.startsWith('.') || isAbsolute(library);
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (err) {
    throw new LibraryNotFound(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Picks the entry of an `exports` value for the root export, following Node's conditions. */
function exportsEntry(exp: unknown): string | undefined {
  if (typeof exp === 'string') return exp;
  if (Array.isArray(exp)) {
    for (const e of exp) {
      const r = exportsEntry(e);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (exp === null || typeof exp !== 'object') return undefined;
  const obj = exp as Record<string, unknown>;
  if ('.' in obj) return exportsEntry(obj['.']);
  if (Object.keys(obj).some((k) => k.startsWith('.'))) return undefined;
  for (const c of CONDITIONS) {
    if (c in obj) {
      const r = exportsEntry(obj[c]);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

function packageDirEntry(linkedDir: string, library: string): ResolvedLibrary {
  // Workspaces and `npm link` install packages as symlinks; Node imports them by their real path,
  // so that is the identity used to load a package once and to show where it lives.
  const dir = realpathSync(linkedDir);
  const pkg = readPackageJson(dir);
  let rel: string | undefined;
  if (pkg) rel = pkg.exports !== undefined ? exportsEntry(pkg.exports) : pkg.main;
  const candidates = rel !== undefined ? [rel, `${rel}.js`, join(rel, 'index.js')] : ['index.js'];
  for (const c of candidates) {
    const file = resolve(dir, c);
    if (existsSync(file) && statSync(file).isFile()) {
      return {
        entry: file,
        location: dir,
        packageName: pkg?.name ?? library,
        ...(pkg?.version !== undefined ? { packageVersion: pkg.version } : {}),
      };
    }
  }
  throw new LibraryNotFound(
    pkg
      ? `${join(dir, 'package.json')} names no entry file that exists (looked for ${candidates.join(', ')}); has the package been built?`
      : `${dir} has no package.json and no index.js`,
  );
}

function resolvePath(library: string, baseDir: string): ResolvedLibrary {
  const target = resolve(baseDir, library);
  if (!existsSync(target)) {
    throw new LibraryNotFound(`${target} does not exist (paths resolve against ${baseDir})`);
  }
  if (statSync(target).isDirectory()) return packageDirEntry(target, library);
  // A bare file names itself: the nearest package.json above it may belong to something else.
  const file = realpathSync(target);
  return { entry: file, location: dirname(file), packageName: file };
}

function searchNodeModules(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  while (true) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, 'node_modules', ...name.split('/'));
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Resolves `library` as given in core.yaml. `baseDir` is the config file's folder; `fallbackDirs`
 * are searched for package names after it (the peer's installation).
 */
export function resolveLibrary(
  library: string,
  baseDir: string,
  fallbackDirs: readonly string[] = [],
): ResolvedLibrary {
  if (library.trim() === '') throw new LibraryNotFound('the library name is empty');
  if (isPathLike(library)) return resolvePath(library, baseDir);
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(library)) {
    throw new LibraryNotFound(
      `"${library}" is neither a path (start it with ./ or /) nor an npm package name`,
    );
  }
  for (const from of [baseDir, ...fallbackDirs]) {
    const dir = searchNodeModules(library, from);
    if (dir) return packageDirEntry(dir, library);
  }
  throw new LibraryNotFound(
    `package "${library}" is not installed (searched node_modules from ${[baseDir, ...fallbackDirs].join(' and from ')})`,
  );
}
