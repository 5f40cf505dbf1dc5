/**
 * The delivery client's settings (Fabric's `core/deliverservice` DeliverServiceConfig), read from
 * core.yaml: TLS towards orderers, timeouts and backoff, keepalive and address overrides.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Logger, PeerConfig } from '@fabric-peer/api';
import type { OrdererAddressOverride } from './endpoints.js';
import { DeliverError, messageOf } from './errors.js';

/** TLS towards orderers. */
export interface DeliveryTlsSettings {
  /** `peer.tls.enabled`: dial orderers over TLS. */
  readonly enabled: boolean;
  /**
   * PEM client certificate and key presented to orderers, set when `peer.tls.clientAuthRequired`
   * (from `peer.tls.clientCert.file` / `clientKey.file`, else the server pair).
   */
  readonly clientCert?: Uint8Array;
  readonly clientKey?: Uint8Array;
}

/** Everything the ordering client and the block pullers are configured with. */
export interface DeliveryClientSettings {
  readonly tls: DeliveryTlsSettings;
  /**
   * SHA-256 of the client certificate's DER, bound into seek envelopes (channel header
   * `tls_cert_hash`) under mutual TLS; absent otherwise.
   */
  readonly tlsCertHash?: Uint8Array;
  /** `peer.deliveryclient.connTimeout`. */
  readonly connTimeoutMs: number;
  /** `peer.deliveryclient.reConnectBackoffThreshold`: ceiling of the wait between attempts. */
  readonly reConnectBackoffThresholdMs: number;
  /** `peer.deliveryclient.reconnectTotalTimeThreshold`: total waiting before giving up. */
  readonly reconnectTotalTimeThresholdMs: number;
  /** First wait after a failure (Fabric: 100 ms). */
  readonly initialRetryDelayMs: number;
  /** `peer.keepalive.deliveryClient.*`. */
  readonly keepalive: { readonly intervalMs: number; readonly timeoutMs: number };
  /** `peer.deliveryclient.addressOverrides`, by the address they replace. */
  readonly addressOverrides: ReadonlyMap<string, OrdererAddressOverride>;
  /**
   * `peer.gossip.orgLeader`: a static leader keeps trying past the total time threshold; a peer
   * elected leader gives up (and yields leadership).
   */
  readonly staticLeader: boolean;
  /** Largest message accepted from an orderer (Fabric's client default, 100 MiB). */
  readonly maxRecvMsgSize: number;
  readonly maxSendMsgSize: number;
}

const MIB = 1024 * 1024;

/** Fabric's defaults (`deliverservice.Default*`, `comm.DefaultKeepaliveOptions`). */
export const DEFAULT_DELIVERY_SETTINGS: DeliveryClientSettings = {
  tls: { enabled: false },
  connTimeoutMs: 3_000,
  reConnectBackoffThresholdMs: 3_600_000,
  reconnectTotalTimeThresholdMs: 3_600_000,
  initialRetryDelayMs: 100,
  keepalive: { intervalMs: 60_000, timeoutMs: 20_000 },
  addressOverrides: new Map(),
  staticLeader: true,
  maxRecvMsgSize: 100 * MIB,
  maxSendMsgSize: 100 * MIB,
};

/** Settings with Fabric's defaults for what `partial` leaves out. */
export function deliverySettings(
  partial: Partial<DeliveryClientSettings> = {},
): DeliveryClientSettings {
  return { ...DEFAULT_DELIVERY_SETTINGS, ...partial };
}

/**
 * The CERTIFICATE blocks of a PEM bundle, each as its own PEM (Fabric's extractCerts: blocks of
 * another type, or with headers, are skipped).
 */
export function pemCertificates(pem: string | Uint8Array): Uint8Array[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('latin1');
  const out: Uint8Array[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const body = m[2] ?? '';
    if (m[1] !== 'CERTIFICATE' || body.includes(':')) continue;
    const b64 = body.replace(/\s+/g, '');
    const lines = b64.match(/.{1,64}/g) ?? [];
    out.push(
      Buffer.from(`-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`),
    );
  }
  return out;
}

/** The DER of the first certificate of a PEM text (or the bytes, when they are DER already). */
export function certificateDer(cert: Uint8Array): Uint8Array {
  const first = pemCertificates(cert)[0];
  if (first === undefined) return cert;
  const text = Buffer.from(first).toString('latin1');
  const b64 = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Fabric's TLS binding hash: SHA-256 of the client certificate's DER. */
export function tlsCertHash(cert: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(certificateDer(cert)).digest());
}

function pathOf(config: PeerConfig, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return isAbsolute(value) ? value : resolve(config.dir, value);
}

async function readConfigFile(key: string, path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new DeliverError(
      'CONFIG_FILE',
      `${key}: unable to load ${what} at '${path}': ${messageOf(err)}`,
      {
        cause: err,
        details: { key, path },
      },
    );
  }
}

function durationOr(config: PeerConfig, key: string, fallback: number): number {
  const ms = config.durationMs(key);
  return ms === null || ms <= 0 ? fallback : ms;
}

interface ConfiguredOverride {
  readonly from: string;
  readonly to: string;
  readonly caCertsFile?: string | null;
}

/**
 * Fabric's LoadOverridesMap: each override's CA file is read and split into certificates; an
 * override whose file cannot be read, or holds no certificate, is skipped with a warning.
 */
export async function loadAddressOverrides(
  config: PeerConfig,
  overrides: readonly ConfiguredOverride[],
  logger?: Logger,
): Promise<Map<string, OrdererAddressOverride>> {
  const map = new Map<string, OrdererAddressOverride>();
  for (const o of overrides) {
    let rootCerts: Uint8Array[] = [];
    const file = pathOf(config, o.caCertsFile);
    if (file !== undefined) {
      let pem: Uint8Array;
      try {
        pem = new Uint8Array(await readFile(file));
      } catch (err) {
        logger?.warn(
          `could not read file '${file}' specified for caCertsFile of orderer endpoint override from '${o.from}' to '${o.to}': ${messageOf(err)}`,
        );
        continue;
      }
      rootCerts = pemCertificates(pem);
      if (rootCerts.length === 0) {
        logger?.warn(
          `Attempted to create a cert pool for override of orderer address '${o.from}' to '${o.to}' but did not find any valid certs in '${file}'`,
        );
        continue;
      }
    }
    map.set(o.from, { address: o.to, rootCerts });
  }
  return map;
}

/**
 * Reads the delivery client's settings from core.yaml: `peer.tls.enabled`,
 * `peer.tls.clientAuthRequired`, `peer.tls.clientCert.file` / `clientKey.file` (falling back to
 * `peer.tls.cert.file` / `key.file`), `peer.deliveryclient.{connTimeout,
 * reConnectBackoffThreshold, reconnectTotalTimeThreshold, addressOverrides}`,
 * `peer.keepalive.deliveryClient.{interval,timeout}` and `peer.gossip.orgLeader`.
 */
export async function deliverySettingsFromConfig(
  config: PeerConfig,
  logger?: Logger,
): Promise<DeliveryClientSettings> {
  const d = DEFAULT_DELIVERY_SETTINGS;
  const tlsEnabled = config.get('peer.tls.enabled') === true;
  const mutual = tlsEnabled && config.get('peer.tls.clientAuthRequired') === true;
  let tls: DeliveryTlsSettings = { enabled: tlsEnabled };
  let certHash: Uint8Array | undefined;
  if (mutual) {
    const certKey = pathOf(config, config.get('peer.tls.clientCert.file'))
      ? 'peer.tls.clientCert.file'
      : 'peer.tls.cert.file';
    const keyKey = pathOf(config, config.get('peer.tls.clientKey.file'))
      ? 'peer.tls.clientKey.file'
      : 'peer.tls.key.file';
    const certPath = pathOf(config, config.get(certKey));
    const keyPath = pathOf(config, config.get(keyKey));
    if (certPath === undefined || keyPath === undefined) {
      throw new DeliverError(
        'CONFIG_FILE',
        `${certPath === undefined ? certKey : keyKey}: mutual TLS towards orderers needs a client certificate and key`,
      );
    }
    const clientKey = await readConfigFile(keyKey, keyPath, 'key');
    const clientCert = await readConfigFile(certKey, certPath, 'cert');
    tls = { enabled: true, clientCert, clientKey };
    certHash = tlsCertHash(clientCert);
  }
  const overrides = config.get('peer.deliveryclient.addressOverrides');
  return {
    tls,
    ...(certHash !== undefined ? { tlsCertHash: certHash } : {}),
    connTimeoutMs: durationOr(config, 'peer.deliveryclient.connTimeout', d.connTimeoutMs),
    reConnectBackoffThresholdMs: durationOr(
      config,
      'peer.deliveryclient.reConnectBackoffThreshold',
      d.reConnectBackoffThresholdMs,
    ),
    reconnectTotalTimeThresholdMs: durationOr(
      config,
      'peer.deliveryclient.reconnectTotalTimeThreshold',
      d.reconnectTotalTimeThresholdMs,
    ),
    initialRetryDelayMs: d.initialRetryDelayMs,
    keepalive: {
      intervalMs: durationOr(
        config,
        'peer.keepalive.deliveryClient.interval',
        d.keepalive.intervalMs,
      ),
      timeoutMs: durationOr(config, 'peer.keepalive.deliveryClient.timeout', d.keepalive.timeoutMs),
    },
    addressOverrides: Array.isArray(overrides)
      ? await loadAddressOverrides(config, overrides as ConfiguredOverride[], logger)
      : new Map(),
    staticLeader: config.get('peer.gossip.orgLeader') !== false,
    maxRecvMsgSize: d.maxRecvMsgSize,
    maxSendMsgSize: d.maxSendMsgSize,
  };
}
