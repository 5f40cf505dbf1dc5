/**
 * The chaincodes installed on this peer, by the id they run under (Fabric's
 * FallbackPackageLocator): `label:hash` ids from the 2.x store, `name:version` ids from the
 * legacy one, each as the ChaincodePackage runtimes build.
 */
import { createHash } from 'node:crypto';
import type { ChaincodePackage, LoggerFactory, PeerConfig } from '@fabric-peer/api';
import { protos } from '@fabric-peer/protos';
import { PackageError } from './errors.js';
import { FileLegacyChaincodeStore } from './legacy.js';
import { parseChaincodePackage, toChaincodePackage } from './package.js';
import { FileChaincodePackageStore, parsePackageId } from './store.js';
import type { ChaincodePackageStore, LegacyChaincodeStore } from './types.js';

/**
 * Structurally the `InstalledChaincodes` contract of `@fabric-peer/chaincode` (which depends on
 * this package, so it cannot be imported here).
 */
export interface InstalledChaincodeLookup {
  /** The installed package for `chaincodeId`, or undefined when it is not installed. */
  get(chaincodeId: string): Promise<ChaincodePackage | undefined>;
}

/** Options of {@link InstalledChaincodesImpl}. */
export interface InstalledChaincodesOptions {
  readonly packages: ChaincodePackageStore;
  /** Absent: `name:version` ids are never found. */
  readonly legacy?: LegacyChaincodeStore;
  /** How many parsed packages to keep in memory (least recently used go first). Default 16. */
  readonly cacheSize?: number;
}

/** Looks installed chaincode up in the 2.x store, then in the legacy store, as Fabric does. */
export class InstalledChaincodesImpl implements InstalledChaincodeLookup {
  private readonly packages: ChaincodePackageStore;
  private readonly legacy: LegacyChaincodeStore | undefined;
  private readonly cacheSize: number;
  // Map iteration order is insertion order: re-inserting on a hit makes it a small LRU.
  private readonly cache = new Map<string, ChaincodePackage>();

  constructor(options: InstalledChaincodesOptions) {
    this.packages = options.packages;
    this.legacy = options.legacy;
    this.cacheSize = Math.max(0, options.cacheSize ?? 16);
  }

  /** Both file stores of the peer that `config` describes (reads `peer.fileSystemPath`). */
  static fromConfig(config: PeerConfig, loggers?: LoggerFactory): InstalledChaincodesImpl {
    return new InstalledChaincodesImpl({
      packages: FileChaincodePackageStore.fromConfig(config, loggers),
      legacy: FileLegacyChaincodeStore.fromConfig(config, loggers),
    });
  }

  async get(chaincodeId: string): Promise<ChaincodePackage | undefined> {
    const cached = this.cache.get(chaincodeId);
    if (cached) {
      this.cache.delete(chaincodeId);
      this.cache.set(chaincodeId, cached);
      return cached;
    }
    const found = (await this.fromPackages(chaincodeId)) ?? (await this.fromLegacy(chaincodeId));
    if (found && this.cacheSize > 0) {
      this.cache.set(chaincodeId, found);
      while (this.cache.size > this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.cache.delete(oldest);
      }
    }
    return found;
  }

  /** Drops a cached package (after it was removed from a store). */
  forget(chaincodeId: string): void {
    this.cache.delete(chaincodeId);
  }

  private async fromPackages(id: string): Promise<ChaincodePackage | undefined> {
    const ref = parsePackageId(id);
    if (!ref) return undefined;
    const bytes = await this.packages.load(id);
    if (bytes === undefined) return undefined;
    // The hash is the file's name: a file changed on disk is not the package it claims to be.
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== ref.hash) {
      throw new PackageError(
        'INVALID_PACKAGE',
        `chaincode install package '${id}' is corrupt: its bytes hash to ${hash}`,
        { details: { packageId: id } },
      );
    }
    return toChaincodePackage(id, parseChaincodePackage(bytes));
  }

  private async fromLegacy(id: string): Promise<ChaincodePackage | undefined> {
    const colon = id.indexOf(':');
    if (!this.legacy || colon <= 0) return undefined;
    const cc = await this.legacy.get(id.slice(0, colon), id.slice(colon + 1));
    if (!cc) return undefined;
    const cds = protos.ChaincodeDeploymentSpec.decode(cc.deploymentSpec);
    return {
      packageId: id,
      label: cc.name,
      type: cc.type.toLowerCase(),
      path: cc.path,
      // What Fabric's FallbackPackageLocator makes of a CDS.
      metadata: { path: cc.path, type: cc.type, label: cc.name },
      codeArchive: Uint8Array.from(cds.codePackage ?? new Uint8Array(0)),
    };
  }
}
