/**
 * The core.yaml values the node's own services read, turned into typed options. Files named by the
 * configuration (certificates, keys) are read here, and a missing or unreadable one is an error
 * that names its key.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type PeerConfig } from '@fabric-peer/api';
import type { GrpcTlsOptions } from './grpc/server.js';

function str(config: PeerConfig, key: string): string {
  const v = config.get(key);
  if (typeof v === 'string') return v;
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

function optStr(config: PeerConfig, key: string): string | undefined {
  const v = config.get(key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(config: PeerConfig, key: string): number {
  return Number(config.get(key));
}

function bool(config: PeerConfig, key: string): boolean {
  return config.get(key) === true;
}

function strList(config: PeerConfig, key: string): string[] {
  const v = config.get(key);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return typeof v === 'string' && v !== '' ? [v] : [];
}

/** Reads a file named by `key`; a failure names the key and the path. */
export function readConfigFile(key: string, path: string | undefined): Buffer {
  if (path === undefined) {
    throw new ConfigError([
      { key, problem: 'is required here but not set', allowed: 'a file path' },
    ]);
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError([
      {
        key,
        value: path,
        problem: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        allowed: 'a readable file',
      },
    ]);
  }
}

/** TLS material of the peer's gRPC listeners (`peer.tls.*`), or undefined when TLS is off. */
export function peerTls(config: PeerConfig): GrpcTlsOptions | undefined {
  if (!bool(config, 'peer.tls.enabled')) return undefined;
  const clientAuthRequired = bool(config, 'peer.tls.clientAuthRequired');
  const roots = strList(config, 'peer.tls.clientRootCAs.files');
  return {
    cert: readConfigFile('peer.tls.cert.file', optStr(config, 'peer.tls.cert.file')),
    key: readConfigFile('peer.tls.key.file', optStr(config, 'peer.tls.key.file')),
    clientRootCAs: roots.map((f, i) => readConfigFile(`peer.tls.clientRootCAs.files[${i}]`, f)),
    clientAuthRequired,
  };
}

/** Operations server TLS (`operations.tls.*`), or undefined when off. */
export function operationsTls(
  config: PeerConfig,
): { cert: Buffer; key: Buffer; clientRootCAs: Buffer[]; clientAuthRequired: boolean } | undefined {
  if (!bool(config, 'operations.tls.enabled')) return undefined;
  return {
    cert: readConfigFile('operations.tls.cert.file', optStr(config, 'operations.tls.cert.file')),
    key: readConfigFile('operations.tls.key.file', optStr(config, 'operations.tls.key.file')),
    clientRootCAs: strList(config, 'operations.tls.clientRootCAs.files').map((f, i) =>
      readConfigFile(`operations.tls.clientRootCAs.files[${i}]`, f),
    ),
    clientAuthRequired: bool(config, 'operations.tls.clientAuthRequired'),
  };
}

export interface ListenerSettings {
  /** Lifecycle name of the listener. */
  readonly name: string;
  /** The key of its address, named in errors. */
  readonly configKey: string;
  readonly address: string;
  readonly tls?: GrpcTlsOptions;
  readonly keepalive: { intervalMs: number; timeoutMs: number };
  readonly maxRecvMsgSize: number;
  readonly maxSendMsgSize: number;
}

/** Settings of the main peer listener (`peer.listenAddress`, `peer.keepalive.*`, sizes). */
export function peerListener(config: PeerConfig): ListenerSettings {
  const tls = peerTls(config);
  return {
    name: 'peer-listener',
    configKey: 'peer.listenAddress',
    address: str(config, 'peer.listenAddress'),
    ...(tls ? { tls } : {}),
    keepalive: {
      intervalMs: config.durationMs('peer.keepalive.interval') ?? 7200_000,
      timeoutMs: config.durationMs('peer.keepalive.timeout') ?? 20_000,
    },
    maxRecvMsgSize: num(config, 'peer.maxRecvMsgSize'),
    maxSendMsgSize: num(config, 'peer.maxSendMsgSize'),
  };
}

/**
 * Settings of the chaincode listener. Fabric gives it fixed keepalive values (2h interval, 20s
 * timeout) rather than peer.keepalive.*; the address is `peer.chaincodeListenAddress`; it serves
 * with the peer's TLS certificate.
 */
export function chaincodeListener(config: PeerConfig): ListenerSettings {
  const tls = peerTls(config);
  return {
    name: 'chaincode-listener',
    configKey: 'peer.chaincodeListenAddress',
    address: str(config, 'peer.chaincodeListenAddress'),
    // Chaincode client certificates come from the peer's own CA (added with ChaincodeSupport).
    ...(tls ? { tls: { ...tls, clientAuthRequired: false, clientRootCAs: [] } } : {}),
    keepalive: { intervalMs: 2 * 60 * 60 * 1000, timeoutMs: 20 * 1000 },
    maxRecvMsgSize: num(config, 'peer.maxRecvMsgSize'),
    maxSendMsgSize: num(config, 'peer.maxSendMsgSize'),
  };
}

/** `metrics.*`. */
export function metricsSettings(config: PeerConfig):
  | { provider: 'disabled' | 'prometheus' }
  | {
      provider: 'statsd';
      network: 'udp' | 'tcp';
      address: string;
      writeIntervalMs: number;
      prefix: string;
    } {
  const provider = str(config, 'metrics.provider');
  if (provider === 'statsd') {
    const prefix = optStr(config, 'metrics.statsd.prefix') ?? '';
    return {
      provider,
      network: str(config, 'metrics.statsd.network') === 'tcp' ? 'tcp' : 'udp',
      address: str(config, 'metrics.statsd.address'),
      writeIntervalMs: config.durationMs('metrics.statsd.writeInterval') ?? 10_000,
      prefix: prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`,
    };
  }
  return { provider: provider === 'prometheus' ? 'prometheus' : 'disabled' };
}
