/**
 * The genesis YAML: a short description of an application channel (its organizations, its etcdraft
 * orderer, capabilities, policies and ACLs), validated strictly, with configtxgen's sample values
 * as defaults. See the README for the format.
 */
import { isAbsolute, resolve } from 'node:path';
import { invalidSpec } from './errors.js';
import { formatGoDuration, parseByteSize, parseGoDuration } from './go-format.js';
import {
  absent,
  entries,
  fail,
  list,
  mapping,
  optBool,
  optInt,
  optString,
  reqString,
  root,
  stringList,
  type Cursor,
} from './input.js';
import {
  implicitMetaFromString,
  PolicyParseError,
  signaturePolicyFromString,
} from './policy-dsl.js';

/** A policy: a rule string (`ANY Readers` is ImplicitMeta, anything else Signature) or explicit. */
export type PolicyDefinition =
  string | { readonly type: 'ImplicitMeta' | 'Signature'; readonly rule: string };

/** Policies by name; `null` removes a default policy. */
export type PolicyMap = Readonly<Record<string, PolicyDefinition | null>>;

/** Capabilities: a list of names (`[V2_0]`), or configtx.yaml's map of name to boolean. */
export type CapabilityList = readonly string[] | Readonly<Record<string, boolean>>;

/** One organization of the channel. */
export interface OrgDefinition {
  /** Its group name in the channel configuration; default the MSP id. */
  readonly name?: string;
  readonly mspId: string;
  /** The org's MSP folder (`.../msp` with cacerts/, tlscacerts/, config.yaml). */
  readonly mspDir: string;
  /** Whether it is an orderer organization (in the Orderer group); default false. */
  readonly orderer?: boolean;
  /**
   * Whether it is an application organization (in the Application group); default: when it is not
   * an orderer organization. Both may be true, as in Fabric's single-org sample profiles.
   */
  readonly application?: boolean;
  /** Orderer organizations: the orderers' `host:port`. */
  readonly ordererEndpoints?: readonly string[];
  /** Application organizations: anchor peers, `host:port` or `{ host, port }`. */
  readonly anchorPeers?: readonly (string | { readonly host: string; readonly port: number })[];
  /** Overrides of the org's default policies. */
  readonly policies?: PolicyMap;
}

/** One etcdraft consenter. */
export interface ConsenterDefinition {
  readonly host: string;
  readonly port: number;
  /** TLS certificate file for both roles (shorthand for the two below). */
  readonly tlsCert?: string;
  readonly clientTLSCert?: string;
  readonly serverTLSCert?: string;
}

/** The ordering service. */
export interface OrdererDefinition {
  /** Only `etcdraft`. */
  readonly type?: 'etcdraft';
  /** Channel-level orderer addresses (the deprecated global form); default none. */
  readonly addresses?: readonly string[];
  /** A Go duration; default `2s`. */
  readonly batchTimeout?: string;
  readonly batchSize?: {
    readonly maxMessageCount?: number;
    /** Bytes, or `10 MB`-style; default 10 MB. */
    readonly absoluteMaxBytes?: number | string;
    /** Default 2 MB. */
    readonly preferredMaxBytes?: number | string;
  };
  readonly consenters: readonly ConsenterDefinition[];
  /** etcdraft options; configtxgen's defaults where absent. */
  readonly options?: {
    readonly tickInterval?: string;
    readonly electionTick?: number;
    readonly heartbeatTick?: number;
    readonly maxInflightBlocks?: number;
    readonly snapshotIntervalSize?: number | string;
  };
}

/** The genesis YAML. */
export interface GenesisSpec {
  readonly channel: string;
  readonly orgs: readonly OrgDefinition[];
  readonly orderer: OrdererDefinition;
  /** Default V2_0 at each level. */
  readonly capabilities?: {
    readonly channel?: CapabilityList;
    readonly orderer?: CapabilityList;
    readonly application?: CapabilityList;
  };
  /** Overrides of the default policies of the channel, orderer and application groups. */
  readonly policies?: {
    readonly channel?: PolicyMap;
    readonly orderer?: PolicyMap;
    readonly application?: PolicyMap;
  };
  /** Application ACLs (resource → policy path); absent: the sample configtx.yaml's; `{}`: none. */
  readonly acls?: Readonly<Record<string, string>>;
}

/** A policy after parsing. */
export type ResolvedPolicy =
  | { readonly type: 'ImplicitMeta'; readonly rule: string }
  | { readonly type: 'Signature'; readonly rule: string };

/** A policy map whose org defaults depend on the MSP folder (NodeOUs or not). */
export interface ResolvedOrg {
  readonly name: string;
  readonly mspId: string;
  readonly mspDir: string;
  readonly orderer: boolean;
  readonly application: boolean;
  readonly ordererEndpoints: readonly string[];
  readonly anchorPeers: readonly { readonly host: string; readonly port: number }[];
  /** Overrides, applied over the defaults once the MSP folder is read. */
  readonly policies: Readonly<Record<string, ResolvedPolicy | null>>;
  /** Field path, for messages. */
  readonly path: string;
}

/** The spec validated, with defaults filled and paths absolute. */
export interface ResolvedGenesis {
  readonly where: string;
  readonly channel: string;
  readonly orgs: readonly ResolvedOrg[];
  readonly orderer: {
    readonly addresses: readonly string[];
    readonly batchTimeout: string;
    readonly maxMessageCount: number;
    readonly absoluteMaxBytes: number;
    readonly preferredMaxBytes: number;
    readonly consenters: readonly {
      readonly host: string;
      readonly port: number;
      readonly clientTLSCert: string;
      readonly serverTLSCert: string;
      readonly path: string;
    }[];
    readonly options: {
      readonly tickInterval: string;
      readonly electionTick: number;
      readonly heartbeatTick: number;
      readonly maxInflightBlocks: number;
      readonly snapshotIntervalSize: number;
    };
  };
  readonly capabilities: {
    readonly channel: Readonly<Record<string, boolean>>;
    readonly orderer: Readonly<Record<string, boolean>>;
    readonly application: Readonly<Record<string, boolean>>;
  };
  readonly policies: {
    readonly channel: Readonly<Record<string, ResolvedPolicy>>;
    readonly orderer: Readonly<Record<string, ResolvedPolicy>>;
    readonly application: Readonly<Record<string, ResolvedPolicy>>;
  };
  readonly acls: Readonly<Record<string, string>>;
}

/** The ACLs of Fabric's sample configtx.yaml (Application section). */
export const SAMPLE_ACLS: Readonly<Record<string, string>> = {
  '_lifecycle/CheckCommitReadiness': '/Channel/Application/Writers',
  '_lifecycle/CommitChaincodeDefinition': '/Channel/Application/Writers',
  '_lifecycle/QueryChaincodeDefinition': '/Channel/Application/Writers',
  '_lifecycle/QueryChaincodeDefinitions': '/Channel/Application/Writers',
  'lscc/ChaincodeExists': '/Channel/Application/Readers',
  'lscc/GetDeploymentSpec': '/Channel/Application/Readers',
  'lscc/GetChaincodeData': '/Channel/Application/Readers',
  'lscc/GetInstantiatedChaincodes': '/Channel/Application/Readers',
  'qscc/GetChainInfo': '/Channel/Application/Readers',
  'qscc/GetBlockByNumber': '/Channel/Application/Readers',
  'qscc/GetBlockByHash': '/Channel/Application/Readers',
  'qscc/GetTransactionByID': '/Channel/Application/Readers',
  'qscc/GetBlockByTxID': '/Channel/Application/Readers',
  'cscc/GetConfigBlock': '/Channel/Application/Readers',
  'cscc/GetChannelConfig': '/Channel/Application/Readers',
  'peer/Propose': '/Channel/Application/Writers',
  'peer/ChaincodeToChaincode': '/Channel/Application/Writers',
  'event/Block': '/Channel/Application/Readers',
  'event/FilteredBlock': '/Channel/Application/Readers',
};

const meta = (rule: string): ResolvedPolicy => ({ type: 'ImplicitMeta', rule });
const sig = (rule: string): ResolvedPolicy => ({ type: 'Signature', rule });

/** The sample defaults of the channel, orderer and application groups. */
export const DEFAULT_GROUP_POLICIES: {
  readonly channel: Readonly<Record<string, ResolvedPolicy>>;
  readonly orderer: Readonly<Record<string, ResolvedPolicy>>;
  readonly application: Readonly<Record<string, ResolvedPolicy>>;
} = {
  channel: {
    Readers: meta('ANY Readers'),
    Writers: meta('ANY Writers'),
    Admins: meta('MAJORITY Admins'),
  },
  orderer: {
    Readers: meta('ANY Readers'),
    Writers: meta('ANY Writers'),
    Admins: meta('MAJORITY Admins'),
    BlockValidation: meta('ANY Writers'),
  },
  application: {
    Readers: meta('ANY Readers'),
    Writers: meta('ANY Writers'),
    Admins: meta('MAJORITY Admins'),
    LifecycleEndorsement: meta('MAJORITY Endorsement'),
    Endorsement: meta('MAJORITY Endorsement'),
  },
};

/**
 * An organization's default policies. With NodeOUs (the usual case): by role, as Fabric's
 * test network writes them; without NodeOUs the peer and client roles do not exist, so members.
 */
export function defaultOrgPolicies(
  mspId: string,
  orderer: boolean,
  nodeOUs: boolean,
): Record<string, ResolvedPolicy> {
  const p = (role: string): string => `'${mspId}.${role}'`;
  if (orderer) {
    return {
      Readers: sig(`OR(${p('member')})`),
      Writers: sig(`OR(${p('member')})`),
      Admins: sig(`OR(${p('admin')})`),
    };
  }
  if (!nodeOUs) {
    return {
      Readers: sig(`OR(${p('member')})`),
      Writers: sig(`OR(${p('member')})`),
      Admins: sig(`OR(${p('admin')})`),
      Endorsement: sig(`OR(${p('member')})`),
    };
  }
  return {
    Readers: sig(`OR(${p('admin')}, ${p('peer')}, ${p('client')})`),
    Writers: sig(`OR(${p('admin')}, ${p('client')})`),
    Admins: sig(`OR(${p('admin')})`),
    Endorsement: sig(`OR(${p('peer')})`),
  };
}

const DEFAULT_CAPABILITIES = { V2_0: true } as const;
const UINT32_MAX = 0xffff_ffff;

function readPolicy(c: Cursor): ResolvedPolicy {
  let type: 'ImplicitMeta' | 'Signature';
  let rule: string;
  if (typeof c.value === 'string') {
    rule = c.value;
    type = /^(ANY|ALL|MAJORITY) /.test(rule) ? 'ImplicitMeta' : 'Signature';
  } else {
    const m = mapping(c, ['type', 'rule'], ['type', 'rule']);
    const t = reqString(m.type);
    if (t !== 'ImplicitMeta' && t !== 'Signature') {
      fail(m.type, `unknown policy type ${JSON.stringify(t)} (allowed: ImplicitMeta, Signature)`);
    }
    type = t;
    rule = reqString(m.rule);
  }
  try {
    if (type === 'ImplicitMeta') implicitMetaFromString(rule);
    else signaturePolicyFromString(rule);
  } catch (err) {
    if (err instanceof PolicyParseError) fail(c, `invalid ${type} policy rule: ${err.message}`);
    throw err;
  }
  return { type, rule };
}

function readPolicyMap(c: Cursor): Record<string, ResolvedPolicy | null> {
  const out: Record<string, ResolvedPolicy | null> = {};
  for (const [name, v] of entries(c)) out[name] = absent(v) ? null : readPolicy(v);
  return out;
}

/** Applies overrides (null removes) and checks the policies a group must have. */
export function mergePolicies(
  defaults: Readonly<Record<string, ResolvedPolicy>>,
  overrides: Readonly<Record<string, ResolvedPolicy | null>>,
  required: readonly string[],
  where: string,
  path: string,
): Record<string, ResolvedPolicy> {
  const out: Record<string, ResolvedPolicy> = { ...defaults };
  for (const [name, p] of Object.entries(overrides)) {
    if (p === null) delete out[name];
    else out[name] = p;
  }
  for (const name of required) {
    if (out[name] === undefined) {
      throw invalidSpec(
        where,
        `${path}.${name}`,
        `is required (configtxgen refuses a group without it)`,
      );
    }
  }
  return out;
}

function readCapabilities(c: Cursor): Record<string, boolean> {
  if (absent(c)) return { ...DEFAULT_CAPABILITIES };
  if (Array.isArray(c.value)) return Object.fromEntries(stringList(c).map((n) => [n, true]));
  const out: Record<string, boolean> = {};
  for (const [name, v] of entries(c)) {
    const b = optBool(v);
    if (b === undefined) fail(v, 'expected true or false');
    out[name] = b;
  }
  return out;
}

function path(baseDir: string, c: Cursor): string {
  const p = reqString(c);
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function readEndpoint(c: Cursor): string {
  const s = reqString(c);
  if (!/^[^\s:]+:\d{1,5}$/.test(s) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(s)) {
    fail(c, `expected host:port, got ${JSON.stringify(s)}`);
  }
  return s;
}

function readAnchorPeer(c: Cursor): { host: string; port: number } {
  if (typeof c.value === 'string') {
    const s = readEndpoint(c);
    const i = s.lastIndexOf(':');
    const port = Number(s.slice(i + 1));
    if (port < 1 || port > 65535) fail(c, `port must be between 1 and 65535, got ${port}`);
    return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
  }
  const m = mapping(c, ['host', 'port'], ['host', 'port']);
  return { host: reqString(m.host), port: optInt(m.port, 1, 65535) ?? 0 };
}

function readSize(c: Cursor, fallback: number): number {
  if (absent(c)) return fallback;
  const n = parseByteSize(c.value);
  if (n === undefined)
    fail(c, `expected a byte size (an integer, or e.g. "10 MB"), got ${JSON.stringify(c.value)}`);
  if (n < 1 || n > UINT32_MAX) fail(c, `must be between 1 and ${UINT32_MAX} bytes, got ${n}`);
  return n;
}

function readDuration(c: Cursor, fallback: string, reformat: boolean): string {
  const text = optString(c);
  if (text === undefined) return fallback;
  const ns = parseGoDuration(text);
  if (ns === undefined)
    fail(c, `expected a Go duration such as 250ms, 2s or 1m30s, got ${JSON.stringify(text)}`);
  if (ns <= 0n) fail(c, `must be positive, got ${JSON.stringify(text)}`);
  return reformat ? formatGoDuration(ns) : text;
}

/**
 * Validates a genesis spec (parsed YAML, or an object built in code) and fills the defaults.
 * Relative paths are taken from `baseDir` (the YAML file's folder when loaded from a file).
 */
export function resolveGenesisSpec(
  value: unknown,
  where = 'spec',
  baseDir = process.cwd(),
): ResolvedGenesis {
  const top = mapping(
    root(where, value),
    ['channel', 'orgs', 'orderer', 'capabilities', 'policies', 'acls'],
    ['channel', 'orgs', 'orderer'],
  );
  const channel = reqString(top.channel);
  if (!/^[a-z][a-z0-9.-]*$/.test(channel) || channel.length > 249) {
    fail(
      top.channel,
      `invalid channel name ${JSON.stringify(channel)} (lowercase letters, digits, "." and "-", starting with a letter, at most 249 characters)`,
    );
  }

  const orgs: ResolvedOrg[] = list(top.orgs).map((c) => {
    const m = mapping(
      c,
      [
        'name',
        'mspId',
        'mspDir',
        'orderer',
        'application',
        'ordererEndpoints',
        'anchorPeers',
        'policies',
      ],
      ['mspId', 'mspDir'],
    );
    const mspId = reqString(m.mspId);
    const isOrderer = optBool(m.orderer) ?? false;
    const isApplication = optBool(m.application) ?? !isOrderer;
    if (!isOrderer && !isApplication)
      fail(c, 'is neither an orderer nor an application organization');
    if (!isApplication && !absent(m.anchorPeers))
      fail(m.anchorPeers, 'is for application organizations only (set application: true)');
    if (!isOrderer && !absent(m.ordererEndpoints))
      fail(m.ordererEndpoints, 'is for orderer organizations only (set orderer: true)');
    return {
      name: optString(m.name) ?? mspId,
      mspId,
      mspDir: path(baseDir, m.mspDir),
      orderer: isOrderer,
      application: isApplication,
      ordererEndpoints: list(m.ordererEndpoints).map(readEndpoint),
      anchorPeers: list(m.anchorPeers).map(readAnchorPeer),
      policies: readPolicyMap(m.policies),
      path: c.path,
    };
  });
  if (!orgs.some((o) => o.orderer))
    fail(top.orgs, 'needs at least one orderer organization (orderer: true)');
  if (!orgs.some((o) => o.application))
    fail(top.orgs, 'needs at least one application organization');
  for (const kind of ['orderer', 'application'] as const) {
    const seen = new Set<string>();
    for (const o of orgs.filter((x) => x[kind])) {
      if (seen.has(o.name)) {
        throw invalidSpec(where, `${o.path}.name`, `two ${kind} organizations are named ${o.name}`);
      }
      seen.add(o.name);
    }
  }

  const o = mapping(
    top.orderer,
    ['type', 'addresses', 'batchTimeout', 'batchSize', 'consenters', 'options'],
    ['consenters'],
  );
  const type = optString(o.type) ?? 'etcdraft';
  if (type !== 'etcdraft')
    fail(o.type, `unsupported orderer type ${JSON.stringify(type)} (only etcdraft)`);
  const bs = mapping(o.batchSize, ['maxMessageCount', 'absoluteMaxBytes', 'preferredMaxBytes']);
  const consenters = list(o.consenters).map((c) => {
    const m = mapping(
      c,
      ['host', 'port', 'tlsCert', 'clientTLSCert', 'serverTLSCert'],
      ['host', 'port'],
    );
    const both = absent(m.tlsCert) ? undefined : path(baseDir, m.tlsCert);
    if (both === undefined && (absent(m.clientTLSCert) || absent(m.serverTLSCert))) {
      fail(c, 'needs tlsCert, or both clientTLSCert and serverTLSCert');
    }
    if (both !== undefined && (!absent(m.clientTLSCert) || !absent(m.serverTLSCert))) {
      fail(m.tlsCert, 'give either tlsCert or clientTLSCert/serverTLSCert, not both');
    }
    return {
      host: reqString(m.host),
      port: optInt(m.port, 1, 65535) ?? 0,
      clientTLSCert: both ?? path(baseDir, m.clientTLSCert),
      serverTLSCert: both ?? path(baseDir, m.serverTLSCert),
      path: c.path,
    };
  });
  if (consenters.length === 0) fail(o.consenters, 'needs at least one consenter');
  const opt = mapping(o.options, [
    'tickInterval',
    'electionTick',
    'heartbeatTick',
    'maxInflightBlocks',
    'snapshotIntervalSize',
  ]);
  const options = {
    tickInterval: readDuration(opt.tickInterval, '500ms', false),
    electionTick: optInt(opt.electionTick, 1, UINT32_MAX) ?? 10,
    heartbeatTick: optInt(opt.heartbeatTick, 1, UINT32_MAX) ?? 1,
    maxInflightBlocks: optInt(opt.maxInflightBlocks, 1, UINT32_MAX) ?? 5,
    snapshotIntervalSize: readSize(opt.snapshotIntervalSize, 16 * 1024 * 1024),
  };
  if (options.electionTick <= options.heartbeatTick) {
    fail(opt.electionTick, `must be greater than heartbeatTick (${options.heartbeatTick})`);
  }
  const orderer = {
    addresses: list(o.addresses).map(readEndpoint),
    batchTimeout: readDuration(o.batchTimeout, '2s', true),
    maxMessageCount: optInt(bs.maxMessageCount, 1, UINT32_MAX) ?? 500,
    absoluteMaxBytes: readSize(bs.absoluteMaxBytes, 10 * 1024 * 1024),
    preferredMaxBytes: readSize(bs.preferredMaxBytes, 2 * 1024 * 1024),
    consenters,
    options,
  };
  if (orderer.preferredMaxBytes > orderer.absoluteMaxBytes) {
    fail(bs.preferredMaxBytes, `must not exceed absoluteMaxBytes (${orderer.absoluteMaxBytes})`);
  }

  const caps = mapping(top.capabilities, ['channel', 'orderer', 'application']);
  const pol = mapping(top.policies, ['channel', 'orderer', 'application']);
  const policies = {
    channel: mergePolicies(
      DEFAULT_GROUP_POLICIES.channel,
      readPolicyMap(pol.channel),
      ['Readers', 'Writers', 'Admins'],
      where,
      pol.channel.path,
    ),
    orderer: mergePolicies(
      DEFAULT_GROUP_POLICIES.orderer,
      readPolicyMap(pol.orderer),
      ['Readers', 'Writers', 'Admins', 'BlockValidation'],
      where,
      pol.orderer.path,
    ),
    application: mergePolicies(
      DEFAULT_GROUP_POLICIES.application,
      readPolicyMap(pol.application),
      ['Readers', 'Writers', 'Admins'],
      where,
      pol.application.path,
    ),
  };

  let acls: Record<string, string>;
  if (absent(top.acls)) acls = { ...SAMPLE_ACLS };
  else {
    acls = {};
    for (const [resource, v] of entries(top.acls)) acls[resource] = reqString(v);
  }

  return {
    where,
    channel,
    orgs,
    orderer,
    capabilities: {
      channel: readCapabilities(caps.channel),
      orderer: readCapabilities(caps.orderer),
      application: readCapabilities(caps.application),
    },
    policies,
    acls,
  };
}
