/**
 * Reads an MSP folder into the `msp.MSPConfig` a channel configuration carries, as configtxgen's
 * `msp.GetVerifyingMspConfig` does for a Fabric (X.509) MSP: the whole content of each PEM file,
 * folders read in file-name order, NodeOUs and OU identifiers from `config.yaml`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { msp } from '@fabric-peer/protos';
import { DevtoolsError } from './errors.js';
import {
  absent,
  entries,
  list,
  optBool,
  optString,
  parseYaml,
  reason,
  root,
  type Cursor,
} from './input.js';

/** What was read, with the facts a caller may want (NodeOUs on, warnings). */
export interface MspFolder {
  /** The MSPConfig value (type FABRIC) holding a marshaled FabricMSPConfig. */
  readonly config: msp.MSPConfig.$Properties;
  readonly fabric: msp.FabricMSPConfig.$Properties;
  /** Whether `config.yaml` enables NodeOUs. */
  readonly nodeOUs: boolean;
  /** Files skipped as configtxgen skips them (not PEM), and NodeOU certificates not found. */
  readonly warnings: readonly string[];
}

async function isDir(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isPem(bytes: Uint8Array): boolean {
  return /-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/.test(
    Buffer.from(bytes).toString('latin1'),
  );
}

/**
 * The PEM files of a folder (whole file contents), sorted by name; subfolders are skipped, files
 * that hold no PEM block are skipped with a warning. Undefined if the folder does not exist.
 */
async function pemFiles(dir: string, warnings: string[]): Promise<Uint8Array[] | undefined> {
  const kind = await isDir(dir);
  if (kind === undefined) return undefined;
  if (!kind) throw new DevtoolsError('DEVTOOLS_INPUT_MISSING', `${dir}: not a directory`);
  const names = (await readdir(dir)).sort();
  const out: Uint8Array[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      warnings.push(`${path}: skipped: ${reason(err)}`);
      continue;
    }
    if (st.isDirectory()) continue;
    const bytes = new Uint8Array(await readFile(path));
    if (!isPem(bytes)) {
      warnings.push(`${path}: skipped: no PEM content`);
      continue;
    }
    out.push(bytes);
  }
  return out;
}

interface OuConfig {
  readonly certificate?: string;
  readonly id?: string;
}

function readOu(c: Cursor): OuConfig | undefined {
  if (absent(c)) return undefined;
  const m = Object.fromEntries(entries(c));
  const certificate = m.Certificate === undefined ? undefined : optString(m.Certificate);
  const id =
    m.OrganizationalUnitIdentifier === undefined
      ? undefined
      : optString(m.OrganizationalUnitIdentifier);
  return {
    ...(certificate !== undefined ? { certificate } : {}),
    ...(id !== undefined ? { id } : {}),
  };
}

/**
 * Reads `<dir>` as a verifying MSP for `mspId`. A missing folder, or one without CA certificates,
 * is a DEVTOOLS_INPUT_MISSING error naming the folder; a bad `config.yaml` is a
 * DEVTOOLS_SPEC_INVALID error naming its field.
 */
export async function readMspFolder(dir: string, mspId: string): Promise<MspFolder> {
  const warnings: string[] = [];
  const kind = await isDir(dir);
  if (kind !== true) {
    throw new DevtoolsError(
      'DEVTOOLS_INPUT_MISSING',
      `${dir}: MSP folder ${kind === undefined ? 'not found' : 'is not a directory'}`,
    );
  }
  const cacerts = (await pemFiles(join(dir, 'cacerts'), warnings)) ?? [];
  if (cacerts.length === 0) {
    throw new DevtoolsError(
      'DEVTOOLS_INPUT_MISSING',
      `${join(dir, 'cacerts')}: no CA certificate (an MSP folder needs at least one in cacerts/)`,
    );
  }
  const admins = (await pemFiles(join(dir, 'admincerts'), warnings)) ?? [];
  const intermediates = (await pemFiles(join(dir, 'intermediatecerts'), warnings)) ?? [];
  const tlsRoots = (await pemFiles(join(dir, 'tlscacerts'), warnings)) ?? [];
  const tlsIntermediates =
    tlsRoots.length > 0
      ? ((await pemFiles(join(dir, 'tlsintermediatecerts'), warnings)) ?? [])
      : [];
  const crls = (await pemFiles(join(dir, 'crls'), warnings)) ?? [];

  const ouIdentifiers: msp.FabricOUIdentifier.$Properties[] = [];
  let nodeOus: msp.FabricNodeOUs.$Properties | undefined;
  const configFile = join(dir, 'config.yaml');
  if ((await isDir(configFile)) === false) {
    const doc = root(configFile, parseYaml(await readFile(configFile, 'utf8'), configFile));
    // Fabric reads this file leniently; so do we, except for the parts it uses.
    const top = Object.fromEntries(entries(doc));
    const ous = top.OrganizationalUnitIdentifiers;
    for (const item of ous === undefined ? [] : list(ous)) {
      const ou = readOu(item);
      const file = join(dir, ou?.certificate ?? '');
      let certificate: Uint8Array;
      try {
        certificate = new Uint8Array(await readFile(file));
      } catch (err) {
        throw new DevtoolsError(
          'DEVTOOLS_INPUT_MISSING',
          `${configFile}: ${item.path}.Certificate: cannot read ${file}: ${reason(err)}`,
          { cause: err },
        );
      }
      ouIdentifiers.push({ certificate, organizationalUnitIdentifier: ou?.id ?? '' });
    }
    const n = top.NodeOUs;
    if (n !== undefined && !absent(n)) {
      const m = Object.fromEntries(entries(n));
      if (m.Enable !== undefined && optBool(m.Enable) === true) {
        nodeOus = { enable: true };
        const keys = [
          ['ClientOUIdentifier', 'clientOuIdentifier'],
          ['PeerOUIdentifier', 'peerOuIdentifier'],
          ['AdminOUIdentifier', 'adminOuIdentifier'],
          ['OrdererOUIdentifier', 'ordererOuIdentifier'],
        ] as const;
        for (const [yamlKey, prop] of keys) {
          const c = m[yamlKey];
          const ou = c === undefined ? undefined : readOu(c);
          if (ou?.id === undefined || ou.id === '') continue;
          const identifier: msp.FabricOUIdentifier.$Properties = {
            organizationalUnitIdentifier: ou.id,
          };
          if (ou.certificate !== undefined && ou.certificate !== '') {
            const file = join(dir, ou.certificate);
            try {
              identifier.certificate = new Uint8Array(await readFile(file));
            } catch (err) {
              // configtxgen logs a warning and leaves the certificate out.
              warnings.push(
                `${configFile}: NodeOUs.${yamlKey}.Certificate: ${file}: ${reason(err)}`,
              );
            }
          }
          nodeOus[prop] = identifier;
        }
      }
    }
  }

  const fabric: msp.FabricMSPConfig.$Properties = {
    name: mspId,
    rootCerts: cacerts,
    intermediateCerts: intermediates,
    admins,
    revocationList: crls,
    organizationalUnitIdentifiers: ouIdentifiers,
    cryptoConfig: { signatureHashFamily: 'SHA2', identityIdentifierHashFunction: 'SHA256' },
    tlsRootCerts: tlsRoots,
    tlsIntermediateCerts: tlsIntermediates,
    ...(nodeOus !== undefined ? { fabricNodeOus: nodeOus } : {}),
  };
  return {
    config: { type: 0, config: msp.FabricMSPConfig.encode(fabric).finish() },
    fabric,
    nodeOUs: nodeOus !== undefined,
    warnings,
  };
}
