/**
 * The peer's local MSP, from core.yaml as Fabric's peer loads it (InitCrypto): the folder
 * `peer.mspConfigPath`, the id `peer.localMspId`, the type `peer.localMspType` (bccsp only), the
 * crypto provider `peer.BCCSP` (software only; its key store folder may be moved).
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, type ConfigIssue, type Logger, type PeerConfig } from '@fabric-peer/api';
import { MspError } from './errors.js';
import { MspFolderError, loadMspFolder } from './folder.js';
import type { X509SigningIdentity } from './identity.js';
import { createMsp, type Msp, type MspCacheSizes } from './msp.js';

/** The local MSP and the identity the peer signs with. */
export interface LocalMsp {
  readonly msp: Msp;
  readonly signer: X509SigningIdentity;
  /** The folder it was read from, and the key store used. */
  readonly mspDir: string;
  readonly keyStoreDir: string;
}

/** Options of {@link loadLocalMsp}. */
export interface LocalMspOptions {
  readonly logger?: Logger;
  readonly cacheSizes?: Partial<MspCacheSizes>;
  /** Clock for the signing certificate's expiry check; default `new Date()`. */
  readonly now?: () => Date;
}

/** The core.yaml keys read here. */
export const LOCAL_MSP_KEYS = Object.freeze([
  'peer.mspConfigPath',
  'peer.localMspId',
  'peer.localMspType',
  'peer.BCCSP.Default',
  'peer.BCCSP.SW.Hash',
  'peer.BCCSP.SW.Security',
  'peer.BCCSP.SW.FileKeyStore.KeyStore',
] as const);

function issue(key: string, problem: string, extra: Partial<ConfigIssue> = {}): ConfigError {
  return new ConfigError([{ key, problem, ...extra }]);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function pathOf(config: PeerConfig, value: string): string {
  return isAbsolute(value) ? value : resolve(config.dir, value);
}

/**
 * Loads the local MSP (MSP version v1_4_3, as a Fabric v2 peer does) with its signing identity.
 * Every failure is a ConfigError naming the core.yaml key at fault, e.g.
 * `peer.mspConfigPath: /x/msp/signcerts is empty (no PEM signing certificate)`.
 */
export function loadLocalMsp(config: PeerConfig, options: LocalMspOptions = {}): LocalMsp {
  const mspPathValue = text(config.get('peer.mspConfigPath'));
  if (mspPathValue === '') {
    throw issue('peer.mspConfigPath', 'is empty: it must name the folder of the local MSP');
  }
  const mspDir = pathOf(config, mspPathValue);
  const mspId = text(config.get('peer.localMspId'));
  if (mspId === '') throw issue('peer.localMspId', 'the local MSP must have an ID');
  const mspType = text(config.get('peer.localMspType'));
  if (mspType !== 'bccsp') {
    throw issue(
      'peer.localMspType',
      `MSP type ${JSON.stringify(mspType)} is not supported by this peer`,
      {
        value: mspType,
        allowed: 'bccsp (X.509 certificates; idemix is not implemented)',
      },
    );
  }

  const provider = text(config.get('peer.BCCSP.Default')) || 'SW';
  if (provider.toUpperCase() === 'PKCS11') {
    throw issue(
      'peer.BCCSP.Default',
      'PKCS#11 (hardware security modules) is not supported by this peer: use SW and put the signing key in the MSP keystore folder (or in the folder named by peer.BCCSP.SW.FileKeyStore.KeyStore)',
      { value: provider, allowed: 'SW' },
    );
  }
  if (provider.toUpperCase() !== 'SW') {
    throw issue('peer.BCCSP.Default', `unknown crypto provider ${JSON.stringify(provider)}`, {
      value: provider,
      allowed: 'SW',
    });
  }
  // Fabric's software provider uses Hash and Security for key generation and unqualified hashes
  // only; the MSP signs and verifies with its own crypto config. Both values are checked as
  // Fabric checks them and have no other effect here.
  const hash = text(config.get('peer.BCCSP.SW.Hash')) || 'SHA2';
  if (hash !== 'SHA2' && hash !== 'SHA3') {
    throw issue('peer.BCCSP.SW.Hash', `hash family ${JSON.stringify(hash)} is not supported`, {
      value: hash,
      allowed: 'SHA2 or SHA3',
    });
  }
  const security = Number(text(config.get('peer.BCCSP.SW.Security')) || '256');
  if (security !== 256 && security !== 384) {
    throw issue('peer.BCCSP.SW.Security', `security level ${security} is not supported`, {
      value: security,
      allowed: '256 or 384',
    });
  }
  const keyStoreValue = text(config.get('peer.BCCSP.SW.FileKeyStore.KeyStore'));
  const keyStoreDir =
    keyStoreValue === '' ? resolve(mspDir, 'keystore') : pathOf(config, keyStoreValue);
  const keyStoreKey =
    keyStoreValue === '' ? 'peer.mspConfigPath' : 'peer.BCCSP.SW.FileKeyStore.KeyStore';

  let mspConfig;
  try {
    mspConfig = loadMspFolder(mspDir, mspId, {
      signing: true,
      keyStoreDir,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
  } catch (err) {
    if (err instanceof MspFolderError) {
      const key = err.details.subject === 'keystore' ? keyStoreKey : 'peer.mspConfigPath';
      throw new ConfigError([{ key, problem: err.message }], { cause: err });
    }
    throw err;
  }
  let msp: Msp;
  try {
    msp = createMsp(mspConfig, {
      version: 'v1_4_3',
      ...(options.cacheSizes !== undefined ? { cacheSizes: options.cacheSizes } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
  } catch (err) {
    if (err instanceof MspError) {
      throw new ConfigError([{ key: 'peer.mspConfigPath', problem: `${mspDir}: ${err.message}` }], {
        cause: err,
      });
    }
    throw err;
  }
  return { msp, signer: msp.defaultSigningIdentity(), mspDir, keyStoreDir };
}
