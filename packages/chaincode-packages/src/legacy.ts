/**
 * Legacy chaincode installed with `lscc install` (Fabric's ccprovider): a ChaincodeDeploymentSpec
 * (CDSPackage) or a SignedChaincodeDeploymentSpec in an Envelope (SignedCDSPackage), kept as
 * `<peer.fileSystemPath>/chaincodes/<name>.<version>`. Ids and CDSData are computed exactly as
 * Fabric does, since ChaincodeData.id and .data end up in lscc's state and must match.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, LoggerFactory, PeerConfig } from '@fabric-peer/api';
import { common, protos } from '@fabric-peer/protos';
import { fileSystemPathOf, quietLogger } from './config.js';
import { messageOf, PackageError } from './errors.js';
import { readIfExists, writeNewFileAtomically } from './files.js';
import type { LegacyChaincode, LegacyChaincodeStore } from './types.js';

/** lscc's ChaincodeNameRegExp. */
export const LEGACY_NAME_PATTERN = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
/** lscc's ChaincodeVersionRegExp. */
export const LEGACY_VERSION_PATTERN = /^[A-Za-z0-9_.+-]+$/;

/** The folder of legacy packages under `peer.fileSystemPath`, as Fabric lays it out. */
export function legacyChaincodesPath(fileSystemPath: string): string {
  return join(fileSystemPath, 'chaincodes');
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Protobuf bytes field: tag, length, value (what Go's proto.Marshal writes for CDSData). */
function bytesField(field: number, value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, value.length]), value]);
}

/** Go's unicode.IsPrint over a whole string (letters, marks, numbers, punctuation, symbols, ASCII space). */
function isPrintable(text: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(text);
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new PackageError('INVALID_PACKAGE', message, { details });

function describeSpec(cds: protos.ChaincodeDeploymentSpec): {
  name: string;
  version: string;
  path: string;
  type: string;
  codePackage: Uint8Array;
} {
  const spec = cds.chaincodeSpec;
  const id = spec?.chaincodeId;
  if (!spec || !id) throw new Error('no chaincode spec');
  const name = id.name ?? '';
  if (!isPrintable(name)) throw new Error(`invalid chaincode name: ${JSON.stringify(name)}`);
  const typeNumber = spec.type ?? 0;
  return {
    name,
    version: id.version ?? '',
    path: id.path ?? '',
    type: protos.ChaincodeSpec.Type[typeNumber] ?? String(typeNumber),
    codePackage: cds.codePackage ?? new Uint8Array(0),
  };
}

/** A reading of legacy install bytes. */
type Reading = Omit<ParsedLegacyPackage, 'format'>;

/** Fabric's SignedCDSPackage.InitFromBuffer + ValidateCC. */
function parseSigned(bytes: Uint8Array): Reading {
  const env = common.Envelope.decode(bytes);
  const payload = common.Payload.decode(env.payload ?? new Uint8Array(0));
  if (!payload.header) throw new Error('channel header cannot be nil');
  const ch = common.ChannelHeader.decode(payload.header.channelHeader ?? new Uint8Array(0));
  const sds = protos.SignedChaincodeDeploymentSpec.decode(payload.data ?? new Uint8Array(0));
  if ((ch.type ?? 0) !== (common.HeaderType.CHAINCODE_PACKAGE as number)) {
    throw new Error('invalid type of envelope for chaincode package');
  }
  const cdsBytes = sds.chaincodeDeploymentSpec ?? new Uint8Array(0);
  const spec = describeSpec(protos.ChaincodeDeploymentSpec.decode(cdsBytes));
  // Go distinguishes a nil policy from an empty one; on the wire both are "field absent".
  if (!sds.instantiationPolicy || sds.instantiationPolicy.length === 0) {
    throw new Error(
      `instantiation policy cannot be nil for chaincode (${spec.name}:${spec.version})`,
    );
  }
  const codeHash = sha256(spec.codePackage);
  const metadataHash = sha256(Buffer.from(spec.name), Buffer.from(spec.version));
  const signatureHash = sha256(
    sds.instantiationPolicy,
    ...(sds.ownerEndorsements ?? []).map((e) => e.endorser ?? new Uint8Array(0)),
  );
  return {
    ...spec,
    id: sha256(codeHash, metadataHash, signatureHash),
    data: Buffer.concat([
      bytesField(1, codeHash),
      bytesField(2, metadataHash),
      bytesField(3, signatureHash),
    ]),
    deploymentSpec: Uint8Array.from(cdsBytes),
    instantiationPolicy: Uint8Array.from(sds.instantiationPolicy),
  };
}

/** Fabric's CDSPackage.InitFromBuffer + ValidateCC. */
function parseCds(bytes: Uint8Array): Reading {
  const spec = describeSpec(protos.ChaincodeDeploymentSpec.decode(bytes));
  const codeHash = sha256(spec.codePackage);
  const metadataHash = sha256(Buffer.from(spec.name), Buffer.from(spec.version));
  return {
    ...spec,
    id: sha256(codeHash, metadataHash),
    data: Buffer.concat([bytesField(1, codeHash), bytesField(2, metadataHash)]),
    deploymentSpec: Uint8Array.from(bytes),
  };
}

/** A parsed legacy package, with the bytes as stored. */
export interface ParsedLegacyPackage extends LegacyChaincode {
  readonly format: 'CDS' | 'SignedCDS';
  /** The code package (for Node chaincode a tar.gz of `src/...`). */
  readonly codePackage: Uint8Array;
}

/**
 * Parses legacy install bytes as Fabric's GetCCPackage does: tries a plain CDS and a signed one,
 * preferring the signed reading when both succeed. Throws PackageError `INVALID_PACKAGE` with
 * Fabric's message when neither does.
 */
export function parseLegacyPackage(bytes: Uint8Array): ParsedLegacyPackage {
  let signed: Reading | undefined;
  let plain: Reading | undefined;
  try {
    signed = parseSigned(bytes);
  } catch {
    signed = undefined;
  }
  try {
    plain = parseCds(bytes);
  } catch {
    plain = undefined;
  }
  const chosen = signed ?? plain;
  if (!chosen) throw invalid('could not unmarshal chaincode package to CDS or SignedCDS');
  return {
    ...chosen,
    format: signed ? 'SignedCDS' : 'CDS',
    codePackage: Uint8Array.from(chosen.codePackage),
  };
}

/** Throws lscc's errors for a name or version its regexes refuse. */
export function validateLegacyNameVersion(name: string, version: string): void {
  if (!LEGACY_NAME_PATTERN.test(name)) {
    throw invalid(
      `invalid chaincode name '${name}'. Names must start with an alphanumeric character and ` +
        `can only consist of alphanumerics, '_', and '-'`,
      { name },
    );
  }
  if (!LEGACY_VERSION_PATTERN.test(version)) {
    throw invalid(
      `invalid chaincode version '${version}'. Versions must not be empty and can only consist ` +
        `of alphanumerics, '_',  '-', '+', and '.'`,
      { version },
    );
  }
}

/** Options of {@link createLegacyPackage}. */
export interface CreateLegacyPackageOptions {
  readonly name: string;
  readonly version: string;
  readonly path?: string;
  /** ChaincodeSpec.Type name: GOLANG, NODE, JAVA, CAR. Default NODE. */
  readonly type?: keyof typeof protos.ChaincodeSpec.Type;
  /** The code package (for Node: a tar.gz of `src/...`). */
  readonly codePackage: Uint8Array;
}

/** Makes a ChaincodeDeploymentSpec as `peer chaincode package`/`install` sends it. For tests and tools. */
export function createLegacyPackage(options: CreateLegacyPackageOptions): Uint8Array {
  return protos.ChaincodeDeploymentSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type[options.type ?? 'NODE'],
      chaincodeId: { name: options.name, version: options.version, path: options.path ?? '' },
      input: { args: [] },
    },
    codePackage: options.codePackage,
  }).finish();
}

/** Options of {@link FileLegacyChaincodeStore}. */
export interface FileLegacyChaincodeStoreOptions {
  /** `peer.fileSystemPath`. */
  readonly fileSystemPath: string;
  readonly logger?: Logger;
}

/** {@link LegacyChaincodeStore} on the file system, laid out as Fabric's. */
export class FileLegacyChaincodeStore implements LegacyChaincodeStore {
  /** `<peer.fileSystemPath>/chaincodes`. */
  readonly dir: string;
  private readonly log: Logger;

  constructor(options: FileLegacyChaincodeStoreOptions) {
    this.dir = legacyChaincodesPath(options.fileSystemPath);
    this.log = options.logger ?? quietLogger;
  }

  /** The store of the peer that `config` describes (reads `peer.fileSystemPath`). */
  static fromConfig(config: PeerConfig, loggers?: LoggerFactory): FileLegacyChaincodeStore {
    return new FileLegacyChaincodeStore({
      fileSystemPath: fileSystemPathOf(config),
      ...(loggers ? { logger: loggers('ccprovider') } : {}),
    });
  }

  async install(packageBytes: Uint8Array): Promise<ParsedLegacyPackage> {
    const parsed = parseLegacyPackage(packageBytes);
    validateLegacyNameVersion(parsed.name, parsed.version);
    const fileName = `${parsed.name}.${parsed.version}`;
    let written: boolean;
    try {
      written = await writeNewFileAtomically(this.dir, fileName, packageBytes);
    } catch (err) {
      throw new PackageError(
        'STORE_FAILED',
        `error installing chaincode code ${parsed.name}:${parsed.version}(${messageOf(err)})`,
        { cause: err, details: { name: parsed.name, version: parsed.version } },
      );
    }
    if (!written) {
      throw new PackageError(
        'ALREADY_INSTALLED',
        `chaincode ${parsed.name}:${parsed.version} already exists`,
        { details: { name: parsed.name, version: parsed.version } },
      );
    }
    this.log.info('installed legacy chaincode', { name: parsed.name, version: parsed.version });
    return parsed;
  }

  async get(name: string, version: string): Promise<ParsedLegacyPackage | undefined> {
    // Names and versions that lscc refuses cannot be installed, and must not name other files.
    if (!LEGACY_NAME_PATTERN.test(name) || !LEGACY_VERSION_PATTERN.test(version)) return undefined;
    if (version === '.' || version === '..') return undefined;
    const path = join(this.dir, `${name}.${version}`);
    let bytes: Buffer | undefined;
    try {
      bytes = await readIfExists(path);
    } catch (err) {
      throw new PackageError('STORE_FAILED', `error reading ${path}: ${messageOf(err)}`, {
        cause: err,
      });
    }
    if (bytes === undefined) return undefined;
    const parsed = parseLegacyPackage(bytes);
    // Fabric's ValidateCC: the file must hold the chaincode its name says.
    if (parsed.name !== name || parsed.version !== version) {
      throw invalid(
        `chaincode fingerprint mismatch: ${path} holds ${parsed.name}:${parsed.version}`,
        { name, version },
      );
    }
    return parsed;
  }

  async list(): Promise<ParsedLegacyPackage[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PackageError('STORE_FAILED', `failed reading directory ${this.dir}`, {
        cause: err,
      });
    }
    const found: ParsedLegacyPackage[] = [];
    for (const fileName of names) {
      const dot = fileName.indexOf('.');
      if (dot <= 0) continue;
      try {
        const cc = await this.get(fileName.slice(0, dot), fileName.slice(dot + 1));
        if (cc) found.push(cc);
      } catch (err) {
        this.log.warn('skipping an unreadable legacy chaincode package', {
          file: fileName,
          error: messageOf(err),
        });
      }
    }
    return found.sort((a, b) =>
      a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.version < b.version ? -1 : 1,
    );
  }
}
