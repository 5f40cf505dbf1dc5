/**
 * The contracts of the chaincode package stores: Fabric 2.x packages installed through
 * `_lifecycle` (Fabric's persistence.Store) and legacy ChaincodeDeploymentSpecs installed through
 * lscc (Fabric's ccprovider).
 */

/** A Fabric 2.x package as installed (`_lifecycle InstallChaincode`). */
export interface InstalledPackageInfo {
  /** `label:hex(sha256(package bytes))`. */
  readonly packageId: string;
  readonly label: string;
}

/**
 * The store of Fabric 2.x chaincode packages (Fabric's persistence.Store): each package kept as
 * `<peer.fileSystemPath>/lifecycle/chaincodes/<label>.<hash>.tar.gz`.
 */
export interface ChaincodePackageStore {
  /**
   * Checks the package (metadata.json with type, path, label; code.tar.gz) and stores it. Installing
   * the same bytes twice is refused with Fabric's message (`chaincode already successfully
   * installed (package ID '...')`). Throws PackageError `INVALID_PACKAGE` for a malformed package.
   */
  install(packageBytes: Uint8Array): Promise<InstalledPackageInfo>;
  /** The package's bytes, or undefined when not installed. */
  load(packageId: string): Promise<Uint8Array | undefined>;
  /** Every installed package, in package id order. */
  list(): Promise<InstalledPackageInfo[]>;
}
/** Identifier of the peer's {@link ChaincodePackageStore}. */
export const ChaincodePackageStoreId: unique symbol = Symbol.for(
  '@fabric-peer/chaincode-packages/ChaincodePackageStore',
);

/** A legacy chaincode installed with `lscc install` (Fabric's ccprovider CDSPackage). */
export interface LegacyChaincode {
  readonly name: string;
  readonly version: string;
  /** ChaincodeSpec.chaincode_id.path. */
  readonly path: string;
  /** ChaincodeSpec.Type name: GOLANG, NODE, JAVA, CAR. */
  readonly type: string;
  /** Fabric's CDSPackage id: SHA-256(code hash ‖ metadata hash), as ChaincodeData.id records it. */
  readonly id: Uint8Array;
  /** Marshaled `CDSData{code_hash, metadata_hash}`, as ChaincodeData.data records it. */
  readonly data: Uint8Array;
  /** The stored ChaincodeDeploymentSpec bytes. */
  readonly deploymentSpec: Uint8Array;
  /**
   * The instantiation policy (marshaled SignaturePolicyEnvelope) of a package installed as a
   * SignedChaincodeDeploymentSpec; absent for a plain CDS (lscc then uses the channel's default).
   */
  readonly instantiationPolicy?: Uint8Array;
}

/**
 * The store of legacy chaincode (Fabric's ccprovider): each ChaincodeDeploymentSpec kept as
 * `<peer.fileSystemPath>/chaincodes/<name>.<version>`.
 */
export interface LegacyChaincodeStore {
  /**
   * Stores a ChaincodeDeploymentSpec (or a SignedChaincodeDeploymentSpec); refuses one already
   * installed (`chaincode <name>:<version> already exists`) and malformed bytes (PackageError
   * `INVALID_PACKAGE`).
   */
  install(packageBytes: Uint8Array): Promise<LegacyChaincode>;
  get(name: string, version: string): Promise<LegacyChaincode | undefined>;
  /** Every installed legacy chaincode, by name then version. */
  list(): Promise<LegacyChaincode[]>;
}
/** Identifier of the peer's {@link LegacyChaincodeStore}. */
export const LegacyChaincodeStoreId: unique symbol = Symbol.for(
  '@fabric-peer/chaincode-packages/LegacyChaincodeStore',
);
