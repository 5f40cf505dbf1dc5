/**
 * The chaincode CA (Fabric's tlsgen.CA made at peer start): a self-signed ECDSA P-256 CA that
 * issues the chaincode listener's server certificate and one client certificate per launch.
 */
import { createHash, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
// The errors module loads @fabric-peer/api, which loads the Reflect polyfill @peculiar/x509 needs.
import { ChaincodeError } from '../errors.js';
import * as x509 from '@peculiar/x509';

type Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
const crypto = webcrypto as unknown as Crypto;
const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600_000;

/** A certificate and its private key, both PEM. */
export interface CertKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
  /** The certificate's DER bytes. */
  readonly der: Uint8Array;
}

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify']);
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** SHA-256 of DER certificate bytes (what the authenticator keys certificates by). */
export function certificateHash(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export class ChaincodeCa {
  private constructor(
    private readonly keys: webcrypto.CryptoKeyPair,
    private readonly cert: x509.X509Certificate,
    /** The CA certificate, PEM: what chaincode trusts for the listener and what the listener trusts for clients. */
    readonly certPem: string,
  ) {}

  /** Makes a new CA (Fabric's tlsgen.NewCA). */
  static async create(): Promise<ChaincodeCa> {
    try {
      const keys = await newKeys();
      const now = Date.now();
      const cert = await x509.X509CertificateGenerator.createSelfSigned(
        {
          serialNumber: serialNumber(),
          name: 'CN=fabric-peer chaincode CA',
          notBefore: new Date(now - 3600_000),
          notAfter: new Date(now + 10 * 365 * DAY_MS),
          keys,
          signingAlgorithm: SIGN_ALG,
          extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(
              x509.KeyUsageFlags.keyCertSign |
                x509.KeyUsageFlags.cRLSign |
                x509.KeyUsageFlags.digitalSignature,
              true,
            ),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
          ],
        },
        crypto,
      );
      return new ChaincodeCa(keys, cert, cert.toString('pem'));
    } catch (err) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        `failed creating the chaincode CA: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  private async issue(
    subject: string,
    usage: 'server' | 'client',
    hosts: readonly string[],
  ): Promise<CertKeyPair> {
    const keys = await newKeys();
    const now = Date.now();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey, false, crypto),
    ];
    if (hosts.length > 0) {
      extensions.push(
        new x509.SubjectAlternativeNameExtension(
          hosts.map((h) => (isIP(h) !== 0 ? { type: 'ip', value: h } : { type: 'dns', value: h })),
        ),
      );
    }
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject,
        issuer: this.cert.subjectName,
        notBefore: new Date(now - 3600_000),
        notAfter: new Date(now + 365 * DAY_MS),
        publicKey: keys.publicKey,
        signingKey: this.keys.privateKey,
        signingAlgorithm: SIGN_ALG,
        extensions,
      },
      crypto,
    );
    return {
      certPem: cert.toString('pem'),
      keyPem: await keyPem(keys),
      der: new Uint8Array(cert.rawData),
    };
  }

  /** A client certificate (Fabric's NewClientCertKeyPair). */
  newClientCertKeyPair(): Promise<CertKeyPair> {
    return this.issue('CN=fabric-peer chaincode client', 'client', []);
  }

  /** The chaincode listener's server certificate for `host` (Fabric's NewServerCertKeyPair). */
  newServerCertKeyPair(...hosts: string[]): Promise<CertKeyPair> {
    return this.issue(`CN=${hosts[0] ?? 'localhost'}`, 'server', hosts);
  }
}
