/**
 * A cryptogen equivalent: from crypto-config.yaml, the same folders, files and certificates that
 * `cryptogen generate` writes, with every ECDSA signature low-S.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  renderCryptoConfig,
  type CryptoConfig,
  type RenderedCa,
  type RenderedOrg,
} from './crypto-config.js';
import { DevtoolsError } from './errors.js';
import { reason } from './input.js';
import {
  certificateDer,
  createCertificate,
  ExtKeyUsage,
  generateKeyPair,
  KeyUsage,
  OID,
  pem,
  privateKeyPem,
  publicPoint,
  type KeyPair,
  type Rdn,
  type X509Certificate,
} from './x509.js';

/** Node types, as cryptogen's msp package numbers them; the OU each gets when NodeOUs are on. */
type NodeType = 'client' | 'peer' | 'admin' | 'orderer';

/** What {@link generateCrypto} wrote. */
export interface CryptoOutput {
  /** The output folder, absolute. */
  readonly outputDir: string;
  readonly organizations: readonly {
    readonly kind: 'peer' | 'orderer';
    readonly domain: string;
    /** `<outputDir>/<peerOrganizations|ordererOrganizations>/<domain>` */
    readonly dir: string;
    /** Common names of the peers or orderers. */
    readonly nodes: readonly string[];
    /** Common names of the users, Admin last. */
    readonly users: readonly string[];
  }[];
  /** Number of files written. */
  readonly files: number;
}

/** Options of {@link generateCrypto}. */
export interface GenerateCryptoOptions {
  /** The name errors use for the input (a file path); default `spec`. */
  readonly source?: string;
  /** The clock, for certificate validity; default now. */
  readonly now?: Date;
}

interface Ca {
  readonly name: string;
  readonly keys: KeyPair;
  readonly cert: X509Certificate;
  readonly certPem: string;
  readonly subjectKeyId: Uint8Array;
  readonly spec: RenderedCa;
}

const TEN_YEARS_MS = 3650 * 24 * 3600 * 1000;
const MINUTE_MS = 60_000;

/** Collects the files of one organization, written in one go at the end. */
class FileSet {
  readonly files = new Map<string, { data: string; mode: number }>();
  readonly dirs = new Set<string>();

  file(path: string, data: string, mode = 0o644): void {
    this.files.set(path, { data, mode });
  }

  dir(path: string): void {
    this.dirs.add(path);
  }

  async write(base: string): Promise<void> {
    for (const d of [...this.dirs].sort())
      await mkdir(join(base, d), { recursive: true, mode: 0o755 });
    for (const [path, { data, mode }] of this.files) {
      await mkdir(join(base, path, '..'), { recursive: true, mode: 0o755 });
      await writeFile(join(base, path), data, { mode });
    }
  }
}

/** cryptogen's validity: now rounded to the minute (halves up), less five minutes; ten years. */
function validity(now: Date): { notBefore: Date; notAfter: Date } {
  const rounded = Math.floor((now.getTime() + MINUTE_MS / 2) / MINUTE_MS) * MINUTE_MS;
  const notBefore = new Date(rounded - 5 * MINUTE_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + TEN_YEARS_MS) };
}

/** A positive serial below 2^128, as cryptogen draws it. */
function serial(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

/** Subject fields every certificate of an organization shares (the CA's, defaults filled). */
function baseSubject(ca: RenderedCa): Rdn[] {
  return [
    { oid: OID.country, values: [ca.country || 'US'] },
    { oid: OID.province, values: [ca.province || 'California'] },
    { oid: OID.locality, values: [ca.locality || 'San Francisco'] },
    { oid: OID.streetAddress, values: ca.streetAddress ? [ca.streetAddress] : [] },
    { oid: OID.postalCode, values: ca.postalCode ? [ca.postalCode] : [] },
  ];
}

async function newCa(
  files: FileSet,
  dir: string,
  org: string,
  name: string,
  spec: RenderedCa,
  now: Date,
): Promise<Ca> {
  const keys = await generateKeyPair();
  files.file(join(dir, 'priv_sk'), await privateKeyPem(keys.privateKey), 0o600);
  // RFC 7093 method 4 as cryptogen does it: SHA-256 of the uncompressed public point.
  const subjectKeyId = new Uint8Array(
    createHash('sha256')
      .update(await publicPoint(keys.publicKey))
      .digest(),
  );
  const cert = await createCertificate({
    subject: [
      ...baseSubject(spec),
      { oid: OID.organization, values: [org] },
      {
        oid: OID.organizationalUnit,
        values: spec.organizationalUnit ? [spec.organizationalUnit] : [],
      },
      { oid: OID.commonName, values: [name] },
    ],
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    serial: serial(),
    ...validity(now),
    keyUsage:
      KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.certSign | KeyUsage.crlSign,
    extKeyUsage: [ExtKeyUsage.clientAuth, ExtKeyUsage.serverAuth],
    isCa: true,
    subjectKeyId,
    dnsNames: [],
    ipAddresses: [],
  });
  const certPem = pem('CERTIFICATE', certificateDer(cert));
  files.file(join(dir, `${name}-cert.pem`), certPem);
  return { name, keys, cert, certPem, subjectKeyId, spec };
}

/**
 * An IP address as Go writes it into a certificate: IPv4 (and IPv4-mapped IPv6, which Go turns
 * into IPv4) as four bytes, other IPv6 as sixteen.
 */
export function goIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let groups = [...part(head), ...part(tail)];
  // A trailing dotted quad counts as two groups.
  const last = groups[groups.length - 1] ?? '';
  if (last.includes('.')) {
    const b = last.split('.').map(Number);
    groups = [
      ...groups.slice(0, -1),
      (((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16),
      (((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16),
    ];
  }
  const full = ip.includes('::')
    ? [
        ...part(head),
        ...Array<string>(8 - groups.length).fill('0'),
        ...groups.slice(part(head).length),
      ]
    : groups;
  const n = full.map((g) => parseInt(g, 16));
  const mapped = n.slice(0, 5).every((x) => x === 0) && n[5] === 0xffff;
  if (!mapped) return ip;
  const hi = n[6] ?? 0;
  const lo = n[7] ?? 0;
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** A certificate issued by `ca` (cryptogen's SignCertificate). */
async function issue(
  ca: Ca,
  commonName: string,
  orgUnits: readonly string[],
  sans: readonly string[],
  publicKey: KeyPair['publicKey'],
  keyUsage: number,
  extKeyUsage: readonly string[],
  now: Date,
): Promise<string> {
  const cert = await createCertificate({
    subject: [
      ...baseSubject(ca.spec),
      {
        oid: OID.organizationalUnit,
        values: [...(ca.spec.organizationalUnit ? [ca.spec.organizationalUnit] : []), ...orgUnits],
      },
      { oid: OID.commonName, values: [commonName] },
    ],
    issuer: ca.cert,
    publicKey,
    signingKey: ca.keys.privateKey,
    serial: serial(),
    ...validity(now),
    keyUsage,
    extKeyUsage,
    isCa: false,
    authorityKeyId: ca.subjectKeyId,
    dnsNames: sans.filter((s) => isIP(s) === 0),
    ipAddresses: sans.filter((s) => isIP(s) !== 0).map(goIp),
  });
  return pem('CERTIFICATE', certificateDer(cert));
}

/** The NodeOUs config.yaml cryptogen writes into an MSP folder. */
export function nodeOUsConfigYaml(caCertFile: string): string {
  const path = /^[A-Za-z0-9._/@-]+$/.test(caCertFile) ? caCertFile : JSON.stringify(caCertFile);
  const ou = (key: string, id: string): string =>
    `  ${key}:\n    Certificate: ${path}\n    OrganizationalUnitIdentifier: ${id}\n`;
  return (
    'NodeOUs:\n  Enable: true\n' +
    ou('ClientOUIdentifier', 'client') +
    ou('PeerOUIdentifier', 'peer') +
    ou('AdminOUIdentifier', 'admin') +
    ou('OrdererOUIdentifier', 'orderer')
  );
}

/** An org's verifying MSP (cryptogen's GenerateVerifyingMSP, after the admin cert is copied). */
function verifyingMsp(files: FileSet, dir: string, signCa: Ca, tlsCa: Ca, nodeOUs: boolean): void {
  files.dir(join(dir, 'admincerts'));
  files.file(join(dir, 'cacerts', `${signCa.name}-cert.pem`), signCa.certPem);
  files.file(join(dir, 'tlscacerts', `${tlsCa.name}-cert.pem`), tlsCa.certPem);
  if (nodeOUs)
    files.file(join(dir, 'config.yaml'), nodeOUsConfigYaml(`cacerts/${signCa.name}-cert.pem`));
}

/** A node's or user's MSP and TLS folders (cryptogen's GenerateLocalMSP); returns the signcert. */
async function localMsp(
  files: FileSet,
  dir: string,
  name: string,
  sans: readonly string[],
  signCa: Ca,
  tlsCa: Ca,
  type: NodeType,
  nodeOUs: boolean,
  now: Date,
): Promise<string> {
  const msp = join(dir, 'msp');
  const tls = join(dir, 'tls');
  for (const d of ['admincerts', 'cacerts', 'tlscacerts', 'keystore', 'signcerts']) {
    files.dir(join(msp, d));
  }
  files.dir(tls);

  const keys = await generateKeyPair();
  files.file(join(msp, 'keystore', 'priv_sk'), await privateKeyPem(keys.privateKey), 0o600);
  const signcert = await issue(
    signCa,
    name,
    nodeOUs ? [type] : [],
    [],
    keys.publicKey,
    KeyUsage.digitalSignature,
    [],
    now,
  );
  files.file(join(msp, 'signcerts', `${name}-cert.pem`), signcert);
  files.file(join(msp, 'cacerts', `${signCa.name}-cert.pem`), signCa.certPem);
  files.file(join(msp, 'tlscacerts', `${tlsCa.name}-cert.pem`), tlsCa.certPem);
  if (nodeOUs) {
    files.file(join(msp, 'config.yaml'), nodeOUsConfigYaml(`cacerts/${signCa.name}-cert.pem`));
  } else {
    // Without NodeOUs the identity is its own admin until the org admin's cert replaces it.
    files.file(join(msp, 'admincerts', `${name}-cert.pem`), signcert);
  }

  const tlsKeys = await generateKeyPair();
  const tlsCert = await issue(
    tlsCa,
    name,
    [],
    sans,
    tlsKeys.publicKey,
    KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
    [ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth],
    now,
  );
  const prefix = type === 'client' || type === 'admin' ? 'client' : 'server';
  files.file(join(tls, 'ca.crt'), tlsCa.certPem);
  files.file(join(tls, `${prefix}.crt`), tlsCert);
  files.file(join(tls, `${prefix}.key`), await privateKeyPem(tlsKeys.privateKey), 0o600);
  return signcert;
}

/** Replaces an MSP's admincerts with the org admin's certificate (cryptogen's copyAdminCert). */
function setAdminCert(files: FileSet, mspDir: string, adminName: string, cert: string): void {
  const prefix = join(mspDir, 'admincerts') + '/';
  for (const path of [...files.files.keys()]) {
    if (path.startsWith(prefix)) files.files.delete(path);
  }
  files.file(join(mspDir, 'admincerts', `${adminName}-cert.pem`), cert);
}

function checkPathName(name: string, what: string, where: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new DevtoolsError(
      'DEVTOOLS_SPEC_INVALID',
      `${where}: ${what} ${JSON.stringify(name)} cannot be used as a folder name`,
    );
  }
}

async function generateOrg(org: RenderedOrg, now: Date, where: string): Promise<FileSet> {
  const files = new FileSet();
  checkPathName(org.domain, 'domain', where);
  for (const n of org.nodes) checkPathName(n.commonName, 'node common name', where);
  checkPathName(org.ca.commonName, 'CA common name', where);

  const signCa = await newCa(files, 'ca', org.domain, org.ca.commonName, org.ca, now);
  const tlsCa = await newCa(files, 'tlsca', org.domain, `tls${org.ca.commonName}`, org.ca, now);
  verifyingMsp(files, 'msp', signCa, tlsCa, org.nodeOUs);

  const nodesDir = org.kind === 'peer' ? 'peers' : 'orderers';
  for (const node of org.nodes) {
    await localMsp(
      files,
      join(nodesDir, node.commonName),
      node.commonName,
      node.sans,
      signCa,
      tlsCa,
      org.kind,
      org.nodeOUs,
      now,
    );
  }
  let admin: { name: string; cert: string } | undefined;
  for (const user of org.users) {
    const cert = await localMsp(
      files,
      join('users', user.commonName),
      user.commonName,
      [],
      signCa,
      tlsCa,
      user.admin && org.nodeOUs ? 'admin' : 'client',
      org.nodeOUs,
      now,
    );
    if (user.admin) admin = { name: user.commonName, cert };
  }
  if (!org.nodeOUs && admin !== undefined) {
    setAdminCert(files, 'msp', admin.name, admin.cert);
    for (const node of org.nodes) {
      setAdminCert(files, join(nodesDir, node.commonName, 'msp'), admin.name, admin.cert);
    }
  }
  return files;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Generates the MSP material of every organization in `spec` under `outputDir`, in cryptogen's
 * layout: `peerOrganizations/<domain>/` and `ordererOrganizations/<domain>/`, each with `ca/`,
 * `tlsca/`, `msp/`, `peers/` or `orderers/`, and `users/`. An organization whose folder already
 * exists is an error (cryptogen would re-make its CAs and leave stale nodes); each organization
 * is written to a temporary folder and renamed into place, so a failure leaves no half-written
 * organization.
 */
export async function generateCrypto(
  spec: CryptoConfig,
  outputDir: string,
  options: GenerateCryptoOptions = {},
): Promise<CryptoOutput> {
  const where = options.source ?? 'spec';
  const now = options.now ?? new Date();
  const out = resolve(outputDir);
  const orgs = renderCryptoConfig(spec, where);
  const plans: { org: RenderedOrg; dir: string }[] = [];
  for (const org of orgs) {
    const dir = join(
      out,
      org.kind === 'peer' ? 'peerOrganizations' : 'ordererOrganizations',
      org.domain,
    );
    if (await exists(dir)) {
      throw new DevtoolsError(
        'DEVTOOLS_OUTPUT_FAILED',
        `${dir}: already exists; remove it or choose another output folder`,
      );
    }
    plans.push({ org, dir });
  }
  let count = 0;
  for (const { org, dir } of plans) {
    const files = await generateOrg(org, now, where);
    const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await files.write(tmp);
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw new DevtoolsError('DEVTOOLS_OUTPUT_FAILED', `${dir}: cannot write: ${reason(err)}`, {
        cause: err,
      });
    }
    count += files.files.size;
  }
  return {
    outputDir: out,
    organizations: plans.map(({ org, dir }) => ({
      kind: org.kind,
      domain: org.domain,
      dir,
      nodes: org.nodes.map((n) => n.commonName),
      users: org.users.map((u) => u.commonName),
    })),
    files: count,
  };
}
