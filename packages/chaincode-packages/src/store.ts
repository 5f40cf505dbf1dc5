/**
 * The store of Fabric 2.x packages (Fabric's persistence.Store):
 * `<peer.fileSystemPath>/lifecycle/chaincodes/<label>.<hash>.tar.gz`.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, LoggerFactory, PeerConfig } from '@fabric-peer/api';
import { fileSystemPathOf, quietLogger } from './config.js';
import { messageOf, PackageError } from './errors.js';
import { readIfExists, writeNewFileAtomically } from './files.js';
import { LABEL_PATTERN, packageId, parseChaincodePackage } from './package.js';
import type { ChaincodePackageStore, InstalledPackageInfo } from './types.js';

/** The folder of 2.x packages under `peer.fileSystemPath`, as Fabric lays it out. */
export function lifecycleChaincodesPath(fileSystemPath: string): string {
  return join(fileSystemPath, 'lifecycle', 'chaincodes');
}

const PACKAGE_FILE = /^(.+)[.]([0-9a-f]{64})[.]tar[.]gz$/;
const PACKAGE_ID = /^(.+):([0-9a-f]{64})$/;

/** Fabric's CCFileName: `<label>.<hash>.tar.gz`. */
export function packageFileName(id: string): string {
  return `${id.replace(':', '.')}.tar.gz`;
}

/**
 * Splits a 2.x package id into label and hash, or undefined when it is not one (which also keeps
 * an id from a client from naming a file outside the store).
 */
export function parsePackageId(id: string): { label: string; hash: string } | undefined {
  const m = PACKAGE_ID.exec(id);
  if (!m || !LABEL_PATTERN.test(m[1] ?? '')) return undefined;
  return { label: m[1] ?? '', hash: m[2] ?? '' };
}

/** Options of {@link FileChaincodePackageStore}. */
export interface FileChaincodePackageStoreOptions {
  /** `peer.fileSystemPath`. */
  readonly fileSystemPath: string;
  readonly logger?: Logger;
}

/** {@link ChaincodePackageStore} on the file system, laid out as Fabric's. */
export class FileChaincodePackageStore implements ChaincodePackageStore {
  /** `<peer.fileSystemPath>/lifecycle/chaincodes`. */
  readonly dir: string;
  private readonly log: Logger;

  constructor(options: FileChaincodePackageStoreOptions) {
    this.dir = lifecycleChaincodesPath(options.fileSystemPath);
    this.log = options.logger ?? quietLogger;
  }

  /** The store of the peer that `config` describes (reads `peer.fileSystemPath`). */
  static fromConfig(config: PeerConfig, loggers?: LoggerFactory): FileChaincodePackageStore {
    return new FileChaincodePackageStore({
      fileSystemPath: fileSystemPathOf(config),
      ...(loggers ? { logger: loggers('chaincode.persistence') } : {}),
    });
  }

  async install(packageBytes: Uint8Array): Promise<InstalledPackageInfo> {
    const parsed = parseChaincodePackage(packageBytes);
    for (const warning of parsed.warnings) this.log.warn(warning);
    const label = parsed.metadata.label;
    const id = packageId(label, packageBytes);
    let written: boolean;
    try {
      written = await writeNewFileAtomically(this.dir, packageFileName(id), packageBytes);
    } catch (err) {
      throw new PackageError(
        'STORE_FAILED',
        `error writing chaincode install package to ${join(this.dir, packageFileName(id))}: ${messageOf(err)}`,
        { cause: err, details: { packageId: id } },
      );
    }
    if (!written) {
      throw new PackageError(
        'ALREADY_INSTALLED',
        `chaincode already successfully installed (package ID '${id}')`,
        { details: { packageId: id } },
      );
    }
    this.log.info('installed chaincode package', { packageId: id, type: parsed.metadata.type });
    return { packageId: id, label };
  }

  async load(id: string): Promise<Uint8Array | undefined> {
    if (parsePackageId(id) === undefined) return undefined;
    const path = join(this.dir, packageFileName(id));
    try {
      return await readIfExists(path);
    } catch (err) {
      throw new PackageError(
        'STORE_FAILED',
        `error reading chaincode install package at ${path}: ${messageOf(err)}`,
        { cause: err, details: { packageId: id } },
      );
    }
  }

  async list(): Promise<InstalledPackageInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PackageError(
        'STORE_FAILED',
        `error reading chaincode directory at ${this.dir}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    const found: InstalledPackageInfo[] = [];
    for (const name of names) {
      const m = PACKAGE_FILE.exec(name);
      if (m) found.push({ packageId: `${m[1]}:${m[2]}`, label: m[1] ?? '' });
    }
    return found.sort((a, b) =>
      a.packageId < b.packageId ? -1 : a.packageId > b.packageId ? 1 : 0,
    );
  }

  /**
   * Removes an installed package (Fabric deletes a package whose build failed); resolves false
   * when it was not installed.
   */
  async remove(id: string): Promise<boolean> {
    if (parsePackageId(id) === undefined) return false;
    try {
      await unlink(join(this.dir, packageFileName(id)));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}
