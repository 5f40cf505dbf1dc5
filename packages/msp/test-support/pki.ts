// Building MSP configurations, principals and odd certificates from the testkit PKI.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { common, msp as mspProto } from '@fabric-peer/protos';
import {
  issue,
  makeCa,
  type CertOptions,
  type LeafOptions,
  type TestCa,
  type TestCert,
  type TestCrl,
} from '@fabric-peer/testkit';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** PEM bytes of a test certificate. */
export function pem(cert: TestCert): Buffer {
  return Buffer.from(cert.certPem);
}

/** A serialized msp.SerializedIdentity. */
export function serialize(mspId: string, certPem: string | Uint8Array): Uint8Array {
  return mspProto.SerializedIdentity.encode({
    mspid: mspId,
    idBytes: typeof certPem === 'string' ? Buffer.from(certPem) : certPem,
  }).finish();
}

/** A node OU of {@link MspSpec}: the OU name and, optionally, the CA it must be certified by. */
export interface NodeOUSpec {
  readonly ou: string;
  readonly cert?: TestCert;
}

/** What an MSP config is made of, as test certificates. */
export interface MspSpec {
  readonly name: string;
  readonly roots: readonly TestCert[];
  readonly intermediates?: readonly TestCert[];
  readonly admins?: readonly TestCert[];
  /** CRLs: PEM from the testkit, or raw bytes (DER, or anything to break the setup). */
  readonly crls?: readonly (TestCrl | Uint8Array)[];
  readonly ous?: readonly NodeOUSpec[];
  readonly nodeOUs?: {
    readonly enable?: boolean;
    readonly client?: NodeOUSpec;
    readonly peer?: NodeOUSpec;
    readonly admin?: NodeOUSpec;
    readonly orderer?: NodeOUSpec;
  };
  readonly tlsRoots?: readonly TestCert[];
  readonly tlsIntermediates?: readonly TestCert[];
  readonly signer?: { readonly cert: TestCert; readonly keyPem?: string };
  readonly cryptoConfig?: mspProto.FabricCryptoConfig.$Properties;
}

function ouId(spec: NodeOUSpec | undefined): mspProto.FabricOUIdentifier.$Properties | undefined {
  if (spec === undefined) return undefined;
  return {
    organizationalUnitIdentifier: spec.ou,
    ...(spec.cert !== undefined ? { certificate: pem(spec.cert) } : {}),
  };
}

/** The four cryptogen node OUs (client, peer, admin, orderer), certified by `ca`. */
export function cryptogenNodeOUs(ca?: TestCert): NonNullable<MspSpec['nodeOUs']> {
  const with_ = (ou: string): NodeOUSpec => (ca === undefined ? { ou } : { ou, cert: ca });
  return {
    enable: true,
    client: with_('client'),
    peer: with_('peer'),
    admin: with_('admin'),
    orderer: with_('orderer'),
  };
}

/** The FabricMSPConfig of a spec, wrapped in an MSPConfig of type FABRIC. */
export function mspConfig(spec: MspSpec): mspProto.MSPConfig {
  const n = spec.nodeOUs;
  const fabric: mspProto.FabricMSPConfig.$Properties = {
    name: spec.name,
    rootCerts: spec.roots.map(pem),
    intermediateCerts: (spec.intermediates ?? []).map(pem),
    admins: (spec.admins ?? []).map(pem),
    revocationList: (spec.crls ?? []).map((c) =>
      c instanceof Uint8Array ? Buffer.from(c) : Buffer.from(c.pem),
    ),
    organizationalUnitIdentifiers: (spec.ous ?? []).map((o) => ouId(o)!),
    cryptoConfig: spec.cryptoConfig ?? {
      signatureHashFamily: 'SHA2',
      identityIdentifierHashFunction: 'SHA256',
    },
    tlsRootCerts: (spec.tlsRoots ?? []).map(pem),
    tlsIntermediateCerts: (spec.tlsIntermediates ?? []).map(pem),
    ...(n !== undefined
      ? {
          fabricNodeOus: {
            enable: n.enable ?? true,
            clientOuIdentifier: ouId(n.client) ?? null,
            peerOuIdentifier: ouId(n.peer) ?? null,
            adminOuIdentifier: ouId(n.admin) ?? null,
            ordererOuIdentifier: ouId(n.orderer) ?? null,
          },
        }
      : {}),
    ...(spec.signer !== undefined
      ? {
          signingIdentity: {
            publicSigner: pem(spec.signer.cert),
            privateSigner: {
              keyIdentifier: 'test-key',
              keyMaterial: Buffer.from(spec.signer.keyPem ?? spec.signer.cert.keyPem),
            },
          },
        }
      : {}),
  };
  return mspProto.MSPConfig.create({
    type: 0,
    config: mspProto.FabricMSPConfig.encode(fabric).finish(),
  });
}

/** An organisation as cryptogen makes one: a CA and OU-classified identities. */
export interface TestOrg {
  readonly mspId: string;
  readonly ca: TestCa;
  readonly peer: TestCert;
  readonly client: TestCert;
  readonly admin: TestCert;
  readonly orderer: TestCert;
}

/** A cryptogen-like organisation (NodeOUs on): CA, peer, client, admin and orderer identities. */
export async function makeOrg(mspId: string, options: CertOptions = {}): Promise<TestOrg> {
  const domain = mspId.toLowerCase();
  const ca = await makeCa(`ca.${domain}`, {
    subject: `CN=ca.${domain}, O=${domain}, C=US`,
    ...(options.keyAlgorithm !== undefined ? { keyAlgorithm: options.keyAlgorithm } : {}),
  });
  const leaf = (name: string, ou: string, extra: LeafOptions = {}): Promise<TestCert> =>
    issue(ca, name, { subject: `CN=${name}, OU=${ou}, C=US`, ...options, ...extra });
  return {
    mspId,
    ca,
    peer: await leaf(`peer0.${domain}`, 'peer'),
    client: await leaf(`User1@${domain}`, 'client'),
    admin: await leaf(`Admin@${domain}`, 'admin'),
    orderer: await leaf(`orderer.${domain}`, 'orderer'),
  };
}

/** The MSP config of a {@link makeOrg} organisation (NodeOUs as cryptogen writes them). */
export function orgConfig(org: TestOrg, extra: Partial<MspSpec> = {}): mspProto.MSPConfig {
  return mspConfig({
    name: org.mspId,
    roots: [org.ca],
    nodeOUs: cryptogenNodeOUs(org.ca),
    ...extra,
  });
}

// --- principals --------------------------------------------------------------------------------

const C = common.MSPPrincipal.Classification;

/** Principals as the policies hand them to the MSP. */
export const principal = {
  role(
    mspIdentifier: string,
    role: common.MSPRole.MSPRoleType | number,
  ): common.MSPPrincipal.$Properties {
    return {
      principalClassification: C.ROLE,
      principal: common.MSPRole.encode({ mspIdentifier, role }).finish(),
    };
  },
  ou(
    mspIdentifier: string,
    organizationalUnitIdentifier: string,
    certifiersIdentifier: Uint8Array,
  ): common.MSPPrincipal.$Properties {
    return {
      principalClassification: C.ORGANIZATION_UNIT,
      principal: common.OrganizationUnit.encode({
        mspIdentifier,
        organizationalUnitIdentifier,
        certifiersIdentifier,
      }).finish(),
    };
  },
  identity(serialized: Uint8Array): common.MSPPrincipal.$Properties {
    return { principalClassification: C.IDENTITY, principal: serialized };
  },
  anonymity(type: number): common.MSPPrincipal.$Properties {
    return {
      principalClassification: C.ANONYMITY,
      principal: common.MSPIdentityAnonymity.encode({ anonymityType: type }).finish(),
    };
  },
  combined(...principals: common.MSPPrincipal.$Properties[]): common.MSPPrincipal.$Properties {
    return {
      principalClassification: C.COMBINED,
      principal: common.CombinedPrincipal.encode({ principals }).finish(),
    };
  },
};

// --- ECDSA signature surgery -------------------------------------------------------------------

/** Order of P-256 and P-384. */
export const CURVE_ORDER = {
  'P-256': BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  'P-384': BigInt(
    '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  ),
} as const;

function derInt(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
  return Buffer.concat([Buffer.of(0x02), derLen(b.length), b]);
}

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  if (n < 0x100) return Buffer.of(0x81, n);
  return Buffer.of(0x82, n >> 8, n & 0xff);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.of(tag), derLen(body.length), body]);
}

/** Reads (r, s) of a canonical DER ECDSA signature. */
export function sigParts(sig: Uint8Array): { r: bigint; s: bigint } {
  const b = Buffer.from(sig);
  let o = 2;
  if (b[1]! & 0x80) o += b[1]! & 0x7f;
  const rl = b[o + 1]!;
  const r = BigInt(`0x${b.subarray(o + 2, o + 2 + rl).toString('hex')}`);
  const so = o + 2 + rl;
  const sl = b[so + 1]!;
  const s = BigInt(`0x${b.subarray(so + 2, so + 2 + sl).toString('hex')}`);
  return { r, s };
}

/** DER of an ECDSA signature. */
export function sigDer(r: bigint, s: bigint): Buffer {
  return tlv(0x30, derInt(r), derInt(s));
}

/** The other signature of the same message and key: s → n − s (low-S becomes high-S). */
export function flipS(sig: Uint8Array, curve: keyof typeof CURVE_ORDER): Buffer {
  const { r, s } = sigParts(sig);
  return sigDer(r, CURVE_ORDER[curve] - s);
}

/** Splits a certificate DER into its TBS, algorithm and signature elements. */
function certParts(der: Uint8Array): { tbs: Buffer; alg: Buffer; sig: Buffer } {
  const b = Buffer.from(der);
  const read = (o: number): { start: number; cs: number; end: number } => {
    let len = b[o + 1]!;
    let cs = o + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[o + 2 + i]!;
      cs = o + 2 + n;
    }
    return { start: o, cs, end: cs + len };
  };
  const outer = read(0);
  const tbs = read(outer.cs);
  const alg = read(tbs.end);
  const sig = read(alg.end);
  return {
    tbs: b.subarray(tbs.start, tbs.end),
    alg: b.subarray(alg.start, alg.end),
    sig: b.subarray(sig.cs + 1, sig.end),
  };
}

/** The certificate with its ECDSA signature flipped to the other S (still valid, other bytes). */
export function flipCertificateS(
  cert: TestCert,
  issuerCurve: keyof typeof CURVE_ORDER,
): TestCertLike {
  const { tbs, alg, sig } = certParts(cert.der);
  const der = tlv(0x30, tbs, alg, tlv(0x03, Buffer.of(0), flipS(sig, issuerCurve)));
  return { der, certPem: x509.PemConverter.encode(der, 'CERTIFICATE') };
}

/** Whether the certificate's signature has a high S. */
export function certificateHasHighS(der: Uint8Array, curve: keyof typeof CURVE_ORDER): boolean {
  const { sig } = certParts(der);
  return sigParts(sig).s > CURVE_ORDER[curve] / 2n;
}

/** A certificate as bytes and PEM. */
export interface TestCertLike {
  readonly der: Buffer;
  readonly certPem: string;
}

/** Certificate variants the testkit does not make: a CA without SKI, a "CA" without CA flag. */
export async function oddCertificate(
  kind: 'ca-without-ski' | 'root-not-ca' | 'leaf-with-critical-extension' | 'leaf-client-eku',
  issuer?: TestCa,
): Promise<TestCert & { readonly keys: webcrypto.CryptoKeyPair }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const notBefore = new Date(Math.floor((now - 3600_000) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now + 86_400_000) / 1000) * 1000);
  let cert: x509.X509Certificate;
  const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
  if (kind === 'ca-without-ski' || kind === 'root-not-ca') {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: `CN=${kind}`,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: alg,
      extensions:
        kind === 'ca-without-ski'
          ? [new x509.BasicConstraintsExtension(true, undefined, true)]
          : [
              new x509.BasicConstraintsExtension(false, undefined, true),
              await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
            ],
    });
  } else {
    if (issuer === undefined) throw new Error('an issuer is needed');
    cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${kind}, OU=client`,
      issuer: new x509.X509Certificate(issuer.der).subjectName,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        kind === 'leaf-client-eku'
          ? new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false)
          : new x509.Extension('1.2.3.4.5.6.7', true, Buffer.from([0x05, 0x00])),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      ],
    });
  }
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const der = new Uint8Array(cert.rawData);
  const { KeyObject, X509Certificate } = await import('node:crypto');
  return {
    isCa: kind !== 'leaf-with-critical-extension' && kind !== 'leaf-client-eku',
    subject: cert.subject,
    certPem: cert.toString('pem'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    der,
    certificate: new X509Certificate(der),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: cert.serialNumber,
    keyAlgorithm: 'P-256',
    keys,
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
  };
}
