/**
 * The core.yaml keys this plugin reads, checked once when a contribution is built: the Docker
 * engine (`vm.endpoint`, `vm.docker.*`), the Node.js runtime image (`chaincode.node.runtime`), the
 * names chaincode images and containers are given (`peer.id`, `peer.networkId`) and what Fabric
 * passes to every chaincode container (`peer.localMspId`, `chaincode.logging.*`).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  chaincodeLogLevel,
  ConfigError,
  type ConfigIssue,
  type PeerConfig,
} from '@fabric-peer/api';

/** How to reach the Docker engine. */
export interface DockerEndpoint {
  /** `vm.endpoint` as written, for messages. */
  readonly url: string;
  /** Set for `unix://` and `npipe://` endpoints. */
  readonly socketPath?: string;
  /** Set for `tcp://`, `http://` and `https://` endpoints. */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /** PEM material of `vm.docker.tls` when enabled. */
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
}

/** The `HostConfig` of chaincode containers, in the Docker API's own field names. */
export type DockerHostConfig = Readonly<Record<string, unknown>>;

/** Settings of the Docker chaincode runtime. */
export interface DockerSettings {
  readonly endpoint: DockerEndpoint;
  /** `vm.docker.attachStdout`: copy container output into the peer's log. */
  readonly attachStdout: boolean;
  readonly hostConfig: DockerHostConfig;
  /** `chaincode.node.runtime` with Fabric's `$(...)` variables expanded. */
  readonly nodeRuntimeImage: string;
  /** `chaincode.pull`: read only to say that it is ignored (no registry is used). */
  readonly pull: boolean;
  readonly peerId: string;
  readonly networkId: string;
  /** `peer.localMspId`, passed to chaincode as CORE_PEER_LOCALMSPID as Fabric does. */
  readonly mspId: string;
  /** Fabric's CORE_CHAINCODE_LOGGING_{LEVEL,SHIM,FORMAT} from `chaincode.logging.*`. */
  readonly loggingEnv: readonly string[];
}

/** The Fabric release whose images `$(TWO_DIGIT_VERSION)` and `$(PROJECT_VERSION)` name. */
export const FABRIC_VERSION = '2.5.16';
/** Fabric's `metadata.DockerNamespace`. */
export const DOCKER_NAMESPACE = 'hyperledger';

/** Fabric's twoDigitVersion: `2.5.16` → `2.5`; a version without dots is kept. */
function twoDigitVersion(version: string): string {
  const v = version.replace(/^v/, '');
  const i = v.lastIndexOf('.');
  return i < 0 ? v : v.slice(0, i);
}

/** Go's GOARCH name of this machine's architecture, for `$(ARCH)`. */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return map[process.arch] ?? process.arch;
}

/** Expands Fabric's image variables as `GetDockerImageFromConfig` does. */
export function expandImageName(template: string): string {
  return template
    .replaceAll('$(ARCH)', goArch())
    .replaceAll('$(PROJECT_VERSION)', FABRIC_VERSION)
    .replaceAll('$(TWO_DIGIT_VERSION)', twoDigitVersion(FABRIC_VERSION))
    .replaceAll('$(DOCKER_NS)', DOCKER_NAMESPACE);
}

/** Keys of `vm.docker.hostConfig` and the kind of value each holds. */
const HOST_CONFIG_KEYS: Readonly<Record<string, 'string' | 'int' | 'bool' | 'list'>> = {
  NetworkMode: 'string',
  Dns: 'list',
  DnsSearch: 'list',
  ExtraHosts: 'list',
  CapAdd: 'list',
  CapDrop: 'list',
  SecurityOpt: 'list',
  Memory: 'int',
  MemorySwap: 'int',
  MemorySwappiness: 'int',
  OomKillDisable: 'bool',
  CpuShares: 'int',
  CpuPeriod: 'int',
  CpuQuota: 'int',
  CpusetCPUs: 'string',
  CpusetMEMs: 'string',
  CgroupParent: 'string',
  BlkioWeight: 'int',
  ReadonlyRootfs: 'bool',
  IpcMode: 'string',
  PidMode: 'string',
  UTSMode: 'string',
};

/** Docker's own spelling of the keys core.yaml spells differently. */
const API_NAMES: Readonly<Record<string, string>> = {
  CpusetCPUs: 'CpusetCpus',
  CpusetMEMs: 'CpusetMems',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readHostConfig(raw: unknown, issues: ConfigIssue[]): DockerHostConfig {
  const prefix = 'vm.docker.hostConfig';
  const out: Record<string, unknown> = {};
  if (raw === null || raw === undefined) return { NetworkMode: 'host' };
  if (!isRecord(raw)) {
    issues.push({ key: prefix, value: raw, problem: 'must be a map of Docker host settings' });
    return { NetworkMode: 'host' };
  }
  for (const [name, kind] of Object.entries(HOST_CONFIG_KEYS)) {
    const v = raw[name];
    if (v === null || v === undefined || v === '') continue;
    const key = `${prefix}.${name}`;
    const apiName = API_NAMES[name] ?? name;
    if (kind === 'string') {
      if (typeof v !== 'string') issues.push({ key, value: v, problem: 'must be a string' });
      else out[apiName] = v;
    } else if (kind === 'int') {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
        issues.push({ key, value: v, problem: 'must be a whole number' });
      } else out[apiName] = n;
    } else if (kind === 'bool') {
      if (typeof v !== 'boolean') issues.push({ key, value: v, problem: 'must be true or false' });
      else out[apiName] = v;
    } else if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) {
      issues.push({ key, value: v, problem: 'must be a list of strings' });
    } else {
      out[apiName] = [...(v as string[])];
    }
  }
  // Fabric parses each DNS server as an IP address (and panics on a bad one).
  const dns = out['Dns'];
  if (Array.isArray(dns)) {
    for (const s of dns as string[]) {
      if (isIP(s) === 0) {
        issues.push({ key: `${prefix}.Dns`, value: s, problem: 'is not an IP address' });
      }
    }
  }
  const log = raw['LogConfig'];
  if (isRecord(log)) {
    const type = log['Type'];
    const config = log['Config'];
    if (type !== undefined && type !== null && type !== '') {
      if (typeof type !== 'string') {
        issues.push({ key: `${prefix}.LogConfig.Type`, value: type, problem: 'must be a string' });
      } else {
        const cfg: Record<string, string> = {};
        if (isRecord(config)) {
          for (const [k, val] of Object.entries(config)) cfg[k] = String(val);
        }
        out['LogConfig'] = { Type: type, Config: cfg };
      }
    }
  }
  if (out['NetworkMode'] === undefined) out['NetworkMode'] = 'host';
  return out;
}

function readEndpoint(config: PeerConfig, issues: ConfigIssue[]): DockerEndpoint {
  const key = 'vm.endpoint';
  const url = config.get(key);
  if (url === null || url === undefined || url === '') {
    issues.push({
      key,
      problem: 'is empty, but vm.providers names the docker runtime',
      allowed: 'a Docker endpoint such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375',
    });
    return { url: '' };
  }
  if (typeof url !== 'string') {
    issues.push({ key, value: url, problem: 'must be a string' });
    return { url: '' };
  }
  const m = /^(unix|npipe|tcp|http|https):\/\/(.+)$/.exec(url);
  if (m === null) {
    issues.push({
      key,
      value: url,
      problem: 'is not a Docker endpoint URL',
      allowed: 'unix:///path/to/docker.sock, tcp://host:port, http(s)://host:port or npipe://...',
    });
    return { url };
  }
  const scheme = m[1] as string;
  const rest = m[2] as string;
  const tlsEnabled = config.get('vm.docker.tls.enabled') === true;
  if (scheme === 'unix' || scheme === 'npipe') return { url, socketPath: rest };
  let parsed: URL;
  try {
    parsed = new URL(`http://${rest}`);
  } catch {
    issues.push({ key, value: url, problem: 'has no valid host:port' });
    return { url };
  }
  const protocol = scheme === 'https' || tlsEnabled ? 'https' : 'http';
  const port = parsed.port !== '' ? Number(parsed.port) : protocol === 'https' ? 2376 : 2375;
  const endpoint = { url, host: parsed.hostname.replace(/^\[|\]$/g, ''), port, protocol } as const;
  if (!tlsEnabled) return endpoint;
  const file = (name: 'ca' | 'cert' | 'key'): Buffer => {
    const fileKey = `vm.docker.tls.${name}.file`;
    const p = config.get(fileKey);
    if (typeof p !== 'string' || p === '') {
      issues.push({ key: fileKey, value: p, problem: 'is required when vm.docker.tls.enabled' });
      return Buffer.alloc(0);
    }
    try {
      return readFileSync(resolve(config.dir, p));
    } catch (err) {
      issues.push({ key: fileKey, value: p, problem: `cannot be read: ${(err as Error).message}` });
      return Buffer.alloc(0);
    }
  };
  return { ...endpoint, tls: { ca: file('ca'), cert: file('cert'), key: file('key') } };
}

/** Reads and checks the settings; throws a ConfigError listing every bad key. */
export function readDockerSettings(config: PeerConfig): DockerSettings {
  const issues: ConfigIssue[] = [];
  const text = (key: string, fallback?: string): string => {
    const v = config.get(key);
    if ((v === null || v === undefined || v === '') && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v === '') {
      issues.push({ key, value: v, problem: 'must be a non-empty string' });
      return '';
    }
    return v;
  };
  const flag = (key: string): boolean => {
    const v = config.get(key);
    if (v === null || v === undefined) return false;
    if (typeof v !== 'boolean') issues.push({ key, value: v, problem: 'must be true or false' });
    return v === true;
  };

  const endpoint = readEndpoint(config, issues);
  const settings: DockerSettings = {
    endpoint,
    attachStdout: flag('vm.docker.attachStdout'),
    hostConfig: readHostConfig(config.get('vm.docker.hostConfig'), issues),
    nodeRuntimeImage: expandImageName(
      text('chaincode.node.runtime', '$(DOCKER_NS)/fabric-nodeenv:$(TWO_DIGIT_VERSION)'),
    ),
    pull: flag('chaincode.pull'),
    peerId: text('peer.id'),
    networkId: text('peer.networkId'),
    mspId: text('peer.localMspId'),
    loggingEnv: [
      `CORE_CHAINCODE_LOGGING_LEVEL=${chaincodeLogLevel(text('chaincode.logging.level', 'info'))}`,
      `CORE_CHAINCODE_LOGGING_SHIM=${chaincodeLogLevel(text('chaincode.logging.shim', 'warning'))}`,
      `CORE_CHAINCODE_LOGGING_FORMAT=${text('chaincode.logging.format', '')}`,
    ],
  };
  if (issues.length > 0) throw new ConfigError(issues);
  return settings;
}
