/**
 * The core.yaml keys chaincode support reads, turned into options (Fabric's core/chaincode/config.go).
 */
import type { PeerConfig } from '@fabric-peer/api';

/** What chaincode support is configured with. */
export interface ChaincodeSettings {
  /** `chaincode.startuptimeout`: launch to READY. Fabric never uses less than 5 s. */
  readonly startupTimeoutMs: number;
  /** `chaincode.executetimeout`: one Init or Invoke (below 1 s Fabric uses 30 s). */
  readonly executeTimeoutMs: number;
  /** `chaincode.installTimeout`: also the execute timeout of `_lifecycle InstallChaincode` and `lscc install`. */
  readonly installTimeoutMs: number;
  /** `chaincode.keepalive` in ms; 0: the peer sends no KEEPALIVE. */
  readonly keepaliveMs: number;
  /** `chaincode.mode: dev`: any chaincode may register itself and nothing is launched. */
  readonly devMode: boolean;
  /** Where launched chaincode dials the peer (`peer.chaincodeAddress`, derived as Fabric does). */
  readonly peerAddress: string;
  /** `peer.tls.enabled`: the chaincode listener uses TLS with client certificates from the chaincode CA. */
  readonly tlsEnabled: boolean;
  /** `ledger.state.totalQueryLimit`: most results one chaincode query returns. */
  readonly totalQueryLimit: number;
  /** `ledger.history.enableHistoryDatabase`: GET_HISTORY_FOR_KEY is refused when false. */
  readonly historyEnabled: boolean;
  /**
   * `chaincode.logging.level/shim/format`. Fabric hands these to chaincode containers as
   * CORE_CHAINCODE_LOGGING_*; our PeerConnection has no field for them, so runtimes read them here.
   */
  readonly logging: { readonly level: string; readonly shim: string; readonly format: string };
}

const MIN_STARTUP_TIMEOUT_MS = 5_000;
const DEFAULT_EXECUTE_TIMEOUT_MS = 30_000;
const DEFAULT_CHAINCODE_PORT = 7052;

/** Defaults as in Fabric's sample core.yaml, for code that builds settings by hand (tests). */
export const DEFAULT_CHAINCODE_SETTINGS: ChaincodeSettings = {
  startupTimeoutMs: 300_000,
  executeTimeoutMs: DEFAULT_EXECUTE_TIMEOUT_MS,
  installTimeoutMs: 300_000,
  keepaliveMs: 0,
  devMode: false,
  peerAddress: `127.0.0.1:${DEFAULT_CHAINCODE_PORT}`,
  tlsEnabled: false,
  totalQueryLimit: 100_000,
  historyEnabled: true,
  logging: { level: 'info', shim: 'warning', format: '' },
};

function str(config: PeerConfig, key: string): string | undefined {
  const v = config.get(key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function splitHostPort(address: string): { host: string; port: string } {
  const i = address.lastIndexOf(':');
  if (i < 0) return { host: address, port: '' };
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: address.slice(i + 1) };
}

/**
 * Fabric's computeChaincodeEndpoint: `peer.chaincodeAddress` when set; otherwise
 * `peer.chaincodeListenAddress` (with an unspecified host replaced by the host of `peer.address`);
 * otherwise the host of `peer.address` with port 7052.
 */
export function chaincodeEndpoint(config: PeerConfig): string {
  const explicit = str(config, 'peer.chaincodeAddress');
  if (explicit !== undefined) return explicit;
  const peerHost = splitHostPort(str(config, 'peer.address') ?? '0.0.0.0:7051').host;
  const listen = str(config, 'peer.chaincodeListenAddress');
  if (listen !== undefined) {
    const { host, port } = splitHostPort(listen);
    if (host === '0.0.0.0' || host === '::' || host === '') return `${peerHost}:${port}`;
    return listen;
  }
  return `${peerHost}:${DEFAULT_CHAINCODE_PORT}`;
}

/** Reads the chaincode keys of core.yaml as Fabric's chaincode.GlobalConfig does. */
export function chaincodeSettings(config: PeerConfig): ChaincodeSettings {
  const startup = config.durationMs('chaincode.startuptimeout') ?? 0;
  let execute = config.durationMs('chaincode.executetimeout') ?? 0;
  if (execute < 1000) execute = DEFAULT_EXECUTE_TIMEOUT_MS;
  const keepaliveSeconds = Number(config.get('chaincode.keepalive'));
  const limit = Number(config.get('ledger.state.totalQueryLimit'));
  return {
    startupTimeoutMs: Math.max(startup, MIN_STARTUP_TIMEOUT_MS),
    executeTimeoutMs: execute,
    installTimeoutMs: config.durationMs('chaincode.installTimeout') ?? 0,
    keepaliveMs:
      Number.isFinite(keepaliveSeconds) && keepaliveSeconds > 0 ? keepaliveSeconds * 1000 : 0,
    devMode: config.get('chaincode.mode') === 'dev',
    peerAddress: chaincodeEndpoint(config),
    tlsEnabled: config.get('peer.tls.enabled') === true,
    totalQueryLimit: Number.isFinite(limit) && limit > 0 ? limit : 10_000,
    historyEnabled: config.get('ledger.history.enableHistoryDatabase') !== false,
    logging: {
      level: str(config, 'chaincode.logging.level') ?? 'info',
      shim: str(config, 'chaincode.logging.shim') ?? 'warning',
      format: str(config, 'chaincode.logging.format') ?? '',
    },
  };
}
