/**
 * The Fabric 2.x chaincode package (Fabric's persistence.ChaincodePackageParser): a tar.gz holding
 * `metadata.json` ({type, path, label}) and `code.tar.gz`. Package id = `label:hex(sha256(bytes))`.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ChaincodePackage } from '@fabric-peer/api';
import { messageOf, PackageError } from './errors.js';
import { readTarGz, TarFormatError, writeTarGz, type TarInput } from './tar.js';

/** Name of the metadata document at the top of a package. */
export const METADATA_FILE = 'metadata.json';
/** Name of the code archive at the top of a package. */
export const CODE_PACKAGE_FILE = 'code.tar.gz';

/** Fabric's LabelRegexp, `^[[:alnum:]][[:alnum:]_.+-]*$` (POSIX classes are ASCII in Go). */
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** metadata.json as Fabric reads it. */
export interface ChaincodePackageMetadata {
  readonly type: string;
  readonly path: string;
  readonly label: string;
}

/** A parsed 2.x package. */
export interface ParsedChaincodePackage {
  readonly metadata: ChaincodePackageMetadata;
  /** metadata.json as written in the package (all its fields, not only the three Fabric reads). */
  readonly metadataJson: Readonly<Record<string, unknown>>;
  /** The code.tar.gz bytes. */
  readonly codeArchive: Uint8Array;
  /**
   * Things Fabric only warns about (files other than metadata.json and code.tar.gz at the top of
   * the package); the caller logs them.
   */
  readonly warnings: readonly string[];
}

/** `label:hex(sha256(packageBytes))`, Fabric's persistence.PackageID. */
export function packageId(label: string, packageBytes: Uint8Array): string {
  return `${label}:${createHash('sha256').update(packageBytes).digest('hex')}`;
}

/** Throws PackageError `INVALID_PACKAGE` (Fabric's message) unless `label` is a valid label. */
export function validateLabel(label: string): void {
  if (!LABEL_PATTERN.test(label)) {
    throw invalid(
      `invalid label '${label}'. Label must be non-empty, can only consist of alphanumerics, ` +
        `symbols from '.+-_', and can only begin with alphanumerics`,
      { label },
    );
  }
}

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
  return new PackageError('INVALID_PACKAGE', message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Parses a package as Fabric's ParseChaincodePackage does, with its error messages: not a gzip
 * (`error reading as gzip stream: ...`), a bad tar, an entry that is not a regular file, bad JSON,
 * missing code.tar.gz or metadata.json, an invalid label. Unexpected top-level files are warnings,
 * as in Fabric (a package Fabric installs installs here too).
 */
export function parseChaincodePackage(bytes: Uint8Array): ParsedChaincodePackage {
  let entries;
  try {
    entries = readTarGz(bytes);
  } catch (err) {
    if (!(err instanceof TarFormatError)) throw err;
    const what = /gzip/.test(err.message)
      ? 'error reading as gzip stream'
      : 'error inspecting next tar header';
    throw invalid(`${what}: ${err.message}`, {}, err);
  }
  let metadataJson: Record<string, unknown> | undefined;
  let codeArchive: Uint8Array | undefined;
  const warnings: string[] = [];
  for (const entry of entries) {
    if (entry.type !== 'file') {
      throw invalid(
        `tar entry ${entry.path} is not a regular file, type ${entry.typeflag.charCodeAt(0)}`,
        { entry: entry.path },
      );
    }
    switch (entry.path) {
      case METADATA_FILE: {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.from(entry.data).toString('utf8'));
        } catch (err) {
          throw invalid(`could not unmarshal ${METADATA_FILE} as json: ${messageOf(err)}`, {}, err);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw invalid(`could not unmarshal ${METADATA_FILE} as json: not a JSON object`);
        }
        const fields = parsed as Record<string, unknown>;
        for (const key of ['type', 'path', 'label']) {
          if (fields[key] !== undefined && typeof fields[key] !== 'string') {
            throw invalid(
              `could not unmarshal ${METADATA_FILE} as json: field ${key} is not a string`,
            );
          }
        }
        metadataJson = fields;
        break;
      }
      case CODE_PACKAGE_FILE:
        codeArchive = entry.data;
        break;
      default:
        warnings.push(
          `Encountered unexpected file '${entry.path}' in top level of chaincode package`,
        );
    }
  }
  if (codeArchive === undefined) throw invalid('did not find a code package inside the package');
  if (metadataJson === undefined) {
    throw invalid(`did not find any package metadata (missing ${METADATA_FILE})`);
  }
  const metadata = {
    type: str(metadataJson.type),
    path: str(metadataJson.path),
    label: str(metadataJson.label),
  };
  validateLabel(metadata.label);
  return { metadata, metadataJson, codeArchive: Uint8Array.from(codeArchive), warnings };
}

/** The package as runtimes see it. */
export function toChaincodePackage(id: string, parsed: ParsedChaincodePackage): ChaincodePackage {
  return {
    packageId: id,
    label: parsed.metadata.label,
    type: parsed.metadata.type,
    path: parsed.metadata.path,
    metadata: parsed.metadataJson,
    codeArchive: parsed.codeArchive,
  };
}

/** Options of {@link createChaincodePackage}. */
export interface CreatePackageOptions {
  readonly label: string;
  /** metadata.json `type`: node, golang, java, ccaas, ... */
  readonly type: string;
  /** metadata.json `path` (Fabric's CLI writes the source path; `''` is fine for node). */
  readonly path?: string;
  /**
   * The code, by path inside code.tar.gz (e.g. `src/index.js`, as Fabric's CLI lays out Node
   * chaincode), or entries with types (directories, links) for tests of odd archives.
   */
  readonly files?: Readonly<Record<string, Uint8Array | string>> | readonly TarInput[];
  /** A folder whose files go under `src/` in code.tar.gz, as `peer lifecycle chaincode package` does for Node. */
  readonly codeDir?: string;
  /** Extra metadata.json fields. */
  readonly extraMetadata?: Readonly<Record<string, unknown>>;
}

async function filesOf(dir: string, prefix: string): Promise<TarInput[]> {
  const out: TarInput[] = [];
  const walk = async (current: string): Promise<void> => {
    const names = (await readdir(current)).sort();
    for (const name of names) {
      const full = join(current, name);
      const info = await stat(full);
      const rel = relative(dir, full).split(sep).join('/');
      if (info.isDirectory()) {
        await walk(full);
      } else if (info.isFile()) {
        out.push({ path: `${prefix}${rel}`, data: await readFile(full), mode: info.mode & 0o777 });
      }
    }
  };
  await walk(dir);
  return out;
}

/** The code.tar.gz of `options` (files, or a folder under `src/`). */
export async function createCodeArchive(
  options: Pick<CreatePackageOptions, 'files' | 'codeDir'>,
): Promise<Buffer> {
  const inputs: TarInput[] = [];
  if (options.codeDir !== undefined) inputs.push(...(await filesOf(options.codeDir, 'src/')));
  const files = options.files;
  if (Array.isArray(files)) {
    inputs.push(...(files as readonly TarInput[]));
  } else if (files !== undefined) {
    for (const [path, data] of Object.entries(files as Record<string, Uint8Array | string>)) {
      inputs.push({ path, data });
    }
  }
  return writeTarGz(inputs);
}

/**
 * Makes a Fabric 2.x package, as `peer lifecycle chaincode package` does: metadata.json then
 * code.tar.gz in a tar.gz. For tests and tools.
 */
export async function createChaincodePackage(options: CreatePackageOptions): Promise<Buffer> {
  validateLabel(options.label);
  const metadata = {
    ...options.extraMetadata,
    type: options.type,
    path: options.path ?? '',
    label: options.label,
  };
  const code = await createCodeArchive(options);
  return writeTarGz([
    { path: METADATA_FILE, data: JSON.stringify(metadata) },
    { path: CODE_PACKAGE_FILE, data: code },
  ]);
}

/** connection.json of a chaincode-as-a-service package (Fabric's ChaincodeServerUserData). */
export interface CcaasConnection {
  readonly address: string;
  /** A Go duration, e.g. `10s`. */
  readonly dial_timeout?: string;
  readonly tls_required?: boolean;
  readonly client_auth_required?: boolean;
  readonly client_key?: string;
  readonly client_cert?: string;
  readonly root_cert?: string;
}

/**
 * Makes a `type: ccaas` package whose code.tar.gz holds `connection.json` (and optionally
 * `META-INF/...` files), as Fabric's chaincode-as-a-service documentation shows.
 */
export async function createCcaasPackage(options: {
  readonly label: string;
  readonly connection: CcaasConnection;
  readonly files?: Readonly<Record<string, Uint8Array | string>>;
}): Promise<Buffer> {
  return createChaincodePackage({
    label: options.label,
    type: 'ccaas',
    path: '',
    files: { 'connection.json': JSON.stringify(options.connection), ...options.files },
  });
}
