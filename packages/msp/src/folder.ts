/**
 * MSP folders as Fabric's configbuilder reads them (`GetLocalMspConfig`, `GetVerifyingMspConfig`):
 * cacerts, intermediatecerts, admincerts, crls, tlscacerts, tlsintermediatecerts, config.yaml
 * (NodeOUs, OrganizationalUnitIdentifiers), and for a signing MSP signcerts and the key store.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@fabric-peer/api';
import { msp as mspProto } from '@fabric-peer/protos';
import { parse as parseYaml } from 'yaml';
import { MspError } from './errors.js';
import { findKeyFile, keyStoreSki } from './keys.js';
import { parseCertificate } from './x509/certificate.js';
import { decodePem } from './x509/pem.js';

/** Options of {@link loadMspFolder}. */
export interface MspFolderOptions {
  /**
   * Load the signing identity too: the first certificate of `signcerts` and its private key from
   * the key store (both required). Default false (a verifying MSP).
   */
  readonly signing?: boolean;
  /** Key store folder; default `<dir>/keystore` (core.yaml's peer.BCCSP.SW.FileKeyStore.KeyStore). */
  readonly keyStoreDir?: string;
  /** Where to report skipped files; default nowhere. */
  readonly logger?: Logger;
}

/** The sub-folders and file Fabric reads. */
export const MSP_FOLDER_LAYOUT = Object.freeze({
  cacerts: 'cacerts',
  admincerts: 'admincerts',
  signcerts: 'signcerts',
  keystore: 'keystore',
  intermediatecerts: 'intermediatecerts',
  crls: 'crls',
  config: 'config.yaml',
  tlscacerts: 'tlscacerts',
  tlsintermediatecerts: 'tlsintermediatecerts',
});

/** A folder problem: which path, what is wrong with it. */
export class MspFolderError extends MspError {
  constructor(
    readonly path: string,
    problem: string,
    options: { cause?: unknown; subject?: 'keystore' | 'folder' } = {},
  ) {
    super('MSP_FOLDER_INVALID', `${path} ${problem}`, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      details: { path, problem, subject: options.subject ?? 'folder' },
    });
  }
}

interface PemFile {
  readonly file: string;
  readonly content: Buffer;
}

/**
 * Fabric's getPemMaterialFromDir: the files of `dir` in name order (directories and files that
 * hold no PEM block skipped), whole; undefined when the folder does not exist.
 */
function pemFiles(dir: string, logger: Logger | undefined): PemFile[] | undefined {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new MspFolderError(dir, 'is not a directory');
    names = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof MspFolderError) throw err;
    throw new MspFolderError(dir, `cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const out: PemFile[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      if (statSync(file).isDirectory()) continue;
      const content = readFileSync(file);
      if (decodePem(content) === undefined) {
        logger?.warn(`MSP folder: skipping ${file}: no PEM content`, { file });
        continue;
      }
      out.push({ file, content });
    } catch (err) {
      logger?.warn(`MSP folder: skipping ${file}: ${(err as Error).message}`, { file });
    }
  }
  return out;
}

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new MspFolderError(file, `(${what}) cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

interface OuEntry {
  Certificate?: unknown;
  OrganizationalUnitIdentifier?: unknown;
}

function asText(value: unknown, where: string, file: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MspFolderError(file, `has a non-text value at ${where}`);
}

function asEntry(value: unknown, where: string, file: string): OuEntry | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MspFolderError(file, `has ${where} that is not a mapping`);
  }
  return value;
}

/** config.yaml: OrganizationalUnitIdentifiers and NodeOUs, with certificate paths read. */
function readConfigYaml(
  dir: string,
  logger: Logger | undefined,
): Pick<mspProto.FabricMSPConfig.$Properties, 'organizationalUnitIdentifiers' | 'fabricNodeOus'> {
  const file = join(dir, MSP_FOLDER_LAYOUT.config);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new MspFolderError(file, `cannot be read: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    // YAML 1.1, as Fabric's gopkg.in/yaml.v2 reads it (yes/no/on/off are booleans).
    doc = parseYaml(text, { version: '1.1' });
  } catch (err) {
    throw new MspFolderError(file, `is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MspFolderError(file, 'is not a YAML mapping');
  }
  const conf = doc as { OrganizationalUnitIdentifiers?: unknown; NodeOUs?: unknown };

  const organizationalUnitIdentifiers: mspProto.FabricOUIdentifier.$Properties[] = [];
  const ouList = conf.OrganizationalUnitIdentifiers;
  if (ouList !== undefined && ouList !== null) {
    if (!Array.isArray(ouList))
      throw new MspFolderError(file, 'OrganizationalUnitIdentifiers is not a list');
    for (const [i, raw] of ouList.entries()) {
      const entry = asEntry(raw, `OrganizationalUnitIdentifiers[${i}]`, file) ?? {};
      const certPath = join(
        dir,
        asText(entry.Certificate, `OrganizationalUnitIdentifiers[${i}].Certificate`, file),
      );
      organizationalUnitIdentifiers.push({
        certificate: readFile(certPath, `OrganizationalUnitIdentifiers[${i}] certificate`),
        organizationalUnitIdentifier: asText(
          entry.OrganizationalUnitIdentifier,
          `OrganizationalUnitIdentifiers[${i}].OrganizationalUnitIdentifier`,
          file,
        ),
      });
    }
  }

  const nodeOUsRaw = asEntry(conf.NodeOUs, 'NodeOUs', file) as Record<string, unknown> | undefined;
  let fabricNodeOus: mspProto.FabricNodeOUs.$Properties | undefined;
  if (nodeOUsRaw !== undefined && nodeOUsRaw.Enable === true) {
    fabricNodeOus = { enable: true };
    const slots = [
      ['ClientOUIdentifier', 'clientOuIdentifier', 'ClientOU'],
      ['PeerOUIdentifier', 'peerOuIdentifier', 'PeerOU'],
      ['AdminOUIdentifier', 'adminOuIdentifier', 'AdminOU'],
      ['OrdererOUIdentifier', 'ordererOuIdentifier', 'OrdererOU'],
    ] as const;
    for (const [yamlKey, protoKey, label] of slots) {
      const entry = asEntry(nodeOUsRaw[yamlKey], `NodeOUs.${yamlKey}`, file);
      if (entry === undefined) continue;
      const ou = asText(
        entry.OrganizationalUnitIdentifier,
        `NodeOUs.${yamlKey}.OrganizationalUnitIdentifier`,
        file,
      );
      if (ou === '') continue;
      const certPath = asText(entry.Certificate, `NodeOUs.${yamlKey}.Certificate`, file);
      let certificate: Buffer | undefined;
      if (certPath !== '') {
        try {
          certificate = readFileSync(join(dir, certPath));
        } catch (err) {
          // Fabric only warns: the OU then applies whatever CA certified it.
          logger?.warn(
            `MSP folder: failed loading ${label} certificate at ${join(dir, certPath)}`,
            {
              error: (err as Error).message,
            },
          );
        }
      }
      fabricNodeOus[protoKey] = {
        organizationalUnitIdentifier: ou,
        ...(certificate !== undefined ? { certificate } : {}),
      };
    }
  }
  return {
    organizationalUnitIdentifiers,
    ...(fabricNodeOus !== undefined ? { fabricNodeOus } : {}),
  };
}

/**
 * Builds an `msp.MSPConfig` (type FABRIC) from an MSP folder, as Fabric's configbuilder does. With
 * `signing`, the signing identity is the first PEM file of `signcerts` (in name order), and its
 * private key is found in the key store by the certificate's public key and carried in
 * `signing_identity.private_signer` (key_identifier: the key file's path, key_material: its PEM)
 * so that the config alone sets up a signing MSP; such a config is for this process only and
 * must never be written out. Throws MspFolderError naming the path at fault.
 */
export function loadMspFolder(
  dir: string,
  mspId: string,
  options: MspFolderOptions = {},
): mspProto.MSPConfig {
  const logger = options.logger;
  try {
    if (!statSync(dir).isDirectory()) throw new MspFolderError(dir, 'is not a directory');
  } catch (err) {
    if (err instanceof MspFolderError) throw err;
    throw new MspFolderError(dir, 'does not exist or cannot be accessed', { cause: err });
  }
  const sub = (name: keyof typeof MSP_FOLDER_LAYOUT): string => join(dir, MSP_FOLDER_LAYOUT[name]);

  let signingIdentity: mspProto.SigningIdentityInfo.$Properties | undefined;
  if (options.signing === true) {
    const signDir = sub('signcerts');
    const signcerts = pemFiles(signDir, logger);
    if (signcerts === undefined)
      throw new MspFolderError(signDir, 'does not exist (no signing certificate)');
    const first = signcerts[0];
    if (first === undefined)
      throw new MspFolderError(signDir, 'is empty (no PEM signing certificate)');
    const keyDir = options.keyStoreDir ?? sub('keystore');
    signingIdentity = {
      publicSigner: first.content,
      privateSigner: findPrivateKey(first, keyDir),
    };
  }

  const cacertsDir = sub('cacerts');
  const cacerts = pemFiles(cacertsDir, logger);
  if (cacerts === undefined)
    throw new MspFolderError(cacertsDir, 'does not exist (no CA certificate)');
  if (cacerts.length === 0)
    throw new MspFolderError(cacertsDir, 'is empty (no PEM CA certificate)');

  const admincerts = pemFiles(sub('admincerts'), logger) ?? [];
  const intermediatecerts = pemFiles(sub('intermediatecerts'), logger) ?? [];
  const tlscacerts = pemFiles(sub('tlscacerts'), logger) ?? [];
  const tlsintermediatecerts =
    tlscacerts.length > 0 ? (pemFiles(sub('tlsintermediatecerts'), logger) ?? []) : [];
  const crls = pemFiles(sub('crls'), logger) ?? [];
  const yamlConf = readConfigYaml(dir, logger);

  const fabric: mspProto.FabricMSPConfig.$Properties = {
    name: mspId,
    rootCerts: cacerts.map((f) => f.content),
    intermediateCerts: intermediatecerts.map((f) => f.content),
    admins: admincerts.map((f) => f.content),
    revocationList: crls.map((f) => f.content),
    organizationalUnitIdentifiers: yamlConf.organizationalUnitIdentifiers ?? [],
    cryptoConfig: { signatureHashFamily: 'SHA2', identityIdentifierHashFunction: 'SHA256' },
    tlsRootCerts: tlscacerts.map((f) => f.content),
    tlsIntermediateCerts: tlsintermediatecerts.map((f) => f.content),
    ...(yamlConf.fabricNodeOus !== undefined ? { fabricNodeOus: yamlConf.fabricNodeOus } : {}),
    ...(signingIdentity !== undefined ? { signingIdentity } : {}),
  };
  return mspProto.MSPConfig.create({
    type: 0,
    config: mspProto.FabricMSPConfig.encode(fabric).finish(),
  });
}

/** The key of a signing certificate, from the key store folder (Fabric's SKI lookup). */
function findPrivateKey(signcert: PemFile, keyDir: string): mspProto.KeyInfo.$Properties {
  let ski: Buffer | undefined;
  try {
    const block = decodePem(signcert.content);
    const cert = parseCertificate(block!.bytes);
    ski = cert.publicKey !== undefined ? keyStoreSki(cert.publicKey) : undefined;
  } catch (err) {
    throw new MspFolderError(signcert.file, `is not a certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (ski === undefined) {
    throw new MspFolderError(
      signcert.file,
      'does not hold an ECDSA public key (the peer signs with ECDSA only)',
    );
  }
  try {
    if (!statSync(keyDir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new MspFolderError(
      keyDir,
      `does not exist or is not a directory (it must hold the private key of ${signcert.file})`,
      {
        cause: err,
        subject: 'keystore',
      },
    );
  }
  const found = findKeyFile(keyDir, ski);
  if (found === undefined) {
    throw new MspFolderError(
      keyDir,
      `holds no private key for ${signcert.file} (looked for ${ski.toString('hex')}_sk, then every key file)`,
      { subject: 'keystore' },
    );
  }
  return { keyIdentifier: found.file, keyMaterial: found.content };
}
