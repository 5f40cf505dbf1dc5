// Writing MSP folders as cryptogen lays them out.
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCert, TestCrl } from '@fabric-peer/testkit';

/** What goes into an MSP folder. */
export interface FolderSpec {
  readonly ca: TestCert;
  readonly intermediates?: readonly TestCert[];
  readonly admins?: readonly TestCert[];
  readonly tlsCa?: TestCert;
  readonly crls?: readonly TestCrl[];
  /** signcerts/<name>-cert.pem and, unless `key` is false, keystore/<keyFile>. */
  readonly signer?: TestCert;
  /** Key file name (default `priv_sk`, as cryptogen v2 writes it), format, or no key at all. */
  readonly key?: { readonly file?: string; readonly format?: 'pkcs8' | 'sec1' } | false;
  /** config.yaml text; default: cryptogen's NodeOUs (the four OUs, certified by the CA). */
  readonly configYaml?: string | null;
}

/** cryptogen's config.yaml for a CA file name. */
export function cryptogenConfigYaml(caFile: string, enable = 'true'): string {
  const ou = (name: string, ouName: string): string =>
    `  ${name}:\n    Certificate: cacerts/${caFile}\n    OrganizationalUnitIdentifier: ${ouName}\n`;
  return (
    `NodeOUs:\n  Enable: ${enable}\n` +
    ou('ClientOUIdentifier', 'client') +
    ou('PeerOUIdentifier', 'peer') +
    ou('AdminOUIdentifier', 'admin') +
    ou('OrdererOUIdentifier', 'orderer')
  );
}

/** Writes an MSP folder at `dir`; returns it. */
export function writeMspFolder(dir: string, spec: FolderSpec): string {
  const put = (sub: string, name: string, content: string | Uint8Array, mode?: number): void => {
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, name), content, mode === undefined ? undefined : { mode });
  };
  put('cacerts', 'ca-cert.pem', spec.ca.certPem);
  spec.intermediates?.forEach((c, i) => put('intermediatecerts', `int${i}-cert.pem`, c.certPem));
  spec.admins?.forEach((c, i) => put('admincerts', `admin${i}-cert.pem`, c.certPem));
  if (spec.tlsCa !== undefined) put('tlscacerts', 'tlsca-cert.pem', spec.tlsCa.certPem);
  spec.crls?.forEach((c, i) => put('crls', `crl${i}.pem`, c.pem));
  if (spec.signer !== undefined) {
    put('signcerts', 'signer-cert.pem', spec.signer.certPem);
    if (spec.key !== false) {
      const format = spec.key?.format ?? 'pkcs8';
      const pemKey =
        format === 'pkcs8'
          ? spec.signer.keyPem
          : createPrivateKey(spec.signer.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
      put('keystore', spec.key?.file ?? 'priv_sk', pemKey, 0o600);
    }
  }
  if (spec.configYaml !== null) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.yaml'), spec.configYaml ?? cryptogenConfigYaml('ca-cert.pem'));
  }
  return dir;
}
